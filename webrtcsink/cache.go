package webrtcsink

import "sync"

// retransmitCache keeps the most recent access units, bounded by age and by
// payload bytes, so that one copy of each packet answers every viewer's
// NACKs. It holds references to the shared packets; it copies nothing.
type retransmitCache struct {
	maxAge   int64 // ns
	maxBytes int

	mu    sync.Mutex
	aus   []*accessUnit // oldest first
	bytes int
}

func newRetransmitCache(maxAge int64, maxBytes int) *retransmitCache {
	return &retransmitCache{maxAge: maxAge, maxBytes: maxBytes}
}

// add appends au and evicts what is too old or over the byte budget.
func (c *retransmitCache) add(au *accessUnit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aus = append(c.aus, au)
	c.bytes += au.bytes
	n := 0
	for n < len(c.aus)-1 && (c.bytes > c.maxBytes || au.at-c.aus[n].at > c.maxAge) {
		c.bytes -= c.aus[n].bytes
		c.aus[n] = nil
		n++
	}
	if n > 0 {
		c.aus = append(c.aus[:0], c.aus[n:]...)
	}
}

// get returns the packet with shared sequence number seq, if still cached.
func (c *retransmitCache) get(seq uint16) (packet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.aus) - 1; i >= 0; i-- {
		au := c.aus[i]
		if d := seq - au.pkts[0].seq; int(d) < len(au.pkts) {
			return au.pkts[d], true
		}
	}
	return packet{}, false
}
