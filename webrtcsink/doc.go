// Package webrtcsink serves one live H.264 stream to many WebRTC viewers,
// over WHEP (draft-ietf-wish-whep, with the conventions of RFC 9725) and the
// original design's JSON offer API.
//
// A [Sink] sits at the end of the chain, fed by one subscription of a
// distributor:
//
//	shm.Reader → h264.Parser → fanout.Distributor → webrtcsink.Sink → viewers
//
// It packetizes each frame once (RFC 6184 packetization mode 1: STAP-A for
// SPS+PPS in front of the IDR, FU-A for large NAL units, RTP timestamps from
// the frame's PTS at 90 kHz) and shares the packets among all viewers; each
// viewer only puts its own SSRC, payload type and sequence number on them.
// Each viewer has one bounded queue and one writer goroutine: a viewer that
// falls behind drops frames until the next key frame and asks for one;
// nothing one viewer does slows the others.
//
// All viewers share one [webrtc.API], one UDP port (ICE UDP mux; mDNS off,
// no STUN, so answers come at once with the server's candidates) and one
// retransmission cache that answers every viewer's NACKs, bounded by age and
// bytes, instead of pion's per-viewer NACK responder. The only interceptor
// is pion's sender-report generator. PLI and FIR from viewers become key
// frame requests upstream, merged and rate-limited.
//
// A new viewer starts at a key frame: the Sink asks the producer for one at
// join (about one frame interval later, the picture starts), or, with
// BurstGOP, sends the cached GOP at once with its timestamps squeezed to 1 ms
// apart just before the live frame, so the receiver decodes through it
// without adding the GOP's duration to its playout delay. Each viewer
// numbers its packets without gaps even when it skipped frames, and maps its
// NACKs back to the shared packets.
//
// Goroutines: the Sink starts two per viewer, a writer and an RTCP reader,
// when the viewer's offer is answered; they end when the viewer disconnects
// (or never connects within ConnectTimeout), on DELETE, or in [Sink.Close],
// which waits for all of them. WriteFrame starts none and never blocks on a
// viewer. Buffers: frames are read-only; the shared packets are made once per
// frame and never modified.
package webrtcsink
