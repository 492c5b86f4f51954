package h264

import (
	"fmt"
	"math"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// maxDimension bounds the width and height ParseSPS accepts, in pixels.
// Level 6.2 allows 8192x4320; this leaves room for odd aspect ratios.
const maxDimension = 16384

// SPSInfo holds the facts of a sequence parameter set that sinks need: the
// picture size, the profile-level-id for WebRTC and the nominal frame rate.
type SPSInfo struct {
	ID          int   // seq_parameter_set_id, 0..31
	Width       int   // cropped picture width in pixels
	Height      int   // cropped picture height in pixels
	Profile     uint8 // profile_idc, e.g. 66 Baseline, 77 Main, 100 High
	Constraints uint8 // the byte of constraint_set0..5 flags after profile_idc
	Level       uint8 // level_idc, e.g. 31 for level 3.1

	// ProfileLevelID is profile_idc, the constraint flags byte and level_idc
	// as six lower-case hex digits, as the WebRTC fmtp parameter
	// profile-level-id wants them (RFC 6184 §8.1), e.g. "42c01e".
	ProfileLevelID string

	// FrameRate is the nominal frame rate from the VUI timing information,
	// time_scale / (2 · num_units_in_tick), or 0 when the SPS has none.
	FrameRate float64
}

// Codec returns the RFC 6381 codecs parameter, e.g. "avc1.42c01e", as MSE
// and HLS use it.
func (i SPSInfo) Codec() string { return "avc1." + i.ProfileLevelID }

// ParseSPS returns the facts of the SPS NAL unit nalu, given without start
// code. It decodes the SPS with mediacommon's parser (ITU-T H.264
// §7.3.2.1.1) and rejects sizes that are zero or above 16384 pixels.
func ParseSPS(nalu []byte) (SPSInfo, error) {
	if len(nalu) == 0 {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: %w", ErrTruncated)
	}
	if nalu[0]&0x80 != 0 {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: %w", ErrForbiddenBit)
	}
	if t := TypeOf(nalu); t != NALUTypeSPS {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: NAL unit type %v, want SPS", t)
	}
	r := bitReader{b: nalu[1:]}
	pli, ok := r.bits(24)
	if !ok {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: %w", ErrTruncated)
	}
	var sps mch264.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: %w", err)
	}
	if sps.ID > 31 {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: seq_parameter_set_id %d out of range", sps.ID)
	}
	if sps.PicWidthInMbsMinus1 >= maxDimension/16 || sps.PicHeightInMapUnitsMinus1 >= maxDimension/16 {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: picture of %dx%d macroblocks too large",
			uint64(sps.PicWidthInMbsMinus1)+1, uint64(sps.PicHeightInMapUnitsMinus1)+1)
	}
	if c := sps.FrameCropping; c != nil && (c.LeftOffset > maxDimension || c.RightOffset > maxDimension ||
		c.TopOffset > maxDimension || c.BottomOffset > maxDimension) {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: frame cropping out of range")
	}
	w, h := sps.Width(), sps.Height()
	if w <= 0 || h <= 0 || w > maxDimension || h > maxDimension {
		return SPSInfo{}, fmt.Errorf("h264: parse SPS: bad picture size %dx%d", w, h)
	}
	fps := sps.FPS()
	if math.IsNaN(fps) || math.IsInf(fps, 0) || fps < 0 {
		fps = 0
	}
	return SPSInfo{
		ID:             int(sps.ID),
		Width:          w,
		Height:         h,
		Profile:        uint8(pli >> 16),
		Constraints:    uint8(pli >> 8),
		Level:          uint8(pli),
		ProfileLevelID: fmt.Sprintf("%06x", pli),
		FrameRate:      fps,
	}, nil
}
