package record

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shmcast/shmcast/internal/testclip"
)

func TestAppendAVCC(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr bool
	}{
		{"4-byte start codes", []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x65, 3},
			[]byte{0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 2, 0x65, 3}, false},
		{"3-byte start code", []byte{0, 0, 1, 0x41, 9}, []byte{0, 0, 0, 2, 0x41, 9}, false},
		{"trailing zeros dropped", []byte{0, 0, 1, 0x41, 9, 0, 0}, []byte{0, 0, 0, 2, 0x41, 9}, false},
		{"AUD dropped", []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x41, 9}, []byte{0, 0, 0, 2, 0x41, 9}, false},
		{"only AUD", []byte{0, 0, 0, 1, 0x09, 0xf0}, nil, true},
		{"no start code", []byte{0x41, 9}, nil, true},
		{"empty", nil, nil, true},
		{"forbidden bit", []byte{0, 0, 1, 0xc1, 9}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xaa}
			got, err := appendAVCC(prefix, tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("appendAVCC(%x) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				if len(got) != 1 {
					t.Errorf("appendAVCC(%x) changed dst on error: %x", tt.in, got)
				}
				return
			}
			if diff := cmp.Diff(append([]byte{0xaa}, tt.want...), got); diff != "" {
				t.Errorf("appendAVCC(%x) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParamSets(t *testing.T) {
	frames := testclip.MustFrames(testclip.High)
	sps, pps := paramSets(frames[0].Data)
	if len(sps) == 0 || sps[0]&0x1f != 7 || len(pps) == 0 || pps[0]&0x1f != 8 {
		t.Errorf("paramSets(key frame) = %x, %x", sps, pps)
	}
	if sps, pps := paramSets(frames[1].Data); sps != nil || pps != nil {
		t.Errorf("paramSets(P frame) = %x, %x, want none", sps, pps)
	}
}

// FuzzAppendAVCC checks that any input either fails cleanly or gives AVCC
// whose lengths tile the output exactly, with no empty or AUD unit.
func FuzzAppendAVCC(f *testing.F) {
	for _, fr := range testclip.MustFrames(testclip.AUD)[:3] {
		f.Add(fr.Data)
	}
	f.Add([]byte{0, 0, 1, 0x41, 9, 0, 0})
	f.Add([]byte{0, 0, 0, 1, 0x09, 0xf0})
	f.Add([]byte{0, 0, 1, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := appendAVCC(nil, in)
		if err != nil {
			if len(out) != 0 {
				t.Fatalf("error %v with output %x", err, out)
			}
			return
		}
		for b := out; len(b) > 0; {
			if len(b) < 4 {
				t.Fatalf("dangling %d bytes", len(b))
			}
			n := int(binary.BigEndian.Uint32(b))
			if n == 0 || n > len(b)-4 {
				t.Fatalf("bad length %d of %d", n, len(b)-4)
			}
			if b[4]&0x1f == 9 || b[4+n-1] == 0 {
				t.Fatalf("unit %x kept", b[4:4+n])
			}
			b = b[4+n:]
		}
		if len(out) > len(in)+len(in)/3*4+4 {
			t.Fatalf("output of %d bytes from %d", len(out), len(in))
		}
	})
}
