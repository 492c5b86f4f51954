package webrtcsink_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	chromium "github.com/shmcast/shmcast/internal/browser"
	"github.com/shmcast/shmcast/webrtcsink"
)

//go:embed testdata/viewer.html
var viewerPage []byte

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
	results := make(chan pageResult, 2)
	sink, url := playing(t, func(sink *webrtcsink.Sink) http.Handler {
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
		return mux
	})

	for _, mode := range []string{"whep", "legacy"} {
		t.Run(mode, func(t *testing.T) {
			res := runChromium(t, browser, url+"/viewer.html?mode="+mode, results)
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
	args := append(slices.Clone(chromium.Flags), "--user-data-dir="+t.TempDir(), url)
	cmd := exec.CommandContext(ctx, browser, args...)
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

// playing starts a Sink on loopback that plays the clip in a loop at 30 fps,
// honouring key frame requests, behind an HTTP server for serve(sink). The
// test's cleanup stops them.
func playing(t *testing.T, serve func(*webrtcsink.Sink) http.Handler) (*webrtcsink.Sink, string) {
	t.Helper()
	frames := clip(t)
	var want atomic.Bool // a key frame was requested
	sink, err := webrtcsink.New(webrtcsink.Options{Interfaces: []string{"lo"}, IncludeLoopback: true, QueueLen: 90,
		Keyframes: shmcast.KeyframeRequesterFunc(func() { want.Store(true) })})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(serve(sink))
	ctx, cancel := context.WithCancel(context.Background())
	var feeding sync.WaitGroup
	feeding.Go(func() { feedLoop(ctx, sink, frames, &want) })
	t.Cleanup(func() {
		cancel()
		feeding.Wait()
		srv.Close()
		sink.Close()
	})
	return sink, srv.URL
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
