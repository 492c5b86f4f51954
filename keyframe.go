package shmcast

import (
	"sync"
	"sync/atomic"
	"time"
)

// A KeyframeRequester asks the producer for a key frame as soon as it can
// make one. It must not block. Requests travel upstream: a viewer's PLI or a
// lagging subscriber asks its distributor, which asks the reader, which tells
// the encoder through the shared-memory segment.
type KeyframeRequester interface {
	RequestKeyframe()
}

// KeyframeRequesterFunc adapts a function to a [KeyframeRequester].
type KeyframeRequesterFunc func()

// RequestKeyframe calls fn.
func (fn KeyframeRequesterFunc) RequestKeyframe() { fn() }

// DefaultKeyframeInterval is the minimum time between two forced key frames
// that a [KeyframeLimiter] with a zero interval lets through.
const DefaultKeyframeInterval = 500 * time.Millisecond

// A KeyframeLimiter merges and rate-limits key frame requests so that many
// viewers asking at once cost one key frame. The first request after a quiet
// Interval passes at once; the requests that arrive within the Interval after
// it are merged into a single one that passes when the Interval ends, so no
// request is lost, only delayed. It is safe for concurrent use.
type KeyframeLimiter struct {
	next     KeyframeRequester
	interval time.Duration

	mu      sync.Mutex
	last    time.Time // when a request last passed
	timer   *time.Timer
	closed  bool
	running sync.WaitGroup // the timer's callback

	passed, merged atomic.Uint64
}

// NewKeyframeLimiter returns a limiter in front of next. An interval ≤ 0
// means [DefaultKeyframeInterval]. Call Close to stop its timer.
func NewKeyframeLimiter(next KeyframeRequester, interval time.Duration) *KeyframeLimiter {
	if interval <= 0 {
		interval = DefaultKeyframeInterval
	}
	return &KeyframeLimiter{next: next, interval: interval}
}

// RequestKeyframe passes the request on now, or merges it into the one that
// passes when the current interval ends. It never blocks on next.
func (l *KeyframeLimiter) RequestKeyframe() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	if l.timer != nil { // one is already scheduled: merge
		l.mu.Unlock()
		l.merged.Add(1)
		return
	}
	now := time.Now()
	if wait := l.interval - now.Sub(l.last); !l.last.IsZero() && wait > 0 {
		l.running.Add(1)
		l.timer = time.AfterFunc(wait, l.fire)
		l.mu.Unlock()
		l.merged.Add(1)
		return
	}
	l.last = now
	l.mu.Unlock()
	l.passed.Add(1)
	l.next.RequestKeyframe()
}

func (l *KeyframeLimiter) fire() {
	defer l.running.Done()
	l.mu.Lock()
	l.timer = nil
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.last = time.Now()
	l.mu.Unlock()
	l.passed.Add(1)
	l.next.RequestKeyframe()
}

// Stats returns how many requests were passed on and how many were merged.
func (l *KeyframeLimiter) Stats() (passed, merged uint64) {
	return l.passed.Load(), l.merged.Load()
}

// Close drops any pending request and returns once no callback runs.
// Later requests are ignored. Close is idempotent.
func (l *KeyframeLimiter) Close() {
	l.mu.Lock()
	l.closed = true
	if l.timer != nil && l.timer.Stop() {
		l.timer = nil
		l.running.Done()
	}
	l.mu.Unlock()
	l.running.Wait()
}
