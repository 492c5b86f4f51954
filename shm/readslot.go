package shm

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/shmcast/shmcast"
)

// take tries to read frame r.next, which the writer has published. It
// reports ok with a frame to deliver; otherwise r.next moved.
func (r *Reader) take(s *segment) (shmcast.Frame, bool, error) {
	n := r.next
	f, st := r.copySlot(s, n)
	switch st {
	case slotOK:
		r.next++
		if r.waitKey && !f.Key {
			r.skipped.Add(1)
			if shmcast.Monotonic()-r.keyAsked.Load() > int64(time.Second) { // the one we asked for got lost
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
	w := s.writeSeq()
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
	hs := uint64(s.l.slotHeaderSize)
	if uint32(cap(r.spare)) >= size {
		f.Data = r.spare[:size:size]
		copy(f.Data, slot[hs:])
	} else {
		f.Data = append([]byte(nil), slot[hs:hs+uint64(size)]...) // not zeroed first, unlike make+copy
	}
	loadFence(&r.fenceWord)
	if atomic.LoadUint64(commit) != c1 {
		return shmcast.Frame{}, slotTorn
	}
	if uint32(cap(r.spare)) >= size {
		r.spare = nil // f owns it now
	}
	r.lastSize = int(size)
	if corrupt {
		return shmcast.Frame{}, slotCorrupt
	}
	return f, slotOK
}

// prepare allocates the buffer of the next frame while the reader waits for
// it, sized for a frame up to a quarter larger than the last, and touches
// every page: the page faults and zeroing of fresh memory (about 25 µs for
// 64 KiB here, more than the copy) then happen before the frame arrives,
// not between its publication and its delivery. A delivered frame may
// thus keep up to a quarter more memory than its length alive.
func (r *Reader) prepare(s *segment) {
	want := min(r.lastSize+r.lastSize/4+pageSize, int(s.l.maxPayload))
	if cap(r.spare) >= want {
		return
	}
	r.spare = make([]byte, want)
	for i := 0; i < len(r.spare); i += pageSize {
		if i%(16*pageSize) == 0 && s.writeSeq() >= r.next {
			return // a frame is here: take it now, fault the rest while copying
		}
		r.spare[i] = 0
	}
}
