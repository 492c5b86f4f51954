package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// NAL unit types this package looks at (ITU-T H.264 Table 7-1).
const (
	naluIDR = 5
	naluSPS = 7
	naluPPS = 8
	naluAUD = 9
)

// maxNALUSize caps one NAL unit so that an AVCC length always fits.
const maxNALUSize = 1 << 30

var errNoStartCode = errors.New("record: access unit does not start with a start code")

var startCode = []byte{0, 0, 1}

// nextNALU returns the NAL unit of the Annex B access unit au that starts at
// or after pos, without its start code and trailing zero bytes, and the
// position to continue from. It returns a nil nalu when no unit is left.
// pos must be at a start code or at the end of a previous unit.
func nextNALU(au []byte, pos int) (nalu []byte, next int) {
	for pos < len(au) {
		i := bytes.Index(au[pos:], startCode)
		if i < 0 {
			return nil, len(au)
		}
		start := pos + i + 3
		end := len(au)
		if j := bytes.Index(au[start:], startCode); j >= 0 {
			end = start + j
		}
		// A NAL unit never ends in 0x00 (H.264 7.4.1): the zeros belong to
		// the next start code (zero_byte) or are trailing_zero_8bits.
		n := au[start:end]
		for len(n) > 0 && n[len(n)-1] == 0 {
			n = n[:len(n)-1]
		}
		if len(n) > 0 {
			return n, end
		}
		pos = end
	}
	return nil, len(au)
}

// checkStart reports whether au begins with a 3- or 4-byte start code.
func checkStart(au []byte) error {
	if bytes.HasPrefix(au, startCode) || bytes.HasPrefix(au, []byte{0, 0, 0, 1}) {
		return nil
	}
	return errNoStartCode
}

// appendAVCC appends the NAL units of the Annex B access unit au to dst in
// AVCC form (4-byte big-endian length before each unit), leaving out access
// unit delimiters, which MP4 does not carry. It returns an error if au has no
// start code or no NAL unit other than delimiters; dst is then unchanged.
func appendAVCC(dst, au []byte) ([]byte, error) {
	if err := checkStart(au); err != nil {
		return dst, err
	}
	n0 := len(dst)
	for n, pos := nextNALU(au, 0); n != nil; n, pos = nextNALU(au, pos) {
		if n[0]&0x1f == naluAUD {
			continue
		}
		if len(n) > maxNALUSize {
			return dst[:n0], fmt.Errorf("record: NAL unit of %d bytes is too large", len(n))
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(n)))
		dst = append(dst, n...)
	}
	if len(dst) == n0 {
		return dst, errors.New("record: access unit has no NAL units")
	}
	return dst, nil
}

// paramSets returns the first SPS and PPS of the access unit au (aliasing
// au), or nil where there is none.
func paramSets(au []byte) (sps, pps []byte) {
	for n, pos := nextNALU(au, 0); n != nil; n, pos = nextNALU(au, pos) {
		switch n[0] & 0x1f {
		case naluSPS:
			if sps == nil {
				sps = n
			}
		case naluPPS:
			if pps == nil {
				pps = n
			}
		}
		if sps != nil && pps != nil {
			break
		}
	}
	return sps, pps
}
