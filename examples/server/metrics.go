package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics. Counters the stages keep
// themselves are read at scrape time by a collector; only what no stage
// counts lives here.
type metrics struct {
	reg          *prometheus.Registry
	errors       *prometheus.CounterVec
	restarts     *prometheus.CounterVec
	recordErrors *prometheus.CounterVec
	latency      *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shmcast_errors_total", Help: "Errors by stream, stage and class (temporary, fatal, panic).",
		}, []string{"stream", "stage", "class"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shmcast_stage_restarts_total", Help: "Stage restarts by stream and stage.",
		}, []string{"stream", "stage"}),
		recordErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shmcast_recording_errors_total", Help: "Errors the recorder reported (disk full, I/O).",
		}, []string{"stream"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shmcast_capture_to_send_seconds",
			Help:    "Time from the producer's capture timestamp to the frame being queued to the viewers.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"stream"}),
	}
	m.reg.MustRegister(m.errors, m.restarts, m.recordErrors, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// streamCollector reads every stream's stage counters at scrape time.
type streamCollector struct{ streams []*stream }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append([]string{"stream"}, labels...), nil)
}

var (
	descRead        = desc("shmcast_frames_read_total", "Frames read from shared memory.")
	descLost        = desc("shmcast_frames_lost_total", "Frames the producer wrote that the reader lost (overwritten or torn).")
	descReattach    = desc("shmcast_producer_reattaches_total", "Times the reader moved to a restarted producer.")
	descAlive       = desc("shmcast_producer_alive", "1 while a live producer is attached.")
	descProcessed   = desc("shmcast_frames_processed_total", "Frames the H.264 parser passed on.")
	descBad         = desc("shmcast_frames_bad_total", "Frames the H.264 parser rejected.")
	descDistributed = desc("shmcast_frames_distributed_total", "Frames written to the distributor.")
	descDropped     = desc("shmcast_frames_dropped_total", "Frames dropped by slow consumers, by where.", "where")
	descKeyReq      = desc("shmcast_keyframe_requests_total", "Key frame requests sent to the producer.")
	descViewers     = desc("shmcast_viewers", "Connected WebRTC viewers.")
	descViewerPkts  = desc("shmcast_viewer_packets_sent_total", "RTP packets sent to a viewer.", "viewer")
	descViewerDrops = desc("shmcast_viewer_frames_dropped_total", "Frames a viewer dropped for falling behind.", "viewer")
	descNACKs       = desc("shmcast_nacks_total", "Packets viewers asked for again.")
	descRecBytes    = desc("shmcast_recording_bytes_total", "Bytes written to recordings.")
	descRecording   = desc("shmcast_recording", "1 while recording.")
)

func (c streamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRead, descLost, descReattach, descAlive, descProcessed, descBad,
		descDistributed, descDropped, descKeyReq, descViewers, descViewerPkts, descViewerDrops, descNACKs,
		descRecBytes, descRecording} {
		ch <- d
	}
}

func (c streamCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range c.streams {
		n := s.name
		rs, ps, _, _ := s.producer()
		counter(descRead, rs.Frames, n)
		counter(descLost, rs.Lost, n)
		counter(descReattach, rs.Reattaches, n)
		gauge(descAlive, b2f(rs.WriterAlive), n)
		counter(descProcessed, ps.Frames, n)
		counter(descBad, ps.BadFrames, n)
		ds := s.dist.Stats()
		counter(descDistributed, ds.Frames, n)
		counter(descDropped, ds.Dropped, n, "fanout")
		counter(descKeyReq, rs.KeyframeRequests, n)
		vs := s.viewers.Stats()
		gauge(descViewers, float64(len(vs.Viewers)), n)
		counter(descDropped, vs.Total.Drops, n, "viewers")
		counter(descNACKs, vs.Total.NACKs, n)
		for _, v := range vs.Viewers {
			counter(descViewerPkts, v.Packets, n, v.ID)
			counter(descViewerDrops, v.Drops, n, v.ID)
		}
		rec := s.rec.Stats()
		counter(descRecBytes, rec.Bytes, n)
		gauge(descRecording, b2f(rec.Recording), n)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
