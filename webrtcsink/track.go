package webrtcsink

import (
	"errors"
	"strings"
	"sync"

	"github.com/pion/webrtc/v4"
)

// track is a minimal [webrtc.TrackLocal] for one viewer. Bind tells it the
// negotiated SSRC, payload type and writer; the viewer's writer goroutine
// writes shared packets through it with its own header.
type track struct {
	plid string // camera's profile-level-id when the viewer was created, or ""

	mu     sync.Mutex
	bound  bool
	ssrc   uint32
	pt     uint8
	writer webrtc.TrackLocalWriter
	ready  chan struct{} // closed by the first Bind
}

var errNoCodec = errors.New("webrtcsink: no H.264 codec with packetization-mode=1 negotiated")

func newTrack(plid string) *track { return &track{plid: plid, ready: make(chan struct{})} }

func (t *track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	i := chooseCodec(codecs, t.plid)
	if i < 0 {
		return webrtc.RTPCodecParameters{}, errNoCodec
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ssrc = uint32(ctx.SSRC())
	t.pt = uint8(codecs[i].PayloadType)
	t.writer = ctx.WriteStream()
	if !t.bound {
		t.bound = true
		close(t.ready)
	}
	return codecs[i], nil
}

func (t *track) Unbind(webrtc.TrackLocalContext) error { return nil }

// binding returns what Bind negotiated; call it after ready is closed.
func (t *track) binding() (ssrc uint32, pt uint8, w webrtc.TrackLocalWriter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ssrc, t.pt, t.writer
}

func (t *track) ID() string                { return "video" }
func (t *track) RID() string               { return "" }
func (t *track) StreamID() string          { return "shmcast" }
func (t *track) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeVideo }

// chooseCodec returns the index of the codec to send: an H.264 format with
// packetization-mode=1 with the camera's profile (profile_idc and constraint
// flags equal), else one of the same profile written differently (42e0 and
// 42c0 are both constrained baseline), else one whose profile the camera's
// stream conforms to, else
// the first H.264 format with packetization-mode=1 (the camera is unknown
// yet, or nothing fits better), else -1.
func chooseCodec(codecs []webrtc.RTPCodecParameters, plid string) int {
	best, rank := -1, 0
	for i, c := range codecs {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) {
			continue
		}
		f := parseFmtp(c.SDPFmtpLine)
		if f["packetization-mode"] != "1" {
			continue
		}
		offered := f["profile-level-id"]
		r := 1
		switch {
		case len(plid) != 6 || len(offered) != 6:
		case strings.EqualFold(offered[:4], plid[:4]):
			r = 4
		case classify(offered) == classify(plid) && classify(plid) != profileUnknown:
			r = 3
		case profileFits(plid, offered):
			r = 2
		}
		if r > rank {
			best, rank = i, r
		}
	}
	return best
}

// parseFmtp parses "a=b;c=d" into a map.
func parseFmtp(line string) map[string]string {
	m := map[string]string{}
	for kv := range strings.SplitSeq(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		m[strings.ToLower(k)] = v
	}
	return m
}
