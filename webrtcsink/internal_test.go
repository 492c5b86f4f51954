package webrtcsink

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
)

// fakeWriter counts what a viewer writes, optionally slowly.
type fakeWriter struct {
	delay   time.Duration
	packets atomic.Int64
	markers atomic.Int64
	mu      sync.Mutex
	seqs    []uint16
	keep    bool
}

func (w *fakeWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	if w.delay > 0 {
		time.Sleep(w.delay)
	}
	w.packets.Add(1)
	if h.Marker {
		w.markers.Add(1)
	}
	if w.keep {
		w.mu.Lock()
		w.seqs = append(w.seqs, h.SequenceNumber)
		w.mu.Unlock()
	}
	return len(payload), nil
}

func (w *fakeWriter) Write(b []byte) (int, error) { return len(b), nil }

// addFakeViewer adds a connected viewer that writes to w, with no peer
// connection, and starts its writer goroutine.
func addFakeViewer(t testing.TB, s *Sink, w *fakeWriter) *viewer {
	t.Helper()
	tr := newTrack("")
	tr.ssrc, tr.pt, tr.writer, tr.bound = 1234, 96, w, true
	close(tr.ready)
	v := &viewer{
		s: s, id: fmt.Sprint(len(s.byID)), tr: tr, created: time.Now(),
		q: make(chan queued, s.o.QueueLen), nackq: make(chan uint16, 128),
		done: make(chan struct{}), connected: make(chan struct{}),
	}
	close(v.connected)
	s.mu.Lock()
	s.byID[v.id] = v
	list := append(slices.Clone(*s.viewers.Load()), v)
	s.viewers.Store(&list)
	s.wg.Add(1)
	s.mu.Unlock()
	go v.run()
	for !v.active.Load() {
		time.Sleep(time.Millisecond)
	}
	return v
}

func loadClip(t testing.TB) []shmcast.Frame {
	t.Helper()
	frames, err := testclip.Frames(testclip.Baseline)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

func newTestSink(t testing.TB, o Options) *Sink {
	t.Helper()
	o.Interfaces, o.IncludeLoopback = []string{"lo"}, true
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlowViewerDoesNotSlowOthers: one viewer's writes take 20 ms each; the
// others still get every frame, and the slow one drops to key frames and
// asks for key frames.
func TestSlowViewerDoesNotSlowOthers(t *testing.T) {
	var requests atomic.Int64
	s := newTestSink(t, Options{QueueLen: 8, Keyframes: shmcast.KeyframeRequesterFunc(func() { requests.Add(1) }),
		KeyframeInterval: time.Millisecond})
	defer s.Close()
	frames := loadClip(t)
	fast := []*fakeWriter{{keep: true}, {}, {}}
	slow := &fakeWriter{delay: 20 * time.Millisecond, keep: true}
	for _, w := range fast {
		addFakeViewer(t, s, w)
	}
	addFakeViewer(t, s, slow)
	base := requests.Load()
	for _, f := range frames {
		if err := s.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, w := range fast {
		for w.markers.Load() < int64(len(frames)) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := w.markers.Load(); got != int64(len(frames)) {
			t.Errorf("fast viewer got %d frames, want %d", got, len(frames))
		}
	}
	st := s.Stats()
	var drops uint64
	for _, v := range st.Viewers {
		drops += v.Drops
	}
	if drops == 0 || requests.Load() == base {
		t.Errorf("slow viewer: %d drops, %d key frame requests; want some of each", drops, requests.Load()-base)
	}
	// Each viewer numbers its packets without gaps, even across drops.
	for name, w := range map[string]*fakeWriter{"fast": fast[0], "slow": slow} {
		w.mu.Lock()
		for i := 1; i < len(w.seqs); i++ {
			if w.seqs[i] != w.seqs[i-1]+1 {
				t.Errorf("%s viewer: sequence %d follows %d", name, w.seqs[i], w.seqs[i-1])
				break
			}
		}
		w.mu.Unlock()
	}
}

// TestRetransmitMapsSequenceNumbers: a NACK for a viewer's sequence number
// resends the right shared packet, also after the viewer skipped frames.
func TestRetransmitMapsSequenceNumbers(t *testing.T) {
	s := newTestSink(t, Options{QueueLen: 1000})
	defer s.Close()
	w := &fakeWriter{keep: true}
	v := addFakeViewer(t, s, w)
	frames := loadClip(t)
	for _, f := range frames[:90] {
		_ = s.WriteFrame(f)
	}
	for w.markers.Load() < 90 {
		time.Sleep(time.Millisecond)
	}
	w.mu.Lock()
	first := w.seqs[0]
	n := len(w.seqs)
	w.mu.Unlock()
	v.nackq <- first + 5
	for w.packets.Load() == int64(n) {
		time.Sleep(time.Millisecond)
	}
	w.mu.Lock()
	got := w.seqs[len(w.seqs)-1]
	w.mu.Unlock()
	if got != first+5 {
		t.Errorf("retransmitted seq %d, want %d", got, first+5)
	}
	if r := s.Stats().Total.Retransmits; r != 1 {
		t.Errorf("Retransmits = %d, want 1", r)
	}
}

// BenchmarkWriteFrame measures the server's own work per frame and viewer:
// packetizing once, queueing, and each viewer's header rewrite and write
// call (to a writer that discards). Pion's SRTP and the socket are not in it.
func BenchmarkWriteFrame(b *testing.B) {
	frames := loadClip(b)
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			s := newTestSink(b, Options{QueueLen: 4096})
			defer s.Close()
			ws := make([]*fakeWriter, n)
			for i := range ws {
				ws[i] = &fakeWriter{}
				addFakeViewer(b, s, ws[i])
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = s.WriteFrame(frames[i%len(frames)])
				i++
				if i%1024 == 0 {
					for _, w := range ws {
						for w.markers.Load() < int64(i) {
							time.Sleep(10 * time.Microsecond)
						}
					}
				}
			}
			for _, w := range ws {
				for w.markers.Load() < int64(i) {
					time.Sleep(10 * time.Microsecond)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/frame/viewer")
		})
	}
}

// errWriter fails every write.
type errWriter struct{ calls atomic.Int64 }

func (w *errWriter) WriteRTP(*rtp.Header, []byte) (int, error) {
	w.calls.Add(1)
	return 0, errors.New("boom")
}
func (w *errWriter) Write(b []byte) (int, error) { return 0, errors.New("boom") }

// TestWriteErrorsDisconnect: three consecutive write errors end a viewer.
func TestWriteErrorsDisconnect(t *testing.T) {
	s := newTestSink(t, Options{})
	defer s.Close()
	w := &errWriter{}
	tr := newTrack("")
	tr.writer, tr.bound = w, true
	close(tr.ready)
	v := &viewer{s: s, id: "x", tr: tr, created: time.Now(), q: make(chan queued, 8), nackq: make(chan uint16, 1),
		done: make(chan struct{}), connected: make(chan struct{})}
	close(v.connected)
	s.mu.Lock()
	s.byID[v.id] = v
	s.viewers.Store(&[]*viewer{v})
	s.wg.Add(1)
	s.mu.Unlock()
	go v.run()
	for !v.active.Load() {
		time.Sleep(time.Millisecond)
	}
	frames := loadClip(t)
	for _, f := range frames[:30] {
		_ = s.WriteFrame(f)
		if len(s.Stats().Viewers) == 0 {
			break
		}
	}
	for deadline := time.Now().Add(5 * time.Second); len(s.Stats().Viewers) > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := len(s.Stats().Viewers); n != 0 || w.calls.Load() != maxWriteErrors {
		t.Errorf("after %d failed writes: %d viewers, want 0 after exactly %d", w.calls.Load(), n, maxWriteErrors)
	}
}
