package fanout

import "time"

// Stats is a snapshot of a [Distributor]'s counters. The counters of
// subscriptions include those already closed.
type Stats struct {
	Frames      uint64 // frames written
	Bytes       uint64 // bytes of frame data written
	Gaps        uint64 // sequence gaps and discontinuities from the source
	Subscribers int    // open subscriptions
	Delivered   uint64 // frames read by all subscriptions
	Dropped     uint64 // frames dropped by all subscriptions
	Resyncs     uint64 // times a subscription lost frames and waited for a key frame
	GOPFrames   int    // frames in the cached GOP; 0 when none is usable
	GOPBytes    int    // bytes of frame data in the cached GOP

	KeyframeRequests uint64 // key frame requests made, before merging
	KeyframesAsked   uint64 // requests passed on to Options.Keyframes
}

// Stats returns the distributor's counters. It takes no lock and is cheap
// enough to call for every metrics scrape.
func (d *Distributor) Stats() Stats {
	st := Stats{
		Frames:           d.frames.Load(),
		Bytes:            d.bytes.Load(),
		Gaps:             d.gaps.Load(),
		Subscribers:      int(d.subscribers.Load()),
		Delivered:        d.delivered.Load(),
		Dropped:          d.dropped.Load(),
		Resyncs:          d.resyncs.Load(),
		GOPFrames:        int(d.gopFrames.Load()),
		GOPBytes:         int(d.gopBytes.Load()),
		KeyframeRequests: d.requests.Load(),
	}
	if d.limiter != nil {
		st.KeyframesAsked, _ = d.limiter.Stats()
	}
	return st
}

// SubscriptionStats is a snapshot of one [Subscription]'s counters.
type SubscriptionStats struct {
	ID          uint64
	Delivered   uint64        // frames returned by ReadFrame
	Dropped     uint64        // frames dropped for lag or upstream loss
	Resyncs     uint64        // times it lost frames and waited for a key frame
	Queued      int           // frames waiting to be read
	QueuedBytes int           // bytes of frame data waiting to be read
	Lag         time.Duration // the next frame to read is this far behind the newest written, by DTS
	Waiting     bool          // waiting for a key frame (joining or resyncing)
}

// Stats returns the subscription's counters. It takes no lock.
func (s *Subscription) Stats() SubscriptionStats {
	st := SubscriptionStats{
		ID:          s.id,
		Delivered:   s.delivered.Load(),
		Dropped:     s.dropped.Load(),
		Resyncs:     s.resyncs.Load(),
		Queued:      int(s.queued.Load()),
		QueuedBytes: int(s.queuedBytes.Load()),
		Waiting:     s.waiting.Load(),
	}
	if st.Queued > 0 {
		st.Lag = max(0, time.Duration(s.d.lastDTS.Load()-s.next.Load()))
	}
	return st
}
