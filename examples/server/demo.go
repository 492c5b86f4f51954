package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/shm"
)

// demoStream is the segment the -demo producer publishes.
const demoStream = "demo"

// demo is an in-process producer: it publishes the embedded test clip in a
// loop through a real shared-memory segment, so the demo exercises the same
// path as a camera. It honours key frame requests by jumping to the clip's
// next key frame, as an encoder would force an IDR: a new viewer's picture
// starts within a frame interval instead of waiting for the clip's GOP.
type demo struct {
	w      *shm.Writer
	frames []shmcast.Frame
	fps    float64
	log    *slog.Logger
}

func newDemo(dir string, log *slog.Logger) (*demo, error) {
	var clip testclip.Clip
	for _, c := range testclip.All() {
		if c.Name == "baseline.h264" {
			clip = c
		}
	}
	frames, err := testclip.Frames(clip.Data)
	if err != nil {
		return nil, fmt.Errorf("demo clip: %w", err)
	}
	w, err := shm.Create(demoStream, shm.WriterOptions{
		Dir:          dir,
		Width:        clip.Width,
		Height:       clip.Height,
		FrameRateNum: int(clip.FPS),
		FrameRateDen: 1,
		ParamsInBand: true,
	})
	if err != nil {
		return nil, fmt.Errorf("demo producer: %w", err)
	}
	return &demo{w: w, frames: frames, fps: clip.FPS, log: log}, nil
}

// run publishes frames at the clip's rate until ctx is done, with
// timestamps that keep growing across loops.
func (d *demo) run(ctx context.Context) {
	interval := time.Duration(float64(time.Second) / d.fps)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	i := 0
	for n := int64(0); ; n++ {
		if d.w.KeyframeRequested() && !d.frames[i].Key {
			i = d.nextKey(i)
			d.log.Debug("demo: key frame requested; jumping to the next one in the clip", "frame", i)
		}
		f := d.frames[i]
		f.PTS = time.Duration(n) * interval
		f.DTS = f.PTS
		f.Capture = 0 // the writer stamps the publish time
		if err := d.w.WriteFrame(f); err != nil {
			d.log.Error("demo: publish", "err", err)
			return
		}
		i = (i + 1) % len(d.frames)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (d *demo) nextKey(i int) int {
	for j := 1; j <= len(d.frames); j++ {
		if k := (i + j) % len(d.frames); d.frames[k].Key {
			return k
		}
	}
	return i
}

func (d *demo) Close() error { return d.w.Close() }
