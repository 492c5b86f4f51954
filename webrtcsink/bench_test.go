package webrtcsink_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/webrtcsink"
)

const helperURLEnv, helperNEnv = "WEBRTCSINK_HELPER_URL", "WEBRTCSINK_HELPER_N"

// TestHelperViewers is not a test: BenchmarkViewers runs it in a child
// process to hold N pion receivers, so that their CPU and heap are not
// counted as the server's.
func TestHelperViewers(t *testing.T) {
	url := os.Getenv(helperURLEnv)
	if url == "" {
		t.Skip("helper process for BenchmarkViewers")
	}
	n, _ := strconv.Atoi(os.Getenv(helperNEnv))
	api := clientAPI(t)
	var tvs []*testViewer
	for range n {
		tvs = append(tvs, dialWHEP(t, api, url, false))
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	for _, tv := range tvs {
		tv.close()
	}
	http.DefaultClient.CloseIdleConnections()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkViewers sends the clip at 30 fps to N real WebRTC viewers held by
// a child process and reports the server's CPU time and allocations per
// frame per viewer and its heap per viewer. Each op is one frame (33 ms).
func BenchmarkViewers(b *testing.B) {
	frames := clip(b)
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			sink, srv := newServer(b, webrtcsink.Options{})
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperViewers$")
			cmd.Env = append(os.Environ(), helperURLEnv+"="+srv.URL+"/whep", helperNEnv+"="+strconv.Itoa(n))
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { stdin.Close(); _ = cmd.Wait() }()
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
				b.Fatalf("helper: %q %v", line, err)
			}
			waitConnected(b, sink, n)
			// One GOP first, so that every viewer is past its join.
			for _, f := range frames[:30] {
				_ = sink.WriteFrame(f)
			}
			time.Sleep(200 * time.Millisecond)
			runtime.GC()
			runtime.ReadMemStats(&m1)
			heap := float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(n)
			tick := time.NewTicker(time.Second / 30)
			defer tick.Stop()
			cpu0, mallocs0 := cpuTime(), m1.Mallocs
			i := 30
			for b.Loop() {
				<-tick.C
				f := frames[i%len(frames)]
				f.PTS = time.Duration(i) * time.Second / 30
				_ = sink.WriteFrame(f)
				i++
			}
			cpu := cpuTime() - cpu0
			var m2 runtime.MemStats
			runtime.ReadMemStats(&m2)
			per := float64(b.N * n)
			b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/frame/viewer")
			b.ReportMetric(float64(m2.Mallocs-mallocs0)/per, "allocs/frame/viewer")
			b.ReportMetric(heap/1024, "heap-KiB/viewer")
			st := sink.Stats()
			b.ReportMetric(float64(st.Current.Drops), "drops")
		})
	}
}

// BenchmarkTimeToFirstFrame measures the time from a viewer's offer to its
// first complete access unit (pion over loopback: ICE, DTLS, then the first
// key frame), for a producer that honours key frame requests (as shm
// producers do), one that does not, and one that does not with BurstGOP.
// One op is one viewer joining.
func BenchmarkTimeToFirstFrame(b *testing.B) {
	cases := []struct {
		name    string
		honours bool
		burst   bool
	}{{"keyframe-request", true, false}, {"no-request", false, false}, {"no-request+burst", false, true}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchFirstFrame(b, c.honours, c.burst) })
	}
}

func benchFirstFrame(b *testing.B, honours, burst bool) {
	frames := clip(b)
	var want atomic.Bool
	o := webrtcsink.Options{BurstGOP: burst, QueueLen: 64}
	if honours {
		o.Keyframes, o.KeyframeInterval = shmcast.KeyframeRequesterFunc(func() { want.Store(true) }), time.Millisecond
	}
	sink, srv := newServer(b, o)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if honours {
			feedLoop(ctx, sink, frames, &want)
		} else {
			feedLoop(ctx, sink, frames, nil)
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	api := clientAPI(b)
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		tv := dialWHEP(b, api, srv.URL+"/whep", false)
		select {
		case <-tv.first:
		case <-time.After(10 * time.Second):
			b.Fatalf("no frame in 10 s: %+v", sink.Stats())
		}
		total += time.Since(t0)
		tv.close()
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Millisecond) // join at a random phase of the 1 s GOP
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-to-first-frame")
}
