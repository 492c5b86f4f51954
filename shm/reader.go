package shm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

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
	spare       []byte // the next frame's buffer, allocated while waiting
	lastSize    int
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
	r.keyAsked.Store(shmcast.Monotonic())
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
	r.keyAsked.Store(shmcast.Monotonic())
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
		if r.next <= s.writeSeq() {
			f, ok, err := r.take(s)
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

// markActive stores the reader_active time, at most once a second unless forced.
func (r *Reader) markActive(force bool) {
	now := shmcast.Monotonic()
	if force || now-r.lastActive >= r.activeEvery {
		r.lastActive = now
		atomic.StoreInt64(r.seg.i64(offReaderActive), now)
	}
}
