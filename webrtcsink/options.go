package webrtcsink

import (
	"log/slog"
	"time"

	"github.com/shmcast/shmcast"
)

// Options configures a [Sink]. The zero value serves any number of viewers on
// an ephemeral UDP port of every non-loopback interface, without
// authentication, CORS or key frame requests.
type Options struct {
	// Keyframes receives key frame requests: when a viewer joins, sends a
	// PLI or FIR, or falls behind. The Sink merges and rate-limits them with
	// a [shmcast.KeyframeLimiter]. Nil means nobody is asked.
	Keyframes shmcast.KeyframeRequester
	// KeyframeInterval is the least time between two requests passed to
	// Keyframes; 0 means [shmcast.DefaultKeyframeInterval].
	KeyframeInterval time.Duration

	MaxViewers  int    // 0 means no limit; above it POST gets 503 with Retry-After
	BearerToken string // when set, every request must carry "Authorization: Bearer <token>"

	// Transport, when not nil, is a shared network side made by
	// [NewTransport]: the Sink uses its ports and leaves them open on
	// Close, and the network fields below (UDPPort to DisconnectTimeout's
	// ICE timeouts) are those of the Transport, not read here.
	Transport *Transport

	// UDPPort is the one UDP port all viewers share (ICE UDP mux); 0 picks
	// an ephemeral port.
	UDPPort int
	// NAT1To1IPs are public addresses that replace the host candidates'
	// addresses in answers, for a server behind a 1:1 NAT.
	NAT1To1IPs []string
	// ICETCPPort, when > 0, also offers ICE-TCP candidates on that port.
	ICETCPPort int
	// Interfaces, when not empty, limits ICE candidates to these network
	// interfaces (e.g. "eth0", "lo").
	Interfaces []string
	// IncludeLoopback adds loopback candidates (127.0.0.1, ::1); tests and
	// same-host viewers need it.
	IncludeLoopback bool

	// ConnectTimeout bounds the time from answer to connected; 0 means 10 s.
	ConnectTimeout time.Duration
	// DisconnectTimeout is how long a viewer may stay silent (no STUN, RTCP
	// or DTLS from it) before it is closed; 0 means 5 s. Receivers send
	// RTCP at least every few seconds, so live viewers stay.
	DisconnectTimeout time.Duration

	// AllowOrigins lists the origins allowed by CORS; "*" allows any. Empty
	// sends no CORS headers.
	AllowOrigins []string
	// ICEServers are advertised to clients (Link rel="ice-server" headers on
	// OPTIONS and on 201 answers). The server itself uses none: no STUN
	// round trip delays the answer.
	ICEServers []ICEServer
	// MaxBodyBytes limits an offer's size; 0 means 64 KiB. Larger get 413.
	MaxBodyBytes int64

	// QueueLen is each viewer's queue, in access units; 0 means 32. A viewer
	// whose queue is full drops frames until the next key frame.
	QueueLen int
	// BurstGOP starts a new viewer with the cached GOP (the frames since the
	// last key frame), sent at once with squeezed timestamps, so that it
	// shows the live picture at once. Use it when the producer cannot make
	// key frames on request; otherwise the key frame requested at join is
	// enough and cheaper. GOPs longer than QueueLen/2 frames or
	// RetransmitBytes are not burst.
	BurstGOP bool
	// MTU is the largest RTP payload; 0 means 1200 bytes.
	MTU int
	// RetransmitAge and RetransmitBytes bound the shared retransmission
	// cache that answers NACKs; 0 means 1 s and 8 MiB.
	RetransmitAge   time.Duration
	RetransmitBytes int

	Logger *slog.Logger // nil discards
}

// An ICEServer is a STUN or TURN server advertised to clients.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

func (o *Options) setDefaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.DisconnectTimeout <= 0 {
		o.DisconnectTimeout = 5 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 32
	}
	if o.MTU <= 0 {
		o.MTU = 1200
	}
	if o.MTU > 1400 {
		o.MTU = 1400
	}
	if o.RetransmitAge <= 0 {
		o.RetransmitAge = time.Second
	}
	if o.RetransmitBytes <= 0 {
		o.RetransmitBytes = 8 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
