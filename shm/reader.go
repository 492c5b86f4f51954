package shm

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shmcast/shmcast"
)

// LivenessInterval is the longest a reader sleeps on the futex word before
// it checks that the writer is alive, the file intact, and the path still
// its segment.
const LivenessInterval = 100 * time.Millisecond

// ReaderOptions configures [Open]. The zero value is usable.
type ReaderOptions struct {
	Dir    string       // directory of the segment; "" means DefaultDir (/dev/shm)
	Logger *slog.Logger // nil discards
}

// ReaderStats is a snapshot of a [Reader]'s counters.
type ReaderStats struct {
	Frames           uint64 // frames delivered
	Lost             uint64 // frames overwritten before we could read them (a gap in Seq)
	Torn             uint64 // copies found torn by the seqlock re-check, dropped and retried (counted in Lost too)
	Skipped          uint64 // non-key frames passed over while waiting for a key frame after joining or reattaching
	Reattaches       uint64 // times the reader moved to a restarted writer's new segment
	KeyframeRequests uint64 // key frame requests sent to the writer
	WriterAlive      bool   // the writer's lock was held at the last check
}

// A Reader reads frames from a segment. It is a [shmcast.Source] and a
// [shmcast.KeyframeRequester]. ReadFrame calls are serialised; every method
// is safe for concurrent use and Close unblocks a waiting ReadFrame. A Reader
// starts no goroutines.
type Reader struct {
	path string
	log  *slog.Logger

	readMu sync.Mutex // held by ReadFrame; Close takes it to unmap
	mapMu  sync.RWMutex
	seg    *segment // replaced on reattach under mapMu

	// State owned by ReadFrame (under readMu).
	next        uint64 // frame number to read next
	waitKey     bool   // skip frames until a key frame
	discont     bool   // mark the next delivered frame
	lastCheck   time.Time
	gone        bool // writer lock found free
	err         error
	fenceWord   uint64
	lastActive  int64
	activeEvery int64

	keyAsked                                          atomic.Int64 // Monotonic() of the last request
	closed                                            atomic.Bool
	frames, lost, torn, skipped, reattaches, requests atomic.Uint64
	alive                                             atomic.Bool
}

var (
	_ shmcast.Source            = (*Reader)(nil)
	_ shmcast.KeyframeRequester = (*Reader)(nil)
)

// Open opens the segment name in o.Dir for reading. A missing segment gives
// an error that matches [os.ErrNotExist] and is [shmcast.Temporary] (the
// producer may not have started yet); an invalid one gives one of
// [ErrNotSegment], [ErrVersion], [ErrCRC], [ErrInconsistent], [ErrTruncated]
// or [ErrCodec]. Reading starts at frame 1 if the writer has published
// nothing yet, else at the newest key frame still in the ring, else at the
// next key frame (after asking the writer for one). From there on every
// frame the writer publishes is counted once: delivered, lost or skipped.
func Open(name string, o ReaderOptions) (*Reader, error) {
	path, err := segmentPath(o.Dir, name)
	if err != nil {
		return nil, fmt.Errorf("shm: open: %w", err)
	}
	seg, err := openSegment(path)
	if err != nil {
		err = fmt.Errorf("shm: open %s: %w", path, err)
		if isNotExist(err) {
			err = shmcast.Temporary(err)
		}
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reader{path: path, log: log, seg: seg, activeEvery: int64(time.Second)}
	alive, _ := writerAlive(seg.fd)
	r.alive.Store(alive)
	r.gone = !alive
	if err := guard(func() error { r.start(); return nil }); err != nil {
		seg.close()
		return nil, fmt.Errorf("shm: open %s: %w", path, err)
	}
	return r, nil
}

// start positions the reader in its (new) segment: at the newest key frame
// still safely in the ring, else at the next frame, waiting for a key frame.
func (r *Reader) start() {
	s := r.seg
	w, k := s.writeSeq(), s.lastKey()
	r.markActive(true)
	if w == 0 && !r.gone { // there from the start: read the stream as it comes
		r.next, r.waitKey = 1, false
		return
	}
	r.waitKey = true
	if !r.gone && k >= 1 && k <= w && w-k+2 <= uint64(s.l.slots) {
		r.next = k
		return
	}
	r.next = w + 1
	r.keyAsked.Store(monotonic())
	if w > 0 && !r.gone {
		r.RequestKeyframe()
	}
}

// Info describes the segment currently read.
func (r *Reader) Info() Info {
	r.mapMu.RLock()
	defer r.mapMu.RUnlock()
	return r.seg.l.info
}

// Stats returns the reader's counters.
func (r *Reader) Stats() ReaderStats {
	return ReaderStats{
		Frames: r.frames.Load(), Lost: r.lost.Load(), Torn: r.torn.Load(),
		Skipped: r.skipped.Load(), Reattaches: r.reattaches.Load(),
		KeyframeRequests: r.requests.Load(), WriterAlive: r.alive.Load(),
	}
}

// RequestKeyframe asks the writer for a key frame by incrementing the
// segment's keyframe_req counter. It never blocks for long.
func (r *Reader) RequestKeyframe() {
	if r.closed.Load() {
		return
	}
	r.mapMu.RLock()
	defer r.mapMu.RUnlock()
	if r.seg.closed {
		return
	}
	guard(func() error { atomic.AddUint64(r.seg.u64(offKeyframeReq), 1); return nil })
	r.requests.Add(1)
	r.keyAsked.Store(monotonic())
}

// Close releases the segment and makes a blocked ReadFrame return
// [shmcast.ErrClosed]. It is idempotent.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	// ReadFrame may be asleep on the futex word: wake it until it lets go.
	for !r.readMu.TryLock() {
		r.mapMu.RLock()
		if !r.seg.closed {
			guard(func() error { futexWake(r.seg.notify()); return nil })
		}
		r.mapMu.RUnlock()
		time.Sleep(time.Millisecond)
	}
	defer r.readMu.Unlock()
	r.mapMu.Lock()
	defer r.mapMu.Unlock()
	r.seg.close()
	return nil
}

// ReadFrame returns the next frame, blocking on the futex word until the
// writer publishes one, ctx is done, or the Reader is closed. It returns
// [io.EOF] once the writer has closed the stream and every frame is read,
// [shmcast.ErrClosed] after Close, and an [ErrTruncated] error if the file is
// cut under it (the process does not crash). The frame after a loss, a
// reattach, or a producer-marked break has Discontinuity set.
func (r *Reader) ReadFrame(ctx context.Context) (f shmcast.Frame, err error) {
	r.readMu.Lock()
	defer r.readMu.Unlock()
	if r.closed.Load() {
		return f, shmcast.ErrClosed
	}
	if r.err != nil {
		return f, r.err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("shm: read %s: %w", r.path, faultError(p))
			r.err = err
		}
	}()
	f, err = r.read(ctx)
	if err != nil && err != io.EOF && err != shmcast.ErrClosed && ctx.Err() == nil {
		r.err = err
	}
	return f, err
}

func (r *Reader) read(ctx context.Context) (shmcast.Frame, error) {
	for {
		if r.closed.Load() {
			return shmcast.Frame{}, shmcast.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return shmcast.Frame{}, err
		}
		s := r.seg
		if w := s.writeSeq(); r.next <= w {
			f, ok, err := r.take(s, w)
			if err != nil || ok {
				return f, err
			}
			continue
		}
		if err := r.wait(ctx, s); err != nil {
			return shmcast.Frame{}, err
		}
	}
}

// take tries to read frame r.next, which the writer has published (w is
// write_seq). It reports ok with a frame to deliver; otherwise r.next moved.
func (r *Reader) take(s *segment, w uint64) (shmcast.Frame, bool, error) {
	n := r.next
	f, st := r.copySlot(s, n)
	switch st {
	case slotOK:
		r.next++
		if r.waitKey && !f.Key {
			r.skipped.Add(1)
			if monotonic()-r.keyAsked.Load() > int64(time.Second) { // the one we asked for got lost
				r.RequestKeyframe()
			}
			return f, false, nil
		}
		r.waitKey = false
		f.Discontinuity = f.Discontinuity || r.discont
		r.discont = false
		r.frames.Add(1)
		r.markActive(false)
		return f, true, nil
	case slotCorrupt:
		return f, false, fmt.Errorf("shm: read %s: %w: frame %d length exceeds max_payload", r.path, ErrCorrupt, n)
	case slotTorn:
		r.torn.Add(1)
	}
	// Overwritten (or torn, which means overwritten while we copied): frame
	// n is gone. Jump to the oldest frame that is safe from the writer now.
	w = s.writeSeq()
	next := n + 1
	if keep := uint64(s.l.slots) - 2; w > keep && w-keep > next {
		next = w - keep // frames w-slots+2 .. w cannot be overwritten yet
	}
	r.lost.Add(next - n)
	r.discont = true
	r.next = next
	return shmcast.Frame{}, false, nil
}

type slotStatus int

const (
	slotOK slotStatus = iota
	slotOverwritten
	slotTorn
	slotCorrupt
)

// copySlot is the reader's seqlock read of frame n: load commit (acquire),
// copy, fence, re-load commit; any change means the copy may be torn.
func (r *Reader) copySlot(s *segment, n uint64) (shmcast.Frame, slotStatus) {
	off := s.l.slotOffset(n)
	commit := s.u64(off + slotCommit)
	c1 := atomic.LoadUint64(commit)
	if c1 != n<<1 {
		return shmcast.Frame{}, slotOverwritten
	}
	slot := s.mem[off : off+uint64(s.l.slotStride)]
	le := binary.LittleEndian
	size := le.Uint32(slot[slotLen:]) // untrusted until the re-check
	corrupt := size > s.l.maxPayload
	if corrupt {
		size = s.l.maxPayload
	}
	flags := le.Uint32(slot[slotFlags:])
	f := shmcast.Frame{
		PTS:           shmcast.FromTicks(int64(le.Uint64(slot[slotPTS:]))),
		DTS:           shmcast.FromTicks(int64(le.Uint64(slot[slotDTS:]))),
		Capture:       int64(le.Uint64(slot[slotCapture:])),
		Key:           flags&slotKey != 0,
		Discontinuity: flags&slotDiscontinuity != 0,
		Seq:           n,
	}
	f.Data = make([]byte, size)
	copy(f.Data, slot[s.l.slotHeaderSize:])
	loadFence(&r.fenceWord)
	if atomic.LoadUint64(commit) != c1 {
		return shmcast.Frame{}, slotTorn
	}
	if corrupt {
		return shmcast.Frame{}, slotCorrupt
	}
	return f, slotOK
}

// markActive stores the reader_active time, at most once a second unless forced.
func (r *Reader) markActive(force bool) {
	now := monotonic()
	if force || now-r.lastActive >= r.activeEvery {
		r.lastActive = now
		atomic.StoreInt64(r.seg.i64(offReaderActive), now)
	}
}

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
