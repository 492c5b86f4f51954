package shm

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// BenchmarkLatency measures publish → reader-has-copied-the-frame latency:
// the writer stamps Capture at publish (after its copy into the slot, just
// before the commit), the reader takes Monotonic() when ReadFrame returns
// its copy. Readers: the futex Reader, and a baseline that polls every 1 ms.
// Rates: 30 fps, and flat out: the writer publishes the next frame as soon
// as the reader has the previous one (the highest rate without loss; a
// writer that outruns the reader measures the ring's depth, not the wake-up
// path). Run 30fps with -benchtime=300x.
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
	w, err := Create("bench", WriterOptions{Dir: dir, Slots: 64, MaxFrameSize: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	r, err := Open("bench", ReaderOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var lat []int64
	var wg sync.WaitGroup
	got := make(chan struct{}, 1)
	wg.Go(func() {
		read := r.ReadFrame
		if poll {
			read = r.pollFrame
		}
		for {
			f, err := read(context.Background())
			if err != nil {
				return
			}
			lat = append(lat, monotonic()-f.Capture)
			select {
			case got <- struct{}{}:
			default:
			}
		}
	})
	data := make([]byte, size)
	frame := shmcast.Frame{Data: data, Key: true}
	next := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if paced {
			next = next.Add(time.Second / 30)
			time.Sleep(time.Until(next))
		}
		select {
		case <-got: // the reader has the previous frame
		case <-time.After(time.Second): // or lost it
		}
		if err := w.WriteFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	w.Close()
	wg.Wait()
	st := r.Stats()
	if len(lat) == 0 {
		b.Fatal("no frame read")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p999-µs")
	b.ReportMetric(float64(st.Lost)/float64(st.Lost+st.Frames), "lost/frame")
}

// pollFrame is the baseline reader: check write_seq, sleep 1 ms, repeat.
func (r *Reader) pollFrame(ctx context.Context) (shmcast.Frame, error) {
	for {
		s := r.seg
		if w := s.writeSeq(); r.next <= w {
			if f, ok, err := r.take(s, w); ok || err != nil {
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
