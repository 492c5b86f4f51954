// Package fanout hands one stream of frames to many consumers of very
// different speeds: WebRTC viewers, recorders, analysers.
//
// A [Distributor] is a [shmcast.Sink]; each [Subscription] is a
// [shmcast.Source]. The producer wires the distributor with [shmcast.Copy],
// and every consumer reads its own subscription from its own goroutine:
//
//	src ──Copy──► Distributor ──┬── Subscription ──Copy──► webrtcsink
//	                            └── Subscription ──Copy──► record
//
// # Never blocking the producer
//
// [Distributor.WriteFrame] never waits for a consumer and starts no
// goroutine. It appends the frame (a value whose Data slice is shared, never
// copied) to one bounded queue per subscriber, in O(subscribers) time and
// without allocating. The package starts no goroutines at all; callers own
// every reader. The only timer is the [shmcast.KeyframeLimiter]'s.
//
// # Slow consumers: drop until the next key frame
//
// A queue is bounded in frames and in bytes. When a frame does not fit, the
// subscription drops it and every following frame up to the next key frame,
// because every P-frame of a GOP refers to the one before it: dropping one
// frame alone would corrupt the picture until the next IDR. It counts the
// frames and the resync, and asks the producer for a key frame through the
// [Options].Keyframes requester, merged across subscribers and rate-limited by
// a [shmcast.KeyframeLimiter]. A key frame that does not fit replaces the
// stale queue: the subscriber jumps to the newest picture. The first frame
// delivered after a loss is a key frame marked Discontinuity.
//
// The delivered stream of every subscription therefore decodes: it starts
// with a key frame, and every delivered non-key frame's predecessor was
// delivered just before it.
//
// A sequence gap (Frame.Seq not one more than the previous non-zero Seq) or a
// Frame.Discontinuity from the source means frames were lost upstream: every
// subscriber waits for the next key frame, and the cached GOP is dropped.
//
// # Late join: picture now, or the next key frame
//
// The distributor keeps the current GOP: the frames from the last key frame
// on, bounded by [Options].GOPBytes and [Options].GOPLen. A new subscriber
// starts with a copy of it (the frame values, not their data), so it can
// decode the current picture at once. These catch-up frames are in the
// past: the newest of them is the latest frame written, the oldest up to one
// GOP earlier. A consumer that plays them at their original pace adds up to a
// whole GOP of latency for the rest of its session; the WebRTC sink instead
// sends them as a burst with timestamps squeezed just before the live frames,
// so the decoder runs through them and shows the live picture. Use
// [Subscription.ReadFrameCached] or [Subscription.CatchUp] to tell catch-up
// frames from live ones. Catch-up frames do not count against the queue's
// limits.
//
// With [SubscribeOptions].WaitForKey (or when no GOP is cached) the
// subscription instead starts at the next key frame and the distributor asks
// for one: the first picture comes one frame interval later when the
// producer honours key frame requests, and up to a whole GOP later when it
// cannot, but no stale frames are delivered. A recorder wants this; a viewer
// wants the cached GOP.
//
// # Lifetimes
//
// [Distributor.Close] ends the stream: each subscription's ReadFrame returns
// the frames still queued, then [io.EOF]. [Subscription.Close] detaches one
// reader; it is safe from any goroutine at any time, unblocks a waiting
// ReadFrame with [shmcast.ErrClosed], and never races with WriteFrame: the
// distributor owns the queues and no channel is ever closed.
package fanout
