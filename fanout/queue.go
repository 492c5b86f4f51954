package fanout

import (
	"time"

	"github.com/shmcast/shmcast"
)

// A queue is a fixed-capacity ring of frames. The frames share their Data
// with every other queue; the ring holds the values only. It is not safe
// for concurrent use: its [Subscription] guards it.
type queue struct {
	buf   []shmcast.Frame
	head  int // index of the oldest frame
	n     int // frames queued
	bytes int // len(Data) of the frames queued

	// The first cached frames of the queue (and their cachedBytes) are
	// catch-up frames from the distributor's GOP.
	cached      int
	cachedBytes int
}

func newQueue(capacity int) queue {
	return queue{buf: make([]shmcast.Frame, capacity)}
}

// push appends f; the caller has checked that the ring has room.
func (q *queue) push(f shmcast.Frame) {
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = f
	q.n++
	q.bytes += len(f.Data)
}

// pop removes and returns the oldest frame, and whether it was a catch-up
// frame. The queue must not be empty.
func (q *queue) pop() (f shmcast.Frame, cached bool) {
	f = q.buf[q.head]
	q.buf[q.head] = shmcast.Frame{} // let the data go
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	q.bytes -= len(f.Data)
	if q.cached > 0 {
		q.cached--
		q.cachedBytes -= len(f.Data)
		cached = true
	}
	return f, cached
}

// flush empties the queue and returns how many frames it held.
func (q *queue) flush() int {
	n := q.n
	for q.n > 0 {
		q.pop()
	}
	q.head = 0
	return n
}

// next returns the DTS of the oldest queued frame; the queue must not be
// empty.
func (q *queue) next() time.Duration { return q.buf[q.head].DTS }
