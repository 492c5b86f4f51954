package record

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a [Recorder]'s counters.
type Stats struct {
	Bytes     uint64 // written to files, headers included
	Frames    uint64 // frames written to files
	Skipped   uint64 // frames not recorded while recording: waiting for a key frame, after an error, bad input
	Fragments uint64 // fragments written (AnnexB: buffered writes)
	Segments  uint64 // files created
	Deleted   uint64 // files deleted by retention
	Errors    uint64 // errors reported through OnError

	Recording bool   // between Start (or New) and Stop
	Failing   bool   // an error stopped the recording and no fragment has been written since
	File      string // path of the open segment's file; empty when none (a file appears with its first fragment)

	Width, Height int // picture size of the latest segment, from its SPS

	LastError     error     // most recent error; nil if none yet
	LastErrorTime time.Time // when LastError happened
}

// stats holds the live counters; they are read without the recorder's lock.
type stats struct {
	bytes, frames, skipped, fragments, segments, deleted, errors atomic.Uint64

	recording, failing atomic.Bool
	size               atomic.Uint64 // width<<32 | height
	file               atomic.Pointer[string]
	lastErr            atomic.Pointer[timedError]
}

type timedError struct {
	err error
	at  time.Time
}

func (s *stats) snapshot() Stats {
	st := Stats{
		Bytes:     s.bytes.Load(),
		Frames:    s.frames.Load(),
		Skipped:   s.skipped.Load(),
		Fragments: s.fragments.Load(),
		Segments:  s.segments.Load(),
		Deleted:   s.deleted.Load(),
		Errors:    s.errors.Load(),
		Recording: s.recording.Load(),
		Failing:   s.failing.Load(),
	}
	size := s.size.Load()
	st.Width, st.Height = int(size>>32), int(uint32(size))
	if p := s.file.Load(); p != nil {
		st.File = *p
	}
	if e := s.lastErr.Load(); e != nil {
		st.LastError, st.LastErrorTime = e.err, e.at
	}
	return st
}
