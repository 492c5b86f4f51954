package webrtcsink

import (
	"slices"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// ViewerStats is a snapshot of one viewer's counters.
type ViewerStats struct {
	ID          string
	Legacy      bool          // came through the JSON offer API
	State       string        // peer connection state: "new", "connecting", "connected", ...
	Age         time.Duration // since the offer was answered
	Frames      uint64        // access units sent
	Packets     uint64        // RTP packets sent, retransmissions included
	Bytes       uint64        // RTP payload bytes sent
	Drops       uint64        // access units dropped because the viewer fell behind
	NACKs       uint64        // sequence numbers the viewer asked for again
	Retransmits uint64        // packets resent from the shared cache
	PLIs, FIRs  uint64        // key frame requests from the viewer
	Burst       uint64        // access units sent from the cached GOP at join
	RTT         time.Duration // from receiver reports; 0 while unknown
}

// Counters are totals over viewers.
type Counters struct {
	Frames, Packets, Bytes, Drops uint64
	NACKs, Retransmits            uint64
	PLIs, FIRs                    uint64
}

// Stats is a snapshot of a Sink.
type Stats struct {
	Frames  uint64        // access units packetized (once for all viewers)
	Packets uint64        // shared RTP packets made from them
	Current Counters      // over connected viewers
	Total   Counters      // over every viewer since New
	Viewers []ViewerStats // sorted by ID
	// KeyframesPassed and KeyframesMerged count the key frame requests passed
	// upstream and merged by the rate limiter.
	KeyframesPassed, KeyframesMerged uint64
}

// Stats returns a snapshot of the Sink's counters.
func (s *Sink) Stats() Stats {
	st := Stats{Frames: s.frames.Load(), Packets: s.packets.Load()}
	s.mu.Lock()
	st.Total = s.gone.counters()
	for _, v := range s.byID {
		st.Viewers = append(st.Viewers, v.stats())
	}
	s.mu.Unlock()
	slices.SortFunc(st.Viewers, func(a, b ViewerStats) int { return strings.Compare(a.ID, b.ID) })
	for _, v := range st.Viewers {
		st.Current.addViewer(v)
	}
	st.Total.add(st.Current)
	if s.kf != nil {
		st.KeyframesPassed, st.KeyframesMerged = s.kf.Stats()
	}
	return st
}

func (v *viewer) stats() ViewerStats {
	c := &v.st
	return ViewerStats{
		ID: v.id, Legacy: v.legacy, State: webrtc.PeerConnectionState(c.state.Load()).String(),
		Age: time.Since(v.created), Frames: c.frames.Load(), Packets: c.packets.Load(), Bytes: c.bytes.Load(),
		Drops: c.drops.Load(), NACKs: c.nacks.Load(), Retransmits: c.retransmits.Load(),
		PLIs: c.plis.Load(), FIRs: c.firs.Load(), Burst: c.bursts.Load(), RTT: time.Duration(c.rtt.Load()),
	}
}

func (c *Counters) addViewer(v ViewerStats) {
	c.add(Counters{v.Frames, v.Packets, v.Bytes, v.Drops, v.NACKs, v.Retransmits, v.PLIs, v.FIRs})
}

func (c *Counters) add(o Counters) {
	c.Frames += o.Frames
	c.Packets += o.Packets
	c.Bytes += o.Bytes
	c.Drops += o.Drops
	c.NACKs += o.NACKs
	c.Retransmits += o.Retransmits
	c.PLIs += o.PLIs
	c.FIRs += o.FIRs
}

// add accumulates a departing viewer's counters.
func (c *viewerCounters) add(o *viewerCounters) {
	c.frames.Add(o.frames.Load())
	c.packets.Add(o.packets.Load())
	c.bytes.Add(o.bytes.Load())
	c.drops.Add(o.drops.Load())
	c.nacks.Add(o.nacks.Load())
	c.retransmits.Add(o.retransmits.Load())
	c.plis.Add(o.plis.Load())
	c.firs.Add(o.firs.Load())
}

func (c *viewerCounters) counters() Counters {
	return Counters{c.frames.Load(), c.packets.Load(), c.bytes.Load(), c.drops.Load(),
		c.nacks.Load(), c.retransmits.Load(), c.plis.Load(), c.firs.Load()}
}
