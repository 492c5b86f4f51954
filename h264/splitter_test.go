package h264_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// readAll reads s to the end.
func readAll(t testing.TB, s shmcast.Source) []shmcast.Frame {
	t.Helper()
	var frames []shmcast.Frame
	for {
		f, err := s.ReadFrame(context.Background())
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatalf("ReadFrame after %d frames: %v", len(frames), err)
		}
		frames = append(frames, f)
	}
}

func keys(frames []shmcast.Frame) []bool {
	k := make([]bool, len(frames))
	for i, f := range frames {
		k[i] = f.Key
	}
	return k
}

func TestSplitterClipsMatchFFprobe(t *testing.T) {
	for _, c := range testclip.All() {
		t.Run(c.Name, func(t *testing.T) {
			p := ffprobe(t, c.Name, c.Data)
			frames := readAll(t, h264.NewSplitter(bytes.NewReader(c.Data), c.FPS))
			if len(frames) != len(p.Keys) || len(frames) != c.Frames {
				t.Fatalf("Splitter gave %d frames, ffprobe %d, clip facts %d", len(frames), len(p.Keys), c.Frames)
			}
			if diff := cmp.Diff(p.Keys, keys(frames)); diff != "" {
				t.Errorf("key frames differ from ffprobe (-ffprobe +splitter):\n%s", diff)
			}
			// The Parser passes every frame of a clean clip on, with the same keys.
			parsed := readAll(t, h264.NewParser(testclip.Source(frames)))
			if diff := cmp.Diff(p.Keys, keys(parsed)); diff != "" {
				t.Errorf("Parser: key frames differ from ffprobe (-ffprobe +parser, %d frames):\n%s", len(parsed), diff)
			}
			for i, f := range frames {
				if f.Seq != uint64(i+1) {
					t.Fatalf("frame %d: Seq %d", i, f.Seq)
				}
				if got := shmcast.Ticks(f.PTS); got != int64(i)*3000 || f.DTS != f.PTS {
					t.Fatalf("frame %d: PTS %v (%d ticks) DTS %v, want %d ticks", i, f.PTS, got, f.DTS, i*3000)
				}
				if f.Capture == 0 || f.Discontinuity {
					t.Fatalf("frame %d: Capture %d Discontinuity %v", i, f.Capture, f.Discontinuity)
				}
			}
			// Reassembled, the frames hold every NAL unit of the clip.
			var all [][]byte
			for _, f := range frames {
				n, err := h264.Split(f.Data)
				if err != nil {
					t.Fatalf("Split(frame): %v", err)
				}
				all = append(all, n...)
			}
			want, err := h264.Split(c.Data)
			if err != nil {
				t.Fatal(err)
			}
			if !equalNALUs(want, all) {
				t.Errorf("NAL units of the frames differ from the clip's")
			}
		})
	}
}

// chunkReader returns 1..max bytes per Read, in a fixed pseudo-random pattern.
type chunkReader struct {
	b    []byte
	max  int
	seed uint32
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	r.seed = r.seed*1664525 + 1013904223
	n := 1 + int(r.seed>>8)%r.max
	n = min(n, len(p), len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

func TestSplitterChunkedReads(t *testing.T) {
	for _, c := range testclip.All() {
		want := testclip.MustFrames(c.Data)
		for _, max := range []int{1, 7, 100, 4096, 100000} {
			frames := readAll(t, h264.NewSplitter(&chunkReader{b: c.Data, max: max, seed: uint32(max)}, c.FPS))
			if len(frames) != len(want) {
				t.Fatalf("%s, chunks ≤ %d: %d frames, want %d", c.Name, max, len(frames), len(want))
			}
			for i := range frames {
				if !bytes.Equal(frames[i].Data, want[i].Data) || frames[i].Key != want[i].Key || frames[i].Seq != want[i].Seq {
					t.Fatalf("%s, chunks ≤ %d: frame %d differs", c.Name, max, i)
				}
			}
		}
	}
}
