package record_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/fanout"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/record"
)

// TestDiskFull records onto a 2 MiB tmpfs, fills it, and frees it again.
// The test re-runs itself as root in a private mount namespace
// (unshare -m), where it mounts the tmpfs.
func TestDiskFull(t *testing.T) {
	if os.Getenv(childEnv) != "diskfull" {
		t.Parallel()
	}
	if os.Getenv(childEnv) != "diskfull" {
		if os.Geteuid() != 0 {
			t.Skip("needs root to mount a tmpfs in a private mount namespace")
		}
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("needs unshare(1) from util-linux")
		}
		cmd := exec.Command(unshare, "-m", "--propagation", "private",
			os.Args[0], "-test.run=^TestDiskFull$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=diskfull")
		out, err := cmd.CombinedOutput()
		t.Logf("child:\n%s", out)
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		return
	}

	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	dir := filepath.Join(mnt, "rec")

	errc := make(chan error, 100)
	r, err := record.New(record.Options{
		Dir: dir, RetryMin: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		OnError: func(err error) {
			select {
			case errc <- err:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := fanout.New(fanout.Options{})
	recSub := d.Subscribe(fanout.SubscribeOptions{})
	viewSub := d.Subscribe(fanout.SubscribeOptions{})

	var wg sync.WaitGroup
	var recErr error
	wg.Go(func() {
		defer recSub.Close()
		recErr = shmcast.Copy(context.Background(), r, recSub)
	})
	var seen []uint64 // Seq of every frame the viewer received
	wg.Go(func() {
		defer viewSub.Close()
		for {
			f, err := viewSub.ReadFrame(context.Background())
			if err != nil {
				return
			}
			seen = append(seen, f.Seq)
		}
	})

	frames := loopFrames(testclip.MustFrames(testclip.Baseline), 360)
	feed := func(from, to int) {
		for _, f := range frames[from:to] {
			if err := d.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond) // ~200 fps: queues never fill
		}
	}
	waitFor := func(what string, cond func(record.Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond(r.Stats()) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, r.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// 1. Record 2 s while there is space.
	feed(0, 60)
	waitFor("the first fragment", func(s record.Stats) bool { return s.Fragments >= 1 })

	// 2. Fill the disk and record 4 s more: the recorder fails and says so.
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	feed(60, 180)
	select {
	case err := <-errc:
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("OnError(%v), want ENOSPC", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no error reported on a full disk")
	}
	waitFor("Failing", func(s record.Stats) bool { return s.Failing && errors.Is(s.LastError, syscall.ENOSPC) })
	full := r.Stats()

	// 3. Free the space: recording resumes at a key frame.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	feed(180, 360)
	d.Close()
	wg.Wait()
	if recErr != nil {
		t.Errorf("Copy into the recorder = %v, want nil", recErr)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	st := r.Stats()
	t.Logf("at the full disk: %+v", full)
	t.Logf("at the end: %+v", st)
	if st.Failing || st.Frames <= full.Frames || st.Segments <= full.Segments || st.Skipped == 0 {
		t.Errorf("recording did not resume: %+v", st)
	}

	// The viewer got every frame, in order; so did the recorder's
	// subscription, which never fell behind.
	if len(seen) != len(frames) {
		t.Errorf("viewer got %d frames, want %d", len(seen), len(frames))
	}
	for i, s := range seen {
		if s != uint64(i+1) {
			t.Fatalf("viewer frame %d has Seq %d", i, s)
		}
	}
	if ds := d.Stats(); ds.Dropped != 0 || ds.Delivered != 2*uint64(len(frames)) {
		t.Errorf("distributor stats = %+v, want every frame delivered twice", ds)
	}
	if st.Frames+st.Skipped != uint64(len(frames)) {
		t.Errorf("recorded %d + skipped %d frames, want %d", st.Frames, st.Skipped, len(frames))
	}

	// Every file, the one cut at the full disk included, plays.
	files, probes := checkPlayable(t, dir)
	total := 0
	for i, p := range probes {
		t.Logf("%s: %+v", filepath.Base(files[i]), p)
		total += p.Frames
	}
	if uint64(total) != st.Frames {
		t.Errorf("files hold %d frames, Stats.Frames = %d", total, st.Frames)
	}
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}
