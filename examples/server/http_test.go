package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newTestAPI serves the routes of one stream "cam" whose stages do not run.
func newTestAPI(t *testing.T, token string) string {
	t.Helper()
	return newTestAPIStreams(t, token, "cam")
}

// newTestAPIStreams serves the routes of streams whose stages do not run.
func newTestAPIStreams(t *testing.T, token string, names ...string) string {
	t.Helper()
	needsIsolation(t) // the streams' WebRTC sinks open UDP ports
	c, err := parseConfig([]string{"-shm", strings.Join(names, ","), "-record-dir", t.TempDir(), "-token", token,
		"-udp-port", "0"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics()
	tr, err := c.transport()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() }) // runs after the streams' cleanups
	var streams []*stream
	for _, name := range c.streams {
		s, err := newStream(name, &c, m, tr, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, s)
		t.Cleanup(func() {
			s.viewers.Close()
			s.rec.Close()
			s.dist.Close()
		})
	}
	m.reg.MustRegister(streamCollector{streams})
	srv := httptest.NewServer(routes(&c, streams, m))
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(""))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == http.MethodPost && strings.Contains(url, "/whep") {
		req.Header.Set("Content-Type", "application/sdp")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestAPIStatusCodes(t *testing.T) {
	url := newTestAPI(t, "")
	tests := []struct {
		method, path string
		want         int
		body         string // in the response
	}{
		{"GET", "/", 200, "WHEP"},
		{"GET", "/cam/", 200, "<video"},
		{"GET", "/nope/", 404, ""},
		{"GET", "/api/status", 200, `"name": "cam"`},
		{"POST", "/api/status", 405, ""},
		{"POST", "/api/record/start?stream=nope", 404, "no stream named nope"},
		{"POST", "/api/record/pause", 404, "want start or stop"},
		{"GET", "/api/record/start", 405, ""},
		{"POST", "/api/record/start?stream=cam", 200, `"Recording": true`},
		{"POST", "/api/record/stop", 200, `"Recording": false`},
		{"POST", "/cam/whep", 400, ""}, // an empty offer
		{"GET", "/metrics", 200, `shmcast_frames_read_total{stream="cam"} 0`},
	}
	for _, tt := range tests {
		code, body := do(t, tt.method, url+tt.path, "")
		if code != tt.want || !strings.Contains(body, tt.body) {
			t.Errorf("%s %s = %d %.200q, want %d with %q", tt.method, tt.path, code, body, tt.want, tt.body)
		}
	}
}

func TestAPIStatusJSON(t *testing.T) {
	url := newTestAPI(t, "")
	_, body := do(t, "GET", url+"/api/status", "")
	var st statusReport
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, body)
	}
	if len(st.Streams) != 1 || st.Streams[0].Name != "cam" || st.Streams[0].WHEP != "/cam/whep" ||
		st.Streams[0].Producer != "waiting" {
		t.Errorf("status = %+v, want one stream cam, WHEP /cam/whep, producer waiting", st)
	}
}

func TestTokenGuardsAPIAndWHEP(t *testing.T) {
	url := newTestAPI(t, "s3cret")
	tests := []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/api/status", "", 401},
		{"GET", "/api/status", "wrong", 401},
		{"GET", "/api/status", "s3cret", 200},
		{"POST", "/api/record/start", "", 401},
		{"POST", "/api/record/start", "s3cret", 200},
		{"POST", "/cam/whep", "", 401},
		{"POST", "/cam/whep", "s3cret", 400}, // authorised; the empty offer is what is wrong
		{"GET", "/", "", 200},                // the page itself is public; it passes ?token= on
	}
	for _, tt := range tests {
		if code, body := do(t, tt.method, url+tt.path, tt.token); code != tt.want {
			t.Errorf("%s %s with token %q = %d %.100q, want %d", tt.method, tt.path, tt.token, code, body, tt.want)
		}
	}
}

// TestSeveralStreams checks that each stream has its own page, WHEP
// endpoint, recording switch, status entry and metric labels.
func TestSeveralStreams(t *testing.T) {
	url := newTestAPIStreams(t, "", "cam0", "cam1")
	tests := []struct {
		method, path string
		want         int
		body         string
	}{
		{"GET", "/cam0/", 200, "<video"},
		{"GET", "/cam1/", 200, "<video"},
		{"POST", "/cam0/whep", 400, ""},
		{"POST", "/cam1/whep", 400, ""},
		{"POST", "/cam2/whep", 404, ""},
		{"POST", "/api/record/start?stream=cam1", 200, `"cam1"`},
		{"GET", "/metrics", 200, `shmcast_recording{stream="cam1"} 1`},
		{"GET", "/metrics", 200, `shmcast_recording{stream="cam0"} 0`},
		{"GET", "/api/status", 200, `"whep": "/cam1/whep"`},
	}
	for _, tt := range tests {
		code, body := do(t, tt.method, url+tt.path, "")
		if code != tt.want || !strings.Contains(body, tt.body) {
			t.Errorf("%s %s = %d %.200q, want %d with %q", tt.method, tt.path, code, body, tt.want, tt.body)
		}
	}
	_, body := do(t, "POST", url+"/api/record/start?stream=cam1", "")
	if strings.Contains(body, `"cam0"`) {
		t.Errorf("starting cam1's recording touched cam0: %s", body)
	}
}
