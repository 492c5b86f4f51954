package webrtcsink

import (
	"encoding/hex"

	"github.com/pion/rtp/codecs"
	"github.com/shmcast/shmcast"
)

// A packet is one RTP packet shared by every viewer: only the fields that are
// the same for all of them. Each viewer adds its SSRC, payload type and
// sequence number when it writes the packet. Nobody modifies a packet once
// it is published.
type packet struct {
	payload []byte
	ts      uint32 // RTP timestamp: the frame's PTS at 90 kHz plus a random base
	seq     uint16 // shared sequence number, for the retransmission cache
	marker  bool   // last packet of the access unit
}

// An accessUnit is one frame, packetized once.
type accessUnit struct {
	pkts  []packet
	key   bool
	bytes int   // payload bytes
	at    int64 // when it was packetized, monotonic ns
}

// packetizer turns frames into shared packets. It is used by one goroutine
// at a time (under Sink.wmu).
type packetizer struct {
	mtu    uint16
	seq    uint16
	tsBase uint32
}

// packetize splits f into RTP payloads of at most mtu bytes with pion's
// H.264 payloader (RFC 6184 packetization mode 1): SPS and PPS go into one
// STAP-A in front of the IDR, large NAL units into FU-A fragments, AUDs and
// filler data are dropped. Every packet of the access unit carries the same
// timestamp; the last has the marker bit. It returns nil for a frame that
// yields no packets.
func (p *packetizer) packetize(f shmcast.Frame, now int64) *accessUnit {
	var pl codecs.H264Payloader
	payloads := pl.Payload(p.mtu, f.Data)
	if len(payloads) == 0 {
		return nil
	}
	au := &accessUnit{pkts: make([]packet, len(payloads)), key: f.Key, at: now}
	ts := p.tsBase + uint32(shmcast.Ticks(f.PTS))
	for i, b := range payloads {
		au.pkts[i] = packet{payload: b, ts: ts, seq: p.seq}
		au.bytes += len(b)
		p.seq++
	}
	au.pkts[len(au.pkts)-1].marker = true
	return au
}

// profileLevelID returns the profile-level-id (RFC 6184 §8.1) of the first
// SPS in the Annex B access unit, as six hex digits, or "" if it has none:
// the three bytes after the SPS NAL header, profile_idc, the constraint flags
// and level_idc (ITU-T H.264 §7.3.2.1.1).
func profileLevelID(au []byte) string {
	for i := 0; i+2 < len(au); i++ {
		if au[i] != 0 || au[i+1] != 0 || au[i+2] != 1 {
			continue
		}
		nal := au[i+3:]
		if len(nal) >= 4 && nal[0]&0x1f == 7 {
			return hex.EncodeToString(nal[1:4])
		}
		i += 2
	}
	return ""
}
