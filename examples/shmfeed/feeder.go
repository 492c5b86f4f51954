package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/shm"
)

// A feeder moves access units from the input into the segment.
type feeder struct {
	c     config
	in    io.Reader
	log   *slog.Logger
	paced bool

	mu     sync.Mutex // guards w and closed against close
	w      *shm.Writer
	closed bool

	fps     float64
	start   time.Time // pacing origin: PTS 0 is due at start
	lastReq time.Time
	began   time.Time

	// Counters, read by stats at exit, perhaps while a read blocks.
	n        atomic.Uint64 // frames published
	keys     atomic.Uint64
	bytes    atomic.Uint64
	skipped  atomic.Uint64 // before the first key frame
	dropped  atomic.Uint64 // larger than -max-frame
	requests atomic.Uint64
	loops    atomic.Uint64
}

func newFeeder(c config, in io.Reader, log *slog.Logger) *feeder {
	return &feeder{c: c, in: in, log: log, fps: c.fps, began: time.Now()}
}

// run feeds the input once, or forever with -loop.
func (fd *feeder) run(ctx context.Context) error {
	for {
		rate := fd.fps
		if rate <= 0 {
			rate = 30
		}
		src := h264.NewSplitterOptions(fd.in, h264.SplitterOptions{FrameRate: rate, MaxFrameSize: fd.c.maxFrame})
		if err := fd.feed(ctx, src); err != nil || !fd.c.loop {
			return err
		}
		seeker, ok := fd.in.(io.Seeker)
		if !ok {
			return errors.New("-loop: input cannot seek")
		}
		if _, err := seeker.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("-loop: %w", err)
		}
		fd.loops.Add(1) // PTS go on from frame n: the loop is seamless
	}
}

// feed publishes the access units of one pass over the input.
func (fd *feeder) feed(ctx context.Context, src *h264.Splitter) error {
	for {
		f, err := src.ReadFrame(ctx)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case shmcast.IsTemporary(err): // an oversized access unit, dropped
			fd.dropped.Add(1)
			fd.log.Warn("access unit dropped", "err", err)
			continue
		case err != nil:
			return err
		}
		w, err := fd.writer(f)
		if err != nil {
			return err
		}
		if w == nil {
			fd.skipped.Add(1)
			continue
		}
		if err := fd.publish(w, f); err != nil {
			return err
		}
	}
}

// pts is the presentation time of frame n (from 0) of the output.
func (fd *feeder) pts(n uint64) time.Duration {
	return time.Duration(float64(n) * float64(time.Second) / fd.fps)
}

// writer returns the segment's writer, creating it at the first key frame;
// nil while frames before it are skipped.
func (fd *feeder) writer(f shmcast.Frame) (*shm.Writer, error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.closed {
		return nil, shmcast.ErrClosed
	}
	if fd.w != nil || !f.Key {
		return fd.w, nil
	}
	var sps h264.SPSInfo
	nalus, _ := h264.Split(f.Data)
	for _, n := range nalus {
		if h264.TypeOf(n) == h264.NALUTypeSPS {
			sps, _ = h264.ParseSPS(n)
			break
		}
	}
	if fd.fps <= 0 {
		fd.fps = sps.FrameRate
	}
	if fd.fps <= 0 || fd.fps > 1000 {
		fd.fps = 30
	}
	num, den := rational(fd.fps)
	w, err := shm.Create(fd.c.name, shm.WriterOptions{
		Dir: fd.c.dir, Slots: fd.c.slots, MaxFrameSize: fd.c.maxFrame,
		Width: sps.Width, Height: sps.Height, FrameRateNum: num, FrameRateDen: den,
		ParamsInBand: true, GroupAccess: fd.c.group,
	})
	if err != nil {
		return nil, err
	}
	fd.w = w
	fd.log.Info("segment created", "path", w.Path(), "width", sps.Width, "height", sps.Height,
		"fps", fd.fps, "profile", sps.ProfileLevelID, "paced", fd.paced, "skipped", fd.skipped.Load())
	return w, nil
}

// rational writes a frame rate as a fraction: 30/1, 30000/1001, 12500/1000.
func rational(fps float64) (num, den int) {
	near := func(x float64) bool { return math.Abs(x-math.Round(x)) < 1e-3 }
	switch {
	case near(fps):
		return int(math.Round(fps)), 1
	case near(fps * 1.001):
		return int(math.Round(fps*1.001)) * 1000, 1001
	}
	return int(math.Round(fps * 1000)), 1000
}

// publish paces (for files), answers key frame requests with a log line,
// and writes the frame.
func (fd *feeder) publish(w *shm.Writer, f shmcast.Frame) error {
	pts := fd.pts(fd.n.Load())
	f.PTS, f.DTS = pts, pts
	if fd.paced {
		if fd.start.IsZero() {
			fd.start = time.Now().Add(-pts)
		}
		due := fd.start.Add(pts)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		} else if wait < -time.Second { // stalled: do not burst to catch up
			fd.start = time.Now().Add(-pts)
		}
		f.Capture = 0 // published now: the writer stamps it
	}
	if w.KeyframeRequested() {
		fd.requests.Add(1)
		if time.Since(fd.lastReq) >= time.Second {
			fd.lastReq = time.Now()
			fd.log.Info("key frame requested by a reader; the input cannot make one, the next IDR in the stream will answer",
				"requests", fd.requests.Load(), "frame", fd.n.Load()+1)
		}
	}
	if err := w.WriteFrame(f); err != nil {
		if errors.Is(err, shm.ErrFrameTooLarge) {
			fd.dropped.Add(1)
			return nil
		}
		return err
	}
	fd.n.Add(1)
	fd.bytes.Add(uint64(len(f.Data)))
	if f.Key {
		fd.keys.Add(1)
	}
	return nil
}

// close marks the stream closed and removes the segment.
func (fd *feeder) close() error {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fd.closed = true
	if fd.w == nil {
		return nil
	}
	return fd.w.Close()
}

// stats is the line printed on exit.
func (fd *feeder) stats() string {
	el := time.Since(fd.began).Seconds()
	n, b := fd.n.Load(), fd.bytes.Load()
	return fmt.Sprintf("shmfeed: %d frames (%d key), %.1f MB, %.1f s, %.1f fps, %.2f Mbit/s; skipped before first key %d, dropped %d, key frame requests %d, loops %d",
		n, fd.keys.Load(), float64(b)/1e6, el, float64(n)/el, float64(b)*8/el/1e6,
		fd.skipped.Load(), fd.dropped.Load(), fd.requests.Load(), fd.loops.Load())
}
