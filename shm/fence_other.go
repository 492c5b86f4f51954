//go:build !amd64

package shm

import "sync/atomic"

// loadFence orders the payload copy before the seqlock re-check. Go has no
// fence; an atomic read-modify-write on a private word is a full barrier on
// arm64 (LDADDAL, or an LDAXR/STLXR loop followed by the LDAR of the re-check)
// and on the other weakly ordered architectures Go supports.
func loadFence(p *uint64) { atomic.AddUint64(p, 1) }
