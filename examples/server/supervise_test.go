package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/shmcast/shmcast"
)

// logBuffer is a slog handler's output, safe for the stage goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestSupervisor(out io.Writer) *supervisor {
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &supervisor{stream: "cam", log: log, metrics: newMetrics(),
		rate: &errorRate{window: 10 * time.Second, max: 5, log: log}}
}

// TestSupervisorRestartsAndBacksOff runs a stage that fails in different
// ways and checks when it is restarted and how each failure is counted.
func TestSupervisorRestartsAndBacksOff(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(n int) error // the n-th run's failure (from 1)
		runs      int               // runs to observe
		wantSpan  time.Duration     // virtual time from first to last run
		wantClass string
		wantLog   string
	}{
		{
			name: "temporary errors retry at once, then back off after ten",
			fail: func(int) error { return shmcast.Temporary(errors.New("no producer")) },
			// 10 runs 100 ms apart (9 gaps), then 100, 200, 400, 800 ms.
			runs: 14, wantSpan: 9*restartMin + (100+200+400+800)*time.Millisecond,
			wantClass: "temporary", wantLog: "stage keeps failing",
		},
		{
			name:      "fatal errors back off at once",
			fail:      func(int) error { return errors.New("corrupt segment") },
			runs:      5, // 100, 200, 400, 800 ms between runs
			wantSpan:  1500 * time.Millisecond,
			wantClass: "fatal", wantLog: "stage keeps failing",
		},
		{
			name:      "panics are recovered, counted and restarted",
			fail:      func(n int) error { panic("boom " + strings.Repeat("!", n)) },
			runs:      4, // 100, 200, 400 ms
			wantSpan:  700 * time.Millisecond,
			wantClass: "panic", wantLog: "stage panicked",
		},
		{
			name:      "backoff caps at restartMax",
			fail:      func(int) error { return errors.New("broken") },
			runs:      8, // 100, 200, 400, 800, 1600, 2000, 2000
			wantSpan:  7100 * time.Millisecond,
			wantClass: "fatal", wantLog: "stage still failing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out logBuffer
				sup := newTestSupervisor(&out)
				ctx, cancel := context.WithCancel(context.Background())
				var times []time.Time
				done := make(chan struct{})
				go func() {
					defer close(done)
					sup.run(ctx, "ingest", func(ctx context.Context, report func(error)) error {
						times = append(times, time.Now())
						if len(times) == tt.runs {
							cancel()
							return nil
						}
						return tt.fail(len(times))
					})
				}()
				<-done
				if got := times[len(times)-1].Sub(times[0]); got != tt.wantSpan {
					t.Errorf("%d runs spanned %v, want %v", len(times), got, tt.wantSpan)
				}
				errs := counterValue(t, sup.metrics.errors.WithLabelValues("cam", "ingest", tt.wantClass))
				if int(errs) != tt.runs-1 {
					t.Errorf("shmcast_errors_total{class=%q} = %v, want %d", tt.wantClass, errs, tt.runs-1)
				}
				if !strings.Contains(out.String(), tt.wantLog) {
					t.Errorf("log lacks %q:\n%s", tt.wantLog, out.String())
				}
			})
		})
	}
}

func TestSupervisorPanicLogCarriesStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out logBuffer
		sup := newTestSupervisor(&out)
		ctx, cancel := context.WithCancel(context.Background())
		runs := 0
		sup.run(ctx, "viewers", func(ctx context.Context, _ func(error)) error {
			runs++
			if runs == 2 {
				cancel()
				return nil
			}
			var m map[string]int
			//lint:ignore SA5000 a real runtime panic is the point
			m["nil map"]++
			return nil
		})
		if !strings.Contains(out.String(), "assignment to entry in nil map") || !strings.Contains(out.String(), "supervise_test.go") {
			t.Errorf("panic log lacks the panic value or its stack:\n%s", out.String())
		}
	})
}

func TestErrorRateWarns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out logBuffer
		sup := newTestSupervisor(&out)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); sup.rate.watch(ctx) }()
		for range 5 { // at the threshold: quiet
			sup.rate.add()
		}
		time.Sleep(10*time.Second + time.Millisecond)
		if strings.Contains(out.String(), "high error rate") {
			t.Errorf("warned at the threshold:\n%s", out.String())
		}
		for range 6 {
			sup.rate.add()
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if !strings.Contains(out.String(), "high error rate") || !strings.Contains(out.String(), "errors=6") {
			t.Errorf("no warning for 6 errors in 10 s:\n%s", out.String())
		}
		cancel()
		<-done
	})
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
