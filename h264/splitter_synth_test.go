package h264_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// Synthetic NAL units. A slice whose second byte has its top bit set has
// first_mb_in_slice 0; 0x30 starts ue(v) 00110 = 5.
var (
	nAUD  = []byte{0x09, 0xf0}
	nSPS  = []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9}
	nPPS  = []byte{0x68, 0xce, 0x3c, 0x80}
	nSEI  = []byte{0x06, 0x05, 0x01, 0xaa, 0x80}
	nIDR  = []byte{0x65, 0x88, 0x84, 0x00, 0x21}
	nIDR5 = []byte{0x65, 0x30, 0x84, 0x21}
	nP    = []byte{0x41, 0x9a, 0x22, 0x11}
	nP5   = []byte{0x41, 0x30, 0x9a, 0x22}
	nEOS  = []byte{0x0a}
)

func TestSplitterAccessUnitRules(t *testing.T) {
	tests := []struct {
		name string
		in   [][]byte
		want [][][]byte
	}{
		{"AUD in front of every frame",
			[][]byte{nAUD, nSPS, nPPS, nIDR, nAUD, nP, nAUD, nP},
			[][][]byte{{nAUD, nSPS, nPPS, nIDR}, {nAUD, nP}, {nAUD, nP}}},
		{"no AUD", [][]byte{nSPS, nPPS, nSEI, nIDR, nP, nP},
			[][][]byte{{nSPS, nPPS, nSEI, nIDR}, {nP}, {nP}}},
		{"slices of one picture", [][]byte{nIDR, nIDR5, nP, nP5, nP},
			[][][]byte{{nIDR, nIDR5}, {nP, nP5}, {nP}}},
		{"SEI after a slice", [][]byte{nIDR, nSEI, nP}, [][][]byte{{nIDR}, {nSEI, nP}}},
		{"PPS after a slice", [][]byte{nP, nPPS, nP}, [][][]byte{{nP}, {nPPS, nP}}},
		{"end of sequence ends its unit", [][]byte{nP, nEOS, nSPS, nPPS, nIDR},
			[][][]byte{{nP, nEOS}, {nSPS, nPPS, nIDR}}},
		{"AUD after parameter sets", [][]byte{nSPS, nAUD, nIDR}, [][][]byte{{nSPS}, {nAUD, nIDR}}},
		{"parameter sets at the end", [][]byte{nIDR, nSPS, nPPS}, [][][]byte{{nIDR}, {nSPS, nPPS}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := h264.Join(tt.in)
			for _, max := range []int{1, 3, 1000} {
				frames := readAll(t, h264.NewSplitter(&chunkReader{b: stream, max: max}, 25))
				var got [][][]byte
				for _, f := range frames {
					n, err := h264.Split(f.Data)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, n)
					hasIDR := bytes.Contains(f.Data, []byte{0, 0, 0, 1, 0x65})
					if f.Key != hasIDR {
						t.Errorf("Key %v for %x", f.Key, f.Data)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("chunks ≤ %d (-want +got):\n%s", max, diff)
				}
			}
		})
	}
}

func TestSplitterNormalizes(t *testing.T) {
	in := []byte("junk before the stream")
	in = append(in, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0, 0, 1, 0x41, 0x9a, 0, 0)
	frames := readAll(t, h264.NewSplitter(bytes.NewReader(in), 30))
	want := []shmcast.Frame{
		{Data: []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0x88}, Key: true, Seq: 1},
		{Data: []byte{0, 0, 0, 1, 0x41, 0x9a}, Seq: 2, PTS: 33333333, DTS: 33333333},
	}
	for i := range frames {
		frames[i].Capture = 0
	}
	if diff := cmp.Diff(want, frames); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSplitterNoStartCode(t *testing.T) {
	s := h264.NewSplitter(bytes.NewReader([]byte("no video here")), 30)
	if _, err := s.ReadFrame(context.Background()); !errors.Is(err, h264.ErrNoStartCode) {
		t.Errorf("ReadFrame = %v, want ErrNoStartCode", err)
	}
	if _, err := s.ReadFrame(context.Background()); err != io.EOF {
		t.Errorf("second ReadFrame = %v, want io.EOF", err)
	}
}

func TestSplitterOversized(t *testing.T) {
	big := append([]byte{0x41, 0x9a}, bytes.Repeat([]byte{0x55}, 5000)...)
	stream := h264.Join([][]byte{nAUD, nSPS, nPPS, nIDR, nAUD, nP, nAUD, big, nP5, nAUD, nP, nP})
	for _, max := range []int{1, 100, 100000} {
		s := h264.NewSplitterOptions(&chunkReader{b: stream, max: max}, h264.SplitterOptions{MaxFrameSize: 1000})
		var seqs []uint64
		var disc []bool
		errs := 0
		for {
			f, err := s.ReadFrame(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, h264.ErrFrameTooLarge) || !shmcast.IsTemporary(err) {
					t.Fatalf("ReadFrame: %v, want a temporary ErrFrameTooLarge", err)
				}
				errs++
				continue
			}
			seqs = append(seqs, f.Seq)
			disc = append(disc, f.Discontinuity)
		}
		if errs != 1 || !cmp.Equal(seqs, []uint64{1, 2, 4, 5}) || !cmp.Equal(disc, []bool{false, false, true, false}) {
			t.Errorf("chunks ≤ %d: %d errors, Seq %v, Discontinuity %v; want 1, [1 2 4 5], [false false true false]",
				max, errs, seqs, disc)
		}
	}
}

// scriptReader returns its chunks one per Read, then fails: a Splitter that
// reads past the script waits for data it does not need.
type scriptReader struct{ chunks [][]byte }

var errPastScript = errors.New("read past the script")

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, errPastScript
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// TestSplitterEmitsWithoutWaiting checks that an access unit is passed on as
// soon as the first bytes of the next one are in, not later.
func TestSplitterEmitsWithoutWaiting(t *testing.T) {
	idr := h264.Join([][]byte{nSPS, nPPS, nIDR})
	tests := []struct {
		name string
		next []byte
	}{
		{"AUD", []byte{0, 0, 0, 1, 0x09, 0xf0}},
		{"slice header", []byte{0, 0, 0, 1, 0x41, 0x9a, 0x22, 0x11, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}},
	}
	for _, tt := range tests {
		s := h264.NewSplitter(&scriptReader{chunks: [][]byte{idr, tt.next}}, 30)
		f, err := s.ReadFrame(context.Background())
		if err != nil || !bytes.Equal(f.Data, idr) {
			t.Errorf("%s: ReadFrame = %x, %v; want the IDR unit", tt.name, f.Data, err)
		}
	}
}

func TestSplitterReadErrors(t *testing.T) {
	s := h264.NewSplitter(&scriptReader{}, 30)
	if _, err := s.ReadFrame(context.Background()); !errors.Is(err, errPastScript) {
		t.Errorf("ReadFrame = %v, want the reader's error", err)
	}
	s = h264.NewSplitter(shmcastZeroReader{}, 30)
	if _, err := s.ReadFrame(context.Background()); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("ReadFrame of a reader stuck at (0, nil) = %v, want io.ErrNoProgress", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = h264.NewSplitter(bytes.NewReader(testclip.AUD), 30)
	if _, err := s.ReadFrame(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFrame with a done ctx = %v, want context.Canceled", err)
	}
}

type shmcastZeroReader struct{}

func (shmcastZeroReader) Read([]byte) (int, error) { return 0, nil }

// TestSplitterFFmpegPipe splits what a live ffmpeg writes into a pipe.
func TestSplitterFFmpegPipe(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc2=size=320x240:rate=30", "-t", "2", "-c:v", "libx264", "-g", "15", "-bf", "0",
		"-pix_fmt", "yuv420p", "-f", "h264", "-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, h264.NewSplitter(out, 30))
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 60 {
		t.Fatalf("%d frames, want 60", len(frames))
	}
	for i, f := range frames {
		if f.Key != (i%15 == 0) {
			t.Errorf("frame %d: Key %v", i, f.Key)
		}
	}
}
