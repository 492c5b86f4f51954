package main

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shmcast/shmcast/fanout"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/record"
	"github.com/shmcast/shmcast/shm"
	"github.com/shmcast/shmcast/webrtcsink"
)

//go:embed web
var webFS embed.FS

// routes returns the server's HTTP handler:
//
//	GET  /                     viewer page (first stream); /<stream>/ for the others
//	*    /<stream>/whep...     WHEP (see webrtcsink.Sink.ServeHTTP)
//	POST /api/webrtc/offer     the original JSON offer API, first stream
//	GET  /api/status           JSON: streams, producers, stages, viewers, recordings
//	POST /api/record/start     ?stream=<name>, all streams when omitted
//	POST /api/record/stop      likewise
//	GET  /metrics              Prometheus
//	     /debug/pprof/         with -pprof
func routes(c *config, streams []*stream, m *metrics) http.Handler {
	mux := http.NewServeMux()
	page, _ := webFS.ReadFile("web/index.html")
	servePage := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	}
	mux.HandleFunc("GET /{$}", servePage)
	for _, s := range streams {
		prefix := "/" + s.name
		mux.HandleFunc("GET "+prefix+"/{$}", servePage)
		mux.Handle(prefix+"/whep", http.StripPrefix(prefix, s.viewers))
		mux.Handle(prefix+"/whep/", http.StripPrefix(prefix, s.viewers))
	}
	mux.Handle("/api/webrtc/offer", streams[0].viewers)

	api := func(h http.HandlerFunc) http.Handler { return bearer(c.token, h) }
	mux.Handle("GET /api/status", api(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, status(streams))
	}))
	mux.Handle("POST /api/record/{action}", api(func(w http.ResponseWriter, r *http.Request) {
		recordAction(w, r, streams)
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	if c.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// bearer requires "Authorization: Bearer <token>" when token is set.
func bearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shmcast"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func recordAction(w http.ResponseWriter, r *http.Request, streams []*stream) {
	action := r.PathValue("action")
	if action != "start" && action != "stop" {
		http.Error(w, "unknown action "+action+": want start or stop", http.StatusNotFound)
		return
	}
	name := r.URL.Query().Get("stream")
	var picked []*stream
	for _, s := range streams {
		if name == "" || s.name == name {
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		http.Error(w, "no stream named "+name, http.StatusNotFound)
		return
	}
	out := map[string]recordingStatus{}
	for _, s := range picked {
		var err error
		if action == "start" {
			err = s.rec.Start()
		} else {
			err = s.rec.Stop()
		}
		if err != nil {
			http.Error(w, "stream "+s.name+": "+err.Error(), http.StatusInternalServerError)
			return
		}
		out[s.name] = recording(s.rec.Stats())
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// statusReport is the JSON of GET /api/status.
type statusReport struct {
	Streams []streamStatus `json:"streams"`
}

type streamStatus struct {
	Name      string           `json:"name"`
	WHEP      string           `json:"whep"`
	Segment   *shm.Info        `json:"segment,omitempty"`
	Producer  string           `json:"producer"` // "attached", or why not
	Reader    shm.ReaderStats  `json:"reader"`
	Parser    h264.ParserStats `json:"parser"`
	Fanout    fanout.Stats     `json:"fanout"`
	Viewers   viewersStatus    `json:"viewers"`
	Recording recordingStatus  `json:"recording"`
	LatencyMS float64          `json:"capture_to_send_ms"`
}

type viewersStatus struct {
	Count   int                      `json:"count"`
	Frames  uint64                   `json:"frames"`
	Packets uint64                   `json:"packets"`
	Total   webrtcsink.Counters      `json:"total"`
	List    []webrtcsink.ViewerStats `json:"list"`
}

type recordingStatus struct {
	record.Stats
	LastError string `json:"LastError,omitempty"` // the error's text; Stats has an error value
}

func recording(st record.Stats) recordingStatus {
	rs := recordingStatus{Stats: st}
	if st.LastError != nil {
		rs.LastError = st.LastError.Error()
	}
	return rs
}

func status(streams []*stream) statusReport {
	var out statusReport
	for _, s := range streams {
		rs, ps, info, err := s.producer()
		producer := "attached"
		if err != nil {
			producer = err.Error()
		} else if info == nil {
			producer = "waiting"
		}
		vs := s.viewers.Stats()
		out.Streams = append(out.Streams, streamStatus{
			Name:     s.name,
			WHEP:     "/" + s.name + "/whep",
			Segment:  info,
			Producer: producer,
			Reader:   rs,
			Parser:   ps,
			Fanout:   s.dist.Stats(),
			Viewers: viewersStatus{Count: len(vs.Viewers), Frames: vs.Frames, Packets: vs.Packets,
				Total: vs.Total, List: vs.Viewers},
			Recording: recording(s.rec.Stats()),
			LatencyMS: float64(s.latencyNS.Load()) / float64(time.Millisecond),
		})
	}
	return out
}
