package shm

import (
	_ "unsafe" // for go:linkname
)

// monotonic returns CLOCK_MONOTONIC in nanoseconds, the clock of
// [shmcast.Monotonic], read through the vDSO as the runtime does: about
// 20 ns here, where unix.ClockGettime is a real system call (about 1 µs).
func monotonic() int64 { return nanotime() }

// runtime.nanotime is CLOCK_MONOTONIC on Linux; the runtime keeps the
// linkname available for the packages that use it.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
