package shmcast

import (
	"time"
	_ "unsafe" // for go:linkname
)

// ClockRate is the RTP and MPEG clock rate for video, in ticks per second.
const ClockRate = 90000

// Ticks converts a duration to 90 kHz ticks, rounding to the nearest tick.
// It does not overflow for any duration.
func Ticks(d time.Duration) int64 {
	sec, rem := int64(d/time.Second), int64(d%time.Second)
	half := int64(time.Second) / 2
	if rem < 0 {
		half = -half
	}
	return sec*ClockRate + (rem*ClockRate+half)/int64(time.Second)
}

// FromTicks converts 90 kHz ticks to a duration, truncated to the nanosecond;
// Ticks(FromTicks(t)) == t for every t whose duration fits in a
// [time.Duration] (about ±292 years).
func FromTicks(t int64) time.Duration {
	sec, rem := t/ClockRate, t%ClockRate
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/ClockRate)
}

// Monotonic returns the current CLOCK_MONOTONIC time in nanoseconds: the
// clock of [Frame].Capture, which C, C++ and Python producers read too
// (clock_gettime, time.monotonic_ns). It reads the clock through the vDSO as
// the Go runtime does, about 20 ns, where unix.ClockGettime is a real system
// call of about 1 µs: every stage stamps every frame, so it matters.
func Monotonic() int64 { return nanotime() }

// runtime.nanotime is CLOCK_MONOTONIC on Linux; the runtime keeps this
// linkname available because widely used packages depend on it.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
