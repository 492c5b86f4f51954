package webrtcsink

import (
	"time"

	"github.com/pion/rtcp"
)

// readRTCP is the viewer's RTCP goroutine: PLI and FIR become key frame
// requests, NACKs go to the writer goroutine, receiver reports give the
// round-trip time. It ends when the peer connection closes.
func (v *viewer) readRTCP() {
	defer v.s.wg.Done()
	defer v.stop()
	buf := make([]byte, 1500)
	for {
		n, _, err := v.sender.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			v.handleRTCP(p)
		}
	}
}

func (v *viewer) handleRTCP(p rtcp.Packet) {
	switch p := p.(type) {
	case *rtcp.PictureLossIndication:
		v.st.plis.Add(1)
		v.s.requestKeyframe()
	case *rtcp.FullIntraRequest:
		v.st.firs.Add(1)
		v.s.requestKeyframe()
	case *rtcp.TransportLayerNack:
		for _, pair := range p.Nacks {
			for _, seq := range pair.PacketList() {
				v.st.nacks.Add(1)
				select {
				case v.nackq <- seq:
				default: // the writer is busy: the receiver will ask again
				}
			}
		}
	case *rtcp.ReceiverReport:
		for _, r := range p.Reports {
			v.st.rrs.Add(1)
			if rtt, ok := roundTrip(r, time.Now()); ok {
				v.st.rtt.Store(int64(rtt))
			}
		}
	}
}

// roundTrip computes the round-trip time from a reception report
// (RFC 3550 §6.4.1): arrival - LSR - DLSR, in 1/65536 s.
func roundTrip(r rtcp.ReceptionReport, now time.Time) (time.Duration, bool) {
	if r.LastSenderReport == 0 {
		return 0, false
	}
	mid := uint32(ntpTime(now) >> 16)
	d := mid - r.LastSenderReport - r.Delay
	if d >= 1<<31 {
		return 0, false
	}
	return time.Duration(uint64(d) * uint64(time.Second) >> 16), true
}

// ntpTime returns t as a 64-bit NTP timestamp (RFC 5905 §6).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	s := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return s<<32 | frac
}
