package h264

import (
	"bytes"
	"io"
)

// startCode is the 4-byte Annex B start code that [Join] writes.
var startCode = []byte{0, 0, 0, 1}

// NextNALU returns the first NAL unit of the Annex B byte stream b (ITU-T
// H.264 Annex B), without its start code and trailing zero bytes, and the
// rest of b, which begins where the NAL unit's trailing zero bytes or next
// start code begin. b may begin with any number of zero bytes before the
// first 00 00 01 (leading_zero_8bits, the zero_byte of a 4-byte start code).
//
// NextNALU returns io.EOF, and nil slices, when b is empty or holds only zero
// bytes, and a [*SyntaxError] (offsets relative to b) wrapping
// [ErrNoStartCode], [ErrEmptyNALU], [ErrForbiddenBit] or
// [ErrForbiddenSequence] for malformed input. It does not allocate: nalu and
// rest share b's memory.
func NextNALU(b []byte) (nalu, rest []byte, err error) {
	start, end, err := nextNALU(b, 0)
	if err != nil {
		return nil, nil, err
	}
	return b[start:end:end], b[end:], nil
}

// nextNALU finds the first NAL unit of b and returns its bounds; base is
// added to error offsets.
func nextNALU(b []byte, base int) (start, end int, err error) {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	if i == len(b) {
		return 0, 0, io.EOF
	}
	if i < 2 || b[i] != 1 {
		return 0, 0, &SyntaxError{Offset: base + i, Err: ErrNoStartCode}
	}
	start = i + 1
	end, err = nalEnd(b, start, base)
	if err != nil {
		return 0, 0, err
	}
	if end == start {
		return 0, 0, &SyntaxError{Offset: base + start, Err: ErrEmptyNALU}
	}
	if b[start]&0x80 != 0 {
		return 0, 0, &SyntaxError{Offset: base + start, Err: ErrForbiddenBit}
	}
	return start, end, nil
}

// nalEnd returns the end of the NAL unit that begins at b[start]: the first
// 00 00 00 or 00 00 01 after it, or the end of b, with trailing zero bytes
// removed. It reports 00 00 02, which may not occur in a byte stream.
func nalEnd(b []byte, start, base int) (int, error) {
	end := len(b)
	for j := start; j < len(b); {
		k := bytes.IndexByte(b[j:], 0)
		if k < 0 {
			break
		}
		k += j
		if k+1 >= len(b) {
			break
		}
		if b[k+1] != 0 {
			j = k + 2
			continue
		}
		if k+2 >= len(b) {
			end = k
			break
		}
		c := b[k+2]
		if c <= 1 {
			end = k
			break
		}
		if c == 2 {
			return 0, &SyntaxError{Offset: base + k, Err: ErrForbiddenSequence}
		}
		j = k + 3
	}
	for end > start && b[end-1] == 0 {
		end--
	}
	return end, nil
}

// A Scanner iterates over the NAL units of an Annex B buffer without
// allocating, like [bufio.Scanner] over lines:
//
//	s := h264.NewScanner(frame.Data)
//	for s.Scan() {
//		fmt.Println(s.Type(), len(s.NALU()))
//	}
//	if err := s.Err(); err != nil { ... }
//
// A Scanner is not safe for concurrent use.
type Scanner struct {
	buf        []byte
	off        int // where the next search begins
	start, end int // bounds of the current NAL unit
	n          int // NAL units found so far
	err        error
	done       bool
}

// NewScanner returns a Scanner over the Annex B buffer b.
func NewScanner(b []byte) *Scanner {
	s := new(Scanner)
	s.Reset(b)
	return s
}

// Reset makes s scan b from its beginning, reusing s.
func (s *Scanner) Reset(b []byte) {
	*s = Scanner{buf: b}
}

// Scan advances to the next NAL unit and reports whether there is one. It
// returns false at the end of the buffer or at the first error.
func (s *Scanner) Scan() bool {
	if s.done {
		return false
	}
	start, end, err := nextNALU(s.buf[s.off:], s.off)
	if err != nil {
		s.done = true
		if err != io.EOF {
			s.err = err
		} else if s.n == 0 {
			s.err = &SyntaxError{Offset: len(s.buf), Err: ErrNoStartCode}
		}
		s.start, s.end = 0, 0
		return false
	}
	s.start, s.end = s.off+start, s.off+end
	s.off = s.end
	s.n++
	return true
}

// NALU returns the current NAL unit without start code. It shares the
// scanned buffer's memory and is nil before the first Scan and after the last.
func (s *Scanner) NALU() []byte {
	if s.end == 0 {
		return nil
	}
	return s.buf[s.start:s.end:s.end]
}

// Type returns the nal_unit_type of the current NAL unit.
func (s *Scanner) Type() NALUType { return TypeOf(s.NALU()) }

// Offset returns the byte offset of the current NAL unit (its header byte)
// in the scanned buffer.
func (s *Scanner) Offset() int { return s.start }

// Err returns the first error met, or nil at a clean end. A buffer that
// holds no NAL unit at all is an error ([ErrNoStartCode]).
func (s *Scanner) Err() error { return s.err }

// Split returns the NAL units of the Annex B access unit au, without start
// codes, sharing au's memory. Every NAL unit is checked: see [NextNALU] for
// the errors. An au without any NAL unit yields [ErrNoStartCode].
func Split(au []byte) ([][]byte, error) {
	nalus, err := AppendSplit(nil, au)
	if err != nil {
		return nil, err
	}
	return nalus, nil
}

// AppendSplit is like [Split] but appends to dst, so that a caller can reuse
// one slice and split without allocating. On error it returns dst unchanged.
func AppendSplit(dst [][]byte, au []byte) ([][]byte, error) {
	n := len(dst)
	var s Scanner
	s.Reset(au)
	for s.Scan() {
		dst = append(dst, s.NALU())
	}
	if err := s.Err(); err != nil {
		clear(dst[n:])
		return dst[:n], err
	}
	return dst, nil
}

// Join returns a fresh Annex B buffer holding nalus, each behind a 4-byte
// start code (00 00 00 01). Join does not check the NAL units; Split(Join(n))
// returns n for every n that Split could have returned.
func Join(nalus [][]byte) []byte {
	size := 0
	for _, n := range nalus {
		size += len(startCode) + len(n)
	}
	b := make([]byte, 0, size)
	for _, n := range nalus {
		b = append(b, startCode...)
		b = append(b, n...)
	}
	return b
}
