package fanout

import "github.com/shmcast/shmcast"

// A gop caches the frames from the last key frame on, for late joiners.
// Its Distributor guards it.
type gop struct {
	frames   []shmcast.Frame
	bytes    int
	valid    bool // frames starts at a key frame and has no gap
	maxLen   int  // < 0: no cache
	maxBytes int
}

// add records f, which follows a gap in the source when gap is set.
func (g *gop) add(f shmcast.Frame, gap bool) {
	if g.maxLen < 0 || g.maxBytes < 0 {
		return
	}
	switch {
	case f.Key:
		g.reset()
		g.valid = true
	case gap:
		g.reset()
	}
	if !g.valid {
		return
	}
	if len(g.frames) >= g.maxLen || g.bytes+len(f.Data) > g.maxBytes {
		g.reset() // too long: late joiners wait for the next key frame
		return
	}
	g.frames = append(g.frames, f)
	g.bytes += len(f.Data)
}

// reset empties the cache, keeps its array, and lets the data go.
func (g *gop) reset() {
	clear(g.frames)
	g.frames = g.frames[:0]
	g.bytes = 0
	g.valid = false
}
