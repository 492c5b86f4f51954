package h264

import "strconv"

// NALUType is nal_unit_type, the low five bits of a NAL unit header
// (ITU-T H.264 §7.4.1, Table 7-1).
type NALUType uint8

// NAL unit types of Table 7-1. Types 0 and 24..31 are unspecified; 16..18,
// 22 and 23 are reserved.
const (
	NALUTypeUnspecified    NALUType = 0  // unspecified
	NALUTypeNonIDR         NALUType = 1  // coded slice of a non-IDR picture
	NALUTypePartitionA     NALUType = 2  // coded slice data partition A
	NALUTypePartitionB     NALUType = 3  // coded slice data partition B
	NALUTypePartitionC     NALUType = 4  // coded slice data partition C
	NALUTypeIDR            NALUType = 5  // coded slice of an IDR picture
	NALUTypeSEI            NALUType = 6  // supplemental enhancement information
	NALUTypeSPS            NALUType = 7  // sequence parameter set
	NALUTypePPS            NALUType = 8  // picture parameter set
	NALUTypeAUD            NALUType = 9  // access unit delimiter
	NALUTypeEndOfSequence  NALUType = 10 // end of sequence
	NALUTypeEndOfStream    NALUType = 11 // end of stream
	NALUTypeFiller         NALUType = 12 // filler data
	NALUTypeSPSExtension   NALUType = 13 // sequence parameter set extension
	NALUTypePrefix         NALUType = 14 // prefix NAL unit (SVC/MVC)
	NALUTypeSubsetSPS      NALUType = 15 // subset sequence parameter set
	NALUTypeDPS            NALUType = 16 // depth parameter set
	NALUTypeAuxiliarySlice NALUType = 19 // coded slice of an auxiliary picture
	NALUTypeSliceExtension NALUType = 20 // coded slice extension (SVC/MVC)
	NALUTypeSliceDepth     NALUType = 21 // coded slice extension for a depth view
)

var naluTypeNames = [...]string{
	NALUTypeUnspecified:    "Unspecified",
	NALUTypeNonIDR:         "NonIDR",
	NALUTypePartitionA:     "PartitionA",
	NALUTypePartitionB:     "PartitionB",
	NALUTypePartitionC:     "PartitionC",
	NALUTypeIDR:            "IDR",
	NALUTypeSEI:            "SEI",
	NALUTypeSPS:            "SPS",
	NALUTypePPS:            "PPS",
	NALUTypeAUD:            "AUD",
	NALUTypeEndOfSequence:  "EndOfSequence",
	NALUTypeEndOfStream:    "EndOfStream",
	NALUTypeFiller:         "Filler",
	NALUTypeSPSExtension:   "SPSExtension",
	NALUTypePrefix:         "Prefix",
	NALUTypeSubsetSPS:      "SubsetSPS",
	NALUTypeDPS:            "DPS",
	17:                     "Reserved17",
	18:                     "Reserved18",
	NALUTypeAuxiliarySlice: "AuxiliarySlice",
	NALUTypeSliceExtension: "SliceExtension",
	NALUTypeSliceDepth:     "SliceDepth",
	22:                     "Reserved22",
	23:                     "Reserved23",
}

// String returns the type's name, as in "IDR" or "SPS", or "Unspecified24"
// for types 24..31 and "NALUType(n)" for values above 31.
func (t NALUType) String() string {
	if int(t) < len(naluTypeNames) {
		return naluTypeNames[t]
	}
	if t < 32 {
		return "Unspecified" + strconv.Itoa(int(t))
	}
	return "NALUType(" + strconv.Itoa(int(t)) + ")"
}

// IsVCL reports whether t is a coded slice of the primary picture (types 1
// to 5), the NAL units that carry picture data (§7.4.1.2.3).
func (t NALUType) IsVCL() bool { return t >= NALUTypeNonIDR && t <= NALUTypeIDR }

// TypeOf returns the nal_unit_type of a NAL unit given without start code,
// or [NALUTypeUnspecified] for an empty one.
func TypeOf(nalu []byte) NALUType {
	if len(nalu) == 0 {
		return NALUTypeUnspecified
	}
	return NALUType(nalu[0] & 0x1f)
}
