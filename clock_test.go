package shmcast_test

import (
	"math"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"golang.org/x/sys/unix"
)

func TestTicks(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{time.Second, 90000},
		{-time.Second, -90000},
		{time.Second / 30, 3000},
		{11111, 1}, // 1/90000 s truncated to ns rounds back to one tick
		{5555, 0},  // just under half a tick
		{5556, 1},  // just over half a tick
		{-11111, -1},
		{48 * time.Hour, 48 * 3600 * 90000}, // past the 28 h where d*90000 would overflow
		{math.MaxInt64, 9223372036*90000 + 76930}, // about 292 years; no overflow
	}
	for _, tt := range tests {
		if got := shmcast.Ticks(tt.d); got != tt.want {
			t.Errorf("Ticks(%d) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestTicksRoundTrip(t *testing.T) {
	for _, tick := range []int64{0, 1, 2, 3, 2999, 3000, 3001, 89999, 90000, 1 << 40, -1, -3001, 48 * 3600 * 90000} {
		if got := shmcast.Ticks(shmcast.FromTicks(tick)); got != tick {
			t.Errorf("Ticks(FromTicks(%d)) = %d", tick, got)
		}
	}
}

func TestMonotonic(t *testing.T) {
	a := shmcast.Monotonic()
	time.Sleep(time.Millisecond)
	b := shmcast.Monotonic()
	if a <= 0 || b-a < int64(time.Millisecond) {
		t.Errorf("Monotonic() went %d -> %d over a 1 ms sleep", a, b)
	}
}

// TestMonotonicIsClockMonotonic checks that the vDSO clock is the
// CLOCK_MONOTONIC that other processes read with clock_gettime.
func TestMonotonicIsClockMonotonic(t *testing.T) {
	for range 100 {
		var ts unix.Timespec
		a := shmcast.Monotonic()
		if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
			t.Fatal(err)
		}
		b := shmcast.Monotonic()
		if m := ts.Nano(); m < a || m > b {
			t.Fatalf("clock_gettime(CLOCK_MONOTONIC) = %d, not within Monotonic() %d .. %d", m, a, b)
		}
	}
}

func BenchmarkMonotonic(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		shmcast.Monotonic()
	}
}
