package shm

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// TestRoundTrip: a writer process publishes frames; this process reads every
// one, byte for byte with its metadata, then io.EOF when the writer closes.
func TestRoundTrip(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=300", "WAITGO=1", "BATCH=32", "LARGEEVERY=50", "LARGESIZE=700000")...)
	w.expectReady()
	r := openWait(t, dir, "cam")
	if info := r.Info(); info.Width != 640 || info.Height != 360 || info.Name != "cam" || info.Slots != 64 || info.FrameRateNum != 30 {
		t.Errorf("Info() = %+v", info)
	}
	w.stdin.Write([]byte("go\n"))
	for s := uint64(1); s <= 300; s++ {
		if s > 1 && (s-1)%32 == 0 {
			w.stdin.Write([]byte("next\n")) // the writer never laps us, however loaded the machine
		}
		f := readTimeout(t, r)
		if f.Seq != s {
			t.Fatalf("frame %d: Seq = %d", s, f.Seq)
		}
		if _, err := checkPayload(f.Data, s); err != nil {
			t.Fatal(err)
		}
		wantKey := s%10 == 1
		if f.Key != wantKey || f.Discontinuity != (s == 7) {
			t.Errorf("frame %d: Key %v Discontinuity %v", s, f.Key, f.Discontinuity)
		}
		if want := time.Duration(s) * time.Second / 30; f.PTS != want || f.DTS != want {
			t.Errorf("frame %d: PTS %v DTS %v, want %v", s, f.PTS, f.DTS, want)
		}
		if now := shmcast.Monotonic(); f.Capture <= 0 || f.Capture > now {
			t.Errorf("frame %d: Capture %d, now %d", s, f.Capture, now)
		}
	}
	var res writerResult
	w.result(&res)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.ReadFrame(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("after the writer closed: %v, want io.EOF", err)
	}
	if st := r.Stats(); st.Frames != 300 || st.Lost != 0 || st.Skipped != 0 {
		t.Errorf("Stats() = %+v", st)
	}
	if _, err := os.Stat(segPath(dir, "cam")); !os.IsNotExist(err) {
		t.Errorf("segment still there after Close: %v", err)
	}
}

// TestStartAtNewestKey: a reader that arrives late starts at the newest key
// frame still in the ring.
func TestStartAtNewestKey(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=95", "KEYEVERY=20", "HOLD=1")...)
	w.expectReady()
	waitWritten(t, dir, "cam", 95)
	r := openWait(t, dir, "cam")
	f := readTimeout(t, r)
	if f.Seq != 81 || !f.Key {
		t.Errorf("first frame: Seq %d Key %v, want 81 (newest key) true", f.Seq, f.Key)
	}
	w.stdin.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := r.ReadFrame(ctx)
		cancel()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if st := r.Stats(); st.Frames != 15 {
		t.Errorf("Stats() = %+v, want 15 frames", st)
	}
	w.result(&writerResult{})
}

// TestStartWithoutKey: if the newest key frame has left the ring, the reader
// asks for one and skips frames until it comes.
func TestStartWithoutKey(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=0", "SLOTS=8", "KEYEVERY=0", "INTERVAL_US=2000")...)
	w.expectReady()
	waitWritten(t, dir, "cam", 20)
	r := openWait(t, dir, "cam")
	f := readTimeout(t, r)
	if !f.Key || f.Seq <= 20 {
		t.Errorf("first frame: Seq %d Key %v, want a key frame requested after 20", f.Seq, f.Key)
	}
	if st := r.Stats(); st.KeyframeRequests < 1 {
		t.Errorf("Stats() = %+v, want a key frame request", st)
	}
}

// TestKeyframeRequest: RequestKeyframe reaches the writer process, which
// answers with a key frame.
func TestKeyframeRequest(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=0", "KEYEVERY=0", "INTERVAL_US=1000")...)
	w.expectReady()
	r := openWait(t, dir, "cam")
	readTimeout(t, r)
	// KEYEVERY=0: every key frame after the first answers a request. Ask
	// again if the answer was lost to a reader starved by a loaded machine.
	for range 3 {
		r.RequestKeyframe()
		asked := time.Now()
		for f := readTimeout(t, r); !f.Key; f = readTimeout(t, r) {
			if time.Since(asked) > 2*time.Second {
				r.RequestKeyframe()
				asked = time.Now()
			}
		}
	}
	w.kill()
}

// TestUnblock: a ReadFrame blocked on a quiet segment returns promptly on
// context cancellation and on Close.
func TestUnblock(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=1", "HOLD=1")...)
	w.expectReady()
	r := openWait(t, dir, "cam")
	readTimeout(t, r)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := r.ReadFrame(ctx); done <- err }()
	time.Sleep(20 * time.Millisecond) // let it block; the test holds without it
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}

	go func() { _, err := r.ReadFrame(context.Background()); done <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, shmcast.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := r.ReadFrame(context.Background()); !errors.Is(err, shmcast.ErrClosed) {
		t.Errorf("ReadFrame after Close: %v", err)
	}
	r.RequestKeyframe() // harmless after Close
}

// waitWritten waits until the segment's writer has published n frames.
func waitWritten(t *testing.T, dir, name string, n uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if s, err := openSegment(segPath(dir, name)); err == nil {
			w := s.writeSeq()
			s.close()
			if w >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer did not reach frame %d", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
