package shmcast_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shmcast/shmcast"
)

type counter struct{ n atomic.Int64 }

func (c *counter) RequestKeyframe() { c.n.Add(1) }

func TestKeyframeLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counter
		l := shmcast.NewKeyframeLimiter(&c, 500*time.Millisecond)
		defer l.Close()

		l.RequestKeyframe() // passes at once
		if got := c.n.Load(); got != 1 {
			t.Fatalf("after the first request: %d passed, want 1", got)
		}
		for range 100 { // a PLI storm within the interval
			time.Sleep(time.Millisecond)
			l.RequestKeyframe()
		}
		if got := c.n.Load(); got != 1 {
			t.Fatalf("during the interval: %d passed, want 1", got)
		}
		time.Sleep(500 * time.Millisecond) // the merged request fires at the interval's end
		synctest.Wait()
		if got := c.n.Load(); got != 2 {
			t.Fatalf("after the interval: %d passed, want 2", got)
		}
		time.Sleep(2 * time.Second) // quiet: nothing more
		if got := c.n.Load(); got != 2 {
			t.Fatalf("after quiet: %d passed, want 2", got)
		}
		l.RequestKeyframe() // quiet long enough: passes at once
		if got := c.n.Load(); got != 3 {
			t.Fatalf("after quiet request: %d passed, want 3", got)
		}
		passed, merged := l.Stats()
		if passed != 3 || merged != 100 {
			t.Errorf("Stats() = %d passed, %d merged; want 3, 100", passed, merged)
		}
	})
}

func TestKeyframeLimiterCloseDropsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counter
		l := shmcast.NewKeyframeLimiter(&c, 0)
		l.RequestKeyframe()
		l.RequestKeyframe() // pending
		l.Close()
		l.Close() // idempotent
		time.Sleep(time.Second)
		l.RequestKeyframe()
		if got := c.n.Load(); got != 1 {
			t.Errorf("%d passed, want 1: the pending one is dropped, later ones ignored", got)
		}
	})
}
