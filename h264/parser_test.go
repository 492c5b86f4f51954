package h264_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// strip returns a copy of f without its SPS and PPS NAL units.
func strip(t testing.TB, f shmcast.Frame) shmcast.Frame {
	t.Helper()
	nalus, err := h264.Split(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	var keep [][]byte
	for _, n := range nalus {
		if ty := h264.TypeOf(n); ty != h264.NALUTypeSPS && ty != h264.NALUTypePPS {
			keep = append(keep, n)
		}
	}
	f.Data = h264.Join(keep)
	return f
}

// only returns a frame holding the NAL units of f of the given types.
func only(t testing.TB, f shmcast.Frame, types ...h264.NALUType) shmcast.Frame {
	t.Helper()
	nalus, err := h264.Split(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	var keep [][]byte
	for _, n := range nalus {
		for _, ty := range types {
			if h264.TypeOf(n) == ty {
				keep = append(keep, n)
			}
		}
	}
	return shmcast.Frame{Data: h264.Join(keep), Seq: f.Seq, PTS: f.PTS, DTS: f.DTS}
}

// stripAll strips the parameter sets from every frame but the first.
func stripAll(t testing.TB, frames []shmcast.Frame) []shmcast.Frame {
	out := append([]shmcast.Frame(nil), frames...)
	for i := 1; i < len(out); i++ {
		out[i] = strip(t, out[i])
	}
	return out
}

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

func TestParserInsertsParams(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)
	in := stripAll(t, orig)
	p := h264.NewParser(testclip.Source(in))
	var out []shmcast.Frame
	for {
		f, err := p.ReadFrame(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Key && len(out) > 0 {
			// The Parser built this buffer. A sink that scribbled over it
			// (which sinks must not do) would not change later frames: the
			// buffer shares no memory with the cache.
			d := f.Data
			f.Data = bytes.Clone(d)
			clear(d)
		}
		out = append(out, f)
	}
	if len(out) != len(orig) {
		t.Fatalf("%d frames, want %d", len(out), len(orig))
	}
	for i := range out {
		if !bytes.Equal(out[i].Data, orig[i].Data) || out[i].Key != orig[i].Key {
			t.Fatalf("frame %d: Key %v, %d bytes; want the original frame (Key %v, %d bytes)",
				i, out[i].Key, len(out[i].Data), orig[i].Key, len(orig[i].Data))
		}
	}
	if got, want := p.Stats().ParamsInserted, uint64(len(orig)/testclip.GOP-1); got != want {
		t.Errorf("ParamsInserted = %d, want %d", got, want)
	}
}

// TestParserOutputDecodes joins a stream whose parameter sets travel once,
// in a frame of their own, after the stream has begun, and checks that
// ffmpeg decodes every frame the Parser passes on without an error.
func TestParserOutputDecodes(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	orig := testclip.MustFrames(testclip.Baseline)
	in := []shmcast.Frame{strip(t, orig[10]), only(t, orig[0], h264.NALUTypeSPS, h264.NALUTypePPS)}
	for _, f := range orig[11:] {
		in = append(in, strip(t, f))
	}
	p := h264.NewParser(testclip.Source(in))
	out := readAll(t, p)
	if want := len(orig) - 30; len(out) != want || !out[0].Key {
		t.Fatalf("%d frames, first Key %v; want %d starting with a Key frame", len(out), len(out) > 0 && out[0].Key, want)
	}
	var stream bytes.Buffer
	for _, f := range out {
		stream.Write(f.Data)
	}
	cmd := exec.Command(ffmpeg, "-v", "error", "-xerror", "-f", "h264", "-i", "-", "-f", "null", "-")
	cmd.Stdin = &stream
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
		t.Fatalf("ffmpeg decode: %v\n%s", err, msg)
	}
	st := p.Stats()
	if st.Dropped != 20 || st.Absorbed != 1 || st.ParamsInserted != 9 {
		t.Errorf("Stats() = %+v, want Dropped 20, Absorbed 1, ParamsInserted 9", st)
	}
}

// countingRequester counts key frame requests.
type countingRequester struct{ n int }

func (r *countingRequester) RequestKeyframe() { r.n++ }

func TestParserHoldsBackUntilDecodableIDR(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)
	stripped := stripAll(t, orig)
	tests := []struct {
		name      string
		in        []shmcast.Frame
		wantFirst uint64 // Seq of the first frame passed on; 0: none
		wantErrs  int    // ErrNotDecodable errors
	}{
		{"starts with P frames", orig[5:], 31, 0},
		{"IDR without parameter sets, none cached", stripped[1:], 0, 9},
		{"PPS but no SPS", append([]shmcast.Frame{only(t, orig[0], h264.NALUTypePPS)}, stripped[30:40]...), 0, 1},
		{"SPS but no PPS", append([]shmcast.Frame{only(t, orig[0], h264.NALUTypeSPS)}, stripped[30:40]...), 0, 1},
		{"parameter sets in their own frame", append([]shmcast.Frame{only(t, orig[0], h264.NALUTypeSPS, h264.NALUTypePPS)}, stripped[30:40]...), 31, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kf := &countingRequester{}
			p := h264.NewParserOptions(testclip.Source(tt.in), h264.ParserOptions{Keyframes: kf})
			var first uint64
			errs := 0
			for {
				f, err := p.ReadFrame(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					if !shmcast.IsTemporary(err) || !errors.Is(err, h264.ErrNotDecodable) {
						t.Fatalf("ReadFrame: %v, want a temporary ErrNotDecodable", err)
					}
					errs++
					continue
				}
				if first == 0 {
					first = f.Seq
					if !f.Key {
						t.Errorf("first frame passed on (Seq %d) is not a Key frame", f.Seq)
					}
				}
			}
			if first != tt.wantFirst || errs != tt.wantErrs {
				t.Errorf("first Seq %d, %d errors; want %d, %d", first, errs, tt.wantFirst, tt.wantErrs)
			}
			if wantReq := tt.wantFirst != 31 || tt.in[0].Seq != 1; (kf.n == 1) != wantReq {
				t.Errorf("%d key frame requests, want request: %v", kf.n, wantReq)
			}
		})
	}
}

func TestParserParameterSetChange(t *testing.T) {
	base := testclip.MustFrames(testclip.Baseline)[:60]
	high := testclip.MustFrames(testclip.High)[:60]
	var in []shmcast.Frame
	in = append(in, stripAll(t, base)...)
	in = append(in, high[0])
	in = append(in, stripAll(t, high)[1:]...) // high[30] needs High's SPS and PPS, now cached under the same ids
	i := 0
	src := testclip.Source(in)
	p := h264.NewParser(src)
	for {
		f, err := p.ReadFrame(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want := append(base, high...)[i]
		if !bytes.Equal(f.Data, want.Data) || f.Key != want.Key {
			t.Fatalf("frame %d differs from the original", i)
		}
		info, _ := p.SPSInfo()
		if wantW := map[bool]int{true: 640, false: 1280}[i < 60]; info.Width != wantW {
			t.Fatalf("frame %d: SPSInfo().Width = %d, want %d", i, info.Width, wantW)
		}
		i++
	}
	if i != 120 {
		t.Errorf("%d frames, want 120", i)
	}
}

func TestParserBadFrames(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)
	p0 := orig[1].Data
	bad := []struct {
		name string
		data []byte
		err  error
	}{
		{"no start code", []byte("garbage between units"), h264.ErrNoStartCode},
		{"empty", nil, h264.ErrNoStartCode},
		{"forbidden bit", append(append([]byte{}, p0...), 0, 0, 1, 0xe1, 0x9a), h264.ErrForbiddenBit},
		{"empty NAL unit at end", append(append([]byte{}, p0...), 0, 0, 1), h264.ErrEmptyNALU},
		{"truncated IDR slice header", []byte{0, 0, 0, 1, 0x65, 0}, h264.ErrTruncated},
		{"oversized", make([]byte, 2<<20), h264.ErrFrameTooLarge},
		{"truncated SPS", []byte{0, 0, 0, 1, 0x67, 0x42}, h264.ErrTruncated},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			in := append([]shmcast.Frame{}, orig[:5]...)
			in = append(in, shmcast.Frame{Data: b.data, Seq: 1000})
			in = append(in, orig[5:65]...)
			kf := &countingRequester{}
			p := h264.NewParserOptions(testclip.Source(in), h264.ParserOptions{MaxFrameSize: 1 << 20, Keyframes: kf})
			var esc shmcast.Escalator
			var seqs []uint64
			for {
				f, err := p.ReadFrame(context.Background())
				if err == io.EOF {
					break
				}
				if esc.Fatal(err) {
					t.Fatalf("fatal error: %v", err)
				}
				if err != nil {
					if !errors.Is(err, b.err) {
						t.Errorf("ReadFrame error %v, want %v", err, b.err)
					}
					continue
				}
				seqs = append(seqs, f.Seq)
				if f.Seq == 31 && (!f.Key || !f.Discontinuity) {
					t.Errorf("frame 31 after the bad one: Key %v Discontinuity %v, want both", f.Key, f.Discontinuity)
				}
			}
			if want := "[1 2 3 4 5 31"; len(seqs) != 40 || fmt.Sprint(seqs[:6]) != want+"]" {
				t.Errorf("passed on %d frames %v..., want 40 frames %s ...]", len(seqs), seqs[:min(6, len(seqs))], want)
			}
			if st := p.Stats(); st.BadFrames != 1 || st.Dropped != 25 {
				t.Errorf("Stats() = %+v, want BadFrames 1, Dropped 25", st)
			}
			if kf.n != 1 {
				t.Errorf("%d key frame requests, want 1", kf.n)
			}
		})
	}
}

func TestParserDiscontinuityOnParameterSets(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)[:60]
	params := only(t, orig[0], h264.NALUTypeSPS, h264.NALUTypePPS)
	params.Discontinuity = true // frames were lost before this one
	in := append(append(append([]shmcast.Frame{}, orig[:10]...), params), orig[10:]...)
	out := readAll(t, h264.NewParser(testclip.Source(in)))
	if len(out) != 40 || out[10].Seq != 31 || !out[10].Discontinuity {
		t.Fatalf("%d frames; want 40, the 11th the Key frame 31 with Discontinuity", len(out))
	}
}

func TestParserDiscontinuity(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)[:60]
	in := append([]shmcast.Frame{}, orig...)
	in[10].Discontinuity = true // frames were lost before frame 11
	in[30].Discontinuity = true // and before the IDR, which needs nothing earlier
	kf := &countingRequester{}
	p := h264.NewParserOptions(testclip.Source(in), h264.ParserOptions{Keyframes: kf})
	out := readAll(t, p)
	if len(out) != 40 || out[10].Seq != 31 || !out[10].Key || !out[10].Discontinuity {
		t.Fatalf("%d frames; want 40 with Seq 31 Key and Discontinuity at index 10", len(out))
	}
	if kf.n != 1 || p.Stats().Dropped != 20 {
		t.Errorf("%d key frame requests, Dropped %d; want 1, 20", kf.n, p.Stats().Dropped)
	}
}

func TestParserKeyOnlyOnIDR(t *testing.T) {
	in := testclip.MustFrames(testclip.Baseline)[:31]
	for i := range in {
		in[i].Key = !in[i].Key // a source that got it all wrong
	}
	for i, f := range readAll(t, h264.NewParser(testclip.Source(in))) {
		if f.Key != (i%30 == 0) {
			t.Errorf("frame %d: Key %v", i, f.Key)
		}
	}
}

func TestParserSourceErrorsUnchanged(t *testing.T) {
	boom := errors.New("boom")
	p := h264.NewParser(shmcast.SourceFunc(func(context.Context) (shmcast.Frame, error) {
		return shmcast.Frame{}, boom
	}))
	if _, err := p.ReadFrame(context.Background()); err != boom {
		t.Errorf("ReadFrame = %v, want the source's error unchanged", err)
	}
}

// TestParserCachesCopies checks that the cache keeps copies: scribbling
// over a frame after the Parser has read it does not change the parameter
// sets it inserts later.
func TestParserCachesCopies(t *testing.T) {
	orig := testclip.MustFrames(testclip.Baseline)[:31]
	in := stripAll(t, orig)
	in[0].Data = bytes.Clone(in[0].Data)
	first := in[0].Data
	i := 0
	p := h264.NewParser(shmcast.SourceFunc(func(context.Context) (shmcast.Frame, error) {
		if i == 1 {
			for j := range first {
				first[j] = 0xff // the first frame, parameter sets included, is gone
			}
		}
		if i >= len(in) {
			return shmcast.Frame{}, io.EOF
		}
		i++
		return in[i-1], nil
	}))
	out := readAll(t, p)
	if len(out) != 31 || !bytes.Equal(out[30].Data, orig[30].Data) {
		t.Fatalf("the IDR at 30 differs from the original")
	}
}

func TestParserNonIDRZeroAllocs(t *testing.T) {
	frames := testclip.MustFrames(testclip.High)
	i := 0
	p := h264.NewParser(shmcast.SourceFunc(func(context.Context) (shmcast.Frame, error) {
		f := frames[i%len(frames)]
		i++
		return f, nil
	}))
	ctx := context.Background()
	if _, err := p.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() { // frames 1..28: no IDR among them
		if _, err := p.ReadFrame(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadFrame of a non-IDR frame allocates %v times, want 0", allocs)
	}
}
