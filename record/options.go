package record

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Format selects the container of the recorded files.
type Format int

const (
	// FMP4 writes fragmented MP4 (ISO/IEC 14496-12): an init segment made
	// from the SPS and PPS, then one moof+mdat fragment per
	// [Options].FragmentDuration. Files end in ".mp4" and play anywhere.
	FMP4 Format = iota
	// AnnexB writes the raw H.264 elementary stream (ITU-T H.264 Annex B),
	// the original behaviour: files end in ".h264" and carry no timestamps.
	AnnexB
)

// Ext returns the file name extension of the format, with its dot.
func (f Format) Ext() string {
	if f == AnnexB {
		return ".h264"
	}
	return ".mp4"
}

// SyncPolicy says when the recorder calls fsync.
//
// Whatever the policy, every fragment is handed to the kernel with one write
// as soon as it is complete, so a crash of the process (even SIGKILL) loses at
// most the open fragment. The policy only matters when the machine loses
// power or the kernel crashes.
type SyncPolicy int

const (
	// SyncFragment fsyncs the file after every fragment and the directory
	// after every file it creates or deletes: a power cut loses at most the
	// open fragment. At one fragment per second this costs one fsync per
	// second. It is the default.
	SyncFragment SyncPolicy = iota
	// SyncSegment fsyncs a file only when its segment is closed (and the
	// directory when a file is created or deleted): a power cut may lose what
	// the kernel had not yet written back of the open segment (typically up
	// to 30 s).
	SyncSegment
	// SyncNone never fsyncs and leaves write-back to the kernel.
	SyncNone
)

// Defaults for the zero values of [Options].
const (
	DefaultPattern          = "2006-01-02T15-04-05.000Z"
	DefaultFragmentDuration = time.Second
	DefaultSegmentDuration  = 10 * time.Minute
	DefaultRetryMin         = time.Second
	DefaultRetryMax         = 30 * time.Second
)

// Options configures a [Recorder]. The zero value of every field except Dir
// is a sensible default.
type Options struct {
	// Dir is the directory that receives the segments; it is created if
	// needed. Retention deletes only files in Dir whose names the recorder
	// makes (see Pattern), so Dir may hold other files, but a dedicated
	// directory is clearer.
	Dir string

	// Pattern is the [time.Layout] of a segment's file name, formatted with
	// the segment's UTC start time; the extension of the Format is appended,
	// and "-1", "-2", ... before it if the name is taken (the recorder never
	// overwrites a file). It must not contain a path separator and must
	// parse back (time.Parse), because retention recognises its own files by
	// parsing their names. Empty means [DefaultPattern], which sorts in time
	// order: "2026-12-04T16-47-30.123Z.mp4".
	Pattern string

	// Format of the files; the zero value is [FMP4].
	Format Format

	// FragmentDuration is the media time a fragment spans: the recorder
	// writes the open fragment as soon as the frames received since its start
	// span FragmentDuration, so a crash loses less than FragmentDuration plus
	// one frame interval (exactly 30 frames at 30 fps and 1 s); 0 means
	// [DefaultFragmentDuration]. In AnnexB format it is how long frames are
	// buffered before one write.
	FragmentDuration time.Duration

	// SegmentDuration is the length after which the recorder starts a new
	// file at the next key frame; 0 means [DefaultSegmentDuration].
	// Durations are measured on the frames' decode timestamps.
	SegmentDuration time.Duration

	// MaxAge deletes segments whose start time (from the file name) is older
	// than MaxAge; 0 keeps them regardless of age. Retention runs whenever a
	// file is created and at most once a minute in between.
	MaxAge time.Duration

	// MaxBytes deletes the oldest segments while the recorder's files in Dir
	// add up to more than MaxBytes; 0 means no limit. The open segment is
	// never deleted.
	MaxBytes int64

	// Sync is the fsync policy; the zero value is [SyncFragment].
	Sync SyncPolicy

	// RetryMin and RetryMax bound the exponential backoff after a write
	// error: the first retry comes RetryMin after the error, each failed
	// retry doubles the wait up to RetryMax. Zero means [DefaultRetryMin]
	// and [DefaultRetryMax]. A retry happens at the first key frame after the
	// wait; no timer or goroutine is involved.
	RetryMin, RetryMax time.Duration

	// OnError, if not nil, is called with every error the recorder handles
	// itself (I/O errors, a full disk, bad parameter sets). It runs on the
	// goroutine that called WriteFrame, Stop or Close, after the recorder's
	// lock is released (so it may call the Recorder's methods), and must not
	// block for long.
	OnError func(error)

	// Logger receives warnings about failures and recoveries; nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("record: options: empty Dir")
	}
	if o.Pattern == "" {
		o.Pattern = DefaultPattern
	}
	if strings.ContainsRune(o.Pattern, '/') {
		return o, fmt.Errorf("record: options: pattern %q contains a path separator", o.Pattern)
	}
	probe := time.Date(2026, 12, 4, 16, 47, 30, 0, time.UTC)
	if t, err := time.Parse(o.Pattern, probe.Format(o.Pattern)); err != nil || !t.Equal(probe) {
		return o, fmt.Errorf("record: options: pattern %q does not record a start time to the second", o.Pattern)
	}
	if o.Format != FMP4 && o.Format != AnnexB {
		return o, fmt.Errorf("record: options: unknown format %d", o.Format)
	}
	if o.FragmentDuration <= 0 {
		o.FragmentDuration = DefaultFragmentDuration
	}
	if o.SegmentDuration <= 0 {
		o.SegmentDuration = DefaultSegmentDuration
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
