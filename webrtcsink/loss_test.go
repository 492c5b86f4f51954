package webrtcsink_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
	"github.com/shmcast/shmcast/webrtcsink"
)

// lossyConn drops every nth incoming RTP packet (not STUN, DTLS or RTCP).
type lossyConn struct {
	net.PacketConn
	n       int64
	seen    atomic.Int64
	dropped atomic.Int64
}

func (c *lossyConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || n < 2 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
			return n, addr, err // not RTP (RFC 7983 demultiplexing; RTCP types 192-223)
		}
		if c.seen.Add(1)%c.n == 0 {
			c.dropped.Add(1)
			continue
		}
		return n, addr, err
	}
}

// TestLossRepairedFromSharedCache: a receiver that loses every 25th RTP
// packet NACKs them, and the shared retransmission cache repairs every
// access unit.
func TestLossRepairedFromSharedCache(t *testing.T) {
	frames := clip(t)
	sink, srv := newServer(t, webrtcsink.Options{QueueLen: 400})
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lossy := &lossyConn{PacketConn: udp, n: 25}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: lossy})
	defer mux.Close()

	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}},
		PayloadType: 102,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(gen)
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))

	tv := dialWHEP(t, api, srv.URL+"/whep", false)
	defer tv.close()
	waitConnected(t, sink, 1)
	time.Sleep(300 * time.Millisecond) // let the writer start (not a timing assertion)
	for _, f := range frames {
		_ = sink.WriteFrame(f)
		time.Sleep(3 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var sent uint64
	for _, v := range sink.Stats().Viewers {
		sent = v.Frames
	}
	if err := tv.waitFrames(ctx, int64(sent)); err != nil {
		t.Fatal(err)
	}
	// Wait for the last repairs, then check every access unit.
	for {
		if _, err := tv.accessUnits(); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			_, err := tv.accessUnits()
			t.Fatalf("not repaired: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	checkSuffix(t, 0, tv, frames)
	st := sink.Stats().Total
	t.Logf("dropped %d of %d RTP packets; sink: NACKs %d, retransmits %d", lossy.dropped.Load(), lossy.seen.Load(), st.NACKs, st.Retransmits)
	if lossy.dropped.Load() == 0 || st.Retransmits < uint64(lossy.dropped.Load()) {
		t.Errorf("%d packets lost, %d retransmitted", lossy.dropped.Load(), st.Retransmits)
	}
}
