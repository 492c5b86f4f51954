package h264_test

import (
	"bytes"
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

func TestParserClipsPassThrough(t *testing.T) {
	for _, c := range testclip.All() {
		t.Run(c.Name, func(t *testing.T) {
			in := testclip.MustFrames(c.Data)
			p := h264.NewParser(testclip.Source(in))
			out := readAll(t, p)
			if len(out) != len(in) {
				t.Fatalf("Parser passed %d frames of %d", len(out), len(in))
			}
			for i := range out {
				if !bytes.Equal(out[i].Data, in[i].Data) || out[i].Key != in[i].Key || out[i].Seq != in[i].Seq {
					t.Fatalf("frame %d changed", i)
				}
			}
			st := p.Stats()
			want := h264.ParserStats{Frames: uint64(len(in)), KeyFrames: uint64((len(in) + testclip.GOP - 1) / testclip.GOP)}
			if st != want {
				t.Errorf("Stats() = %+v, want %+v", st, want)
			}
			info, ok := p.SPSInfo()
			if !ok || info.Width != c.Width || info.Height != c.Height {
				t.Errorf("SPSInfo() = %+v, %v; want %dx%d", info, ok, c.Width, c.Height)
			}
		})
	}
}

var _ shmcast.Source = (*h264.Parser)(nil)
