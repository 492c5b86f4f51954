package webrtcsink_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/webrtcsink"
)

//go:embed testdata/viewer.html
var viewerPage []byte

// netnsEnv marks a test binary re-executed inside a loopback-only network
// namespace.
const netnsEnv = "WEBRTCSINK_NETNS"

// inLoopbackNamespace re-runs the named test in a new network namespace with
// only lo up (DESIGN.md §8) when running as root outside one, and reports
// whether the caller should return (the child ran the test).
func inLoopbackNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) != "" || os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Logf("no unshare: running %s in the host network namespace", t.Name())
		return false
	}
	cmd := exec.Command("unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a loopback-only network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("%s in a network namespace: %v", t.Name(), err)
	}
	return true
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIP: Chromium is not installed (apt install chromium): the browser test did NOT run")
	return ""
}

type pageResult struct {
	Error           string  `json:"error"`
	FramesDecoded   int     `json:"framesDecoded"`
	FrameWidth      int     `json:"frameWidth"`
	FrameHeight     int     `json:"frameHeight"`
	PacketsLost     int     `json:"packetsLost"`
	FirstFrameMs    float64 `json:"firstFrameMs"` // after connected
	ConnectMs       float64 `json:"connectMs"`    // answer to connected
	ConnectionState string  `json:"connectionState"`
	Codec           string  `json:"codec"`
	FramesReceived  int     `json:"framesReceived"`
	FramesDropped   int     `json:"framesDropped"`
	FreezeCount     int     `json:"freezeCount"`
	JitterDelay     float64 `json:"jitterBufferDelay"`
	JitterEmitted   int     `json:"jitterBufferEmittedCount"`
}

// TestChromium plays the clip in headless Chromium over WHEP and over the
// legacy JSON API; the page reports getStats() after 5 s.
func TestChromium(t *testing.T) {
	browser := chromiumPath(t)
	if inLoopbackNamespace(t) {
		return
	}
	frames := clip(t)
	var want atomic.Bool // a key frame was requested
	sink, err := webrtcsink.New(webrtcsink.Options{Interfaces: []string{"lo"}, IncludeLoopback: true, QueueLen: 90,
		Keyframes: shmcast.KeyframeRequesterFunc(func() { want.Store(true) })})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan pageResult, 2)
	mux := http.NewServeMux()
	mux.Handle("/whep", sink)
	mux.Handle("/whep/", sink)
	mux.Handle("/api/webrtc/offer", sink)
	mux.HandleFunc("/viewer.html", func(w http.ResponseWriter, r *http.Request) { w.Write(viewerPage) })
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res pageResult
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			res.Error = "bad result: " + err.Error()
		}
		results <- res
	})
	srv := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	var feeding sync.WaitGroup
	feeding.Add(1)
	go func() { defer feeding.Done(); feedLoop(ctx, sink, frames, &want) }()
	defer func() {
		cancel()
		feeding.Wait()
		srv.Close()
		sink.Close()
	}()

	for _, mode := range []string{"whep", "legacy"} {
		t.Run(mode, func(t *testing.T) {
			res := runChromium(t, browser, srv.URL+"/viewer.html?mode="+mode, results)
			t.Logf("%s: %+v", mode, res)
			if res.Error != "" {
				t.Fatalf("page: %s", res.Error)
			}
			if res.FramesDecoded < 120 || res.FrameWidth != 640 || res.FrameHeight != 360 {
				t.Errorf("Chromium decoded %d frames at %dx%d in 5 s, want >= 120 at 640x360",
					res.FramesDecoded, res.FrameWidth, res.FrameHeight)
			}
			// The clip is 42c01e (constrained baseline, level 3.0); Chromium
			// offers constrained baseline as 42e01f: the answer keeps the
			// offered profile bytes and announces the clip's level.
			if res.Codec != "42c01e" && res.Codec != "42e01e" {
				t.Errorf("answer's profile-level-id = %q, want constrained baseline at the clip's level 1e", res.Codec)
			}
		})
	}
	st := sink.Stats()
	t.Logf("sink: frames %d, totals %+v", st.Frames, st.Total)
}

func runChromium(t *testing.T, browser, url string, results <-chan pageResult) pageResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--user-data-dir="+t.TempDir(), "--autoplay-policy=no-user-gesture-required",
		"--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns", url)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	select {
	case res := <-results:
		return res
	case <-ctx.Done():
		t.Fatalf("no result from Chromium; its output:\n%s", out.String())
	}
	return pageResult{}
}

// feedLoop writes the clip at its own pace (30 fps), looping with
// continuous timestamps, until ctx is done. It honours key frame requests as
// an encoder would: the next frame it sends is the clip's next key frame.
func feedLoop(ctx context.Context, sink shmcast.Sink, frames []shmcast.Frame, keyWanted *atomic.Bool) {
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	start := time.Now()
	for i, j := 0, 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Catch up on ticks a loaded machine missed: 30 frames per second.
		for due := int(time.Since(start) * 30 / time.Second); i <= due; i, j = i+1, j+1 {
			if keyWanted != nil && keyWanted.Swap(false) {
				for !frames[j%len(frames)].Key {
					j++
				}
			}
			f := frames[j%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			f.DTS = f.PTS
			f.Seq = uint64(i + 1)
			_ = sink.WriteFrame(f)
		}
	}
}
