package h264

import "testing"

func TestBitReaderUE(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []uint32
		ok   bool // all of want could be read
	}{
		{"0 1 2 3", []byte{0b1_010_011_0, 0b0100_0000}, []uint32{0, 1, 2, 3}, true},
		{"7", []byte{0b0001000_0}, []uint32{7}, true},
		{"emulation prevention skipped", []byte{0, 0, 3, 0x80, 0x00, 0x80}, []uint32{1 << 16}, true},
		{"truncated", []byte{0, 0}, []uint32{0}, false},
		{"max 32 bits", []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe}, []uint32{1<<32 - 2}, true},
		{"too long", []byte{0, 0, 0, 0, 0x80}, []uint32{0}, false},
	}
	for _, tt := range tests {
		r := bitReader{b: tt.in}
		for i, want := range tt.want {
			got, ok := r.ue()
			if !ok {
				if tt.ok {
					t.Errorf("%s: ue %d failed", tt.name, i)
				}
				break
			}
			if got != want {
				t.Errorf("%s: ue %d = %d, want %d", tt.name, i, got, want)
			}
		}
	}
}

func TestParseSliceHeader(t *testing.T) {
	// first_mb_in_slice 5 (00110), slice_type 7 (0001000), pps 1 (010)
	nalu := []byte{0x65, 0b00110_000, 0b1000_010_1}
	h, ok := parseSliceHeader(nalu)
	if !ok || h != (sliceHeader{firstMB: 5, sliceType: 7, ppsID: 1}) {
		t.Errorf("parseSliceHeader(%x) = %+v, %v", nalu, h, ok)
	}
	if _, ok := parseSliceHeader([]byte{0x65}); ok {
		t.Errorf("parseSliceHeader of a bare header succeeded")
	}
}
