// Package testclip holds small real H.264 clips for tests, made by gen.sh
// with ffmpeg (libx264, testsrc2), embedded so that tests need no files.
//
// Every clip is a raw Annex B byte stream as `ffmpeg -f h264` writes it:
// 30 fps, GOP 30, no B-frames, SPS and PPS in front of every IDR.
package testclip

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
)

// FrameRate is the frame rate of every clip.
const FrameRate = 30

// GOP is the key frame interval of every clip, in frames.
const GOP = 30

var (
	//go:embed baseline.h264
	Baseline []byte // 640x360, 10 s, 300 frames, Constrained Baseline

	//go:embed high.h264
	High []byte // 1280x720, 3 s, 90 frames, High, x264's SEI in the first frame

	//go:embed aud.h264
	AUD []byte // 640x360, 3 s, 90 frames, Main, an AUD in front of every frame

	//go:embed slices.h264
	Slices []byte // 640x360, 1 s, 30 frames, Main, four slices per picture
)

// A Clip describes one embedded clip.
type Clip struct {
	Name          string // file name, e.g. "baseline.h264"
	Data          []byte // the Annex B byte stream; do not modify
	Width, Height int
	FPS           float64
	Frames        int    // access units
	Profile       string // ffprobe's profile name
}

// The clips with their facts.
var (
	BaselineClip = Clip{"baseline.h264", Baseline, 640, 360, FrameRate, 300, "Constrained Baseline"}
	HighClip     = Clip{"high.h264", High, 1280, 720, FrameRate, 90, "High"}
	AUDClip      = Clip{"aud.h264", AUD, 640, 360, FrameRate, 90, "Main"}
	SlicesClip   = Clip{"slices.h264", Slices, 640, 360, FrameRate, 30, "Main"}
)

// All returns every clip, in a fixed order.
func All() []Clip {
	return []Clip{BaselineClip, HighClip, AUDClip, SlicesClip}
}

// Frames splits clip into access units with [h264.Splitter] at FrameRate.
func Frames(clip []byte) ([]shmcast.Frame, error) {
	s := h264.NewSplitter(bytes.NewReader(clip), FrameRate)
	var frames []shmcast.Frame
	for {
		f, err := s.ReadFrame(context.Background())
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, fmt.Errorf("testclip: frame %d: %w", len(frames)+1, err)
		}
		frames = append(frames, f)
	}
}

// MustFrames is like [Frames] but panics on error: for tests, benchmarks and
// examples on the embedded clips, which split cleanly.
func MustFrames(clip []byte) []shmcast.Frame {
	f, err := Frames(clip)
	if err != nil {
		panic(err)
	}
	return f
}

// Source returns a [shmcast.Source] that yields frames in order, then
// [io.EOF]. It is not safe for concurrent use.
func Source(frames []shmcast.Frame) shmcast.Source {
	i := 0
	return shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) {
		if err := ctx.Err(); err != nil {
			return shmcast.Frame{}, err
		}
		if i >= len(frames) {
			return shmcast.Frame{}, io.EOF
		}
		i++
		return frames[i-1], nil
	})
}
