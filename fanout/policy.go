package fanout

import "github.com/shmcast/shmcast"

// state is where a subscription stands in the stream.
type state uint8

const (
	joining state = iota // waits for its first key frame; skips are not drops
	live                 // takes every frame that fits
	resync               // lost a frame; drops all up to the next key frame
)

// offer applies the drop policy to f for this subscription. gap reports a
// loss upstream just before f. offer reports whether the subscription has
// just overflowed and begun to drop, so that the distributor asks for a
// key frame. The distributor calls it under d.mu, for every subscription.
//
// The policy keeps the delivered stream decodable:
//   - a non-key frame is taken only if the subscription is live, no gap
//     precedes it, and it fits; otherwise it and every frame up to the next
//     key frame are dropped (a resync);
//   - a key frame is always taken; if it does not fit, the queued frames
//     are stale and are dropped to make room, so the subscriber jumps to
//     the newest picture;
//   - the first frame taken after a drop is marked Discontinuity.
func (s *Subscription) offer(f shmcast.Frame, gap bool) (overflowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.eof {
		return false
	}
	if !f.Key {
		switch {
		case s.state == joining:
			return false
		case s.state == resync:
			s.drop(1)
			return false
		case gap:
			s.beginResync()
			s.drop(1)
			return false
		case !s.fits(len(f.Data)):
			s.beginResync()
			s.drop(1)
			return true
		}
		s.enqueue(f)
		return false
	}
	if !s.fits(len(f.Data)) {
		if n := s.q.flush(); n > 0 {
			if s.state == live {
				s.beginResync()
			}
			s.drop(n)
		}
	}
	if s.state == resync {
		f.Discontinuity = true
	}
	s.state = live
	s.waiting.Store(false)
	s.enqueue(f)
	return false
}

// fits reports whether a frame of size bytes fits the queue's limits.
// Catch-up frames do not count, and any frame fits an empty queue.
func (s *Subscription) fits(size int) bool {
	n := s.q.n - s.q.cached
	b := s.q.bytes - s.q.cachedBytes
	return n < s.maxLen && (n == 0 || b+size <= s.maxBytes)
}

func (s *Subscription) enqueue(f shmcast.Frame) {
	s.q.push(f)
	s.published()
	s.signal()
}

func (s *Subscription) beginResync() {
	s.state = resync
	s.waiting.Store(true)
	s.resyncs.Add(1)
	s.d.resyncs.Add(1)
}

func (s *Subscription) drop(n int) {
	s.dropped.Add(uint64(n))
	s.d.dropped.Add(uint64(n))
	s.published()
}
