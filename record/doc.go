// Package record records a live H.264 stream into files that play anywhere,
// survive a crash, rotate, and never fill the disk.
//
// A [Recorder] is a [shmcast.Sink] at the end of the chain. Give it its own
// fanout subscription, so that a slow or full disk can only make the
// recorder skip frames, never slow the viewers:
//
//	rec, err := record.New(record.Options{Dir: "/var/rec", MaxBytes: 10 << 30})
//	sub := dist.Subscribe(fanout.SubscribeOptions{})
//	g.Go(func() error { defer sub.Close(); return shmcast.Copy(ctx, rec, sub) })
//	...
//	rec.Close()
//
// # Files
//
// Each segment is one file. It starts at a key frame, with the SPS and PPS
// of that frame in its init segment ([FMP4], the default) or in band
// ([AnnexB], the raw stream of the original design). A new segment starts
// at the first key frame after [Options].SegmentDuration, at a key frame
// whose SPS or PPS differ (a new resolution), and at the first key frame
// after a [shmcast.Frame].Discontinuity or a timestamp jump. Files are named
// by their UTC start time ([Options].Pattern).
//
// Fragmented MP4 is written through mediacommon's fmp4 package: the init
// segment (ftyp+moov), then one moof+mdat fragment whenever the open
// fragment spans [Options].FragmentDuration (1 s by default). Each fragment
// reaches the kernel in one write, the first one together with the init
// segment (a file is created only then, so no file ever lacks a picture).
// A crash of the process, even SIGKILL, therefore leaves a playable file that
// lacks at most the open fragment; the [SyncPolicy] decides what a power cut
// may lose.
//
// Timestamps come from the frames' DTS and PTS on a 90 kHz timescale, as
// [shmcast.Frame] requires them (DTS equal to PTS without B-frames); a frame
// whose DTS does not increase starts a new segment like a discontinuity. A
// frame's duration is the distance to the next frame's DTS, so the recorder
// holds one frame back and writes it when the next arrives; the last frame
// of a segment gets the duration of the one before it.
//
// # Errors
//
// WriteFrame does the file writes on the caller's goroutine and returns no
// error but [shmcast.ErrClosed] after Close, so that a Copy loop never stops
// because of the disk. On a full disk or any I/O error the recorder cuts the
// file back to its last complete fragment, closes it, reports the error
// ([Options].OnError, [Recorder.Stats]), keeps consuming frames without
// writing them, and tries again at the first key frame after an exponential
// backoff ([Options].RetryMin, RetryMax).
//
// # Retention
//
// After each new segment, and at most once a minute otherwise, the recorder
// deletes its oldest files by age ([Options].MaxAge) and by total size
// ([Options].MaxBytes). It considers only regular files in Dir whose names
// parse back with the pattern, so it never deletes a file it could not have
// written, and never the open segment.
//
// Start and Stop pause and resume recording at run time; all methods are
// safe for concurrent use. The package starts no goroutines.
package record
