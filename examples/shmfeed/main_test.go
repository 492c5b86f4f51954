package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/shm"
)

// The test binary runs as shmfeed itself when mainEnv is set.
const mainEnv = "SHMFEED_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) != "" {
		os.Args = append([]string{"shmfeed"}, strings.Fields(os.Getenv(mainEnv))...)
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer collects a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startFeed runs shmfeed as a separate process.
func startFeed(t *testing.T, stdin io.Reader, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainEnv+"="+strings.Join(args, " "))
	cmd.Stdin = stdin
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("shmfeed stderr:\n%s", stderr)
		}
	})
	return cmd, stderr
}

func shmDir(t *testing.T) string {
	dir, err := os.MkdirTemp(shm.DefaultDir, "shmfeed-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func openWait(t *testing.T, dir, name string) *shm.Reader {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := shm.Open(name, shm.ReaderOptions{Dir: dir})
		if err == nil {
			t.Cleanup(func() { r.Close() })
			return r
		}
		if !shmcast.IsTemporary(err) || time.Now().After(deadline) {
			t.Fatalf("Open: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func readFrame(t *testing.T, r *shm.Reader) (shmcast.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.ReadFrame(ctx)
}

// TestFile: a clip file, paced at 60 fps, arrives in a Go reader frame for
// frame as h264.Splitter cut it, with PTS from the frame rate; then io.EOF,
// the statistics, and the segment gone.
func TestFile(t *testing.T) {
	clip := testclip.All()[0]
	for _, c := range testclip.All() {
		if c.Name == "aud.h264" {
			clip = c
		}
	}
	want := testclip.MustFrames(clip.Data)
	in := filepath.Join(t.TempDir(), clip.Name)
	if err := os.WriteFile(in, clip.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := shmDir(t)
	cmd, stderr := startFeed(t, nil, "-dir", dir, "-name", "clip", "-in", in, "-fps", "60")
	r := openWait(t, dir, "clip")
	if info := r.Info(); info.Width != clip.Width || info.Height != clip.Height || info.FrameRateNum != 60 || info.FrameRateDen != 1 {
		t.Errorf("Info() = %+v, want %dx%d at 60/1", info, clip.Width, clip.Height)
	}
	var got []shmcast.Frame
	for {
		f, err := readFrame(t, r)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d frames, the clip has %d (stats %+v)", len(got), len(want), r.Stats())
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, want[i].Data) || f.Key != want[i].Key {
			t.Fatalf("frame %d differs from the clip's", i+1)
		}
		if pts := time.Duration(float64(i) * float64(time.Second) / 60); shmcast.Ticks(f.PTS) != shmcast.Ticks(pts) {
			t.Errorf("frame %d: PTS %v, want %v", i+1, f.PTS, pts)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shmfeed: %v", err)
	}
	if s := stderr.String(); !strings.Contains(s, fmt.Sprintf("shmfeed: %d frames", len(want))) {
		t.Errorf("no statistics on exit:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "clip")); !os.IsNotExist(err) {
		t.Errorf("segment left behind: %v", err)
	}
}

// TestLoopAndSignal: -loop starts the file over with PTS going on; SIGTERM
// ends shmfeed cleanly: the reader gets io.EOF.
func TestLoopAndSignal(t *testing.T) {
	in := filepath.Join(t.TempDir(), "clip.h264")
	if err := os.WriteFile(in, testclip.Baseline, 0o600); err != nil {
		t.Fatal(err)
	}
	n := len(testclip.MustFrames(testclip.Baseline))
	dir := shmDir(t)
	cmd, stderr := startFeed(t, nil, "-dir", dir, "-name", "loop", "-in", in, "-fps", "600", "-loop")
	r := openWait(t, dir, "loop")
	var last time.Duration = -1
	for i := 0; i < n+60; i++ {
		f, err := readFrame(t, r)
		if err != nil {
			t.Fatal(err)
		}
		if f.PTS <= last {
			t.Fatalf("PTS %v after %v", f.PTS, last)
		}
		last = f.PTS
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for {
		_, err := readFrame(t, r)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shmfeed after SIGTERM: %v", err)
	}
	if s := stderr.String(); !strings.Contains(s, "loops ") || strings.Contains(s, "loops 0") {
		t.Errorf("statistics do not show the loop:\n%s", s)
	}
}

// TestFFmpegPipe: the real pipeline, ffmpeg -re ... -f h264 - | shmfeed,
// feeds a segment that a Go reader consumes; the frames it gets decode with
// ffmpeg, and its key frame request is logged.
func TestFFmpegPipe(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg not found: install ffmpeg")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	enc := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
		"-i", "testsrc2=size=320x240:rate=30", "-t", "4", "-c:v", "libx264", "-tune", "zerolatency",
		"-g", "30", "-bf", "0", "-x264-params", "aud=1", "-f", "h264", "-")
	enc.Stdout = pw
	enc.Stderr = os.Stderr
	if err := enc.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { enc.Process.Kill(); enc.Wait() })
	dir := shmDir(t)
	cmd, stderr := startFeed(t, pr, "-dir", dir, "-name", "cam")
	pr.Close()
	r := openWait(t, dir, "cam")
	var stream bytes.Buffer
	frames := 0
	for {
		f, err := readFrame(t, r)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if frames == 0 && !f.Key {
			t.Errorf("first frame is not a key frame")
		}
		if frames == 10 {
			r.RequestKeyframe()
		}
		if lat := shmcast.Monotonic() - f.Capture; lat < 0 || lat > int64(10*time.Second) {
			t.Errorf("frame %d: capture %d ns ago", f.Seq, lat)
		}
		frames++
		stream.Write(f.Data)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shmfeed: %v", err)
	}
	if frames < 90 {
		t.Errorf("read %d frames of 120", frames)
	}
	if st := r.Stats(); st.Lost != 0 {
		t.Errorf("reader stats %+v", st)
	}
	if s := stderr.String(); !strings.Contains(s, "key frame requested") {
		t.Errorf("key frame request not logged:\n%s", s)
	}
	// Decode what the reader got.
	out := filepath.Join(t.TempDir(), "got.h264")
	if err := os.WriteFile(out, stream.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	dec := exec.Command(ffmpeg, "-v", "error", "-xerror", "-i", out, "-f", "null", "-")
	if msg, err := dec.CombinedOutput(); err != nil || len(msg) != 0 {
		t.Errorf("decoding the frames read: %v\n%s", err, msg)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-name", "../x"}, {"-pace", "fast"}, {"extra"}, {"-loop"}, // -loop on a pipe
	} {
		if err := run(context.Background(), args, strings.NewReader(""), io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	if got, want := fmt.Sprint(rational(29.97002997)), "30000 1001"; got != want {
		t.Errorf("rational(29.97) = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(rational(25)), "25 1"; got != want {
		t.Errorf("rational(25) = %s, want %s", got, want)
	}
}
