package shm

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// childBinary returns a test binary for heavy child processes: this one, or,
// under the race detector (which slows every copy down tenfold), the same
// package built without it.
func childBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return ""
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		//lint:ignore SA1019 the fallback for a go test run by full path; the child is built here, never copied
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "shm.test")
	cmd := exec.Command(goTool, "test", "-c", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building the child binary without -race: %v", err)
	}
	return bin
}

// TestStress: a writer process publishes 1,000,000 self-checking frames of
// random sizes (1 to 4 KiB, every 5000th 600 KiB) flat out into a 16-slot
// ring while a reader process, slow at times, reads them. No torn frame may
// be delivered, and delivered + lost must equal written exactly.
func TestStress(t *testing.T) {
	const frames = 1_000_000
	bin := childBinary(t)
	dir := shmDir(t)
	w := startChild(t, bin, "writer", env(dir, "cam", "FRAMES=1000000", "WAITGO=1", "SLOTS=16",
		"MINSIZE=1024", "MAXSIZE=4096", "LARGEEVERY=5000", "LARGESIZE=614400", "PAUSEEVERY=20000", "KEYEVERY=30")...)
	w.expectReady()
	r := startChild(t, bin, "reader", env(dir, "cam", "SLOWEVERY=25000", "SLOWUS=3000")...)
	r.expectReady()
	w.stdin.Write([]byte("go\n"))
	var wr writerResult
	w.result(&wr)
	var rr readerResult
	r.result(&rr)
	t.Logf("written %d; reader: %+v", wr.Frames, rr)
	if wr.Frames != frames {
		t.Fatalf("writer wrote %d frames, want %d", wr.Frames, frames)
	}
	if rr.Err != "" {
		t.Fatalf("reader: %s", rr.Err)
	}
	if rr.Bad != 0 {
		t.Errorf("%d bad frames delivered", rr.Bad)
	}
	if rr.Frames+rr.Lost != wr.Frames || rr.Last != wr.Frames {
		t.Errorf("delivered %d + lost %d != written %d (last %d)", rr.Frames, rr.Lost, wr.Frames, rr.Last)
	}
	if rr.GapLost != rr.Lost {
		t.Errorf("gaps in Seq add up to %d, Stats.Lost is %d", rr.GapLost, rr.Lost)
	}
	if rr.Skipped != 0 {
		t.Errorf("skipped %d", rr.Skipped)
	}
	if rr.Lost == 0 {
		t.Log("the writer never lapped the reader: the loss path was not exercised")
	}
}
