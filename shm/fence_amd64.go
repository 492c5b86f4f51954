package shm

// loadFence orders the payload copy before the seqlock re-check. On amd64
// (TSO) loads are never reordered with older loads, so it is empty.
func loadFence(*uint64) {}
