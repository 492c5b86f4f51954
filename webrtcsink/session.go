package webrtcsink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// answer creates a viewer for an SDP offer and returns it with the SDP
// answer, which already holds the server's candidates (no trickle needed).
func (s *Sink) answer(ctx context.Context, offer string, legacy bool) (*viewer, string, error) {
	if err := checkOffer(offer); err != nil {
		return nil, "", err
	}
	if err := s.reserve(); err != nil {
		return nil, "", err
	}
	defer s.unreserve()
	pc, err := s.t.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("webrtcsink: new peer connection: %w", err)
	}
	v, answer, err := s.negotiate(ctx, pc, offer, legacy)
	if err == nil {
		err = s.register(v)
	}
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	return v, answer, nil
}

func (s *Sink) negotiate(ctx context.Context, pc *webrtc.PeerConnection, offer string, legacy bool) (*viewer, string, error) {
	plid := s.profile()
	v := &viewer{
		s: s, id: randomHex(16), etag: `"` + randomHex(8) + `"`, legacy: legacy, created: time.Now(),
		pc: pc, tr: newTrack(plid),
		q: make(chan queued, s.o.QueueLen), nackq: make(chan uint16, 128),
		done: make(chan struct{}), connected: make(chan struct{}),
	}
	tx, err := pc.AddTransceiverFromTrack(v.tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, "", fmt.Errorf("webrtcsink: add track: %w", err)
	}
	v.sender = tx.Sender()
	pc.OnConnectionStateChange(v.onState)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return nil, "", &OfferError{Msg: "rejected: " + err.Error()}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, "", &OfferError{Msg: "cannot answer: " + err.Error()}
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return nil, "", fmt.Errorf("webrtcsink: set answer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, "", fmt.Errorf("webrtcsink: gathering candidates: %w", ctx.Err())
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return nil, "", errors.New("webrtcsink: no local description")
	}
	// Pion refuses a modified answer in SetLocalDescription; the profile
	// only matters to the receiver, so it is set in the text it gets.
	return v, setAnswerProfile(ld.SDP, plid), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
