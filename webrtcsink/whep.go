package webrtcsink

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shmcast/shmcast"
)

// Content types of WHEP (draft-ietf-wish-whep, after RFC 9725 §4).
const (
	ContentTypeSDP     = "application/sdp"
	ContentTypeSDPFrag = "application/trickle-ice-sdpfrag"
)

// answerTimeout bounds the work of answering one offer.
const answerTimeout = 10 * time.Second

// ServeHTTP serves, relative to where the Sink is mounted:
//
//	POST    /whep                application/sdp offer → 201 Created, Location, ETag, SDP answer
//	PATCH   /whep/{id}           application/trickle-ice-sdpfrag → 204 (ICE restart: 422)
//	DELETE  /whep/{id}           → 200, the viewer is gone; then 404
//	OPTIONS /whep[/{id}]         → 204 with CORS and Link rel="ice-server" headers
//	POST    /api/webrtc/offer    {"type":"offer","sdp":...} → {"type":"answer","sdp":...}
//
// Errors: 400 for an offer that is not SDP or has no H.264 in packetization
// mode 1, 401 without the bearer token, 404 for an unknown session, 413 for a
// body over MaxBodyBytes, 415 for a wrong Content-Type, 503 with Retry-After
// when MaxViewers are connected. Mount it under a prefix with
// [http.StripPrefix]: Location is built from the request's original path.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cors(w, r)
	if r.Method != http.MethodOptions && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="whep"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Sink) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /whep", s.postWHEP)
	m.HandleFunc("OPTIONS /whep", s.options)
	m.HandleFunc("PATCH /whep/{id}", s.patchWHEP)
	m.HandleFunc("DELETE /whep/{id}", s.deleteWHEP)
	m.HandleFunc("OPTIONS /whep/{id}", s.options)
	m.HandleFunc("POST /api/webrtc/offer", s.postLegacy)
	m.HandleFunc("OPTIONS /api/webrtc/offer", s.options)
	return m
}

func (s *Sink) authorized(r *http.Request) bool {
	if s.o.BearerToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.o.BearerToken)) == 1
}

func (s *Sink) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.o.AllowOrigins) == 0 {
		return
	}
	h := w.Header()
	switch {
	case slices.Contains(s.o.AllowOrigins, "*"):
		h.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(s.o.AllowOrigins, origin):
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	default:
		return
	}
	h.Set("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Patch, Retry-After")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
		h.Set("Access-Control-Max-Age", "86400")
	}
}

func (s *Sink) options(w http.ResponseWriter, r *http.Request) {
	s.iceLinks(w)
	w.Header().Set("Accept-Post", ContentTypeSDP)
	w.WriteHeader(http.StatusNoContent)
}

// iceLinks adds one Link header per configured ICE server URL
// (RFC 9725 §4.6).
func (s *Sink) iceLinks(w http.ResponseWriter) {
	for _, srv := range s.o.ICEServers {
		for _, u := range srv.URLs {
			l := fmt.Sprintf(`<%s>; rel="ice-server"`, u)
			if srv.Username != "" {
				l += fmt.Sprintf(`; username=%q; credential=%q; credential-type="password"`, srv.Username, srv.Credential)
			}
			w.Header().Add("Link", l)
		}
	}
}

// readBody checks the Content-Type and reads at most MaxBodyBytes; on failure
// it has written the error response.
func (s *Sink) readBody(w http.ResponseWriter, r *http.Request, ctype string) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, ctype) {
		http.Error(w, "Content-Type must be "+ctype, http.StatusUnsupportedMediaType)
		return nil, false
	}
	if r.ContentLength > s.o.MaxBodyBytes {
		http.Error(w, fmt.Sprintf("body over %d bytes", s.o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, fmt.Sprintf("body over %d bytes", s.o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		}
		return nil, false
	}
	return body, true
}

func (s *Sink) postWHEP(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r, ContentTypeSDP)
	if !ok {
		return
	}
	v, answer, ok := s.answerHTTP(w, r, string(body), false)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeSDP)
	h.Set("Location", resourcePath(r, v.id))
	h.Set("ETag", v.etag)
	h.Set("Accept-Patch", ContentTypeSDPFrag)
	s.iceLinks(w)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

type jsonSDP struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

func (s *Sink) postLegacy(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r, "application/json")
	if !ok {
		return
	}
	var req jsonSDP
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "body is not JSON {\"type\":\"offer\",\"sdp\":...}: "+err.Error(), http.StatusBadRequest)
		return
	}
	if req.Type != "offer" {
		http.Error(w, fmt.Sprintf("type is %q, want \"offer\"", req.Type), http.StatusBadRequest)
		return
	}
	_, answer, ok := s.answerHTTP(w, r, req.SDP, true)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(jsonSDP{Type: "answer", SDP: answer})
}

// answerHTTP answers an offer or writes the error response.
func (s *Sink) answerHTTP(w http.ResponseWriter, r *http.Request, offer string, legacy bool) (*viewer, string, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), answerTimeout)
	defer cancel()
	v, answer, err := s.answer(ctx, offer, legacy)
	if err == nil {
		return v, answer, true
	}
	var oe *OfferError
	switch {
	case errors.As(err, &oe):
		http.Error(w, oe.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrTooManyViewers):
		w.Header().Set("Retry-After", "5")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case errors.Is(err, shmcast.ErrClosed):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		s.log.Warn("answering offer", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	return nil, "", false
}

// resourcePath returns the absolute path of session id below the path the
// client posted to, before any [http.StripPrefix].
func resourcePath(r *http.Request, id string) string {
	p := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Path != "" {
		p = u.Path
	}
	return strings.TrimSuffix(p, "/") + "/" + id
}

func (s *Sink) deleteWHEP(w http.ResponseWriter, r *http.Request) {
	v := s.lookup(r.PathValue("id"))
	if v == nil {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	v.stop()
	s.remove(v) // at once, so that the next DELETE gets 404
	w.WriteHeader(http.StatusOK)
}
