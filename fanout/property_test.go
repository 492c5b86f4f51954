package fanout

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shmcast/shmcast"
)

// TestDeliveredStreamsDecode is the property test of the drop policy: under
// random subscriber speeds, queue sizes, join times, early closes, and
// upstream losses, every subscription's delivered stream decodes. It starts
// with a key frame, and each delivered non-key frame follows its
// predecessor in the source directly, with no discontinuity between them.
// Time is synctest's fake clock, so a 20 s stream runs in milliseconds.
func TestDeliveredStreamsDecode(t *testing.T) {
	var total struct {
		sync.Mutex
		delivered, dropped, resyncs, catchUp, gaps uint64
	}
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 1))
				st, catchUp := runRandomStream(t, r)
				total.Lock()
				total.delivered += st.Delivered
				total.dropped += st.Dropped
				total.resyncs += st.Resyncs
				total.catchUp += catchUp
				total.gaps += st.Gaps
				total.Unlock()
			})
		})
	}
	t.Logf("delivered %d, dropped %d, resyncs %d, catch-up %d, upstream gaps %d",
		total.delivered, total.dropped, total.resyncs, total.catchUp, total.gaps)
	if total.dropped == 0 || total.resyncs == 0 || total.catchUp == 0 || total.gaps == 0 {
		t.Errorf("the random streams did not exercise drops, resyncs, catch-up and gaps")
	}
}

// payload is a frame's data: its Seq's low byte, repeated; keys are larger.
func payload(r *rand.Rand, seq uint64, key bool) []byte {
	n := 200 + r.IntN(3000)
	if key {
		n += 20000
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seq)
	}
	return b
}

type randomSub struct {
	queueLen, queueBytes int
	waitForKey           bool
	joinAt, closeAt      int           // frame numbers; closeAt 0: never
	readDelay            time.Duration // mean time between reads
}

func runRandomStream(t *testing.T, r *rand.Rand) (Stats, uint64) {
	const frames = 600 // 20 s at 30 fps
	d := New(Options{
		QueueLen:  1 + r.IntN(30),
		GOPLen:    []int{0, 10, 40}[r.IntN(3)],
		Keyframes: shmcast.KeyframeRequesterFunc(func() {}),
	})
	subs := make([]randomSub, 12)
	for i := range subs {
		subs[i] = randomSub{
			queueLen:   r.IntN(40),
			waitForKey: r.IntN(4) == 0,
			readDelay:  []time.Duration{0, 10, 33, 40, 70, 200}[r.IntN(6)] * time.Millisecond,
		}
		if r.IntN(3) == 0 {
			subs[i].queueBytes = 20000 + r.IntN(100000)
		}
		if i > 3 {
			subs[i].joinAt = r.IntN(frames)
		}
		if r.IntN(4) == 0 {
			subs[i].closeAt = subs[i].joinAt + r.IntN(frames)
		}
	}

	var wg sync.WaitGroup
	var catchUp uint64
	var mu sync.Mutex
	seq := uint64(0)
	gopLeft := 0
	for n := range frames {
		for i, rs := range subs {
			if rs.joinAt != n {
				continue
			}
			s := d.Subscribe(SubscribeOptions{QueueLen: rs.queueLen, QueueBytes: rs.queueBytes, WaitForKey: rs.waitForKey})
			mu.Lock()
			catchUp += uint64(s.CatchUp())
			mu.Unlock()
			rr := rand.New(rand.NewPCG(uint64(i), uint64(n)))
			wg.Go(func() { consume(t, s, rs, rr, n == 0, frames) })
			if rs.closeAt != 0 {
				wg.Go(func() { // Close from another goroutine, mid-read
					time.Sleep(time.Duration(rs.closeAt-n) * time.Second / 30)
					s.Close()
				})
			}
		}
		seq++
		f := shmcast.Frame{Seq: seq, DTS: time.Duration(n) * time.Second / 30}
		f.PTS = f.DTS
		switch x := r.IntN(100); {
		case x < 2:
			seq += uint64(1 + r.IntN(3)) // lost upstream
			f.Seq = seq
		case x < 3:
			f.Discontinuity = true
		}
		if gopLeft--; gopLeft <= 0 || (r.IntN(50) == 0) {
			f.Key, gopLeft = true, 5+r.IntN(60)
		}
		f.Data = payload(r, f.Seq, f.Key)
		if err := d.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second / 30)
	}
	d.Close()
	wg.Wait()
	return d.Stats(), catchUp
}

// consume reads s until its end and checks that what it got decodes.
func consume(t *testing.T, s *Subscription, rs randomSub, r *rand.Rand, fromStart bool, written uint64) {
	defer s.Close()
	var prev shmcast.Frame
	n := 0
	live := false
	for {
		if rs.readDelay > 0 {
			time.Sleep(time.Duration(r.ExpFloat64() * float64(rs.readDelay)))
		}
		f, cached, err := s.ReadFrameCached(context.Background())
		if err != nil {
			if err != io.EOF && err != shmcast.ErrClosed {
				t.Errorf("sub %d: ReadFrame: %v", s.ID(), err)
			}
			// A subscriber from the first frame accounts for every frame.
			if st := s.Stats(); err == io.EOF && fromStart && st.Delivered+st.Dropped != written {
				t.Errorf("sub %d: delivered %d + dropped %d frames, want %d", s.ID(), st.Delivered, st.Dropped, written)
			}
			return
		}
		switch {
		case len(f.Data) == 0 || f.Data[0] != byte(f.Seq) || f.Data[len(f.Data)-1] != byte(f.Seq):
			t.Errorf("sub %d: frame %d carries the data of another frame", s.ID(), f.Seq)
		case n == 0 && !f.Key:
			t.Errorf("sub %d: first frame %d is not a key frame", s.ID(), f.Seq)
		case n > 0 && f.Seq <= prev.Seq:
			t.Errorf("sub %d: frame %d after %d", s.ID(), f.Seq, prev.Seq)
		case !f.Key && (f.Seq != prev.Seq+1 || f.Discontinuity):
			t.Errorf("sub %d: non-key frame %d (discontinuity %v) after %d: its reference is gone",
				s.ID(), f.Seq, f.Discontinuity, prev.Seq)
		case cached && (live || n >= s.CatchUp()):
			t.Errorf("sub %d: catch-up frame %d after live frames", s.ID(), f.Seq)
		}
		live = live || !cached
		prev = f
		n++
	}
}
