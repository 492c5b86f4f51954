package record_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/record"
)

// crashChild records the baseline clip in a loop into the directory named by
// $RECORD_DIR in lock step with its parent: it reads one byte from stdin
// before each frame and prints the frame's number once WriteFrame returned.
// It never closes the recorder; the parent kills it.
func crashChild() {
	r, err := record.New(record.Options{Dir: os.Getenv("RECORD_DIR")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := bufio.NewReader(os.Stdin)
	frames := loopFrames(testclip.MustFrames(testclip.Baseline), 3000)
	for i, f := range frames {
		if _, err := in.ReadByte(); err != nil {
			os.Exit(3)
		}
		r.WriteFrame(f)
		fmt.Println(i + 1)
	}
	select {}
}

// TestCrash kills a recording process with SIGKILL at several points: the
// file it leaves decodes cleanly and lacks at most one fragment (1 s, 30
// frames) of what the process was given.
func TestCrash(t *testing.T) {
	for _, kill := range []int{1, 29, 31, 100, 157, 451} {
		t.Run(strconv.Itoa(kill), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=crash", "RECORD_DIR="+dir)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			out := bufio.NewScanner(stdout)
			for i := 1; i <= kill; i++ {
				if _, err := stdin.Write([]byte{1}); err != nil {
					t.Fatal(err)
				}
				if !out.Scan() || out.Text() != strconv.Itoa(i) {
					t.Fatalf("child said %q, want %d (%v)", out.Text(), i, out.Err())
				}
			}
			cmd.Process.Kill() // SIGKILL while it waits for the next frame
			cmd.Wait()

			files := recordings(t, dir)
			if kill < 31 { // no whole fragment yet: no file
				if len(files) != 0 {
					t.Errorf("files = %v, want none before the first fragment", files)
				}
				return
			}
			if len(files) != 1 {
				t.Fatalf("files = %v, want one", files)
			}
			p := ffprobe(t, files[0])
			if p.Codec != "h264" || p.Width != 640 || p.Height != 360 || p.Frames < kill-30 || p.Frames > kill {
				t.Errorf("ffprobe = %+v, want h264 640x360 with %d to %d frames", p, kill-30, kill)
			}
			decodeClean(t, files[0])
			t.Logf("killed after %d frames: %d in the file", kill, p.Frames)
		})
	}
}
