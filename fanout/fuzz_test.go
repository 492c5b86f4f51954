package fanout

import (
	"context"
	"io"
	"testing"

	"github.com/shmcast/shmcast"
)

// checker verifies that a delivered stream decodes: it starts with a key
// frame, and each non-key frame directly follows its source predecessor
// with no discontinuity between them.
type checker struct {
	n    int
	prev shmcast.Frame
}

func (c *checker) check(t *testing.T, f shmcast.Frame) {
	t.Helper()
	switch {
	case c.n == 0 && !f.Key:
		t.Fatalf("first frame %d is not a key frame", f.Seq)
	case c.n > 0 && f.Seq <= c.prev.Seq:
		t.Fatalf("frame %d after %d", f.Seq, c.prev.Seq)
	case !f.Key && (f.Seq != c.prev.Seq+1 || f.Discontinuity):
		t.Fatalf("non-key frame %d (discontinuity %v) after %d", f.Seq, f.Discontinuity, c.prev.Seq)
	}
	c.prev = f
	c.n++
}

// FuzzDistributor runs random programs of writes (key or not, after a gap
// or a discontinuity), reads, subscribes and closes on three subscription
// slots, and checks every delivered stream.
func FuzzDistributor(f *testing.F) {
	f.Add([]byte{3, 4, 0x16, 2, 0, 0, 1, 0x05, 0, 0x15, 0x0b, 2, 0x25, 0x17, 4})
	f.Add([]byte{1, 2, 2, 0, 0, 0, 0x06, 0x0c, 0, 0x16, 2, 0x05, 0x15, 0x25, 3, 5})
	f.Add([]byte{8, 16, 0x06, 2, 1, 1, 1, 1, 1, 0x05, 0x05, 0x0c, 0x07, 2, 0x05})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) < 2 {
			return
		}
		d := New(Options{
			QueueLen:   1 + int(prog[0]&7),
			QueueBytes: 100 + 100*int(prog[0]>>3),
			GOPLen:     1 + int(prog[1]&15),
		})
		var subs [3]*Subscription
		var checks [3]checker
		ctx := context.Background()
		read := func(i int) {
			if s := subs[i]; s != nil && s.Stats().Queued > 0 {
				fr, err := s.ReadFrame(ctx)
				if err != nil {
					t.Fatalf("ReadFrame with %d queued: %v", s.Stats().Queued, err)
				}
				checks[i].check(t, fr)
			}
		}
		seq, writes := uint64(0), uint64(0)
		for _, b := range prog[2:] {
			slot := int(b>>4) % 3
			key := b&8 != 0
			switch b & 7 {
			case 0, 1, 2, 3, 4:
				seq++
				fr := shmcast.Frame{Seq: seq, Key: b&7 == 2 || (b&7 > 2 && key), Data: make([]byte, 100)}
				switch b & 7 {
				case 3:
					seq++
					fr.Seq = seq
				case 4:
					fr.Discontinuity = true
				}
				if fr.Key {
					fr.Data = make([]byte, 300)
				}
				if err := d.WriteFrame(fr); err != nil {
					t.Fatal(err)
				}
				writes++
			case 5:
				read(slot)
			case 6:
				if subs[slot] != nil {
					subs[slot].Close()
				}
				subs[slot] = d.Subscribe(SubscribeOptions{WaitForKey: key})
				checks[slot] = checker{}
			case 7:
				if subs[slot] != nil {
					subs[slot].Close()
					if _, err := subs[slot].ReadFrame(ctx); err != shmcast.ErrClosed {
						t.Fatalf("ReadFrame after Close: %v", err)
					}
					subs[slot] = nil
				}
			}
		}
		d.Close()
		for i, s := range subs {
			if s == nil {
				continue
			}
			for s.Stats().Queued > 0 {
				read(i)
			}
			if _, err := s.ReadFrame(ctx); err != io.EOF {
				t.Fatalf("ReadFrame after drain: %v, want EOF", err)
			}
			s.Close()
		}
		if st := d.Stats(); st.Subscribers != 0 || st.Frames != writes {
			t.Fatalf("Stats after Close: %+v", st)
		}
	})
}
