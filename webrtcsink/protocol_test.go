package webrtcsink_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/shmcast/shmcast/webrtcsink"
)

// makeOffer returns a recvonly video offer from api, with its candidates.
func makeOffer(t testing.TB, api *webrtc.API) string {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return recvonlyOffer(t, pc)
}

// recvonlyOffer adds a receive-only video transceiver to pc and returns
// its offer with every candidate gathered (non-trickle WHEP).
func recvonlyOffer(t testing.TB, pc *webrtc.PeerConnection) string {
	t.Helper()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// vp8API makes offers without H.264.
func vp8API(t testing.TB) *webrtc.API {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me))
}

type request struct {
	method, path, ctype, body string
	header                    map[string]string
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t testing.TB, base string, r request) response {
	t.Helper()
	req, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestPOSTErrors(t *testing.T) {
	offer := makeOffer(t, clientAPI(t))
	vp8 := makeOffer(t, vp8API(t))
	_, srv := newServer(t, webrtcsink.Options{MaxBodyBytes: 8 << 10, BearerToken: "s3cret"})
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	tests := []struct {
		name     string
		req      request
		status   int
		bodyHas  string
		wantHead string
	}{
		{"no token", request{"POST", "/whep", "application/sdp", offer, nil}, 401, "bearer", "WWW-Authenticate"},
		{"wrong token", request{"POST", "/whep", "application/sdp", offer, map[string]string{"Authorization": "Bearer s3cres"}}, 401, "bearer", ""},
		{"wrong scheme", request{"POST", "/whep", "application/sdp", offer, map[string]string{"Authorization": "Basic s3cret"}}, 401, "", ""},
		{"content type", request{"POST", "/whep", "text/plain", offer, auth}, 415, "application/sdp", ""},
		{"no content type", request{"POST", "/whep", "", offer, auth}, 415, "", ""},
		{"too large", request{"POST", "/whep", "application/sdp", offer + strings.Repeat("a=x\r\n", 3000), auth}, 413, "8192", ""},
		{"not SDP", request{"POST", "/whep", "application/sdp", "hello, world", auth}, 400, "not valid SDP", ""},
		{"empty", request{"POST", "/whep", "application/sdp", "", auth}, 400, "empty", ""},
		{"no H.264", request{"POST", "/whep", "application/sdp", vp8, auth}, 400, "no H.264 with packetization-mode=1", ""},
		{"audio only", request{"POST", "/whep", "application/sdp", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", auth}, 400, "no video section", ""},
		{"GET", request{"GET", "/whep", "", "", auth}, 405, "", "Allow"},
		{"legacy type", request{"POST", "/api/webrtc/offer", "text/plain", "{}", auth}, 415, "application/json", ""},
		{"legacy not JSON", request{"POST", "/api/webrtc/offer", "application/json", "v=0", auth}, 400, "not JSON", ""},
		{"legacy answer", request{"POST", "/api/webrtc/offer", "application/json", `{"type":"answer","sdp":""}`, auth}, 400, `want "offer"`, ""},
		{"legacy no H.264", request{"POST", "/api/webrtc/offer", "application/json", jsonOffer(vp8), auth}, 400, "no H.264", ""},
		{"unknown session", request{"DELETE", "/whep/nope", "", "", auth}, 404, "", ""},
		{"unknown patch", request{"PATCH", "/whep/nope", "application/trickle-ice-sdpfrag", "", auth}, 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv.URL, tt.req)
			if got.status != tt.status || !strings.Contains(got.body, tt.bodyHas) {
				t.Errorf("%s %s = %d %q, want %d containing %q", tt.req.method, tt.req.path, got.status, got.body, tt.status, tt.bodyHas)
			}
			if tt.wantHead != "" && got.header.Get(tt.wantHead) == "" {
				t.Errorf("no %s header in %v", tt.wantHead, got.header)
			}
		})
	}
}

func jsonOffer(sdp string) string {
	b, _ := json.Marshal(map[string]string{"type": "offer", "sdp": sdp})
	return string(b)
}

func TestSessionLifecycle(t *testing.T) {
	api := clientAPI(t)
	sink, srv := newServer(t, webrtcsink.Options{MaxViewers: 2})
	post := request{"POST", "/whep", "application/sdp", makeOffer(t, api), nil}

	a := do(t, srv.URL, post)
	if a.status != 201 || a.header.Get("Content-Type") != "application/sdp" || !strings.HasPrefix(a.body, "v=0") {
		t.Fatalf("POST = %d %v %q", a.status, a.header, a.body)
	}
	loc, etag := a.header.Get("Location"), a.header.Get("ETag")
	if !strings.HasPrefix(loc, "/whep/") || etag == "" || a.header.Get("Accept-Patch") != "application/trickle-ice-sdpfrag" {
		t.Fatalf("POST headers: %v", a.header)
	}
	if !strings.Contains(a.body, "a=candidate:") || !strings.Contains(a.body, "127.0.0.1") {
		t.Errorf("answer has no loopback candidate:\n%s", a.body)
	}
	if !strings.Contains(a.body, "packetization-mode=1") {
		t.Errorf("answer without packetization-mode=1:\n%s", a.body)
	}

	legacy := do(t, srv.URL, request{"POST", "/api/webrtc/offer", "application/json", jsonOffer(makeOffer(t, api)), nil})
	var ans struct{ Type, SDP string }
	if err := json.Unmarshal([]byte(legacy.body), &ans); legacy.status != 200 || err != nil || ans.Type != "answer" || !strings.HasPrefix(ans.SDP, "v=0") {
		t.Fatalf("legacy POST = %d %q (%v)", legacy.status, legacy.body, err)
	}

	full := do(t, srv.URL, post)
	if full.status != 503 || full.header.Get("Retry-After") == "" {
		t.Fatalf("third POST with MaxViewers 2 = %d %v, want 503 with Retry-After", full.status, full.header)
	}

	frag := "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"
	patches := []struct {
		name   string
		req    request
		status int
	}{
		{"trickle", request{"PATCH", loc, "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": etag}}, 204},
		{"no If-Match", request{"PATCH", loc, "application/trickle-ice-sdpfrag", frag, nil}, 204},
		{"wrong type", request{"PATCH", loc, "application/sdp", frag, nil}, 415},
		{"stale ETag", request{"PATCH", loc, "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": `"old"`}}, 412},
		{"ICE restart", request{"PATCH", loc, "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": "*"}}, 422},
		{"garbage", request{"PATCH", loc, "application/trickle-ice-sdpfrag", "hello", nil}, 400},
	}
	for _, p := range patches {
		if got := do(t, srv.URL, p.req); got.status != p.status {
			t.Errorf("PATCH %s = %d %q, want %d", p.name, got.status, got.body, p.status)
		}
	}

	if got := do(t, srv.URL, request{"DELETE", loc, "", "", nil}); got.status != 200 {
		t.Errorf("DELETE = %d, want 200", got.status)
	}
	if got := do(t, srv.URL, request{"DELETE", loc, "", "", nil}); got.status != 404 {
		t.Errorf("second DELETE = %d, want 404", got.status)
	}
	if got := do(t, srv.URL, request{"PATCH", loc, "application/trickle-ice-sdpfrag", frag, nil}); got.status != 404 {
		t.Errorf("PATCH after DELETE = %d, want 404", got.status)
	}
	if n := len(sink.Stats().Viewers); n != 1 {
		t.Errorf("%d viewers after DELETE, want 1 (the legacy one)", n)
	}
	if got := do(t, srv.URL, post); got.status != 201 {
		t.Errorf("POST after DELETE = %d, want 201", got.status)
	}
}

func TestLocationUnderPrefix(t *testing.T) {
	sink, err := webrtcsink.New(webrtcsink.Options{Interfaces: []string{"lo"}, IncludeLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	mux := http.NewServeMux()
	mux.Handle("/cam1/", http.StripPrefix("/cam1", sink))
	srv := httptestServer(t, mux)
	got := do(t, srv, request{"POST", "/cam1/whep", "application/sdp", makeOffer(t, clientAPI(t)), nil})
	if got.status != 201 || !strings.HasPrefix(got.header.Get("Location"), "/cam1/whep/") {
		t.Fatalf("POST /cam1/whep = %d, Location %q", got.status, got.header.Get("Location"))
	}
	if d := do(t, srv, request{"DELETE", got.header.Get("Location"), "", "", nil}); d.status != 200 {
		t.Errorf("DELETE Location = %d", d.status)
	}
}

func TestCORSAndICEServers(t *testing.T) {
	_, srv := newServer(t, webrtcsink.Options{
		AllowOrigins: []string{"https://viewer.example"},
		BearerToken:  "t",
		ICEServers:   []webrtcsink.ICEServer{{URLs: []string{"stun:stun.example:3478"}}, {URLs: []string{"turn:turn.example"}, Username: "u", Credential: "p"}},
	})
	pre := do(t, srv.URL, request{"OPTIONS", "/whep", "", "", map[string]string{
		"Origin": "https://viewer.example", "Access-Control-Request-Method": "POST"}})
	if pre.status != 204 {
		t.Fatalf("OPTIONS (no token: preflight needs none) = %d", pre.status)
	}
	h := pre.header
	if h.Get("Access-Control-Allow-Origin") != "https://viewer.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("CORS headers: %v", h)
	}
	links := h.Values("Link")
	if len(links) != 2 || links[0] != `<stun:stun.example:3478>; rel="ice-server"` ||
		!strings.Contains(links[1], `username="u"; credential="p"`) {
		t.Errorf("Link headers: %q", links)
	}
	other := do(t, srv.URL, request{"OPTIONS", "/whep", "", "", map[string]string{"Origin": "https://evil.example"}})
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("origin not allowed got ACAO %q", other.header.Get("Access-Control-Allow-Origin"))
	}
	denied := do(t, srv.URL, request{"POST", "/whep", "application/sdp", "v=0", map[string]string{"Origin": "https://viewer.example"}})
	if denied.status != 401 || denied.header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("401 must carry CORS headers so the page can read it: %d %v", denied.status, denied.header)
	}
}
