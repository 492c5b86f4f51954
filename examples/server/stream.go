package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/fanout"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/record"
	"github.com/shmcast/shmcast/shm"
	"github.com/shmcast/shmcast/webrtcsink"
)

// A stream is one shared-memory segment and everything that serves it:
//
//	shm.Reader → h264.Parser → fanout.Distributor ─┬→ webrtcsink.Sink (viewers)
//	                                               └→ record.Recorder
//
// The distributor, the viewers' sink and the recorder live as long as the
// server; the reader and parser are made anew whenever the ingest stage
// restarts (a producer that went away), so viewers stay connected and see
// the picture come back.
type stream struct {
	name    string
	shmDir  string
	log     *slog.Logger
	metrics *metrics

	dist    *fanout.Distributor
	viewers *webrtcsink.Sink
	rec     *record.Recorder

	upstream upstream // the current reader, for key frame requests

	mu          sync.Mutex
	reader      *shm.Reader     // nil between producers
	parser      *h264.Parser    // of reader
	oldReaders  shm.ReaderStats // summed counters of readers closed before
	oldParsers  h264.ParserStats
	producerErr error // why the last open failed; nil once a reader is open

	latencyNS atomic.Int64 // capture to send, of the last frame sent to viewers
}

func newStream(name string, c *config, m *metrics, t *webrtcsink.Transport, log *slog.Logger) (*stream, error) {
	s := &stream{name: name, shmDir: c.shmDir, log: log, metrics: m}
	s.dist = fanout.New(fanout.Options{Keyframes: &s.upstream, Logger: log})
	var err error
	s.viewers, err = webrtcsink.New(webrtcsink.Options{
		Keyframes:    s.dist,
		MaxViewers:   c.maxViewers,
		BurstGOP:     c.burstGOP,
		QueueLen:     burstQueueLen(c.burstGOP),
		BearerToken:  c.token,
		Transport:    t,
		AllowOrigins: c.allowOrigins,
		Logger:       log,
	})
	if err != nil {
		s.dist.Close()
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	s.rec, err = record.New(record.Options{
		Dir:             filepath.Join(c.recordDir, name),
		SegmentDuration: c.recordSegment,
		MaxAge:          c.recordMaxAge,
		MaxBytes:        c.recordMaxBytes,
		Logger:          log,
		OnError:         func(error) { m.recordErrors.WithLabelValues(name).Inc() },
	})
	if err == nil && !c.recordOnStart {
		err = s.rec.Stop()
	}
	if err != nil {
		s.viewers.Close()
		s.dist.Close()
		return nil, fmt.Errorf("stream %s: recorder: %w", name, err)
	}
	return s, nil
}

// burstQueueLen is each viewer's queue in frames: a burst needs room for
// a whole GOP (webrtcsink bursts GOPs up to half its queue), so with
// -burst-gop it holds two 60-frame GOPs; 0 keeps webrtcsink's default.
func burstQueueLen(burst bool) int {
	if burst {
		return 240
	}
	return 0
}

// run runs the stream's stages under sup until ctx is done, then closes
// the distributor, the viewers and the recorder (which finishes its last
// fragment). It returns when every goroutine it started has ended.
func (s *stream) run(ctx context.Context, sup *supervisor) {
	var wg sync.WaitGroup
	wg.Go(func() { sup.run(ctx, "ingest", s.ingest) })
	wg.Go(func() { sup.run(ctx, "viewers", s.feed(s.latencySink(), "viewers")) })
	wg.Go(func() { sup.run(ctx, "record", s.feed(s.rec, "record")) })
	wg.Wait()
	s.dist.Close()
	s.viewers.Close()
	if err := s.rec.Close(); err != nil {
		s.log.Warn("closing the recording", "err", err)
	}
}

// ingest reads the segment until the producer goes away or fails for good.
// A bad frame is counted and skipped; ten in a row restart the stage.
func (s *stream) ingest(ctx context.Context, report func(error)) error {
	r, err := shm.Open(s.name, shm.ReaderOptions{Dir: s.shmDir, Logger: s.log})
	if err != nil {
		s.setProducerErr(err)
		return err
	}
	p := h264.NewParser(r)
	s.attach(r, p)
	defer s.detach()
	s.log.Info("producer attached", "segment", s.name, "size", fmt.Sprintf("%dx%d", r.Info().Width, r.Info().Height))

	var esc shmcast.Escalator
	for {
		f, err := p.ReadFrame(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				s.log.Info("producer closed the stream; waiting for it to come back")
				return shmcast.Temporary(fmt.Errorf("segment %s: producer closed the stream", s.name))
			}
			if esc.Fatal(err) {
				return fmt.Errorf("segment %s: %w (after %d errors in a row)", s.name, err, esc.Consecutive())
			}
			report(err)
			continue
		}
		esc.Fatal(nil)
		if err := s.dist.WriteFrame(f); err != nil {
			return err
		}
	}
}

// feed returns a stage that copies a subscription into sink.
func (s *stream) feed(sink shmcast.Sink, name string) stageFunc {
	return func(ctx context.Context, _ func(error)) error {
		sub := s.dist.Subscribe(fanout.SubscribeOptions{WaitForKey: true})
		defer sub.Close()
		if err := shmcast.Copy(ctx, sink, sub); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}

// latencySink measures capture-to-send latency in front of the viewers' sink.
func (s *stream) latencySink() shmcast.Sink {
	h := s.metrics.latency.WithLabelValues(s.name)
	return shmcast.SinkFunc(func(f shmcast.Frame) error {
		err := s.viewers.WriteFrame(f)
		if f.Capture != 0 {
			d := shmcast.Monotonic() - f.Capture
			s.latencyNS.Store(d)
			h.Observe(time.Duration(d).Seconds())
		}
		return err
	})
}

func (s *stream) attach(r *shm.Reader, p *h264.Parser) {
	s.mu.Lock()
	s.reader, s.parser, s.producerErr = r, p, nil
	s.mu.Unlock()
	s.upstream.set(r)
	r.RequestKeyframe() // viewers may be waiting for a picture
}

func (s *stream) detach() {
	s.upstream.set(nil)
	s.mu.Lock()
	r, p := s.reader, s.parser
	s.reader, s.parser = nil, nil
	s.oldReaders = addReaderStats(s.oldReaders, r.Stats())
	s.oldParsers = addParserStats(s.oldParsers, p.Stats())
	s.mu.Unlock()
	r.Close()
}

func (s *stream) setProducerErr(err error) {
	s.mu.Lock()
	s.producerErr = err
	s.mu.Unlock()
}

// producer returns the counters of every reader and parser so far, the
// current segment's description, and why no producer is attached.
func (s *stream) producer() (shm.ReaderStats, h264.ParserStats, *shm.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, ps := s.oldReaders, s.oldParsers
	if s.reader == nil {
		rs.WriterAlive = false
		return rs, ps, nil, s.producerErr
	}
	rs = addReaderStats(rs, s.reader.Stats())
	ps = addParserStats(ps, s.parser.Stats())
	info := s.reader.Info()
	return rs, ps, &info, nil
}

func addReaderStats(a, b shm.ReaderStats) shm.ReaderStats {
	return shm.ReaderStats{
		Frames: a.Frames + b.Frames, Lost: a.Lost + b.Lost, Torn: a.Torn + b.Torn,
		Skipped: a.Skipped + b.Skipped, Reattaches: a.Reattaches + b.Reattaches,
		KeyframeRequests: a.KeyframeRequests + b.KeyframeRequests, WriterAlive: b.WriterAlive,
	}
}

func addParserStats(a, b h264.ParserStats) h264.ParserStats {
	return h264.ParserStats{
		Frames: a.Frames + b.Frames, KeyFrames: a.KeyFrames + b.KeyFrames, Dropped: a.Dropped + b.Dropped,
		Absorbed: a.Absorbed + b.Absorbed, BadFrames: a.BadFrames + b.BadFrames,
		ParamsInserted: a.ParamsInserted + b.ParamsInserted,
	}
}

// upstream forwards key frame requests to the current reader, if any.
type upstream struct{ r atomic.Pointer[shm.Reader] }

func (u *upstream) set(r *shm.Reader) { u.r.Store(r) }

func (u *upstream) RequestKeyframe() {
	if r := u.r.Load(); r != nil {
		r.RequestKeyframe()
	}
}
