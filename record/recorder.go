package record

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
)

// maxGap is the largest decode-time step between two frames that is still
// continuous; a larger step, or one that is not positive, starts a new
// segment as a Discontinuity does.
const maxGap = 60 * shmcast.ClockRate

// defaultDuration is the duration, in 90 kHz ticks, of the last frame of a
// segment that has only one frame (30 fps). Otherwise the last frame gets the
// duration of the one before it.
const defaultDuration = shmcast.ClockRate / 30

// A Recorder is a [shmcast.Sink] that records frames into files in a
// directory: fragmented MP4 or raw Annex B segments that start at key
// frames, rotate, and are deleted by age and size. Feed it from its own
// fanout subscription so that a slow disk never slows anyone else.
//
// WriteFrame does the file writes on the caller's goroutine. It never
// returns an error except [shmcast.ErrClosed] after Close: failures (a full
// disk, an I/O error, a bad access unit) are reported through
// [Options].OnError and [Recorder.Stats], the recorder keeps consuming
// frames without writing them, and it retries with exponential backoff at
// the next key frame. So a Copy loop that feeds it only ends when the source
// ends or the recorder is closed.
//
// All methods are safe for concurrent use. A Recorder starts no goroutines.
type Recorder struct {
	o   Options
	mux muxer
	st  stats

	mu        sync.Mutex
	closed    bool
	recording bool
	seg       *segment
	held      shmcast.Frame // the last frame, written when the next arrives
	hasHeld   bool
	heldDTS   int64  // ticks
	lastDur   uint32 // ticks, duration of the last frame given to mux
	fragStart int64  // ticks, decode time of the open fragment's first frame
	failing   bool
	retryAt   time.Time
	backoff   time.Duration
	retained  time.Time // when retention last ran
	errs      []error   // to report once mu is released
}

var _ shmcast.Sink = (*Recorder)(nil)

// New returns a Recorder that records into o.Dir from the next key frame on.
// It creates o.Dir if needed and applies the retention rules once.
func New(o Options) (*Recorder, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &Recorder{o: o, recording: true}
	if o.Format == AnnexB {
		r.mux = &annexBMuxer{}
	} else {
		r.mux = &fmp4Muxer{}
	}
	r.st.recording.Store(true)
	r.mu.Lock()
	r.retain(time.Now())
	errs := r.takeErrs()
	r.mu.Unlock()
	r.report(errs)
	return r, nil
}

// WriteFrame records f, or skips it while stopped or waiting for a key frame
// or a retry. It returns [shmcast.ErrClosed] after Close and nil otherwise;
// see [Recorder] for how errors are reported.
func (r *Recorder) WriteFrame(f shmcast.Frame) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return shmcast.ErrClosed
	}
	if r.recording {
		r.write(f, time.Now())
	}
	errs := r.takeErrs()
	r.mu.Unlock()
	r.report(errs)
	return nil
}

// Start resumes recording after Stop; the next segment begins at the next
// key frame. It resets the retry backoff. Start on a recording Recorder does
// nothing; after Close it returns [shmcast.ErrClosed].
func (r *Recorder) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return shmcast.ErrClosed
	}
	if !r.recording {
		r.recording = true
		r.failing, r.backoff, r.retryAt = false, 0, time.Time{}
		r.st.recording.Store(true)
		r.st.failing.Store(false)
	}
	return nil
}

// Stop ends the open segment, writing every frame received so far, and
// ignores frames until Start. It returns the error of closing the segment,
// which OnError also sees. After Close it returns [shmcast.ErrClosed].
func (r *Recorder) Stop() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return shmcast.ErrClosed
	}
	r.recording = false
	r.st.recording.Store(false)
	r.closeSegment()
	errs := r.takeErrs()
	r.mu.Unlock()
	r.report(errs)
	return errors.Join(errs...)
}

// Close ends the open segment like Stop and releases the Recorder; later
// calls of WriteFrame, Start and Stop return [shmcast.ErrClosed]. Close is
// idempotent: later calls return nil.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closeSegment()
	r.closed, r.recording = true, false
	r.st.recording.Store(false)
	errs := r.takeErrs()
	r.mu.Unlock()
	r.report(errs)
	return errors.Join(errs...)
}

// Stats returns a snapshot of the counters. It does not wait for a write in
// progress.
func (r *Recorder) Stats() Stats { return r.st.snapshot() }

// write handles one frame while recording. Called with mu held.
func (r *Recorder) write(f shmcast.Frame, now time.Time) {
	if (r.o.MaxAge > 0 || r.o.MaxBytes > 0) && now.Sub(r.retained) >= retentionInterval {
		r.retain(now)
	}
	dts := shmcast.Ticks(f.DTS)
	if r.seg != nil {
		step := dts - r.heldDTS
		switch {
		case f.Discontinuity || step <= 0 || step > maxGap:
			r.closeSegment()
		case f.Key && (dts-r.seg.firstDTS >= shmcast.Ticks(r.o.SegmentDuration) || r.paramsChanged(f)):
			r.push(dts)
			r.closeSegment()
		default:
			r.push(dts)
			if r.seg != nil {
				r.hold(f, dts)
				return
			}
		}
	}
	if !f.Key || (r.failing && now.Before(r.retryAt)) {
		r.st.skipped.Add(1)
		return
	}
	if err := r.openSegment(f, dts, now); err != nil {
		r.fail(err, now)
		r.st.skipped.Add(1)
		return
	}
	r.hold(f, dts)
}

func (r *Recorder) hold(f shmcast.Frame, dts int64) {
	r.held, r.heldDTS, r.hasHeld = f, dts, true
}

// paramsChanged reports whether key frame f carries an SPS or PPS other than
// the open segment's.
func (r *Recorder) paramsChanged(f shmcast.Frame) bool {
	sps, pps := paramSets(f.Data)
	return (sps != nil && !bytes.Equal(sps, r.seg.sps)) || (pps != nil && !bytes.Equal(pps, r.seg.pps))
}

// push gives the held frame to the muxer now that the next frame's decode
// time is known, and writes the fragment once it spans FragmentDuration.
func (r *Recorder) push(next int64) {
	r.add(uint32(next - r.heldDTS))
	if r.seg != nil && next-r.fragStart >= shmcast.Ticks(r.o.FragmentDuration) {
		r.flush()
	}
}

// add gives the held frame, with duration dur, to the muxer.
func (r *Recorder) add(dur uint32) {
	if !r.hasHeld {
		return
	}
	f := r.held
	r.held, r.hasHeld = shmcast.Frame{}, false
	if r.mux.frames() == 0 {
		r.fragStart = r.heldDTS
	}
	r.lastDur = dur
	err := r.mux.add(f.Data, f.Key, r.heldDTS-r.seg.firstDTS, dur, int32(shmcast.Ticks(f.PTS)-r.heldDTS))
	if err != nil {
		// The frames that follow may refer to this one: end the segment
		// and wait for the next key frame.
		r.st.skipped.Add(1)
		r.report1(fmt.Errorf("record: frame %d: %w", f.Seq, err))
		r.closeSegment()
	}
}

// flush writes the open fragment, creating the segment's file with the
// first one.
func (r *Recorder) flush() {
	n := r.mux.frames()
	if n == 0 {
		return
	}
	b, err := r.mux.fragment()
	if err == nil && r.seg.f == nil {
		b = append(r.seg.head, b...)
		r.seg.head = nil
		err = r.createFile()
	}
	if err == nil {
		err = r.seg.write(b, r.o.Sync == SyncFragment)
	}
	if err != nil {
		r.st.skipped.Add(uint64(n))
		r.fail(err, time.Now())
		return
	}
	r.seg.frags++
	r.st.bytes.Add(uint64(len(b)))
	r.st.fragments.Add(1)
	r.st.frames.Add(uint64(n))
	if r.failing {
		r.failing, r.backoff = false, 0
		r.st.failing.Store(false)
		r.o.Logger.Info("record: recording again", "file", r.seg.path)
	}
}

// createFile creates the open segment's file and applies retention.
func (r *Recorder) createFile() error {
	file, path, err := createSegment(&r.o, r.seg.start)
	if err != nil {
		return err
	}
	r.seg.f, r.seg.path = file, path
	r.st.segments.Add(1)
	r.st.file.Store(&r.seg.path)
	r.o.Logger.Debug("record: segment", "file", path)
	if r.o.MaxAge > 0 || r.o.MaxBytes > 0 {
		r.retain(r.seg.start)
	}
	return nil
}

// closeSegment writes the held frame and the open fragment and closes the
// segment, if one is open.
func (r *Recorder) closeSegment() {
	if r.seg == nil {
		return
	}
	dur := r.lastDur
	if dur == 0 {
		dur = defaultDuration
	}
	r.add(dur)
	if r.seg == nil {
		return
	}
	r.flush()
	if r.seg == nil {
		return
	}
	seg := r.seg
	r.seg, r.lastDur = nil, 0
	r.st.file.Store(nil)
	if err := seg.close(r.o.Sync != SyncNone); err != nil {
		r.fail(err, time.Now())
	}
}

// openSegment starts a segment with key frame f.
func (r *Recorder) openSegment(f shmcast.Frame, dts int64, now time.Time) error {
	sps, pps := paramSets(f.Data)
	if sps == nil || pps == nil {
		return fmt.Errorf("record: key frame %d without SPS and PPS", f.Seq)
	}
	info, err := h264.ParseSPS(sps)
	if err != nil {
		return fmt.Errorf("record: key frame %d: %w", f.Seq, err)
	}
	head, err := r.mux.header(sps, pps)
	if err != nil {
		return err
	}
	r.seg = &segment{
		head: append([]byte(nil), head...), start: now, firstDTS: dts, sps: sps, pps: pps,
	}
	r.lastDur = 0
	r.st.size.Store(uint64(info.Width)<<32 | uint64(info.Height))
	return nil
}

// fail reports err, abandons the open segment (keeping what is complete on
// disk) and waits for the backoff before the next try.
func (r *Recorder) fail(err error, now time.Time) {
	r.report1(err)
	if r.hasHeld {
		r.st.skipped.Add(1)
		r.held, r.hasHeld = shmcast.Frame{}, false
	}
	r.st.skipped.Add(uint64(r.mux.frames()))
	r.mux.drop()
	if seg := r.seg; seg != nil {
		r.seg = nil
		r.st.file.Store(nil)
		seg.close(false)
	}
	if r.backoff == 0 {
		r.backoff = r.o.RetryMin
	} else {
		r.backoff = min(2*r.backoff, r.o.RetryMax)
	}
	r.retryAt = now.Add(r.backoff)
	if !r.failing {
		r.o.Logger.Warn("record: not recording", "err", err, "retry", r.backoff)
	}
	r.failing = true
	r.st.failing.Store(true)
}

// retain deletes the files that the retention rules expire.
func (r *Recorder) retain(now time.Time) {
	r.retained = now
	if r.o.MaxAge <= 0 && r.o.MaxBytes <= 0 {
		return
	}
	files, err := ownedFiles(r.o.Dir, r.o.Pattern)
	if err != nil {
		r.report1(fmt.Errorf("record: retention: %w", err))
		return
	}
	keep := ""
	if r.seg != nil {
		keep = r.seg.path
	}
	del := expired(files, now, r.o.MaxAge, r.o.MaxBytes, keep)
	for _, f := range del {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			r.report1(fmt.Errorf("record: retention: %w", err))
			continue
		}
		r.st.deleted.Add(1)
	}
	if len(del) > 0 && r.o.Sync != SyncNone {
		if err := syncDir(r.o.Dir); err != nil {
			r.report1(err)
		}
	}
}

// report1 records err in the stats and queues it for OnError.
func (r *Recorder) report1(err error) {
	r.st.errors.Add(1)
	r.st.lastErr.Store(&timedError{err, time.Now()})
	r.errs = append(r.errs, err)
}

func (r *Recorder) takeErrs() []error {
	errs := r.errs
	r.errs = nil
	return errs
}

// report calls OnError for each error; called without mu.
func (r *Recorder) report(errs []error) {
	if r.o.OnError == nil {
		return
	}
	for _, err := range errs {
		r.o.OnError(err)
	}
}
