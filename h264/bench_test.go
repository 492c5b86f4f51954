package h264_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// BenchmarkScan scans the whole High clip (720p) NAL unit by NAL unit.
func BenchmarkScan(b *testing.B) {
	clip := testclip.High
	b.SetBytes(int64(len(clip)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s := h264.NewScanner(clip)
		for s.Scan() {
			n++
		}
		if s.Err() != nil {
			b.Fatal(s.Err())
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "NALUs/op")
}

// BenchmarkAppendSplit splits every access unit of the High clip.
func BenchmarkAppendSplit(b *testing.B) {
	frames := testclip.MustFrames(testclip.High)
	size := 0
	for _, f := range frames {
		size += len(f.Data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var dst [][]byte
	for b.Loop() {
		for _, f := range frames {
			var err error
			if dst, err = h264.AppendSplit(dst[:0], f.Data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
}

// loopSource yields frames round and round, forever.
func loopSource(frames []shmcast.Frame) shmcast.Source {
	i := 0
	return shmcast.SourceFunc(func(context.Context) (shmcast.Frame, error) {
		f := frames[i%len(frames)]
		i++
		return f, nil
	})
}

// BenchmarkParser measures ReadFrame per access unit of the High clip:
// "PFrames" only non-IDR frames (after one IDR before the timer starts),
// "Stream" the whole clip round and round, "InsertParams" the same with the
// parameter sets stripped from every IDR but the first, so that the Parser
// builds a new buffer for 1 frame in 30.
func BenchmarkParser(b *testing.B) {
	all := testclip.MustFrames(testclip.High)
	b.Run("PFrames", func(b *testing.B) {
		frames := all[1:30]
		p := h264.NewParser(&seqSource{first: all[0], frames: frames})
		benchParser(b, p, frames)
	})
	b.Run("Stream", func(b *testing.B) {
		benchParser(b, h264.NewParser(loopSource(all)), all)
	})
	b.Run("InsertParams", func(b *testing.B) {
		stripped := stripAll(b, all)
		benchParser(b, h264.NewParser(loopSource(stripped)), stripped)
	})
}

// seqSource yields first, then frames round and round, without allocating.
type seqSource struct {
	first  shmcast.Frame
	frames []shmcast.Frame
	i      int
}

func (s *seqSource) ReadFrame(context.Context) (shmcast.Frame, error) {
	s.i++
	if s.i == 1 {
		return s.first, nil
	}
	return s.frames[(s.i-2)%len(s.frames)], nil
}

func benchParser(b *testing.B, p *h264.Parser, frames []shmcast.Frame) {
	ctx := context.Background()
	if _, err := p.ReadFrame(ctx); err != nil { // the first IDR
		b.Fatal(err)
	}
	size := 0
	for _, f := range frames {
		size += len(f.Data)
	}
	b.SetBytes(int64(size / len(frames)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.ReadFrame(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplitter splits the whole High clip from memory.
func BenchmarkSplitter(b *testing.B) {
	clip := testclip.High
	b.SetBytes(int64(len(clip)))
	b.ReportAllocs()
	frames := 0
	r := bytes.NewReader(clip)
	for b.Loop() {
		r.Reset(clip)
		s := h264.NewSplitter(r, 30)
		for {
			_, err := s.ReadFrame(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			frames++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
}

func BenchmarkParseSPS(b *testing.B) {
	sps := firstSPS(b, testclip.High)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h264.ParseSPS(sps); err != nil {
			b.Fatal(err)
		}
	}
}
