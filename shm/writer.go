package shm

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shmcast/shmcast"
)

// WriterOptions configures [Create]. The zero value is usable.
type WriterOptions struct {
	Dir          string // directory of the segment; "" means DefaultDir (/dev/shm)
	Slots        int    // ring slots, a power of two in [2, 65536]; 0 means 64
	MaxFrameSize int    // largest access unit in bytes, up to 64 MiB; 0 means 1 MiB

	Width, Height              int  // coded size, for readers' information; 0 if unknown
	FrameRateNum, FrameRateDen int  // frame rate as a fraction; 0 if unknown
	ParamsInBand               bool // the producer puts SPS and PPS before every IDR

	GroupAccess bool // create the file 0660 instead of 0600
}

// WriterStats is a snapshot of a [Writer]'s counters.
type WriterStats struct {
	Frames           uint64 // frames published; also the last frame number
	KeyFrames        uint64 // of which key frames
	KeyframeRequests uint64 // readers' key frame requests seen so far
}

// A Writer publishes frames into a segment. It never waits for readers.
// WriteFrame, KeyframeRequested, Stats and Close are safe for concurrent use.
type Writer struct {
	path string
	mu   sync.Mutex
	seg  *segment
	seq  uint64
	keys uint64
	kfr  uint64 // keyframe_req value last consumed
	w, h uint32
}

var _ shmcast.Sink = (*Writer)(nil)

// Create creates the segment name in o.Dir and returns its writer. It fails
// with [ErrBusy] if a live writer holds a segment of that name, and with
// [ErrNotSegment] if a file that is not a segment has the name; a stale
// segment (its writer gone) is replaced and its readers are woken so that
// they reattach at once.
func Create(name string, o WriterOptions) (*Writer, error) {
	path, err := segmentPath(o.Dir, name)
	if err != nil {
		return nil, fmt.Errorf("shm: create: %w", err)
	}
	w, err := create(path, name, o)
	if err != nil {
		return nil, fmt.Errorf("shm: create %s: %w", path, err)
	}
	return w, nil
}

func create(path, name string, o WriterOptions) (*Writer, error) {
	if o.Slots == 0 {
		o.Slots = 64
	}
	if o.MaxFrameSize == 0 {
		o.MaxFrameSize = 1 << 20
	}
	if o.Slots < MinSlots || o.Slots > MaxSlots || o.Slots&(o.Slots-1) != 0 {
		return nil, fmt.Errorf("%w: %d slots is not a power of two in [%d, %d]", ErrInconsistent, o.Slots, MinSlots, MaxSlots)
	}
	if o.MaxFrameSize < 1 || o.MaxFrameSize > MaxFrameLimit {
		return nil, fmt.Errorf("%w: max frame size %d not in [1, %d]", ErrInconsistent, o.MaxFrameSize, MaxFrameLimit)
	}
	stale, err := checkExisting(path)
	if err != nil {
		return nil, err
	}
	l := newLayout(o.Slots, o.MaxFrameSize)
	l.segmentID = randomID()
	l.info = Info{
		Name: name, Width: o.Width, Height: o.Height,
		FrameRateNum: o.FrameRateNum, FrameRateDen: o.FrameRateDen,
		ParamsInBand: o.ParamsInBand, WriterPID: os.Getpid(), Created: time.Now(),
	}
	perm := uint32(0o600)
	if o.GroupAccess {
		perm = 0o660
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp.%d.%x", name, os.Getpid(), l.segmentID))
	fd, err := unix.Open(tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, perm)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: tmp, Err: err}
	}
	seg, err := initSegment(fd, perm, &l)
	if err == nil {
		err = unix.Rename(tmp, path)
	}
	if err != nil {
		unix.Unlink(tmp)
		if seg != nil {
			seg.close()
		} else {
			unix.Close(fd)
		}
		return nil, err
	}
	if stale != nil {
		wakeStale(stale)
	}
	return &Writer{path: path, seg: seg, w: uint32(o.Width), h: uint32(o.Height)}, nil
}

// checkExisting opens the file at path, if any: ErrBusy if its writer is
// alive, ErrNotSegment if it is not a segment at all, else the open file (a
// stale segment to wake after replacing it).
func checkExisting(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW, 0)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var magic [len(Magic)]byte
	n, _ := f.ReadAt(magic[:], 0)
	alive, err := writerAlive(int(f.Fd()))
	switch {
	case err != nil:
	case alive:
		err = ErrBusy
	case string(magic[:n]) != Magic: // someone else's file: leave it alone
		err = fmt.Errorf("%w: will not replace it", ErrNotSegment)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// wakeStale bumps the futex word of a replaced segment, if it is one, so
// that its readers notice the new segment without waiting for a timeout.
func wakeStale(f *os.File) {
	defer f.Close()
	if s, err := mapSegment(int(f.Fd())); err == nil {
		guard(func() error {
			atomic.AddUint32(s.notify(), 1)
			futexWake(s.notify())
			return nil
		})
		unix.Munmap(s.mem)
	}
}

// initSegment sizes, locks, maps and fills a new segment file, storing the
// magic last.
func initSegment(fd int, perm uint32, l *layout) (*segment, error) {
	if err := unix.Fchmod(fd, perm); err != nil { // umask must not narrow it
		return nil, fmt.Errorf("fchmod: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(l.segmentSize)); err != nil {
		return nil, fmt.Errorf("ftruncate: %w", err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 1}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		return nil, fmt.Errorf("fcntl F_OFD_SETLK: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, int(l.segmentSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Munmap(mem)
		return nil, fmt.Errorf("fstat: %w", err)
	}
	s := &segment{fd: fd, mem: mem, l: *l, dev: uint64(st.Dev), ino: st.Ino}
	hdr := make([]byte, HeaderSize)
	encodeHeader(hdr, l)
	copy(mem[8:HeaderSize], hdr[8:])
	atomic.StoreUint32(s.u32(offState), stateLive)
	atomic.StoreUint64(s.u64(offMagic), binary.LittleEndian.Uint64(hdr[:8]))
	return s, nil
}

func randomID() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if id := binary.LittleEndian.Uint64(b[:]); id != 0 {
			return id
		}
	}
}

// Path returns the segment's file name.
func (w *Writer) Path() string { return w.path }

// WriteFrame publishes f as the next frame. It copies f.Data into the ring
// and never waits for readers; f.Seq is ignored (the writer numbers frames
// from 1), a zero f.Capture is replaced by the publish time. It returns
// [ErrFrameTooLarge] for a frame that does not fit a slot and
// [shmcast.ErrClosed] after Close.
func (w *Writer) WriteFrame(f shmcast.Frame) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seg == nil {
		return shmcast.ErrClosed
	}
	if len(f.Data) > int(w.seg.l.maxPayload) {
		return fmt.Errorf("shm: write %s: %w: %d > %d bytes", w.path, ErrFrameTooLarge, len(f.Data), w.seg.l.maxPayload)
	}
	if err := guard(func() error { w.publish(&f); return nil }); err != nil {
		return fmt.Errorf("shm: write %s: %w", w.path, err)
	}
	return nil
}

// publish is the writer's algorithm of docs/shm-format.md §Writer.
func (w *Writer) publish(f *shmcast.Frame) {
	s := w.seg
	seq := w.seq + 1
	off := s.l.slotOffset(seq)
	slot := s.mem[off : off+uint64(s.l.slotStride)]
	commit := s.u64(off + slotCommit)
	// Odd commit first. Swap is a full barrier: no payload store below
	// becomes visible before it (a plain release store would not ensure that).
	atomic.SwapUint64(commit, seq<<1|1)
	le := binary.LittleEndian
	var flags uint32
	if f.Key {
		flags |= slotKey
	}
	if f.Discontinuity {
		flags |= slotDiscontinuity
	}
	le.PutUint64(slot[slotPTS:], uint64(shmcast.Ticks(f.PTS)))
	le.PutUint64(slot[slotDTS:], uint64(shmcast.Ticks(f.DTS)))
	le.PutUint32(slot[slotLen:], uint32(len(f.Data)))
	le.PutUint32(slot[slotFlags:], flags)
	le.PutUint32(slot[slotWidth:], w.w)
	le.PutUint32(slot[slotHeight:], w.h)
	copy(slot[s.l.slotHeaderSize:], f.Data)
	capture := f.Capture
	if capture == 0 { // unknown: the publish time, taken after the copy
		capture = shmcast.Monotonic()
	}
	le.PutUint64(slot[slotCapture:], uint64(capture))
	atomic.StoreUint64(commit, seq<<1) // release: the slot is complete
	if f.Key {
		atomic.StoreUint64(s.u64(offLastKeySeq), seq)
		w.keys++
	}
	atomic.StoreUint64(s.u64(offWriteSeq), seq)
	atomic.StoreInt64(s.i64(offHeartbeat), shmcast.Monotonic())
	w.seq = seq
	atomic.AddUint32(s.notify(), 1)
	if atomic.LoadUint32(s.waiters()) != 0 {
		futexWake(s.notify())
	}
}

// SetSize changes the width and height written into the following slots,
// for a producer whose coded size changes at a key frame.
func (w *Writer) SetSize(width, height int) {
	w.mu.Lock()
	w.w, w.h = uint32(width), uint32(height)
	w.mu.Unlock()
}

// KeyframeRequested reports whether a reader asked for a key frame since the
// last call, and consumes the requests. A producer calls it before encoding
// each frame and forces an IDR when it returns true.
func (w *Writer) KeyframeRequested() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seg == nil {
		return false
	}
	var v uint64
	guard(func() error { v = atomic.LoadUint64(w.seg.u64(offKeyframeReq)); return nil })
	if v == w.kfr {
		return false
	}
	w.kfr = v
	return true
}

// ReaderActive returns the CLOCK_MONOTONIC time (ns) at which a reader last
// showed life, or 0 if none ever did; compare with [shmcast.Monotonic].
func (w *Writer) ReaderActive() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seg == nil {
		return 0
	}
	var v int64
	guard(func() error { v = atomic.LoadInt64(w.seg.i64(offReaderActive)); return nil })
	return v
}

// Stats returns the writer's counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := WriterStats{Frames: w.seq, KeyFrames: w.keys, KeyframeRequests: w.kfr}
	if w.seg != nil {
		guard(func() error { st.KeyframeRequests = atomic.LoadUint64(w.seg.u64(offKeyframeReq)); return nil })
	}
	return st
}

// Close marks the stream closed, wakes the readers (they read what is left,
// then get io.EOF), removes the file if the path still names this writer's
// segment, and releases the writer's lock. It is idempotent.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.seg
	if s == nil {
		return nil
	}
	w.seg = nil
	guard(func() error {
		atomic.StoreUint32(s.u32(offState), stateClosed)
		atomic.AddUint32(s.notify(), 1)
		futexWake(s.notify())
		return nil
	})
	var err error
	// Unlink while holding the lock: no other writer can have replaced the
	// file in between, since a writer refuses to replace a locked segment.
	if same, _ := sameFile(w.path, s.dev, s.ino); same {
		if e := unix.Unlink(w.path); e != nil {
			err = fmt.Errorf("shm: close %s: unlink: %w", w.path, e)
		}
	}
	s.close()
	return err
}
