package fanout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shmcast/shmcast"
)

func frame(seq uint64, key bool) shmcast.Frame {
	return shmcast.Frame{
		Data: make([]byte, 100),
		Seq:  seq,
		Key:  key,
		PTS:  time.Duration(seq) * time.Second / 30,
		DTS:  time.Duration(seq) * time.Second / 30,
	}
}

// gopFrame returns frame seq of a stream with a key frame every gop frames.
func gopFrame(seq uint64, gop uint64) shmcast.Frame { return frame(seq, (seq-1)%gop == 0) }

type result struct {
	f   shmcast.Frame
	err error
}

// readAsync starts a ReadFrame and returns the channel its result arrives on.
func readAsync(ctx context.Context, s *Subscription) <-chan result {
	c := make(chan result, 1)
	go func() {
		f, err := s.ReadFrame(ctx)
		c <- result{f, err}
	}()
	return c
}

func TestReadFrameWaitsForAFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New(Options{})
		defer d.Close()
		s := d.Subscribe(SubscribeOptions{})
		c := readAsync(t.Context(), s)
		synctest.Wait()
		select {
		case r := <-c:
			t.Fatalf("ReadFrame returned %v, %v before any frame", r.f.Seq, r.err)
		default:
		}
		d.WriteFrame(frame(1, true))
		synctest.Wait()
		if r := <-c; r.err != nil || r.f.Seq != 1 {
			t.Fatalf("ReadFrame = %d, %v; want frame 1", r.f.Seq, r.err)
		}
	})
}

func TestReadFrameContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New(Options{})
		defer d.Close()
		s := d.Subscribe(SubscribeOptions{})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := s.ReadFrame(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame = %v, want deadline exceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("ReadFrame returned after %v, want 1s", waited)
		}
	})
}

func TestDistributorCloseDrainsThenEOF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New(Options{})
		s := d.Subscribe(SubscribeOptions{})
		idle := d.Subscribe(SubscribeOptions{})
		waiting := readAsync(t.Context(), idle)
		for i := uint64(1); i <= 3; i++ {
			d.WriteFrame(frame(i, i == 1))
		}
		<-waiting // frame 1
		waiting = readAsync(t.Context(), d.Subscribe(SubscribeOptions{WaitForKey: true}))
		synctest.Wait()
		d.Close()
		d.Close()
		if r := <-waiting; r.err != io.EOF {
			t.Errorf("waiting ReadFrame after Close = %v, want EOF", r.err)
		}
		for want := uint64(1); want <= 3; want++ {
			if f, err := s.ReadFrame(t.Context()); err != nil || f.Seq != want {
				t.Fatalf("ReadFrame = %d, %v; want %d", f.Seq, err, want)
			}
		}
		for range 2 {
			if _, err := s.ReadFrame(t.Context()); err != io.EOF {
				t.Fatalf("ReadFrame after drain = %v, want EOF", err)
			}
		}
		if err := d.WriteFrame(frame(4, true)); !errors.Is(err, shmcast.ErrClosed) {
			t.Errorf("WriteFrame after Close = %v, want ErrClosed", err)
		}
		late := d.Subscribe(SubscribeOptions{})
		if _, err := late.ReadFrame(t.Context()); err != io.EOF {
			t.Errorf("ReadFrame of a subscription made after Close = %v, want EOF", err)
		}
		late.Close()
		s.Close()
	})
}

func TestSubscriptionClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New(Options{})
		defer d.Close()
		s := d.Subscribe(SubscribeOptions{})
		other := d.Subscribe(SubscribeOptions{})
		c := readAsync(t.Context(), s)
		synctest.Wait()
		s.Close()
		if r := <-c; !errors.Is(r.err, shmcast.ErrClosed) {
			t.Fatalf("waiting ReadFrame after Close = %v, want ErrClosed", r.err)
		}
		if got := d.Stats().Subscribers; got != 1 {
			t.Errorf("Subscribers = %d after one Close, want 1", got)
		}
		d.WriteFrame(frame(1, true))
		if _, err := s.ReadFrame(t.Context()); !errors.Is(err, shmcast.ErrClosed) {
			t.Errorf("ReadFrame after Close = %v, want ErrClosed", err)
		}
		if st := s.Stats(); st.Queued != 0 || st.Delivered != 0 {
			t.Errorf("closed subscription got frames: %+v", st)
		}
		if f, err := other.ReadFrame(t.Context()); err != nil || f.Seq != 1 {
			t.Errorf("other ReadFrame = %d, %v; want frame 1", f.Seq, err)
		}
		other.Close()
		s.Close()
		if got := d.Stats().Subscribers; got != 0 {
			t.Errorf("Subscribers = %d, want 0", got)
		}
	})
}

// TestCloseRaces closes subscriptions and the distributor from many
// goroutines while frames flow; run it with -race.
func TestCloseRaces(t *testing.T) {
	d := New(Options{QueueLen: 8})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // a metrics scraper
		for {
			select {
			case <-stop:
				return
			default:
				d.Stats()
			}
		}
	})
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := d.Subscribe(SubscribeOptions{WaitForKey: i%2 == 0})
				var rw sync.WaitGroup
				rw.Go(func() { // a reader that the closer interrupts
					for {
						if _, err := s.ReadFrame(context.Background()); err != nil {
							if !errors.Is(err, shmcast.ErrClosed) && err != io.EOF {
								t.Errorf("ReadFrame = %v", err)
							}
							return
						}
					}
				})
				for range (w + i) % 5 {
					s.Stats()
				}
				s.Close()
				rw.Wait()
			}
		})
	}
	for seq := uint64(1); seq <= 20000; seq++ {
		if err := d.WriteFrame(gopFrame(seq, 30)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	d.Close()
	wg.Wait()
	if st := d.Stats(); st.Subscribers != 0 || st.Frames != 20000 {
		t.Errorf("Stats = %+v, want 0 subscribers and 20000 frames", st)
	}
}

func TestKeyframeRequestsMergedAndRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var asked atomic.Int64
		d := New(Options{
			QueueLen:  1,
			Keyframes: shmcast.KeyframeRequesterFunc(func() { asked.Add(1) }),
		})
		defer d.Close()
		for range 50 {
			d.Subscribe(SubscribeOptions{})
		}
		d.WriteFrame(frame(1, true))
		d.WriteFrame(frame(2, false)) // 50 subscribers overflow at once
		if got := asked.Load(); got != 1 {
			t.Fatalf("requester asked %d times, want 1", got)
		}
		for seq := uint64(3); seq <= 10; seq++ {
			d.WriteFrame(frame(seq, seq%3 == 0)) // more overflows
			time.Sleep(10 * time.Millisecond)
		}
		synctest.Wait()
		if got := asked.Load(); got != 1 {
			t.Fatalf("requester asked %d times within 500 ms, want 1", got)
		}
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if got := asked.Load(); got != 2 {
			t.Fatalf("requester asked %d times after 500 ms, want 2", got)
		}
		if st := d.Stats(); st.KeyframesAsked != 2 || st.KeyframeRequests < 3 {
			t.Errorf("Stats = %+v; want 2 asked of ≥ 3 requests", st)
		}
	})
}

func TestStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New(Options{QueueLen: 4})
		fast := d.Subscribe(SubscribeOptions{})
		slow := d.Subscribe(SubscribeOptions{})
		for seq := uint64(1); seq <= 12; seq++ {
			d.WriteFrame(gopFrame(seq, 6))
			fast.ReadFrame(t.Context())
		}
		// slow holds 7 8 9 10; 11 and 12 were dropped.
		want := SubscriptionStats{ID: slow.ID(), Dropped: 8 + 2, Resyncs: 2, Queued: 0, Waiting: true}
		want.Dropped, want.Queued, want.QueuedBytes = 2+4+2, 4, 400
		want.Lag = frame(12, false).DTS - frame(7, true).DTS
		// 1-4 queued, 5 6 dropped, key 7 replaced 1-4, 11 12 dropped.
		if got := slow.Stats(); got != want {
			t.Errorf("slow Stats = %+v, want %+v", got, want)
		}
		if got := fast.Stats(); got.Delivered != 12 || got.Dropped != 0 || got.Queued != 0 || got.Waiting {
			t.Errorf("fast Stats = %+v, want 12 delivered, none dropped or queued", got)
		}
		slow.ReadFrame(t.Context())
		slow.Close()
		d.WriteFrame(frame(14, false)) // a gap
		st := d.Stats()
		wantD := Stats{Frames: 13, Bytes: 1300, Gaps: 1, Subscribers: 1, Delivered: 13, Dropped: 9,
			Resyncs: 3, KeyframeRequests: 5}
		if st != wantD {
			t.Errorf("Distributor Stats = %+v, want %+v", st, wantD)
		}
		d.Close()
	})
}

type countingHandler struct {
	slog.Handler
	warns atomic.Int64
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.warns.Add(1)
	return nil
}

func TestLaggingWarningAtMostOnceASecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &countingHandler{}
		d := New(Options{QueueLen: 1, Logger: slog.New(h)})
		defer d.Close()
		for range 10 {
			d.Subscribe(SubscribeOptions{})
		}
		for seq := uint64(1); seq <= 300; seq++ { // 10 s at 30 fps, a key every 3 frames
			d.WriteFrame(gopFrame(seq, 3))
			time.Sleep(time.Second / 30)
		}
		if got := h.warns.Load(); got < 5 || got > 11 {
			t.Errorf("%d warnings in 10 s of constant lag, want about 10", got)
		}
	})
}

func TestWriteFrameDoesNotAllocate(t *testing.T) {
	d := New(Options{QueueLen: 8})
	defer d.Close()
	var readers []*Subscription
	for i := range 10 {
		s := d.Subscribe(SubscribeOptions{})
		if i%2 == 0 {
			readers = append(readers, s) // the others lag and drop
		}
	}
	frames := make([]shmcast.Frame, 1200) // made in advance: Data is the producer's allocation
	for i := range frames {
		frames[i] = gopFrame(uint64(i+1), 30)
		frames[i].Discontinuity = i%97 == 96
	}
	seq := 0
	write := func() {
		d.WriteFrame(frames[seq])
		seq++
		for _, s := range readers {
			if s.Stats().Queued > 0 {
				s.ReadFrame(context.Background())
			}
		}
	}
	for range 100 { // fill the GOP cache to its longest
		write()
	}
	if n := testing.AllocsPerRun(1000, write); n != 0 {
		t.Errorf("WriteFrame and ReadFrame: %v allocations per frame, want 0", n)
	}
}

// TestLateJoinLatency measures, on synctest's clock, the trade-off of the
// two ways to join a 30 fps stream with a key frame every second, 1.5 s in:
// the cached GOP gives a decodable picture at once (16 frames of catch-up,
// frames 31 to 46, the newest), while waiting for the next key frame (61)
// takes half a GOP when the producer ignores key frame requests.
func TestLateJoinLatency(t *testing.T) {
	for _, tt := range []struct {
		wait       bool
		wantFirst  time.Duration
		wantFrames int // catch-up frames
	}{{false, 0, 16}, {true, 60*(time.Second/30) - 1500*time.Millisecond, 0}} {
		t.Run(fmt.Sprint("WaitForKey=", tt.wait), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := New(Options{})
				var wg sync.WaitGroup
				wg.Go(func() { // the producer: 3 s at 30 fps
					defer d.Close()
					for seq := uint64(1); seq <= 90; seq++ {
						d.WriteFrame(gopFrame(seq, 30))
						time.Sleep(time.Second / 30)
					}
				})
				time.Sleep(1500 * time.Millisecond)
				synctest.Wait()
				joined := time.Now()
				s := d.Subscribe(SubscribeOptions{WaitForKey: tt.wait})
				defer s.Close()
				f, err := s.ReadFrame(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := time.Since(joined); got != tt.wantFirst || !f.Key {
					t.Errorf("first frame %d (key %v) after %v, want a key frame after %v", f.Seq, f.Key, got, tt.wantFirst)
				}
				if s.CatchUp() != tt.wantFrames {
					t.Errorf("CatchUp() = %d, want %d", s.CatchUp(), tt.wantFrames)
				}
				wg.Wait()
			})
		})
	}
}
