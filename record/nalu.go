package record

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/shmcast/shmcast/h264"
)

// maxNALUSize caps one NAL unit so that its AVCC length always fits.
const maxNALUSize = 1 << 30

// appendAVCC appends the NAL units of the Annex B access unit au to dst in
// AVCC form (ISO/IEC 14496-15: a 4-byte big-endian length before each unit),
// leaving out access unit delimiters, which MP4 does not carry. On an error
// (malformed Annex B, no NAL unit but delimiters) dst comes back unchanged.
func appendAVCC(dst, au []byte) ([]byte, error) {
	n0 := len(dst)
	var s h264.Scanner
	s.Reset(au)
	for s.Scan() {
		n := s.NALU()
		if s.Type() == h264.NALUTypeAUD {
			continue
		}
		if len(n) > maxNALUSize {
			return dst[:n0], fmt.Errorf("record: NAL unit of %d bytes is too large", len(n))
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(n)))
		dst = append(dst, n...)
	}
	if err := s.Err(); err != nil {
		return dst[:n0], fmt.Errorf("record: %w", err)
	}
	if len(dst) == n0 {
		return dst, errors.New("record: access unit has no NAL units")
	}
	return dst, nil
}

// checkAnnexB checks that au is a well-formed Annex B access unit.
func checkAnnexB(au []byte) error {
	var s h264.Scanner
	s.Reset(au)
	for s.Scan() {
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// paramSets returns the first SPS and PPS of the access unit au (sharing
// au's memory), or nil where there is none.
func paramSets(au []byte) (sps, pps []byte) {
	var s h264.Scanner
	s.Reset(au)
	for s.Scan() && (sps == nil || pps == nil) {
		switch s.Type() {
		case h264.NALUTypeSPS:
			if sps == nil {
				sps = s.NALU()
			}
		case h264.NALUTypePPS:
			if pps == nil {
				pps = s.NALU()
			}
		}
	}
	return sps, pps
}
