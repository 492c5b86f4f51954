package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shmcast/shmcast"
)

// Backoff bounds for restarting a stage.
const (
	restartMin = 100 * time.Millisecond
	restartMax = 2 * time.Second
)

// errPanic marks an error made from a recovered panic.
var errPanic = errors.New("panic")

// A supervisor runs a stream's stages, restarts them after errors and
// panics, and counts what went wrong. The original design's rules: temporary
// errors are retried at once; ten in a row escalate, and the stage is
// restarted with exponential backoff; fatal errors restart it with backoff
// too, so a vanished camera is waited for, not a crash.
type supervisor struct {
	stream  string
	log     *slog.Logger
	metrics *metrics
	rate    *errorRate
}

// stageFunc runs a stage until ctx is done or it fails. It reports every
// error it handles itself (and keeps going) through report.
type stageFunc func(ctx context.Context, report func(error)) error

// run runs fn until ctx is done, restarting it after it returns: at once
// after a temporary error, with exponential backoff once ten temporary errors
// came in a row or after a fatal error or a panic.
func (s *supervisor) run(ctx context.Context, stage string, fn stageFunc) {
	log := s.log.With("stage", stage)
	report := func(err error) { s.count(stage, err) }
	var esc shmcast.Escalator
	backoff := restartMin
	for ctx.Err() == nil {
		start := time.Now()
		err := s.call(ctx, fn, report)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = shmcast.Temporary(errors.New("stage ended"))
		}
		s.count(stage, err)
		if time.Since(start) > time.Minute { // it ran fine for a while: forget the past
			esc.Fatal(nil)
			backoff = restartMin
		}
		wait := restartMin
		switch {
		case errors.Is(err, errPanic):
			log.Error("stage panicked; restarting", "err", err, "in", backoff)
			wait, backoff = backoff, min(2*backoff, restartMax)
		case esc.Fatal(err):
			if backoff == restartMin { // log the escalation once, not every retry
				log.Warn("stage keeps failing; restarting with backoff", "err", err, "errors", esc.Consecutive())
			} else {
				log.Debug("stage still failing", "err", err, "in", backoff)
			}
			wait, backoff = backoff, min(2*backoff, restartMax)
		default:
			log.Debug("stage stopped; restarting", "err", err)
		}
		s.metrics.restarts.WithLabelValues(s.stream, stage).Inc()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// call runs fn and turns a panic into an error that carries the stack.
func (s *supervisor) call(ctx context.Context, fn stageFunc, report func(error)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, p, debug.Stack())
		}
	}()
	return fn(ctx, report)
}

func (s *supervisor) count(stage string, err error) {
	class := "fatal"
	switch {
	case errors.Is(err, errPanic):
		class = "panic"
	case shmcast.IsTemporary(err):
		class = "temporary"
	}
	s.metrics.errors.WithLabelValues(s.stream, stage, class).Inc()
	s.rate.add()
}

// errorRate counts errors of all stages and warns when more than max happen
// within one window.
type errorRate struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	max    int
	log    *slog.Logger
}

func (r *errorRate) add() {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

// watch checks the count at the end of every window until ctx is done.
func (r *errorRate) watch(ctx context.Context) {
	t := time.NewTicker(r.window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		n := r.n
		r.n = 0
		r.mu.Unlock()
		if n > r.max {
			r.log.Warn("high error rate", "errors", n, "window", r.window, "threshold", r.max)
		}
	}
}
