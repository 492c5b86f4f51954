package h264

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/shmcast/shmcast"
)

// DefaultMaxFrameSize is the largest access unit, in bytes, that a [Parser]
// or [Splitter] accepts when its options leave MaxFrameSize zero.
const DefaultMaxFrameSize = 8 << 20

// ParserOptions configures a [Parser]. The zero value is ready to use.
type ParserOptions struct {
	// MaxFrameSize is the largest access unit accepted, in bytes; 0 means
	// DefaultMaxFrameSize.
	MaxFrameSize int

	// Keyframes, if not nil, is asked for a key frame whenever the Parser
	// starts waiting for one: at the start of a stream that does not begin
	// with an IDR, after a bad frame and after a discontinuity. It is called
	// at most once per wait and must not block.
	Keyframes shmcast.KeyframeRequester
}

// A Parser is a [shmcast.Source] that reads access units from another Source
// and passes on only decodable ones, each with its parameter sets in band:
//
//   - It checks every NAL unit of every access unit (see [NextNALU]).
//   - It caches the latest SPS and PPS of each id (copies) and puts the SPS
//     and PPS an IDR picture refers to in front of it when the access unit
//     lacks them, in a freshly allocated buffer. Frames it passes on
//     unchanged share the source frame's Data.
//   - It sets Key on every IDR access unit it passes on, and clears it on
//     every other, whatever the source said; Key frames always carry
//     their SPS and PPS.
//   - It holds back every frame until the first IDR whose parameter sets are
//     known, so its first frame is a Key frame, and again after a bad frame
//     or a frame marked Discontinuity (a lost frame breaks the references of
//     the rest of its GOP). The Key frame that ends such a wait carries
//     Discontinuity, so that every frame the Parser yields can be decoded
//     from the last Key frame before it.
//   - Frames without a slice (parameter sets or SEI alone) feed the cache
//     and are not passed on.
//
// Bad input does not end the stream: ReadFrame returns an error marked
// [shmcast.Temporary] for each bad frame (no start code, empty or truncated
// NAL unit, forbidden bit, oversized unit, undecodable IDR), and the next
// call goes on with the next frame. Callers skip such errors and give up
// after a run of them with a [shmcast.Escalator]. Errors of the source are
// returned unchanged. The Parser passes PTS, DTS, Seq and Capture through,
// so Seq has gaps where it held frames back.
//
// ReadFrame must not be called concurrently; Stats and SPSInfo may be called
// from any goroutine.
type Parser struct {
	src       shmcast.Source
	maxSize   int
	keyframes shmcast.KeyframeRequester

	cache     paramCache
	synced    bool // the last frame passed on is decodable
	resync    bool // mark the next Key frame Discontinuity
	requested bool // a key frame was requested during this wait

	active atomic.Pointer[spsEntry]
	stats  parserCounters
}

var _ shmcast.Source = (*Parser)(nil)

// NewParser returns a Parser reading from src with default options.
func NewParser(src shmcast.Source) *Parser {
	return NewParserOptions(src, ParserOptions{})
}

// NewParserOptions returns a Parser reading from src.
func NewParserOptions(src shmcast.Source, o ParserOptions) *Parser {
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	return &Parser{src: src, maxSize: o.MaxFrameSize, keyframes: o.Keyframes}
}

// ReadFrame returns the next decodable access unit. See [Parser] for what it
// changes and which errors it returns.
func (p *Parser) ReadFrame(ctx context.Context) (shmcast.Frame, error) {
	for {
		f, err := p.src.ReadFrame(ctx)
		if err != nil {
			return shmcast.Frame{}, err
		}
		out, ok, err := p.process(f)
		if err != nil {
			p.stats.bad.Add(1)
			p.lose()
			return shmcast.Frame{}, shmcast.Temporary(fmt.Errorf("h264: parser: frame %d: %w", f.Seq, err))
		}
		if ok {
			p.stats.frames.Add(1)
			if out.Key {
				p.stats.keyFrames.Add(1)
			}
			return out, nil
		}
	}
}

// SPSInfo returns the facts of the SPS of the last IDR picture passed on,
// and false before the first one.
func (p *Parser) SPSInfo() (SPSInfo, bool) {
	e := p.active.Load()
	if e == nil {
		return SPSInfo{}, false
	}
	return e.info, true
}

// auFacts is what one pass over an access unit learns.
type auFacts struct {
	vcl, idr bool
	idrPPS   uint32    // pic_parameter_set_id of the first IDR slice
	spsIn    uint32    // bit i: SPS i is in the access unit
	ppsIn    [4]uint64 // bit i: PPS i is in the access unit
}

// process examines one frame and returns what to pass on, or ok false to
// hold it back.
func (p *Parser) process(f shmcast.Frame) (out shmcast.Frame, ok bool, err error) {
	if len(f.Data) > p.maxSize {
		return out, false, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(f.Data), p.maxSize)
	}
	a, err := p.scan(f.Data)
	if err != nil {
		return out, false, err
	}
	if f.Discontinuity && !a.idr {
		p.lose()
	}
	switch {
	case !a.vcl:
		p.stats.absorbed.Add(1)
		return out, false, nil
	case a.idr:
		return p.keyFrame(f, a)
	case !p.synced:
		p.lose()
		p.stats.dropped.Add(1)
		return out, false, nil
	}
	f.Key = false // whatever the source said: only IDR access units are Key
	return f, true, nil
}

// scan checks every NAL unit of data, caches parameter sets and collects
// the facts the decision needs.
func (p *Parser) scan(data []byte) (auFacts, error) {
	var a auFacts
	var s Scanner
	s.Reset(data)
	for s.Scan() {
		n := s.NALU()
		switch TypeOf(n) {
		case NALUTypeSPS:
			e, err := p.cache.putSPS(n)
			if err != nil {
				return a, err
			}
			a.spsIn |= 1 << e.info.ID
		case NALUTypePPS:
			if _, err := p.cache.putPPS(n); err != nil {
				return a, err
			}
			id, _, _ := ppsIDs(n)
			a.ppsIn[id/64] |= 1 << (id % 64)
		case NALUTypeIDR:
			if !a.idr {
				h, ok := parseSliceHeader(n)
				if !ok {
					return a, &SyntaxError{Offset: s.Offset(), Msg: "IDR slice header", Err: ErrTruncated}
				}
				a.idrPPS = h.ppsID
			}
			a.vcl, a.idr = true, true
		case NALUTypeNonIDR, NALUTypePartitionA, NALUTypePartitionB, NALUTypePartitionC:
			a.vcl = true
		}
	}
	return a, s.Err()
}

// keyFrame passes on an IDR access unit with its parameter sets in band.
func (p *Parser) keyFrame(f shmcast.Frame, a auFacts) (shmcast.Frame, bool, error) {
	sps, pps := p.cache.lookup(a.idrPPS)
	if sps == nil || pps == nil {
		return f, false, fmt.Errorf("%w: PPS %d", ErrNotDecodable, a.idrPPS)
	}
	if a.spsIn&(1<<sps.info.ID) == 0 || a.ppsIn[a.idrPPS/64]&(1<<(a.idrPPS%64)) == 0 {
		f.Data = withParams(f.Data, sps, pps, a.idrPPS)
		p.stats.inserted.Add(1)
	}
	f.Key = true
	if p.resync {
		f.Discontinuity = true
	}
	p.synced, p.resync, p.requested = true, false, false
	if p.active.Load() != sps {
		p.active.Store(sps)
	}
	return f, true, nil
}

// lose starts a wait for the next decodable IDR.
func (p *Parser) lose() {
	if p.synced {
		p.synced, p.resync = false, true
	}
	if !p.requested && p.keyframes != nil {
		p.requested = true
		p.keyframes.RequestKeyframe()
	}
}

// withParams returns a fresh access unit: data's leading AUD, then the
// cached SPS and PPS, then the rest of data without its own copies of that
// SPS and PPS. data has been checked by the caller.
func withParams(data []byte, sps *spsEntry, pps *ppsEntry, ppsID uint32) []byte {
	out := make([]byte, 0, len(data)+len(sps.nalu)+len(pps.nalu)+4*len(startCode))
	params := false
	var s Scanner
	s.Reset(data)
	for s.Scan() {
		n := s.NALU()
		t := TypeOf(n)
		if !params && t != NALUTypeAUD {
			out = append(append(out, startCode...), sps.nalu...)
			out = append(append(out, startCode...), pps.nalu...)
			params = true
		}
		switch t {
		case NALUTypeSPS:
			if id, _ := spsID(n); int(id) == sps.info.ID {
				continue
			}
		case NALUTypePPS:
			if id, _, _ := ppsIDs(n); id == ppsID {
				continue
			}
		}
		out = append(append(out, startCode...), n...)
	}
	return out
}
