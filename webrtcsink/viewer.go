package webrtcsink

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxWriteErrors consecutive write errors disconnect a viewer.
const maxWriteErrors = 3

// A viewer is one WHEP (or legacy API) session. It owns two goroutines,
// started by Sink.register and tracked in Sink.wg: run, which waits for the
// connection, then writes the viewer's queue and answers its NACKs, and
// readRTCP, which reads the RTCP its receiver sends.
type viewer struct {
	s       *Sink
	id      string
	etag    string
	legacy  bool
	created time.Time
	pc      *webrtc.PeerConnection
	sender  *webrtc.RTPSender
	tr      *track

	q         chan queued
	nackq     chan uint16
	done      chan struct{} // closed by stop
	stopOnce  sync.Once
	connected chan struct{} // closed when the peer connection is connected
	connOnce  sync.Once

	active atomic.Bool // run is writing: WriteFrame may enqueue
	// Owned by WriteFrame (under Sink.wmu).
	waitKey bool // drop until the next key frame
	lagging bool // waitKey because the queue overflowed (drops count)

	// Owned by run.
	w       webrtc.TrackLocalWriter
	hdr     rtp.Header
	seq     uint16 // next sequence number of this viewer
	last    uint16 // shared sequence number of the last packet written
	started bool
	offsets [16]seqOffset // where this viewer's numbering shifted against the shared one
	nOff    int
	errs    int

	st viewerCounters
}

// A seqOffset says that from the viewer's sequence number start on, the
// viewer's numbers are the shared ones plus delta. Each viewer numbers its
// packets without gaps, so a viewer that skipped frames (to the next key
// frame) sees no loss to NACK; the table maps its NACKs back to the shared
// retransmission cache.
type seqOffset struct{ start, delta uint16 }

// A queued access unit; a burst one (from the cached GOP at join) is sent
// with timestamp ts instead of its own.
type queued struct {
	au    *accessUnit
	ts    uint32
	burst bool
}

type viewerCounters struct {
	packets, bytes, frames, drops       atomic.Uint64
	nacks, retransmits, plis, firs, rrs atomic.Uint64
	bursts                              atomic.Uint64 // access units sent from the cached GOP at join
	rtt                                 atomic.Int64  // ns; 0 = unknown
	state                               atomic.Int32  // webrtc.PeerConnectionState
}

func (v *viewer) stop() { v.stopOnce.Do(func() { close(v.done) }) }

// onState runs on pion's goroutine: it only signals.
func (v *viewer) onState(st webrtc.PeerConnectionState) {
	v.st.state.Store(int32(st))
	switch st {
	case webrtc.PeerConnectionStateConnected:
		v.connOnce.Do(func() { close(v.connected) })
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		v.stop()
	}
}

// offer hands au to the viewer without blocking. Called under Sink.wmu.
func (v *viewer) offer(au *accessUnit) {
	if !v.active.Load() {
		return
	}
	if v.waitKey {
		if !au.key {
			if v.lagging {
				v.st.drops.Add(1)
			}
			return
		}
	}
	select {
	case v.q <- queued{au: au}:
		v.waitKey, v.lagging = false, false
	default:
		v.st.drops.Add(1)
		if !v.lagging {
			v.s.log.Debug("viewer lagging, dropping to next key frame", "viewer", v.id)
			v.s.requestKeyframe()
		}
		v.waitKey, v.lagging = true, true
	}
}

// run is the viewer's writer goroutine.
func (v *viewer) run() {
	defer v.s.wg.Done()
	defer v.cleanup()
	timer := time.NewTimer(v.s.o.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-v.connected:
	case <-timer.C:
		v.s.log.Debug("viewer did not connect in time", "viewer", v.id)
		return
	case <-v.done:
		return
	}
	select {
	case <-v.tr.ready:
	case <-v.done:
		return
	}
	ssrc, pt, w := v.tr.binding()
	v.w = w
	v.hdr = rtp.Header{Version: 2, SSRC: ssrc, PayloadType: pt}
	v.seq = uint16(rand.Uint32())
	v.s.join(v)
	for {
		select {
		case <-v.done:
			return
		case it := <-v.q:
			if !v.writeAU(it) {
				return
			}
		case seq := <-v.nackq:
			v.retransmit(seq)
		}
	}
}

func (v *viewer) writeAU(it queued) bool {
	au := it.au
	for i := range au.pkts {
		p := &au.pkts[i]
		if !v.started || p.seq != v.last+1 {
			v.offsets[v.nOff%len(v.offsets)] = seqOffset{start: v.seq, delta: v.seq - p.seq}
			v.nOff++
			v.started = true
		}
		v.last = p.seq
		v.hdr.SequenceNumber = v.seq
		v.seq++
		ts := p.ts
		if it.burst {
			ts = it.ts
		}
		if !v.write(p, ts) {
			return false
		}
	}
	v.st.frames.Add(1)
	return true
}

// write sends p with this viewer's header; it reports false when the viewer
// must be disconnected.
func (v *viewer) write(p *packet, ts uint32) bool {
	v.hdr.Timestamp = ts
	v.hdr.Marker = p.marker
	if _, err := v.w.WriteRTP(&v.hdr, p.payload); err != nil {
		v.errs++
		if v.errs >= maxWriteErrors {
			v.s.log.Debug("viewer write failed", "viewer", v.id, "err", err)
			return false
		}
		return true
	}
	v.errs = 0
	v.st.packets.Add(1)
	v.st.bytes.Add(uint64(len(p.payload)))
	return true
}

// retransmit answers a NACK for the viewer's sequence number seq from the
// shared cache.
func (v *viewer) retransmit(seq uint16) {
	back := v.seq - seq // how far back from the next number
	if !v.started || back == 0 || back >= 1<<15 {
		return
	}
	for i := 1; i <= min(v.nOff, len(v.offsets)); i++ {
		o := v.offsets[(v.nOff-i)%len(v.offsets)]
		if v.seq-o.start < back { // the shift happened after seq
			continue
		}
		p, ok := v.s.cache.get(seq - o.delta)
		if !ok {
			return
		}
		v.hdr.SequenceNumber = seq
		if v.write(&p, p.ts) {
			v.st.retransmits.Add(1)
		}
		return
	}
}

// cleanup runs when run returns: the viewer leaves the Sink and its peer
// connection closes, which ends readRTCP.
func (v *viewer) cleanup() {
	v.active.Store(false)
	v.stop()
	v.s.remove(v)
	if v.pc == nil { // a test's viewer without a peer connection
		return
	}
	if err := v.pc.Close(); err != nil {
		v.s.log.Debug("viewer close", "viewer", v.id, "err", err)
	}
}
