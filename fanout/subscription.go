package fanout

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/shmcast/shmcast"
)

// A Subscription is one consumer's view of a [Distributor]: a
// [shmcast.Source] with its own bounded queue. One goroutine usually reads
// it; Close and Stats are safe from any goroutine at any time.
type Subscription struct {
	d        *Distributor
	id       uint64
	catchUp  int
	maxLen   int
	maxBytes int
	wake     chan struct{} // buffered 1; never closed

	mu     sync.Mutex
	q      queue
	state  state
	closed bool // by Subscription.Close
	eof    bool // by Distributor.Close
	index  int  // in d.subs, -1 when detached; guarded by d.mu

	delivered, dropped, resyncs atomic.Uint64
	queued, queuedBytes, next   atomic.Int64 // next: DTS of the oldest queued frame
	waiting                     atomic.Bool
}

var _ shmcast.Source = (*Subscription)(nil)

// Subscribe adds a subscription. Unless o.WaitForKey is set, it starts
// with the cached GOP (see [Subscription.CatchUp]); otherwise, or when no
// GOP is cached, it starts at the next key frame and the distributor asks
// the producer for one. After Close, Subscribe returns a subscription that
// is already at its end.
func (d *Distributor) Subscribe(o SubscribeOptions) *Subscription {
	s := &Subscription{
		d:        d,
		maxLen:   d.opt.QueueLen,
		maxBytes: d.opt.QueueBytes,
		wake:     make(chan struct{}, 1),
		index:    -1,
	}
	if o.QueueLen > 0 {
		s.maxLen = o.QueueLen
	}
	if o.QueueBytes > 0 {
		s.maxBytes = o.QueueBytes
	}

	d.mu.Lock()
	d.nextID++
	s.id = d.nextID
	if d.closed {
		s.eof = true
		d.mu.Unlock()
		return s
	}
	join := o.WaitForKey || !d.gop.valid || len(d.gop.frames) == 0
	if join {
		s.start(nil, 0)
	} else {
		s.start(d.gop.frames, d.gop.bytes)
	}
	s.index = len(d.subs)
	d.subs = append(d.subs, s)
	d.subscribers.Add(1)
	d.mu.Unlock()

	if join {
		d.RequestKeyframe()
	}
	if d.log.Enabled(context.Background(), slog.LevelDebug) {
		d.log.Debug("fanout: subscribe", "sub", s.id, "catch_up", s.catchUp)
	}
	return s
}

// start fills the new queue with the cached frames, or, without any, makes
// the subscription wait for a key frame. Nobody else sees s yet.
func (s *Subscription) start(cached []shmcast.Frame, bytes int) {
	s.q = newQueue(s.maxLen + len(cached))
	for _, f := range cached {
		s.q.push(f)
	}
	s.q.cached, s.q.cachedBytes = len(cached), bytes
	s.catchUp = len(cached)
	s.state = live
	if len(cached) == 0 {
		s.state = joining
		s.waiting.Store(true)
	}
	s.published()
}

// ID returns the subscription's number, unique within its distributor.
func (s *Subscription) ID() uint64 { return s.id }

// CatchUp returns how many frames from the cached GOP the subscription
// started with: the first CatchUp frames that ReadFrame returns are
// catch-up frames, the rest are live, unless the subscriber fell behind
// and dropped some of them (then [Subscription.ReadFrameCached] still tells
// exactly). It is 0 for a subscription that waited for a key frame.
func (s *Subscription) CatchUp() int { return s.catchUp }

// ReadFrame returns the next frame, waiting for one until ctx is done. It
// returns [io.EOF] once the distributor is closed and the queue is drained,
// and [shmcast.ErrClosed] after the subscription's Close.
func (s *Subscription) ReadFrame(ctx context.Context) (shmcast.Frame, error) {
	f, _, err := s.ReadFrameCached(ctx)
	return f, err
}

// ReadFrameCached is [Subscription.ReadFrame] that also reports whether f
// is a catch-up frame from the cached GOP rather than a live one. Catch-up
// frames come first; the last of them was the newest frame when the
// subscription began.
func (s *Subscription) ReadFrameCached(ctx context.Context) (f shmcast.Frame, cached bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return shmcast.Frame{}, false, err
		}
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			s.signal() // pass the news to any other reader
			return shmcast.Frame{}, false, shmcast.ErrClosed
		case s.q.n > 0:
			f, cached = s.q.pop()
			more := s.q.n > 0
			s.published()
			s.mu.Unlock()
			if more {
				s.signal()
			}
			s.delivered.Add(1)
			s.d.delivered.Add(1)
			return f, cached, nil
		case s.eof:
			s.mu.Unlock()
			s.signal()
			return shmcast.Frame{}, false, io.EOF
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctx.Done():
		}
	}
}

// Close detaches the subscription from its distributor and discards its
// queue. A ReadFrame waiting on it returns [shmcast.ErrClosed], as does
// every later one. Close is idempotent, safe from any goroutine at any
// time, and always returns nil.
func (s *Subscription) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.q.flush()
	s.published()
	s.mu.Unlock()
	s.signal()
	s.d.remove(s)
	if s.d.log.Enabled(context.Background(), slog.LevelDebug) {
		s.d.log.Debug("fanout: unsubscribe", "sub", s.id,
			"delivered", s.delivered.Load(), "dropped", s.dropped.Load(), "resyncs", s.resyncs.Load())
	}
	return nil
}

// end marks the end of the stream; the reader drains the queue, then gets
// io.EOF. The distributor calls it under d.mu.
func (s *Subscription) end() {
	s.mu.Lock()
	s.eof = true
	s.mu.Unlock()
	s.signal()
}

// signal wakes a waiting reader without ever blocking.
func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// published copies the queue's state to the atomics Stats reads. s.mu is
// held.
func (s *Subscription) published() {
	s.queued.Store(int64(s.q.n))
	s.queuedBytes.Store(int64(s.q.bytes))
	if s.q.n > 0 {
		s.next.Store(int64(s.q.next()))
	}
}
