package webrtcsink_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/webrtcsink"
)

// newServer starts a Sink on loopback only, behind an httptest server.
func newServer(t testing.TB, o webrtcsink.Options) (*webrtcsink.Sink, *httptest.Server) {
	t.Helper()
	o.Interfaces = []string{"lo"}
	o.IncludeLoopback = true
	sink, err := webrtcsink.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sink)
	t.Cleanup(func() {
		srv.Close()
		if err := sink.Close(); err != nil {
			t.Error(err)
		}
	})
	return sink, srv
}

// waitConnected waits until the Sink reports n connected viewers.
func waitConnected(t testing.TB, sink *webrtcsink.Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c := 0
		for _, v := range sink.Stats().Viewers {
			if v.State == "connected" {
				c++
			}
		}
		if c >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("viewers connected: %+v, want %d", sink.Stats().Viewers, n)
}

// TestAccessUnitsArriveIntact feeds the clip to 1 and to 20 pion receivers
// (plus one that never reads) and checks that each reassembles exactly the
// source's access units, from a key frame on, byte for byte.
func TestAccessUnitsArriveIntact(t *testing.T) {
	frames := clip(t)
	for _, n := range []int{1, 20} {
		t.Run(string(rune('0'+n/10))+string(rune('0'+n%10)), func(t *testing.T) {
			sink, srv := newServer(t, webrtcsink.Options{QueueLen: 400})
			api := clientAPI(t)
			var tvs []*testViewer
			t0 := time.Now()
			for range n {
				tvs = append(tvs, dialWHEP(t, api, srv.URL+"/whep", false))
			}
			t.Logf("dialed %d in %v", n, time.Since(t0))
			stalled := dialWHEP(t, api, srv.URL+"/whep", true)
			defer func() {
				for _, tv := range append(tvs, stalled) {
					tv.close()
				}
			}()
			waitConnected(t, sink, n+1)
			t.Logf("connected in %v", time.Since(t0))
			time.Sleep(300 * time.Millisecond) // let the writers start (not a timing assertion)
			for _, f := range frames {
				if err := sink.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
				time.Sleep(3 * time.Millisecond)
			}
			t.Logf("fed in %v", time.Since(t0))
			sent := map[string]uint64{}
			for _, v := range sink.Stats().Viewers {
				sent[v.ID] = v.Frames
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i, tv := range tvs {
				want := settledFrames(t, sink, path.Base(tv.location))
				if err := tv.waitFrames(ctx, int64(want)); err != nil {
					t.Fatalf("viewer %d: %v", i, err)
				}
				checkSuffix(t, i, tv, frames)
			}
			st := sink.Stats()
			if st.Frames != uint64(len(frames)) {
				t.Errorf("Stats().Frames = %d, want %d", st.Frames, len(frames))
			}
			for _, v := range st.Viewers {
				if v.Drops != 0 {
					t.Errorf("viewer %s dropped %d frames", v.ID, v.Drops)
				}
			}
			t.Logf("checked in %v", time.Since(t0))
			t.Logf("totals: %+v", st.Current)
		})
	}
}

// settledFrames waits until the Sink has sent viewer id all it will send.
func settledFrames(t testing.TB, sink *webrtcsink.Sink, id string) uint64 {
	t.Helper()
	var last uint64 = 1<<64 - 1
	for range 200 {
		for _, v := range sink.Stats().Viewers {
			if v.ID == id {
				if v.Frames == last {
					return last
				}
				last = v.Frames
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("viewer %s: sent frames never settled", id)
	return 0
}

// checkSuffix checks that tv received frames[k:] for a key frame k in the
// first two GOPs, each access unit's NAL units equal to the source's.
func checkSuffix(t *testing.T, i int, tv *testViewer, frames []shmcast.Frame) {
	t.Helper()
	got, err := tv.accessUnits()
	if err != nil {
		t.Fatalf("viewer %d: %v", i, err)
	}
	k := len(frames) - len(got)
	if k < 0 || k > 60 || !frames[k].Key {
		t.Fatalf("viewer %d: received %d of %d access units; first would be frame %d", i, len(got), len(frames), k)
	}
	for j, au := range got {
		want, have := payloadNALUs(frames[k+j].Data), nalus(au)
		if slices.EqualFunc(want, have, bytes.Equal) {
			continue
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Fatalf("viewer %d: access unit %d differs (-source +received):\n%.2000s", i, k+j, diff)
		}
	}
}

func httptestServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func httptestServerUnmanaged(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
