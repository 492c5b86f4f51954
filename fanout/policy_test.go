package fanout

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/shmcast/shmcast"
)

// script drives a distributor from a string of space-separated ops:
//
//	K, P     write a key or predictive frame with the next Seq
//	gK, gP   the same after a Seq gap (one frame lost upstream)
//	dK, dP   the same, marked Discontinuity by the source
//	bK, bP   the same with 1000 bytes of data instead of 100
//	s, w     subscribe (w: WaitForKey); later ops apply to the newest sub
//	r        read one frame from the newest subscription
//
// It returns what the newest subscription delivered, drained after a
// Distributor.Close: Seq numbers, "!" for Discontinuity, "c" for catch-up.
type script struct {
	seq  uint64
	subs []*Subscription
	got  []string
}

func (sc *script) run(t *testing.T, d *Distributor, so SubscribeOptions, ops string) string {
	t.Helper()
	for op := range strings.FieldsSeq(ops) {
		switch op {
		case "s", "w":
			so := so
			so.WaitForKey = op == "w"
			sc.subs = append(sc.subs, d.Subscribe(so))
		case "r":
			sc.read(t, sc.subs[len(sc.subs)-1])
		default:
			sc.write(t, d, op)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	s := sc.subs[len(sc.subs)-1]
	for s.Stats().Queued > 0 {
		sc.read(t, s)
	}
	if _, err := s.ReadFrame(context.Background()); err == nil || err.Error() != "EOF" {
		t.Fatalf("ReadFrame after drain: %v, want EOF", err)
	}
	return strings.Join(sc.got, " ")
}

func (sc *script) write(t *testing.T, d *Distributor, op string) {
	t.Helper()
	sc.seq++
	f := shmcast.Frame{Seq: sc.seq, DTS: 0, Data: make([]byte, 100)}
	f.DTS = shmcast.FromTicks(int64(sc.seq) * 3000)
	for len(op) > 1 {
		switch op[0] {
		case 'g':
			sc.seq++
			f.Seq = sc.seq
		case 'd':
			f.Discontinuity = true
		case 'b':
			f.Data = make([]byte, 1000)
		default:
			t.Fatalf("bad op %q", op)
		}
		op = op[1:]
	}
	f.Key = op == "K"
	if err := d.WriteFrame(f); err != nil {
		t.Fatal(err)
	}
}

func (sc *script) read(t *testing.T, s *Subscription) {
	t.Helper()
	if s.Stats().Queued == 0 {
		t.Fatalf("read from an empty queue after %v", sc.got)
	}
	f, cached, err := s.ReadFrameCached(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := fmt.Sprint(f.Seq)
	if f.Discontinuity {
		w += "!"
	}
	if cached {
		w += "c"
	}
	sc.got = append(sc.got, w)
}

func TestDropPolicy(t *testing.T) {
	tests := []struct {
		name     string
		opt      Options
		sub      SubscribeOptions
		ops      string
		want     string
		dropped  uint64
		resyncs  uint64
		requests uint64
	}{
		{"fits", Options{QueueLen: 3}, SubscribeOptions{},
			"s K P P", "1 2 3", 0, 0, 1},
		{"join skips to the first key, uncounted", Options{QueueLen: 3}, SubscribeOptions{},
			"s P P K P", "3 4", 0, 0, 1},
		{"overflow drops to the next key", Options{QueueLen: 3}, SubscribeOptions{},
			"s K P P P r r r P K P", "1 2 3 6! 7", 2, 1, 2},
		{"key on a full queue replaces it", Options{QueueLen: 3}, SubscribeOptions{},
			"s K P P P P K P", "6! 7", 5, 1, 2},
		{"key on a full live queue replaces it", Options{QueueLen: 2}, SubscribeOptions{},
			"s K P K P", "3! 4", 2, 1, 1},
		{"one resync per episode", Options{QueueLen: 2}, SubscribeOptions{},
			"s K P P P r r P P P K", "1 2 8!", 5, 1, 2},
		{"bytes limit", Options{QueueLen: 10, QueueBytes: 250}, SubscribeOptions{},
			"s K P P r P P", "1 2", 3, 1, 2},
		{"a big key enters an empty queue", Options{QueueLen: 10, QueueBytes: 250}, SubscribeOptions{},
			"s bK P P", "1", 2, 1, 2},
		{"a big P enters an empty queue", Options{QueueLen: 10, QueueBytes: 250}, SubscribeOptions{},
			"s K r bP r P P", "1 2 3 4", 0, 0, 1},
		{"per-subscription limits", Options{QueueLen: 10}, SubscribeOptions{QueueLen: 1},
			"s K P K", "3!", 2, 1, 2},
		{"seq gap waits for a key", Options{}, SubscribeOptions{},
			"s K P gP P K P", "1 2 6! 7", 2, 1, 2},
		{"source discontinuity waits for a key", Options{}, SubscribeOptions{},
			"s K P dP P K P", "1 2 5! 6", 2, 1, 2},
		{"discontinuous key passes", Options{}, SubscribeOptions{},
			"s K P dK P", "1 2 3! 4", 0, 0, 1},
		{"gapped key passes", Options{}, SubscribeOptions{},
			"s K P gK P", "1 2 4 5", 0, 0, 1},
		{"late join from the cached GOP", Options{}, SubscribeOptions{},
			"K P K P P s P", "3c 4c 5c 6", 0, 0, 0},
		{"late join waiting for a key", Options{}, SubscribeOptions{},
			"K P K P P w P K P", "7 8", 0, 0, 1},
		{"catch-up does not count against the queue", Options{QueueLen: 2}, SubscribeOptions{},
			"K P P P s P P P", "1c 2c 3c 4c 5 6", 1, 1, 1},
		{"catch-up frames are dropped with the queue", Options{QueueLen: 2}, SubscribeOptions{},
			"K P P s r P P K", "1c 6!", 4, 1, 0},
		{"no cache before the first key", Options{}, SubscribeOptions{},
			"P P s P K P", "4 5", 0, 0, 1},
		{"a gap empties the cache", Options{}, SubscribeOptions{},
			"K P gP s P K", "6", 0, 0, 2},
		{"GOP longer than GOPLen is not cached", Options{GOPLen: 2}, SubscribeOptions{},
			"K P P s P K", "5", 0, 0, 1},
		{"GOP larger than GOPBytes is not cached", Options{GOPBytes: 250}, SubscribeOptions{},
			"K P P s P K", "5", 0, 0, 1},
		{"cache disabled", Options{GOPLen: -1}, SubscribeOptions{},
			"K s P K", "3", 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var asked int
				tt.opt.Keyframes = shmcast.KeyframeRequesterFunc(func() { asked++ })
				d := New(tt.opt)
				var sc script
				got := sc.run(t, d, tt.sub, tt.ops)
				if got != tt.want {
					t.Errorf("%q delivered %q, want %q", tt.ops, got, tt.want)
				}
				st := sc.subs[len(sc.subs)-1].Stats()
				if st.Dropped != tt.dropped || st.Resyncs != tt.resyncs {
					t.Errorf("%q: dropped %d, resyncs %d; want %d, %d", tt.ops, st.Dropped, st.Resyncs, tt.dropped, tt.resyncs)
				}
				if r := d.Stats().KeyframeRequests; r != tt.requests {
					t.Errorf("%q: %d key frame requests, want %d", tt.ops, r, tt.requests)
				}
				if tt.requests > 0 && asked != 1 {
					t.Errorf("%q: requester asked %d times, want 1 (merged)", tt.ops, asked)
				}
				for _, s := range sc.subs {
					s.Close()
				}
			})
		})
	}
}
