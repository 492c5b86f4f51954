package webrtcsink_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// clientAPI is a pion receiver as a browser would be: H.264 only, NACK
// generator and receiver reports, loopback candidates.
func clientAPI(t testing.TB) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	for i, plid := range []string{"42e01f", "42001f", "640c1f"} {
		err := me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
				SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + plid,
				RTCPFeedback: fb},
			PayloadType: webrtc.PayloadType(102 + i),
		}, webrtc.RTPCodecTypeVideo)
		if err != nil {
			t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(gen)
	rr, err := report.NewReceiverInterceptor(report.ReceiverInterval(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(rr)
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(s string) bool { return s == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// A testViewer receives the stream over WHEP and records every RTP packet.
type testViewer struct {
	pc       *webrtc.PeerConnection
	location string
	stall    bool // read nothing: a viewer that is gone without saying so

	mu      sync.Mutex
	started bool // OnTrack is reading
	closed  bool
	pkts    []rtp.Packet
	markers atomic.Int64
	first   chan struct{}
	quit    chan struct{}
	once    sync.Once
	reading sync.WaitGroup
}

func dialWHEP(t testing.TB, api *webrtc.API, url string, stall bool) *testViewer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	tv := &testViewer{pc: pc, stall: stall, first: make(chan struct{}), quit: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		tv.mu.Lock()
		if tv.started || tv.closed {
			tv.mu.Unlock()
			return
		}
		tv.started = true
		tv.reading.Add(2)
		tv.mu.Unlock()
		go func() { // interceptors see incoming RTCP (sender reports) only when it is read
			defer tv.reading.Done()
			for {
				if _, _, err := recv.ReadRTCP(); err != nil {
					return
				}
			}
		}()
		defer tv.reading.Done()
		tv.read(tr)
	})
	resp, err := http.Post(url, "application/sdp", strings.NewReader(recvonlyOffer(t, pc)))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, answer)
	}
	tv.location = resp.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	return tv
}

func (tv *testViewer) read(tr *webrtc.TrackRemote) {
	buf := make([]byte, 1600)
	for {
		if tv.stall { // keep the track open but never read
			<-tv.quit
			return
		}
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		if err := p.Unmarshal(slices.Clone(buf[:n])); err != nil {
			continue
		}
		tv.mu.Lock()
		tv.pkts = append(tv.pkts, p)
		tv.mu.Unlock()
		if p.Marker {
			tv.markers.Add(1)
			tv.once.Do(func() { close(tv.first) })
		}
	}
}

// close ends the peer connection and waits for the reading goroutine.
func (tv *testViewer) close() {
	tv.mu.Lock()
	tv.closed = true
	tv.mu.Unlock()
	close(tv.quit)
	_ = tv.pc.Close()
	tv.reading.Wait()
}

// accessUnits reassembles the received packets: sorted by sequence number,
// duplicates (retransmissions) removed, grouped by timestamp, depacketized.
// It reports a gap in the sequence numbers as an error.
func (tv *testViewer) accessUnits() ([][]byte, error) {
	tv.mu.Lock()
	pkts := slices.Clone(tv.pkts)
	tv.mu.Unlock()
	if len(pkts) == 0 {
		return nil, nil
	}
	// Unwrap sequence numbers relative to the first packet.
	base := pkts[0].SequenceNumber
	ext := func(p rtp.Packet) int { return int(int16(p.SequenceNumber - base)) }
	slices.SortStableFunc(pkts, func(a, b rtp.Packet) int { return ext(a) - ext(b) })
	pkts = slices.CompactFunc(pkts, func(a, b rtp.Packet) bool { return a.SequenceNumber == b.SequenceNumber })
	var aus [][]byte
	var cur []byte
	var d codecs.H264Packet // keeps FU-A state across packets
	for i, p := range pkts {
		if i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			return aus, fmt.Errorf("gap in sequence numbers: %d then %d", pkts[i-1].SequenceNumber, p.SequenceNumber)
		}
		b, err := d.Unmarshal(p.Payload)
		if err != nil {
			return aus, fmt.Errorf("depacketize seq %d: %w", p.SequenceNumber, err)
		}
		cur = append(cur, b...)
		if p.Marker {
			aus = append(aus, cur)
			cur = nil
		}
	}
	return aus, nil
}

// waitFrames waits until the viewer has received n access units.
func (tv *testViewer) waitFrames(ctx context.Context, n int64) error {
	for tv.markers.Load() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("received %d frames, want %d: %w", tv.markers.Load(), n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// frameTimestamps returns the RTP timestamp of each received access unit,
// in sequence order.
func (tv *testViewer) frameTimestamps() []uint32 {
	tv.mu.Lock()
	pkts := slices.Clone(tv.pkts)
	tv.mu.Unlock()
	if len(pkts) == 0 {
		return nil
	}
	base := pkts[0].SequenceNumber
	slices.SortStableFunc(pkts, func(a, b rtp.Packet) int {
		return int(int16(a.SequenceNumber-base)) - int(int16(b.SequenceNumber-base))
	})
	pkts = slices.CompactFunc(pkts, func(a, b rtp.Packet) bool { return a.SequenceNumber == b.SequenceNumber })
	var ts []uint32
	for _, p := range pkts {
		if p.Marker {
			ts = append(ts, p.Timestamp)
		}
	}
	return ts
}
