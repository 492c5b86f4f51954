package h264

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Functions return them wrapped, usually inside a
// [*SyntaxError]; test with [errors.Is].
var (
	// ErrNoStartCode means the input does not begin with an Annex B start
	// code (00 00 01 or 00 00 00 01), or holds no NAL unit at all.
	ErrNoStartCode = errors.New("h264: no start code")

	// ErrEmptyNALU means a start code is followed directly by another start
	// code or by the end of the input.
	ErrEmptyNALU = errors.New("h264: empty NAL unit")

	// ErrForbiddenBit means a NAL unit header has forbidden_zero_bit set.
	ErrForbiddenBit = errors.New("h264: forbidden_zero_bit set")

	// ErrForbiddenSequence means the byte sequence 00 00 02, which H.264
	// §7.4.1 forbids anywhere in a byte stream, occurs.
	ErrForbiddenSequence = errors.New("h264: forbidden byte sequence 00 00 02")

	// ErrTruncated means a syntax structure ends before all its fields.
	ErrTruncated = errors.New("h264: truncated")

	// ErrFrameTooLarge means an access unit is larger than the configured
	// maximum frame size.
	ErrFrameTooLarge = errors.New("h264: access unit too large")

	// ErrNotDecodable means an IDR picture refers to a parameter set that is
	// neither in the access unit nor cached.
	ErrNotDecodable = errors.New("h264: IDR without its parameter sets")
)

// A SyntaxError reports malformed Annex B input. Err is one of the sentinel
// errors above, so errors.Is(err, ErrForbiddenBit) works through it.
type SyntaxError struct {
	Offset int    // byte offset of the problem in the scanned buffer
	Msg    string // optional detail
	Err    error  // sentinel, e.g. [ErrEmptyNALU]
}

func (e *SyntaxError) Error() string {
	msg := "syntax error"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "h264: ")
	}
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	return fmt.Sprintf("h264: %s at byte %d", msg, e.Offset)
}

// Unwrap returns e.Err.
func (e *SyntaxError) Unwrap() error { return e.Err }
