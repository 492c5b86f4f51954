package h264

import "sync/atomic"

// ParserStats is a snapshot of a [Parser]'s counters since it was made.
type ParserStats struct {
	Frames    uint64 // frames passed on
	KeyFrames uint64 // of which Key frames

	// Dropped counts frames held back while waiting for a decodable IDR:
	// before the first one, and after a bad frame or a discontinuity.
	Dropped uint64

	// Absorbed counts frames without a slice (parameter sets or SEI alone)
	// that fed the cache and were not passed on.
	Absorbed uint64

	BadFrames      uint64 // frames rejected with an error
	ParamsInserted uint64 // IDR frames the cached SPS and PPS were put in front of
}

type parserCounters struct {
	frames, keyFrames, dropped, absorbed, bad, inserted atomic.Uint64
}

// Stats returns a snapshot of the Parser's counters. It is safe to call
// concurrently with ReadFrame.
func (p *Parser) Stats() ParserStats {
	c := &p.stats
	return ParserStats{
		Frames:         c.frames.Load(),
		KeyFrames:      c.keyFrames.Load(),
		Dropped:        c.dropped.Load(),
		Absorbed:       c.absorbed.Load(),
		BadFrames:      c.bad.Load(),
		ParamsInserted: c.inserted.Load(),
	}
}
