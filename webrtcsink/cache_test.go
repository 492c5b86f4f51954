package webrtcsink

import "testing"

func au(seq uint16, n int, at int64, key bool) *accessUnit {
	a := &accessUnit{key: key, at: at}
	for i := range n {
		a.pkts = append(a.pkts, packet{payload: make([]byte, 100), seq: seq + uint16(i)})
		a.bytes += 100
	}
	return a
}

func TestRetransmitCache(t *testing.T) {
	c := newRetransmitCache(1000, 1000) // 1000 ns, 1000 bytes
	c.add(au(65530, 4, 0, true))        // 65530..65533
	c.add(au(65534, 4, 100, false))     // 65534..1: wraps
	tests := []struct {
		seq  uint16
		want bool
	}{{65530, true}, {65533, true}, {65535, true}, {0, true}, {1, true}, {2, false}, {65529, false}}
	for _, tt := range tests {
		p, ok := c.get(tt.seq)
		if ok != tt.want || (ok && p.seq != tt.seq) {
			t.Errorf("get(%d) = %d, %v; want %v", tt.seq, p.seq, ok, tt.want)
		}
	}
	c.add(au(2, 4, 2000, false)) // the first two are now too old
	if _, ok := c.get(65530); ok {
		t.Error("old packet still cached")
	}
	for i := range 5 {
		c.add(au(uint16(6+4*i), 4, 2001, false)) // 400 bytes each: over the 1000-byte budget
	}
	if c.bytes > 1000 || len(c.aus) != 2 {
		t.Errorf("cache holds %d bytes in %d access units, want <= 1000 in 2", c.bytes, len(c.aus))
	}
}

func TestGOP(t *testing.T) {
	var g gop
	g.add(au(0, 1, 0, false), 1000) // before any key frame: ignored
	g.add(au(1, 2, 0, true), 1000)
	g.add(au(3, 2, 0, false), 1000)
	if len(g.aus) != 2 || g.bytes != 400 {
		t.Fatalf("gop: %d access units, %d bytes; want 2, 400", len(g.aus), g.bytes)
	}
	g.add(au(5, 8, 0, false), 1000) // over budget: dropped until the next key frame
	g.add(au(13, 1, 0, false), 1000)
	if len(g.aus) != 0 {
		t.Fatalf("gop over budget kept %d access units", len(g.aus))
	}
	g.add(au(14, 1, 0, true), 1000)
	if len(g.aus) != 1 || !g.aus[0].key {
		t.Fatalf("gop after key frame: %d access units", len(g.aus))
	}
}
