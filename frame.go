package shmcast

import (
	"context"
	"errors"
	"io"
	"time"
)

// Frame is one H.264 access unit in Annex B form, in decode order.
//
// Data is read-only once the Frame leaves its creator: the creator allocates
// it fresh, nobody writes to it afterwards, and any goroutine may keep it for
// as long as it likes without copying.
type Frame struct {
	Data []byte        // one access unit, start codes included
	PTS  time.Duration // presentation time on the producer's clock
	DTS  time.Duration // decode time; equal to PTS for streams without B-frames
	Key  bool          // random access point: IDR with SPS and PPS in band
	Seq  uint64        // producer frame number; a jump means frames were lost upstream

	// Capture is the producer's capture (or publish) time in CLOCK_MONOTONIC
	// nanoseconds, comparable with [Monotonic] on the same machine, so that
	// every later stage can measure its latency. Zero means unknown.
	Capture int64

	// Discontinuity marks a break before this frame: lost frames, a producer
	// restart, or a timestamp reset. Decoders must resynchronise at a Key frame.
	Discontinuity bool
}

// A Source yields frames in decode order. ReadFrame blocks until a frame is
// ready, ctx is done, or the Source is closed. It returns [io.EOF] at the end
// of the stream and [ErrClosed] after Close.
type Source interface {
	ReadFrame(ctx context.Context) (Frame, error)
}

// A Sink takes frames. WriteFrame must not block for long and must not modify
// or keep a reference it writes into f.Data.
type Sink interface {
	WriteFrame(f Frame) error
}

// SourceFunc adapts a function to a [Source].
type SourceFunc func(ctx context.Context) (Frame, error)

// ReadFrame calls fn(ctx).
func (fn SourceFunc) ReadFrame(ctx context.Context) (Frame, error) { return fn(ctx) }

// SinkFunc adapts a function to a [Sink].
type SinkFunc func(f Frame) error

// WriteFrame calls fn(f).
func (fn SinkFunc) WriteFrame(f Frame) error { return fn(f) }

// ErrClosed is returned by methods of a Source or Sink after its Close.
var ErrClosed = errors.New("shmcast: closed")

// Copy moves frames from src to dst until src ends, ctx is done or either
// side fails. It returns nil when src returns [io.EOF], ctx.Err() when ctx is
// done, and the first other error otherwise, unchanged so that callers can
// classify it with [IsTemporary].
func Copy(ctx context.Context, dst Sink, src Source) error {
	for {
		f, err := src.ReadFrame(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
		if err := dst.WriteFrame(f); err != nil {
			return err
		}
	}
}
