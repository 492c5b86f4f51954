package shm

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// BenchmarkLatency measures publish → reader-has-copied-the-frame latency,
// with the writer in another process (as a camera would be): the writer
// stamps Capture at publish (after its copy into the slot, just before the
// commit), the reader takes the same CLOCK_MONOTONIC when ReadFrame returns
// its copy. Readers: the futex Reader, and a baseline that polls every 1 ms.
// Rates: 30 fps, and flat out: the writer publishes the next frame as soon
// as the reader has the previous one (the reader acknowledges through
// keyframe_req; a writer that outran the reader would measure the ring's
// depth, not the wake-up path). Run 30fps with -benchtime=300x.
func BenchmarkLatency(b *testing.B) {
	for _, reader := range []string{"futex", "poll1ms"} {
		for _, rate := range []string{"30fps", "flat"} {
			for _, size := range []int{64 << 10, 512 << 10} {
				b.Run(fmt.Sprintf("reader=%s/rate=%s/size=%dKiB", reader, rate, size>>10), func(b *testing.B) {
					benchLatency(b, reader == "poll1ms", rate == "30fps", size)
				})
			}
		}
	}
}

func benchLatency(b *testing.B, poll, paced bool, size int) {
	dir := shmDir(b)
	paceEnv := "PACED="
	if paced {
		paceEnv = "PACED=1"
	}
	w := startChild(b, "", "benchwriter", env(dir, "bench", fmt.Sprintf("SIZE=%d", size), paceEnv)...)
	w.expectReady()
	r, err := Open("bench", ReaderOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if !paced {
		r.RequestKeyframe() // ready for the first frame
	}
	read := r.ReadFrame
	if poll {
		read = r.pollFrame
	}
	lat := make([]int64, 0, 1024)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, err := read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, shmcast.Monotonic()-f.Capture)
		if !paced {
			r.RequestKeyframe() // the acknowledgement: publish the next one
		}
	}
	b.StopTimer()
	st := r.Stats()
	w.stdin.Close()
	w.wait()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p999-µs")
	b.ReportMetric(float64(st.Lost)/float64(st.Lost+st.Frames), "lost/frame")
}

// childBenchWriter publishes SIZE-byte frames at 30 fps (PACED) or each as
// soon as the reader acknowledged the previous one, until stdin closes.
func childBenchWriter() error {
	w, err := Create(os.Getenv("NAME"), WriterOptions{Dir: os.Getenv("DIR"), Slots: 64, MaxFrameSize: 1 << 20})
	if err != nil {
		return err
	}
	defer w.Close()
	var done atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); done.Store(true) }()
	fmt.Println("ready")
	paced := os.Getenv("PACED") != ""
	frame := shmcast.Frame{Data: make([]byte, envInt("SIZE", 64<<10)), Key: true}
	next := time.Now()
	for !done.Load() {
		if paced {
			next = next.Add(time.Second / 30)
			time.Sleep(time.Until(next))
		} else {
			for !w.KeyframeRequested() && !done.Load() {
				time.Sleep(20 * time.Microsecond)
			}
		}
		if err := w.WriteFrame(frame); err != nil {
			return err
		}
	}
	return nil
}

// pollFrame is the baseline reader: check write_seq, sleep 1 ms, repeat.
func (r *Reader) pollFrame(ctx context.Context) (shmcast.Frame, error) {
	for {
		s := r.seg
		if r.next <= s.writeSeq() {
			if f, ok, err := r.take(s); ok || err != nil {
				return f, err
			}
			continue
		}
		if s.state() == stateClosed {
			return shmcast.Frame{}, context.Canceled
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkWriteFrame: the writer's cost per frame, no reader waiting.
func BenchmarkWriteFrame(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("size=%dKiB", size>>10), func(b *testing.B) {
			w, err := Create("bench", WriterOptions{Dir: shmDir(b), Slots: 64, MaxFrameSize: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			f := shmcast.Frame{Data: make([]byte, size)}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteFrame(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
