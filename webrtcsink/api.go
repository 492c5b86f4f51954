package webrtcsink

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/webrtc/v4"
)

// offeredProfiles are the H.264 profile-level-ids the media engine accepts,
// all with packetization-mode=1. Pion matches an offer's codec on profile_idc
// and the constraint byte; the level may differ.
var offeredProfiles = []string{"42e01f", "42c01f", "42001f", "4d001f", "4d401f", "640c1f", "64001f"}

// videoFeedback is the RTCP feedback we answer: NACK from the shared
// retransmission cache, PLI and FIR as key frame requests.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
}

// A Transport is the network side of one or more Sinks: one webrtc.API,
// one UDP port for all viewers (ICE UDP mux) and optionally one ICE-TCP
// port. Sinks of several streams share one Transport, and so its ports,
// through [Options].Transport.
type Transport struct {
	api *webrtc.API
	udp ice.UDPMux
	tcp ice.TCPMux
}

// NewTransport listens as the network fields of o say: UDPPort,
// ICETCPPort, Interfaces, IncludeLoopback, NAT1To1IPs and DisconnectTimeout
// (the ICE timeouts of every viewer on it). It ignores the other fields.
// Close it after the Sinks that use it.
func NewTransport(o Options) (*Transport, error) {
	o.setDefaults()
	return newTransport(&o)
}

func newTransport(o *Options) (*Transport, error) {
	me := &webrtc.MediaEngine{}
	for i, plid := range offeredProfiles {
		c := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType:     webrtc.MimeTypeH264,
				ClockRate:    90000,
				SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + plid,
				RTCPFeedback: videoFeedback,
			},
			PayloadType: webrtc.PayloadType(96 + i),
		}
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("webrtcsink: register codec: %w", err)
		}
	}
	reg := &interceptor.Registry{}
	sr, err := report.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("webrtcsink: sender reports: %w", err)
	}
	reg.Add(sr)

	t := &Transport{}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(o.IncludeLoopback)
	// Pion adds the two: silent for DisconnectTimeout in all, the viewer fails.
	se.SetICETimeouts(o.DisconnectTimeout/2, o.DisconnectTimeout/2, 0)
	var keep func(string) bool
	if len(o.Interfaces) > 0 {
		keep = func(name string) bool { return slices.Contains(o.Interfaces, name) }
		se.SetInterfaceFilter(keep)
	}
	muxOpts := []ice.UDPMuxFromPortOption{}
	if keep != nil {
		muxOpts = append(muxOpts, ice.UDPMuxFromPortWithInterfaceFilter(keep))
	}
	if o.IncludeLoopback {
		muxOpts = append(muxOpts, ice.UDPMuxFromPortWithLoopback())
	}
	udp, err := ice.NewMultiUDPMuxFromPort(o.UDPPort, muxOpts...)
	if err != nil {
		return nil, fmt.Errorf("webrtcsink: listen udp %d: %w", o.UDPPort, err)
	}
	t.udp = udp
	se.SetICEUDPMux(udp)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if o.ICETCPPort > 0 {
		l, err := net.Listen("tcp", fmt.Sprintf(":%d", o.ICETCPPort))
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("webrtcsink: listen tcp %d: %w", o.ICETCPPort, err)
		}
		t.tcp = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: l, ReadBufferSize: 8, WriteBufferSize: 256 << 10})
		se.SetICETCPMux(t.tcp)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	if len(o.NAT1To1IPs) > 0 {
		rule := webrtc.ICEAddressRewriteRule{External: o.NAT1To1IPs, AsCandidateType: webrtc.ICECandidateTypeHost}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			t.Close()
			return nil, fmt.Errorf("webrtcsink: NAT 1:1 addresses: %w", err)
		}
	}
	t.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	return t, nil
}

// UDPAddrs returns the addresses the UDP mux listens on.
func (t *Transport) UDPAddrs() []net.Addr { return t.udp.GetListenAddresses() }

// Close releases the ports. Viewers still using them fail.
func (t *Transport) Close() error {
	var errs []error
	if t.tcp != nil {
		errs = append(errs, t.tcp.Close())
	}
	if t.udp != nil {
		errs = append(errs, t.udp.Close())
	}
	return errors.Join(errs...)
}
