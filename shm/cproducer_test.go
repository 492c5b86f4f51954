package shm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// buildC compiles testdata/cproducer.c against include/shmvideo.h with the
// system C compiler (Debian: build-essential), warnings as errors.
func buildC(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatal("no C compiler: install build-essential (cc) to run the C producer test")
	}
	bin := filepath.Join(t.TempDir(), "cproducer")
	cmd := exec.Command(cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
		"-I../include", "testdata/cproducer.c", "-o", bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return bin
}

// cframe is the payload of frame s in testdata/cproducer.c.
func cframe(s uint64) []byte {
	n := 1 + s*7919%70000
	if s%50 == 0 {
		n = 600000 + s
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s*131 + uint64(i)*7 + uint64(i)>>8)
	}
	return b
}

// TestCProducer: a C program using include/shmvideo.h publishes frames as a
// separate process; the Go reader receives every one byte for byte, with
// its metadata, and the C side sees the Go reader's key frame request.
func TestCProducer(t *testing.T) {
	const frames, batch = 400, 16
	bin := buildC(t)
	dir := shmDir(t)
	cmd := exec.Command(bin, dir, "ccam", fmt.Sprint(frames), fmt.Sprint(batch))
	c := &child{t: t, cmd: cmd}
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.out = newLineReader(out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.kill)
	c.expectReady()

	r := openWait(t, dir, "ccam")
	info := r.Info()
	if info.Width != 320 || info.Height != 240 || info.FrameRateNum != 30000 || info.FrameRateDen != 1001 || info.Slots != 32 || info.Name != "ccam" {
		t.Errorf("Info() = %+v", info)
	}
	r.RequestKeyframe()
	got := make([]shmcast.Frame, 0, frames)
	for len(got) < frames { // read first, check after: the check is slow under -race
		if len(got)%batch == 0 {
			c.stdin.Write([]byte("go\n"))
		}
		got = append(got, readTimeout(t, r))
	}
	if st := r.Stats(); st.Lost != 0 {
		t.Fatalf("the reader fell behind the C producer: %+v", st)
	}
	for i, f := range got {
		s := uint64(i + 1)
		if f.Seq != s {
			t.Fatalf("frame %d: Seq %d", s, f.Seq)
		}
		if want := cframe(s); !bytes.Equal(f.Data, want) {
			t.Fatalf("frame %d: %d bytes differ from the %d the C producer wrote", s, len(f.Data), len(want))
		}
		if f.Key != (s%10 == 1) || f.Discontinuity != (s == 5) {
			t.Errorf("frame %d: Key %v Discontinuity %v", s, f.Key, f.Discontinuity)
		}
		if f.PTS != shmcast.FromTicks(int64(s)*3003+6006) || f.DTS != shmcast.FromTicks(int64(s)*3003) {
			t.Errorf("frame %d: PTS %v DTS %v", s, f.PTS, f.DTS)
		}
		if now := shmcast.Monotonic(); f.Capture <= 0 || f.Capture > now {
			t.Errorf("frame %d: Capture %d, now %d", s, f.Capture, now)
		}
	}
	if got, want := c.line(), fmt.Sprintf("done %d 1", frames); got != want {
		t.Errorf("C producer said %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.ReadFrame(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("after the C producer closed: %v, want io.EOF", err)
	}
	if err := c.wait(); err != nil {
		t.Errorf("C producer: %v", err)
	}
}
