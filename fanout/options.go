package fanout

import (
	"log/slog"
	"time"

	"github.com/shmcast/shmcast"
)

// Defaults for the zero values of [Options].
const (
	DefaultQueueLen   = 60       // frames: 2 s at 30 fps
	DefaultQueueBytes = 8 << 20  // 8 MiB of frame data
	DefaultGOPLen     = 600      // frames: a 20 s GOP at 30 fps
	DefaultGOPBytes   = 16 << 20 // 16 MiB of frame data
)

// Options configure a [Distributor]. The zero value is usable.
type Options struct {
	// QueueLen bounds each subscriber's queue in frames; 0 means
	// DefaultQueueLen. Catch-up frames from the cached GOP do not count.
	QueueLen int

	// QueueBytes bounds each subscriber's queue in bytes of frame Data; 0
	// means DefaultQueueBytes. A key frame always enters an empty queue,
	// whatever its size.
	QueueBytes int

	// GOPLen and GOPBytes bound the cached GOP that late joiners start
	// from; 0 means DefaultGOPLen and DefaultGOPBytes. A GOP that outgrows
	// them is dropped from the cache until the next key frame, and new
	// subscribers wait for that key frame. A negative value disables the
	// cache.
	GOPLen   int
	GOPBytes int

	// Keyframes receives key frame requests: for a lagging subscriber, a
	// sequence gap, a subscriber that waits for a key frame, and
	// [Distributor.RequestKeyframe]. Requests are merged and rate-limited
	// to one per KeyframeInterval. nil means nobody is asked.
	Keyframes shmcast.KeyframeRequester

	// KeyframeInterval is the least time between two key frame requests
	// passed to Keyframes; 0 means shmcast.DefaultKeyframeInterval (500 ms).
	KeyframeInterval time.Duration

	// Logger gets Warn records about lagging subscribers (at most one a
	// second) and Debug records about subscriptions. nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.GOPLen == 0 {
		o.GOPLen = DefaultGOPLen
	}
	if o.GOPBytes == 0 {
		o.GOPBytes = DefaultGOPBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// SubscribeOptions configure one [Subscription]. The zero value starts from
// the cached GOP with the distributor's queue limits.
type SubscribeOptions struct {
	// QueueLen and QueueBytes override the distributor's limits for this
	// subscriber; 0 keeps them.
	QueueLen   int
	QueueBytes int

	// WaitForKey starts the subscription at the next live key frame instead
	// of the cached GOP, and asks the producer for one. See the package
	// documentation for the latency trade-off.
	WaitForKey bool
}
