package shm

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// wait sleeps on the futex word until the writer publishes, for at most
// LivenessInterval, then checks liveness when nothing came.
func (r *Reader) wait(ctx context.Context, s *segment) error {
	var stop func() bool
	var woken chan struct{}
	var awake atomic.Bool // the futex wait below has returned
	if ctx.Done() != nil {
		woken = make(chan struct{})
		notify := s.notify()
		// ctx may end just after the check below and before the wait
		// begins, when a single wake-up would be lost: wake until awake.
		stop = context.AfterFunc(ctx, func() {
			defer close(woken)
			for !awake.Load() {
				futexWake(notify)
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	r.prepare(s)
	atomic.AddUint32(s.waiters(), 1)
	v := atomic.LoadUint32(s.notify())
	var err error
	if r.next > s.writeSeq() && s.state() != stateClosed && ctx.Err() == nil && !r.closed.Load() {
		err = futexWait(s.notify(), v, LivenessInterval)
	}
	awake.Store(true)
	atomic.AddUint32(s.waiters(), ^uint32(0))
	if stop != nil && !stop() {
		<-woken
	}
	if err == unix.EFAULT { // the page is gone: the file was cut
		return fmt.Errorf("shm: read %s: %w: futex word unmapped", r.path, ErrTruncated)
	}
	if err != nil && err != unix.ETIMEDOUT {
		return fmt.Errorf("shm: read %s: futex: %w", r.path, err)
	}
	if r.next <= s.writeSeq() {
		return nil
	}
	if err == nil && !r.gone && s.state() != stateClosed && time.Since(r.lastCheck) < LivenessInterval/4 {
		return nil // woken without news, checked recently
	}
	return r.checkLiveness(s)
}

// checkLiveness handles a quiet segment: closed stream, truncated file,
// dead or restarted writer.
func (r *Reader) checkLiveness(s *segment) error {
	r.lastCheck = time.Now()
	r.markActive(true)
	if s.state() == stateClosed {
		return io.EOF
	}
	var st unix.Stat_t
	if err := unix.Fstat(s.fd, &st); err != nil {
		return fmt.Errorf("shm: read %s: fstat: %w", r.path, err)
	}
	if uint64(st.Size) < s.l.segmentSize {
		return fmt.Errorf("shm: read %s: %w: %d bytes, segment_size is %d", r.path, ErrTruncated, st.Size, s.l.segmentSize)
	}
	alive, err := writerAlive(s.fd)
	if err != nil {
		return fmt.Errorf("shm: read %s: %w", r.path, err)
	}
	r.alive.Store(alive)
	if alive != !r.gone {
		r.gone = !alive
		if !alive {
			r.log.Warn("shm writer gone; waiting for a new one", "path", r.path)
		}
	}
	same, err := sameFile(r.path, s.dev, s.ino)
	if same || err != nil {
		return nil // ours, or nothing there yet
	}
	return r.reattach(s)
}

// reattach moves to the new segment a restarted writer created at our path.
// A segment that is not valid yet (or no longer there) is retried at the
// next check.
func (r *Reader) reattach(old *segment) error {
	seg, err := openSegment(r.path)
	if err != nil {
		r.log.Debug("shm reattach failed; will retry", "path", r.path, "err", err)
		return nil
	}
	alive, _ := writerAlive(seg.fd)
	if !alive {
		seg.close() // a stale file: keep waiting for a live writer
		return nil
	}
	if w := old.writeSeq(); w >= r.next {
		r.lost.Add(w - r.next + 1)
	}
	r.mapMu.Lock()
	r.seg = seg
	r.mapMu.Unlock()
	old.close()
	r.alive.Store(true)
	r.gone = false
	r.reattaches.Add(1)
	r.discont = true
	r.start()
	r.log.Info("shm reattached to a restarted writer", "path", r.path, "segment_id", fmt.Sprintf("%016x", seg.l.segmentID))
	return nil
}
