// Package shm moves H.264 access units between processes through a
// shared-memory ring buffer: the SHMVIDEO segment format, specified in
// docs/shm-format.md, with a [Writer] for producers and a [Reader] for
// consumers.
//
// A producer (a camera or encoder process; examples/shmfeed; a C program
// using include/shmvideo.h) creates /dev/shm/<name> with [Create] and
// publishes frames with [Writer.WriteFrame]. It never waits for readers: a
// reader that falls a whole ring behind loses frames, knows exactly how
// many, and resynchronises. Any number of readers [Open] the segment; each
// [Reader] is the [shmcast.Source] at the head of the server's chain:
//
//	src, err := shm.Open("cam", shm.ReaderOptions{})
//	...
//	err = shmcast.Copy(ctx, next, src)
//
// Readers are woken by a futex on a word in the segment, so a frame reaches
// a reader within microseconds of its publication, not after a polling
// tick. Every slot is a seqlock: a frame the writer overwrote while it was
// being copied is detected and dropped, never delivered torn. The writer
// holds an OFD lock for life; a reader notices a dead writer within
// [LivenessInterval] and moves to the new segment of a restarted one,
// marking the next frame as a discontinuity. A file truncated under a reader
// gives [ErrTruncated], not a SIGBUS crash. Key frame requests travel from
// [Reader.RequestKeyframe] to [Writer.KeyframeRequested].
//
// Goroutines and buffers: neither type starts a goroutine. ReadFrame blocks
// in the caller's goroutine and returns a freshly allocated Data that the
// caller owns; WriteFrame copies Data into the ring. Linux only.
package shm
