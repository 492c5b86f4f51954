package fanout

import (
	"context"
	"fmt"
	"testing"

	"github.com/shmcast/shmcast"
)

var benchSubs = []int{1, 10, 100, 1000}

// benchFrame returns frame seq of a 30-frame GOP stream; all share data.
func benchFrame(seq uint64, data []byte) shmcast.Frame {
	return shmcast.Frame{Seq: seq, Key: seq%30 == 1, Data: data}
}

// BenchmarkWriteFrame measures WriteFrame with subscribers that keep up:
// their queues are drained, outside the timer, every 32 frames.
func BenchmarkWriteFrame(b *testing.B) {
	data := make([]byte, 8<<10)
	for _, n := range benchSubs {
		b.Run(fmt.Sprint("subs=", n), func(b *testing.B) {
			d := New(Options{QueueLen: 64})
			defer d.Close()
			subs := make([]*Subscription, n)
			for i := range subs {
				subs[i] = d.Subscribe(SubscribeOptions{})
			}
			ctx := context.Background()
			b.ReportAllocs()
			seq := uint64(0)
			for b.Loop() {
				seq++
				d.WriteFrame(benchFrame(seq, data))
				if seq%32 == 0 {
					b.StopTimer()
					for _, s := range subs {
						for s.Stats().Queued > 0 {
							s.ReadFrame(ctx)
						}
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(seq)/float64(n), "ns/sub")
			if st := d.Stats(); st.Dropped != 0 {
				b.Fatalf("%d frames dropped", st.Dropped)
			}
		})
	}
}

// BenchmarkWriteFrameLagging measures WriteFrame when no subscriber reads:
// every queue overflows, drops to the next key frame, and is replaced by it.
func BenchmarkWriteFrameLagging(b *testing.B) {
	data := make([]byte, 8<<10)
	for _, n := range benchSubs {
		b.Run(fmt.Sprint("subs=", n), func(b *testing.B) {
			d := New(Options{QueueLen: 60})
			defer d.Close()
			for range n {
				d.Subscribe(SubscribeOptions{})
			}
			b.ReportAllocs()
			seq := uint64(0)
			for b.Loop() {
				seq++
				d.WriteFrame(benchFrame(seq, data))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(seq)/float64(n), "ns/sub")
		})
	}
}

// BenchmarkReadFrame measures one subscriber's ReadFrame of a queued frame.
func BenchmarkReadFrame(b *testing.B) {
	data := make([]byte, 8<<10)
	d := New(Options{QueueLen: 64})
	defer d.Close()
	s := d.Subscribe(SubscribeOptions{})
	ctx := context.Background()
	b.ReportAllocs()
	seq := uint64(0)
	for b.Loop() {
		seq++
		d.WriteFrame(benchFrame(seq, data))
		s.ReadFrame(ctx)
	}
}

// BenchmarkLateJoin measures Subscribe with a cached GOP of 29 frames
// (joining just before a key frame, the worst case of a 30-frame GOP) and
// the matching Close, next to other subscribers.
func BenchmarkLateJoin(b *testing.B) {
	data := make([]byte, 8<<10)
	for _, tt := range []struct {
		others int
		wait   bool
	}{{0, false}, {1000, false}, {0, true}} {
		b.Run(fmt.Sprintf("others=%d/wait=%v", tt.others, tt.wait), func(b *testing.B) {
			d := New(Options{})
			defer d.Close()
			for range tt.others {
				d.Subscribe(SubscribeOptions{})
			}
			for seq := uint64(1); seq <= 59; seq++ {
				d.WriteFrame(benchFrame(seq, data))
			}
			if st := d.Stats(); st.GOPFrames != 29 {
				b.Fatalf("GOP of %d frames cached, want 29", st.GOPFrames)
			}
			b.ReportAllocs()
			for b.Loop() {
				s := d.Subscribe(SubscribeOptions{WaitForKey: tt.wait})
				s.Close()
			}
		})
	}
}
