package h264_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast/h264"
)

var splitTests = []struct {
	name string
	in   []byte
	want [][]byte
	err  error // sentinel, or nil
	off  int   // SyntaxError.Offset when err != nil
}{
	{"4-byte start code", []byte{0, 0, 0, 1, 0x65, 0x88}, [][]byte{{0x65, 0x88}}, nil, 0},
	{"3-byte start code", []byte{0, 0, 1, 0x65, 0x88}, [][]byte{{0x65, 0x88}}, nil, 0},
	{"mixed start codes", []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce},
		[][]byte{{0x09, 0xf0}, {0x67, 0x42}, {0x68, 0xce}}, nil, 0},
	{"leading zero bytes", []byte{0, 0, 0, 0, 0, 1, 0x41, 0x9a}, [][]byte{{0x41, 0x9a}}, nil, 0},
	{"trailing zero bytes", []byte{0, 0, 1, 0x41, 0x9a, 0, 0, 0, 0}, [][]byte{{0x41, 0x9a}}, nil, 0},
	{"one trailing zero", []byte{0, 0, 1, 0x41, 0x9a, 0}, [][]byte{{0x41, 0x9a}}, nil, 0},
	{"trailing zeros between", []byte{0, 0, 1, 0x06, 0x05, 0, 0, 0, 0, 0, 1, 0x65, 0x88},
		[][]byte{{0x06, 0x05}, {0x65, 0x88}}, nil, 0},
	{"emulation prevention kept", []byte{0, 0, 1, 0x65, 0, 0, 3, 1, 0x80}, [][]byte{{0x65, 0, 0, 3, 1, 0x80}}, nil, 0},
	{"00 00 04 inside", []byte{0, 0, 1, 0x65, 0, 0, 4, 0, 0x80}, [][]byte{{0x65, 0, 0, 4, 0, 0x80}}, nil, 0},
	{"one-byte NAL unit", []byte{0, 0, 0, 1, 0x0a}, [][]byte{{0x0a}}, nil, 0},
	{"empty", nil, nil, h264.ErrNoStartCode, 0},
	{"zeros only", []byte{0, 0, 0, 0}, nil, h264.ErrNoStartCode, 4},
	{"no start code", []byte{0x65, 0x88, 0x84}, nil, h264.ErrNoStartCode, 0},
	{"one zero then 1", []byte{0, 1, 0x65}, nil, h264.ErrNoStartCode, 1},
	{"garbage after zeros", []byte{0, 0, 0, 5, 0x65}, nil, h264.ErrNoStartCode, 3},
	{"garbage after unit", []byte{0, 0, 1, 0x65, 0x88, 0, 0, 0, 7, 0x41}, nil, h264.ErrNoStartCode, 8},
	{"start code at end", []byte{0, 0, 1, 0x65, 0x88, 0, 0, 1}, nil, h264.ErrEmptyNALU, 8},
	{"start code only", []byte{0, 0, 0, 1}, nil, h264.ErrEmptyNALU, 4},
	{"two start codes", []byte{0, 0, 1, 0, 0, 1, 0x65}, nil, h264.ErrEmptyNALU, 3},
	{"forbidden bit", []byte{0, 0, 1, 0x65, 0x88, 0, 0, 1, 0xe5, 0x88}, nil, h264.ErrForbiddenBit, 8},
	{"00 00 02", []byte{0, 0, 1, 0x65, 0x88, 0, 0, 2, 0x10}, nil, h264.ErrForbiddenSequence, 5},
}

func TestSplit(t *testing.T) {
	for _, tt := range splitTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h264.Split(tt.in)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("Split(%x): %v", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Split(%x) (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("Split(%x) = %x, %v; want %v", tt.in, got, err, tt.err)
			}
			var se *h264.SyntaxError
			if !errors.As(err, &se) || se.Offset != tt.off {
				t.Errorf("Split(%x) error %v, want a SyntaxError at byte %d", tt.in, err, tt.off)
			}
		})
	}
}

func TestNextNALU(t *testing.T) {
	b := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x41, 0x9a, 0, 0}
	var got [][]byte
	for {
		nalu, rest, err := h264.NextNALU(b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, nalu)
		b = rest
	}
	if diff := cmp.Diff([][]byte{{0x09, 0xf0}, {0x41, 0x9a}}, got); diff != "" {
		t.Errorf("NextNALU loop (-want +got):\n%s", diff)
	}
}

func TestJoinSplit(t *testing.T) {
	for _, tt := range splitTests {
		if tt.err != nil {
			continue
		}
		j := h264.Join(tt.want)
		got, err := h264.Split(j)
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("Split(Join(%x)) = %x, %v", tt.want, got, err)
		}
	}
	if got := h264.Join([][]byte{{0x09, 0xf0}, {0x65}}); !cmp.Equal(got, []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65}) {
		t.Errorf("Join = %x", got)
	}
}

func TestScannerOffsetAndType(t *testing.T) {
	b := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x65, 0x88}
	s := h264.NewScanner(b)
	var got []string
	for s.Scan() {
		got = append(got, fmt.Sprintf("%v@%d", s.Type(), s.Offset()))
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"AUD@4", "SPS@9", "IDR@14"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s.Scan() || s.NALU() != nil {
		t.Errorf("Scan after the end = true or NALU not nil")
	}
}

func TestScanAllocs(t *testing.T) {
	au := h264.Join([][]byte{{0x09, 0xf0}, {0x06, 5, 1, 2}, {0x41, 0x9a, 0, 0, 3, 1, 0x80}})
	var dst [][]byte
	allocs := testing.AllocsPerRun(100, func() {
		s := h264.NewScanner(au)
		for s.Scan() {
		}
		dst, _ = h264.AppendSplit(dst[:0], au)
	})
	if allocs != 0 {
		t.Errorf("Scanner and AppendSplit allocate %v times per run, want 0", allocs)
	}
}

func TestNALUTypeString(t *testing.T) {
	tests := []struct {
		t    h264.NALUType
		want string
	}{
		{h264.NALUTypeNonIDR, "NonIDR"}, {h264.NALUTypeIDR, "IDR"}, {h264.NALUTypeSEI, "SEI"},
		{h264.NALUTypeSPS, "SPS"}, {h264.NALUTypePPS, "PPS"}, {h264.NALUTypeAUD, "AUD"},
		{17, "Reserved17"}, {24, "Unspecified24"}, {200, "NALUType(200)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("NALUType(%d).String() = %q, want %q", uint8(tt.t), got, tt.want)
		}
	}
	if got := h264.TypeOf([]byte{0x65}); got != h264.NALUTypeIDR {
		t.Errorf("TypeOf(65) = %v", got)
	}
}

// equalNALUs reports whether a and b hold the same NAL units; cmp.Equal
// would compare byte by byte through reflection, much slower.
func equalNALUs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
