package fanout

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmcast/shmcast"
)

// A Distributor is a [shmcast.Sink] that hands every frame to all its
// subscriptions, each through its own bounded queue. One producer writes;
// any number of consumers read. All its methods are safe for concurrent
// use. It starts no goroutines.
type Distributor struct {
	opt     Options
	log     *slog.Logger
	limiter *shmcast.KeyframeLimiter // nil without Options.Keyframes

	mu       sync.Mutex
	subs     []*Subscription
	gop      gop
	lastSeq  uint64
	nextID   uint64
	closed   bool
	lagging  int // subscribers that began to drop since the last warning
	lastWarn time.Time

	frames, bytes, gaps         atomic.Uint64
	delivered, dropped, resyncs atomic.Uint64
	requests                    atomic.Uint64
	subscribers                 atomic.Int64
	gopFrames, gopBytes         atomic.Int64
	lastDTS                     atomic.Int64
}

var (
	_ shmcast.Sink              = (*Distributor)(nil)
	_ shmcast.KeyframeRequester = (*Distributor)(nil)
)

// New returns a Distributor configured by o. Close it to end the stream
// and stop its key frame limiter.
func New(o Options) *Distributor {
	o = o.withDefaults()
	d := &Distributor{
		opt: o,
		log: o.Logger,
		gop: gop{maxLen: o.GOPLen, maxBytes: o.GOPBytes},
	}
	if o.Keyframes != nil {
		d.limiter = shmcast.NewKeyframeLimiter(o.Keyframes, o.KeyframeInterval)
	}
	return d
}

// WriteFrame hands f to every subscription. It never blocks on a
// subscriber, starts no goroutine, does not allocate, and does not copy or
// modify f.Data. A subscriber whose queue is full drops frames up to the
// next key frame (see the package documentation). WriteFrame returns
// [shmcast.ErrClosed] after Close, and nil otherwise.
//
// A frame whose Seq is not one more than the previous frame's (both
// non-zero), or that is marked Discontinuity, follows a loss upstream:
// every subscriber then waits for the next key frame.
func (d *Distributor) WriteFrame(f shmcast.Frame) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return shmcast.ErrClosed
	}
	gap := f.Discontinuity || (f.Seq != 0 && d.lastSeq != 0 && f.Seq != d.lastSeq+1)
	d.lastSeq = f.Seq
	d.frames.Add(1)
	d.bytes.Add(uint64(len(f.Data)))
	d.lastDTS.Store(int64(f.DTS))
	if gap {
		d.gaps.Add(1)
	}
	d.gop.add(f, gap)
	d.gopFrames.Store(int64(len(d.gop.frames)))
	d.gopBytes.Store(int64(d.gop.bytes))
	overflowed := 0
	for _, s := range d.subs {
		if s.offer(f, gap) {
			overflowed++
		}
	}
	warn := d.noteLagging(overflowed)
	d.mu.Unlock()

	if overflowed > 0 || (gap && !f.Key) {
		d.RequestKeyframe()
	}
	if warn > 0 {
		d.log.Warn("fanout: subscribers lagging, dropping to the next key frame",
			"subscribers", warn, "dropped_total", d.dropped.Load())
	}
	return nil
}

// noteLagging counts subscribers that began to drop and returns how many to
// warn about now: at most one warning a second. d.mu is held.
func (d *Distributor) noteLagging(n int) int {
	d.lagging += n
	if d.lagging == 0 {
		return 0
	}
	now := time.Now()
	if now.Sub(d.lastWarn) < time.Second {
		return 0
	}
	n, d.lagging, d.lastWarn = d.lagging, 0, now
	return n
}

// RequestKeyframe asks the producer for a key frame through
// [Options].Keyframes, merged with other requests and rate-limited. A sink
// calls it on a viewer's PLI or FIR. It never blocks.
func (d *Distributor) RequestKeyframe() {
	d.requests.Add(1)
	if d.limiter != nil {
		d.limiter.RequestKeyframe()
	}
}

// Close ends the stream: WriteFrame returns [shmcast.ErrClosed], and each
// subscription's ReadFrame returns the frames still queued, then [io.EOF].
// Later subscriptions are at their end at once. Close drops the cached GOP,
// stops the key frame limiter, and is idempotent; it always returns nil.
func (d *Distributor) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	for _, s := range d.subs {
		s.end()
	}
	d.gop.reset()
	d.gopFrames.Store(0)
	d.gopBytes.Store(0)
	d.mu.Unlock()
	if d.limiter != nil {
		d.limiter.Close()
	}
	d.log.Debug("fanout: closed", "frames", d.frames.Load())
	return nil
}

// remove detaches s; it is idempotent.
func (d *Distributor) remove(s *Subscription) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := s.index
	if i < 0 || i >= len(d.subs) || d.subs[i] != s {
		return
	}
	last := len(d.subs) - 1
	d.subs[i] = d.subs[last]
	d.subs[i].index = i
	d.subs[last] = nil
	d.subs = d.subs[:last]
	s.index = -1
	d.subscribers.Add(-1)
}
