package webrtcsink

import (
	"net/http"
	"strings"

	"github.com/pion/webrtc/v4"
)

// patchWHEP takes trickled ICE candidates (RFC 8840 SDP fragments, as RFC
// 9725 §4.3.1 uses them). ICE restarts (If-Match: *) are not supported: 422.
func (s *Sink) patchWHEP(w http.ResponseWriter, r *http.Request) {
	v := s.lookup(r.PathValue("id"))
	if v == nil {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	body, ok := s.readBody(w, r, ContentTypeSDPFrag)
	if !ok {
		return
	}
	switch m := r.Header.Get("If-Match"); {
	case m == "*":
		http.Error(w, "ICE restart is not supported", http.StatusUnprocessableEntity)
		return
	case m != "" && m != v.etag:
		http.Error(w, "ETag does not match", http.StatusPreconditionFailed)
		return
	}
	cands, err := parseSDPFrag(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, c := range cands {
		if err := v.pc.AddICECandidate(c); err != nil {
			http.Error(w, "adding candidate: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseSDPFrag returns the candidates of a trickle-ice-sdpfrag body, with the
// media stream they belong to. An ice-ufrag or ice-pwd that announces a
// restart is the caller's business (If-Match: *).
func parseSDPFrag(frag string) ([]webrtc.ICECandidateInit, error) {
	var out []webrtc.ICECandidateInit
	mid := "0"
	for line := range strings.Lines(frag) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			m := mid
			out = append(out, webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a="), SDPMid: &m})
		case line == "", strings.HasPrefix(line, "a="), strings.HasPrefix(line, "m="):
		default:
			return nil, errBadCandidate
		}
	}
	return out, nil
}
