package shmcast_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// sliceSource yields frames and then err (io.EOF when nil).
type sliceSource struct {
	frames []shmcast.Frame
	err    error
}

func (s *sliceSource) ReadFrame(ctx context.Context) (shmcast.Frame, error) {
	if err := ctx.Err(); err != nil {
		return shmcast.Frame{}, err
	}
	if len(s.frames) == 0 {
		if s.err != nil {
			return shmcast.Frame{}, s.err
		}
		return shmcast.Frame{}, io.EOF
	}
	f := s.frames[0]
	s.frames = s.frames[1:]
	return f, nil
}

func frames(n int) []shmcast.Frame {
	out := make([]shmcast.Frame, n)
	for i := range out {
		out[i] = shmcast.Frame{Seq: uint64(i + 1), Key: i == 0, Data: []byte{0, 0, 1, byte(i)}}
	}
	return out
}

func TestCopy(t *testing.T) {
	errSrc := errors.New("source broke")
	errDst := errors.New("sink broke")
	tests := []struct {
		name      string
		src       *sliceSource
		failAt    int // sink fails on this frame number (1-based); 0 never
		cancel    bool
		wantErr   error
		wantCount int
	}{
		{name: "eof is nil", src: &sliceSource{frames: frames(5)}, wantCount: 5},
		{name: "empty", src: &sliceSource{}, wantCount: 0},
		{name: "source error", src: &sliceSource{frames: frames(3), err: errSrc}, wantErr: errSrc, wantCount: 3},
		{name: "wrapped eof is nil", src: &sliceSource{frames: frames(2), err: shmcast.Temporary(io.EOF)}, wantCount: 2},
		{name: "sink error", src: &sliceSource{frames: frames(5)}, failAt: 2, wantErr: errDst, wantCount: 2},
		{name: "cancelled", src: &sliceSource{frames: frames(5)}, cancel: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			var got []shmcast.Frame
			sink := shmcast.SinkFunc(func(f shmcast.Frame) error {
				got = append(got, f)
				if len(got) == tt.failAt {
					return errDst
				}
				return nil
			})
			err := shmcast.Copy(ctx, sink, tt.src)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Copy() = %v, want %v", err, tt.wantErr)
			}
			if len(got) != tt.wantCount {
				t.Errorf("Copy() wrote %d frames, want %d", len(got), tt.wantCount)
			}
			for i, f := range got {
				if f.Seq != uint64(i+1) {
					t.Errorf("frame %d has Seq %d, want %d", i, f.Seq, i+1)
				}
			}
		})
	}
}

func TestCopyReturnsContextErrorOverSourceError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	src := shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) {
		<-ctx.Done()
		return shmcast.Frame{}, shmcast.ErrClosed
	})
	err := shmcast.Copy(ctx, shmcast.SinkFunc(func(shmcast.Frame) error { return nil }), src)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Copy() = %v, want %v", err, context.DeadlineExceeded)
	}
}
