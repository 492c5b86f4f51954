package shmcast_test

import (
	"math"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
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
