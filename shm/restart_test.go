package shm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestWriterRestart: the writer process is killed with SIGKILL and started
// again, 20 times (100 with -long). The reader reattaches to every new
// segment, resumes at a key frame marked as a discontinuity, and never
// delivers a frame of a dead writer after one of its successor.
func TestWriterRestart(t *testing.T) {
	restarts := 20
	if *long {
		restarts = 100
	}
	dir := shmDir(t)
	var r *Reader
	for i := 1; i <= restarts+1; i++ {
		w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=0", "KEYEVERY=15", "INTERVAL_US=1000",
			fmt.Sprintf("TAG=%d", i))...)
		w.expectReady()
		if r == nil {
			r = openWait(t, dir, "cam")
		}
		// Drain the old writer's frames until the first of the new one.
		f := readTimeout(t, r)
		for tag, err := checkPayload(f.Data, f.Seq); tag != uint64(i); tag, err = checkPayload(f.Data, f.Seq) {
			if err != nil {
				t.Fatal(err)
			}
			if tag != uint64(i-1) {
				t.Fatalf("incarnation %d: frame of incarnation %d", i, tag)
			}
			f = readTimeout(t, r)
		}
		if !f.Key {
			t.Errorf("incarnation %d: resumed at frame %d, not a key frame", i, f.Seq)
		}
		if i > 1 && !f.Discontinuity {
			t.Errorf("incarnation %d: first frame not marked as a discontinuity", i)
		}
		for range 5 { // and it goes on
			f = readTimeout(t, r)
			if tag, err := checkPayload(f.Data, f.Seq); err != nil || tag != uint64(i) {
				t.Fatalf("incarnation %d: frame %d: tag %d, %v", i, f.Seq, tag, err)
			}
		}
		if st := r.Stats(); st.Reattaches != uint64(i-1) {
			t.Fatalf("incarnation %d: %d reattaches", i, st.Reattaches)
		}
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		w.wait()
	}
	t.Logf("reader after %d restarts: %+v", restarts, r.Stats())
}

// TestWriterGone: a reader of a crashed writer sees it gone and keeps
// waiting; a reader of a cleanly closed stream gets io.EOF.
func TestWriterGone(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=3", "HOLD=1")...)
	w.expectReady()
	r := openWait(t, dir, "cam")
	for range 3 {
		readTimeout(t, r)
	}
	w.kill()
	// ReadFrame keeps waiting (for a restart); meanwhile it notices the death.
	deadline := time.Now().Add(20 * time.Second)
	for r.Stats().WriterAlive {
		if time.Now().After(deadline) {
			t.Fatal("Stats().WriterAlive still true 20 s after the writer died")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*LivenessInterval)
		_, err := r.ReadFrame(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame with the writer dead: %v, want to wait", err)
		}
	}
}

// TestTruncateUnderReader: the segment is cut while a writer process
// publishes and this process reads; ReadFrame returns ErrTruncated and the
// process lives.
func TestTruncateUnderReader(t *testing.T) {
	for _, size := range []int64{0, HeaderSize, HeaderSize + 3*pageSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			dir := shmDir(t)
			w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=0", "INTERVAL_US=500", "SLOTS=8", "MINSIZE=20000", "MAXSIZE=60000")...)
			w.expectReady()
			r := openWait(t, dir, "cam")
			for range 10 {
				readTimeout(t, r)
			}
			if err := os.Truncate(segPath(dir, "cam"), size); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var err error
			for err == nil {
				_, err = r.ReadFrame(ctx)
			}
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("ReadFrame after truncation: %v, want ErrTruncated", err)
			}
			if _, err2 := r.ReadFrame(ctx); !errors.Is(err2, ErrTruncated) {
				t.Errorf("second ReadFrame: %v", err2)
			}
			r.RequestKeyframe() // must not crash either
			r.Info()
		})
	}
}

// TestTruncateFault: frames are waiting when the file is cut, so the very
// next load from the mapping faults (SIGBUS); ReadFrame turns it into an
// error.
func TestTruncateFault(t *testing.T) {
	dir := shmDir(t)
	w := startChild(t, "", "writer", env(dir, "cam", "FRAMES=20", "HOLD=1")...)
	w.expectReady()
	waitWritten(t, dir, "cam", 20)
	r := openWait(t, dir, "cam")
	if err := os.Truncate(segPath(dir, "cam"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := r.ReadFrame(context.Background())
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("ReadFrame: %v, want ErrTruncated", err)
	}
	t.Log(err)
}
