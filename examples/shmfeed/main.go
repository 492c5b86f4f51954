// Command shmfeed publishes an H.264 Annex B byte stream into a SHMVIDEO
// shared-memory segment (docs/shm-format.md), one access unit per slot: a
// real producer for the server, for tests and for demos.
//
//	ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -c:v libx264 -tune zerolatency \
//	    -g 60 -bf 0 -x264-params aud=1 -f h264 - | shmfeed -name cam
//	shmfeed -name cam -in clip.h264 -loop
//
// Input is a file or standard input ("-"). A regular file is paced by the
// frame rate (-fps, else the SPS's VUI timing, else 30) and can -loop; a pipe
// is passed through as it arrives (-pace overrides both). Access units are
// cut by h264.Splitter, which ends a unit when the next begins: give the
// encoder access unit delimiters (x264 aud=1) so that live frames are not
// held back one frame interval. Frames before the first key frame are
// skipped. The segment is created at the first key frame, with the picture
// size from its SPS.
//
// shmfeed logs key frame requests from readers (a file or a pipe cannot be
// asked for an IDR; the next one in the stream answers), prints its
// statistics on exit, and on SIGINT or SIGTERM marks the stream closed and
// removes the segment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shmcast/shmcast/shm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "shmfeed:", err)
		}
		os.Exit(1)
	}
}

// config holds the command line.
type config struct {
	name, dir, in, pace string
	fps                 float64
	loop, group         bool
	slots, maxFrame     int
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("shmfeed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.name, "name", "cam", "segment name: /dev/shm/`name`")
	fs.StringVar(&c.dir, "dir", shm.DefaultDir, "directory of the segment")
	fs.StringVar(&c.in, "in", "-", "Annex B input `file`; - is standard input")
	fs.StringVar(&c.pace, "pace", "auto", "auto (files by frame rate, pipes as they arrive), rate, or none")
	fs.Float64Var(&c.fps, "fps", 0, "frame rate for PTS and pacing; 0: from the SPS, else 30")
	fs.BoolVar(&c.loop, "loop", false, "start the file over at its end")
	fs.BoolVar(&c.group, "group", false, "make the segment readable by the group (0660)")
	fs.IntVar(&c.slots, "slots", 64, "ring slots (power of two)")
	fs.IntVar(&c.maxFrame, "max-frame", 4<<20, "largest access unit in bytes")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.pace != "auto" && c.pace != "rate" && c.pace != "none" {
		return c, fmt.Errorf("-pace %q: want auto, rate or none", c.pace)
	}
	if !shm.ValidName(c.name) {
		return c, fmt.Errorf("-name %q: 1-63 of A-Z a-z 0-9 . _ -, not starting with '.'", c.name)
	}
	return c, nil
}

// run feeds until the input ends or ctx is done, then closes the segment
// and prints the statistics.
func run(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	in, file, err := openInput(c.in, stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	if c.loop && !file {
		return errors.New("-loop needs a regular file")
	}
	fd := newFeeder(c, in, log)
	fd.paced = c.pace == "rate" || c.pace == "auto" && file
	done := make(chan error, 1)
	go func() { done <- fd.run(ctx) }() // abandoned if blocked on a quiet pipe at exit
	select {
	case err = <-done:
	case <-ctx.Done():
		select { // a read from a pipe cannot be interrupted: give it a moment
		case err = <-done:
		case <-time.After(time.Second):
		}
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	if cerr := fd.close(); err == nil {
		err = cerr
	}
	fmt.Fprintln(stderr, fd.stats())
	return err
}

// openInput opens the input and reports whether it is a regular file.
func openInput(name string, stdin io.Reader) (io.ReadCloser, bool, error) {
	if name == "-" {
		if f, ok := stdin.(*os.File); ok {
			st, err := f.Stat()
			return io.NopCloser(f), err == nil && st.Mode().IsRegular(), nil
		}
		return io.NopCloser(stdin), false, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, st.Mode().IsRegular(), nil
}
