package h264

// bitReader reads the RBSP bits of a NAL unit payload (ITU-T H.264 §7.2),
// removing emulation prevention bytes (00 00 03) on the fly, so that small
// headers can be read without copying.
type bitReader struct {
	b     []byte
	i     int  // next byte of b
	cur   byte // current byte
	left  uint // bits left in cur
	zeros int  // consecutive zero bytes read
}

func (r *bitReader) bit() (uint32, bool) {
	if r.left == 0 {
		if r.i >= len(r.b) {
			return 0, false
		}
		c := r.b[r.i]
		r.i++
		if r.zeros >= 2 && c == 3 {
			r.zeros = 0
			if r.i >= len(r.b) {
				return 0, false
			}
			c = r.b[r.i]
			r.i++
		}
		if c == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
		r.cur, r.left = c, 8
	}
	r.left--
	return uint32(r.cur>>r.left) & 1, true
}

// bits reads n ≤ 32 bits, most significant first.
func (r *bitReader) bits(n int) (uint32, bool) {
	var v uint32
	for range n {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v, true
}

// ue reads an unsigned exp-Golomb code ue(v) (§9.1) of at most 32 bits.
func (r *bitReader) ue() (uint32, bool) {
	zeros := 0
	for {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		if b == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			return 0, false
		}
	}
	v, ok := r.bits(zeros)
	if !ok {
		return 0, false
	}
	return uint32(uint64(1)<<zeros - 1 + uint64(v)), true
}

// sliceHeader holds the first fields of a slice header (§7.3.3).
type sliceHeader struct {
	firstMB   uint32 // first_mb_in_slice
	sliceType uint32 // slice_type
	ppsID     uint32 // pic_parameter_set_id
}

// parseSliceHeader reads the start of the slice header of a VCL NAL unit
// given without start code (header byte included).
func parseSliceHeader(nalu []byte) (sliceHeader, bool) {
	if len(nalu) < 2 {
		return sliceHeader{}, false
	}
	r := bitReader{b: nalu[1:]}
	var h sliceHeader
	var ok1, ok2, ok3 bool
	h.firstMB, ok1 = r.ue()
	h.sliceType, ok2 = r.ue()
	h.ppsID, ok3 = r.ue()
	return h, ok1 && ok2 && ok3 && h.ppsID <= 255
}

// firstMB returns first_mb_in_slice of a VCL NAL unit.
func firstMB(nalu []byte) (uint32, bool) {
	if len(nalu) < 2 {
		return 0, false
	}
	r := bitReader{b: nalu[1:]}
	return r.ue()
}

// ppsIDs returns pic_parameter_set_id and seq_parameter_set_id of a PPS
// NAL unit (§7.3.2.2).
func ppsIDs(nalu []byte) (ppsID, spsID uint32, ok bool) {
	if len(nalu) < 2 {
		return 0, 0, false
	}
	r := bitReader{b: nalu[1:]}
	ppsID, ok1 := r.ue()
	spsID, ok2 := r.ue()
	return ppsID, spsID, ok1 && ok2 && ppsID <= 255 && spsID <= 31
}

// spsID returns seq_parameter_set_id of an SPS NAL unit (§7.3.2.1.1).
func spsID(nalu []byte) (uint32, bool) {
	if len(nalu) < 2 {
		return 0, false
	}
	r := bitReader{b: nalu[1:]}
	if _, ok := r.bits(24); !ok {
		return 0, false
	}
	id, ok := r.ue()
	return id, ok && id <= 31
}
