package h264

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/shmcast/shmcast"
)

const (
	// minRead is the least free buffer space a Splitter reads into; it
	// reads into all the free space, and grows its buffer by doubling.
	minRead = 4 << 10
	// peekSize is how many bytes after a NAL unit header the Splitter needs
	// to decide whether the NAL unit begins an access unit: enough for
	// first_mb_in_slice of any picture size, with emulation prevention.
	peekSize = 8
	// maxEmptyReads is how many (0, nil) reads in a row count as no progress.
	maxEmptyReads = 100
)

var startCode3 = []byte{0, 0, 1}

// SplitterOptions configures a [Splitter]. The zero value is ready to use.
type SplitterOptions struct {
	// FrameRate sets PTS: frame n (from 0) gets PTS n/FrameRate. Zero,
	// negative or not finite means 30.
	FrameRate float64

	// MaxFrameSize is the largest access unit accepted, in bytes; 0 means
	// DefaultMaxFrameSize. The Splitter buffers at most about this much.
	MaxFrameSize int
}

// A Splitter is a [shmcast.Source] that cuts a raw Annex B byte stream, such
// as a .h264 file or the output of `ffmpeg ... -f h264 -`, into access units
// by the rules of ITU-T H.264 §7.4.1.2.3: an access unit delimiter always
// begins one; an SEI, SPS, PPS or NAL unit of type 14..18 after a slice
// begins one; and a slice with first_mb_in_slice 0 after a slice begins a
// new primary picture (arbitrary slice order and redundant pictures, which
// only Baseline allows and encoders do not use, are not detected).
//
// Frames get Seq from 1, PTS = DTS = (Seq-1)/FrameRate (decode order: use
// streams without B-frames), Key when the access unit holds an IDR slice,
// and Capture = [shmcast.Monotonic] when the access unit is complete. Data is
// a fresh buffer with a 4-byte start code in front of every NAL unit;
// trailing zero bytes and empty NAL units are dropped, bytes before the first
// start code skipped.
//
// An access unit is complete when the first bytes of the next one arrive, so
// on a live pipe each frame is passed on one frame interval late, unless
// the stream has access unit delimiters (x264's aud=1), whose arrival ends
// the previous unit.
//
// An access unit larger than MaxFrameSize is dropped: ReadFrame returns an
// error wrapping [ErrFrameTooLarge] marked [shmcast.Temporary], and the next
// frame carries Discontinuity. At the end of the stream ReadFrame returns the
// last access unit, then [io.EOF]. ReadFrame checks ctx between reads but
// cannot interrupt a blocked Read: close the reader to unblock it.
// A Splitter is not safe for concurrent use.
type Splitter struct {
	r       io.Reader
	rate    float64
	maxSize int

	buf      []byte
	scan     int    // where the search for the next start code resumes
	nalStart int    // header of the NAL unit being read; -1: skipping bytes
	peeked   bool   // the NAL unit at nalStart has been assigned to an access unit
	nalus    []span // complete NAL units of the current access unit
	auSize   int    // size of the current access unit with 4-byte start codes
	vcl, key bool   // the current access unit has a slice, an IDR slice
	skipping bool   // dropping an oversized access unit

	n         uint64 // access units emitted or dropped
	disc      bool   // the next frame follows a dropped one
	found     bool   // a start code was ever seen
	eof       bool
	emptyRead int
}

// span is a NAL unit's bounds in Splitter.buf.
type span struct{ start, end int }

var _ shmcast.Source = (*Splitter)(nil)

// NewSplitter returns a Splitter reading r, with PTS at frameRate frames per
// second (see [SplitterOptions]).
func NewSplitter(r io.Reader, frameRate float64) *Splitter {
	return NewSplitterOptions(r, SplitterOptions{FrameRate: frameRate})
}

// NewSplitterOptions returns a Splitter reading r.
func NewSplitterOptions(r io.Reader, o SplitterOptions) *Splitter {
	if !(o.FrameRate > 0) || math.IsInf(o.FrameRate, 0) {
		o.FrameRate = 30
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	return &Splitter{r: r, rate: o.FrameRate, maxSize: o.MaxFrameSize, nalStart: -1}
}

// ReadFrame returns the next access unit.
func (s *Splitter) ReadFrame(ctx context.Context) (shmcast.Frame, error) {
	for {
		if !s.skipping && s.auBytes() > s.maxSize {
			return shmcast.Frame{}, s.tooLarge()
		}
		if s.nalStart >= 0 && !s.peeked {
			f, ok, done := s.peek()
			if ok {
				return f, nil
			}
			if done {
				continue
			}
		} else if k := bytes.Index(s.buf[s.scan:], startCode3); k >= 0 {
			s.endNAL(s.scan + k)
			continue
		} else if s.eof {
			return s.finish()
		} else {
			s.scan = max(s.scan, len(s.buf)-2)
		}
		if err := s.fill(ctx); err != nil {
			return shmcast.Frame{}, err
		}
	}
}

// peek assigns the NAL unit at nalStart to the current or a new access unit
// as soon as enough of it is buffered: its header byte, and for a slice its
// first_mb_in_slice. done reports that it did; ok that an access unit is
// complete and returned in f.
func (s *Splitter) peek() (f shmcast.Frame, ok, done bool) {
	rest := s.buf[s.nalStart:]
	win := rest[:min(len(rest), 1+peekSize+len(startCode3)-1)]
	complete := s.eof && len(win) == len(rest)
	if k := bytes.Index(win, startCode3); k >= 0 {
		win, complete = win[:k], true
	}
	if complete {
		for len(win) > 0 && win[len(win)-1] == 0 {
			win = win[:len(win)-1]
		}
		if len(win) == 0 {
			s.peeked = true // empty NAL unit: addNAL drops it
			return f, false, true
		}
	}
	if len(win) == 0 {
		return f, false, false
	}
	win = win[:min(len(win), 1+peekSize)]
	t := TypeOf(win)
	starts, known := s.startsAU(t, win)
	if !known && !complete && len(win) < 1+peekSize {
		return f, false, false
	}
	s.peeked = true
	if s.skipping {
		if !starts {
			s.vcl = s.vcl || t.IsVCL()
			s.nalStart = -1 // drop this NAL unit too
			return f, false, true
		}
		s.skipping, s.vcl, s.key = false, false, false
	} else if starts && len(s.nalus) > 0 {
		f, ok = s.emit(), true
	}
	s.vcl = s.vcl || t.IsVCL()
	s.key = s.key || t == NALUTypeIDR
	return f, ok, true
}

// startsAU reports whether a NAL unit of type t, whose first bytes are win,
// begins a new access unit (§7.4.1.2.3, §7.4.1.2.4), and whether win held
// enough bytes to tell.
func (s *Splitter) startsAU(t NALUType, win []byte) (starts, known bool) {
	switch {
	case t == NALUTypeAUD:
		return len(s.nalus) > 0 || s.skipping, true
	case t == NALUTypeSEI, t == NALUTypeSPS, t == NALUTypePPS, t >= NALUTypePrefix && t <= 18:
		return s.vcl, true
	case t.IsVCL() && s.vcl:
		mb, ok := firstMB(win)
		return ok && mb == 0, ok
	}
	return false, true
}

// endNAL ends the NAL unit being read at the start code at k.
func (s *Splitter) endNAL(k int) {
	if s.nalStart >= 0 {
		s.addNAL(k)
	}
	s.found = true
	s.nalStart, s.peeked = k+3, false
	s.scan = s.nalStart
}

// addNAL adds buf[nalStart:end], trailing zeros removed, to the access unit.
func (s *Splitter) addNAL(end int) {
	for end > s.nalStart && s.buf[end-1] == 0 {
		end--
	}
	if end > s.nalStart && !s.skipping {
		s.nalus = append(s.nalus, span{s.nalStart, end})
		s.auSize += len(startCode) + end - s.nalStart
	}
}

// finish ends the stream: the last NAL unit and access unit, then io.EOF.
func (s *Splitter) finish() (shmcast.Frame, error) {
	if s.nalStart >= 0 {
		s.addNAL(len(s.buf))
		s.nalStart = -1
	}
	if s.auSize > s.maxSize {
		return shmcast.Frame{}, s.tooLarge()
	}
	if len(s.nalus) > 0 {
		return s.emit(), nil
	}
	if !s.found && len(s.buf) > 0 {
		s.found = true
		return shmcast.Frame{}, fmt.Errorf("h264: splitter: %w", ErrNoStartCode)
	}
	return shmcast.Frame{}, io.EOF
}

// emit returns the current access unit as a fresh frame and starts a new one.
func (s *Splitter) emit() shmcast.Frame {
	data := make([]byte, 0, s.auSize)
	for _, n := range s.nalus {
		data = append(append(data, startCode...), s.buf[n.start:n.end]...)
	}
	pts := time.Duration(math.Round(float64(s.n) * float64(time.Second) / s.rate))
	s.n++
	f := shmcast.Frame{
		Data:          data,
		PTS:           pts,
		DTS:           pts,
		Key:           s.key,
		Seq:           s.n,
		Capture:       shmcast.Monotonic(),
		Discontinuity: s.disc,
	}
	s.nalus, s.auSize, s.vcl, s.key, s.disc = s.nalus[:0], 0, false, false, false
	return f
}

// auBytes returns the size of the current access unit so far.
func (s *Splitter) auBytes() int {
	n := s.auSize
	if s.nalStart >= 0 && s.peeked {
		n += len(startCode) + s.scan - s.nalStart
	}
	return n
}

// tooLarge drops the current access unit and returns the error to report.
func (s *Splitter) tooLarge() error {
	s.drop()
	return shmcast.Temporary(fmt.Errorf("h264: splitter: frame %d: %w: more than %d bytes",
		s.n, ErrFrameTooLarge, s.maxSize))
}

// drop discards the current, oversized access unit.
func (s *Splitter) drop() {
	s.nalus, s.auSize, s.key = s.nalus[:0], 0, false
	if s.peeked { // the NAL unit being read belongs to the dropped unit
		s.nalStart, s.peeked = -1, false
	}
	s.skipping, s.disc = true, true
	s.n++
}

// fill reads more of the stream into buf, first moving the bytes still
// needed to the front.
func (s *Splitter) fill(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cap(s.buf)-len(s.buf) < minRead {
		s.compact()
	}
	if cap(s.buf)-len(s.buf) < minRead {
		nb := make([]byte, len(s.buf), max(2*cap(s.buf), len(s.buf)+minRead))
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	switch {
	case errors.Is(err, io.EOF):
		s.eof = true
	case err != nil:
		return fmt.Errorf("h264: splitter: read: %w", err)
	case n == 0:
		s.emptyRead++
		if s.emptyRead >= maxEmptyReads {
			return fmt.Errorf("h264: splitter: read: %w", io.ErrNoProgress)
		}
		return nil
	}
	s.emptyRead = 0
	return nil
}

// compact moves the bytes still needed to the front of buf.
func (s *Splitter) compact() {
	low := s.scan
	if s.nalStart >= 0 {
		low = min(low, s.nalStart)
	}
	if len(s.nalus) > 0 {
		low = min(low, s.nalus[0].start)
	}
	if low == 0 {
		return
	}
	s.buf = s.buf[:copy(s.buf, s.buf[low:])]
	s.scan -= low
	if s.nalStart >= 0 {
		s.nalStart -= low
	}
	for i := range s.nalus {
		s.nalus[i].start -= low
		s.nalus[i].end -= low
	}
}
