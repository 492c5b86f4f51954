package webrtcsink_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shmcast/shmcast/webrtcsink"
	"go.uber.org/goleak"
)

// TestConnectDisconnectCycles connects and disconnects viewers 200 times,
// half ended by DELETE and half by the client closing, while frames flow,
// then checks that no viewer and no goroutine is left.
func TestConnectDisconnectCycles(t *testing.T) {
	cycles := 200
	if testing.Short() {
		cycles = 20
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer http.DefaultClient.CloseIdleConnections()
	frames := clip(t)
	api := clientAPI(t)
	sink, err := webrtcsink.New(webrtcsink.Options{Interfaces: []string{"lo"}, IncludeLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptestServerUnmanaged(sink)
	var tDial, tConn, tDel, tClose, tGone time.Duration
	defer func() { t.Logf("dial %v conn %v del %v close %v gone %v", tDial, tConn, tDel, tClose, tGone) }()
	for i := range cycles {
		t0 := time.Now()
		_ = sink.WriteFrame(frames[i%len(frames)])
		tv := dialWHEP(t, api, srv.URL+"/whep", false)
		t1 := time.Now()
		waitConnected(t, sink, 1)
		t2 := time.Now()
		if i%2 == 0 {
			if got := do(t, srv.URL, request{"DELETE", tv.location, "", "", nil}); got.status != 200 {
				t.Fatalf("cycle %d: DELETE = %d", i, got.status)
			}
		}
		t3 := time.Now()
		tv.close()
		t4 := time.Now()
		waitViewers(t, sink, 0)
		tDial += t1.Sub(t0)
		tConn += t2.Sub(t1)
		tDel += t3.Sub(t2)
		tClose += t4.Sub(t3)
		tGone += time.Since(t4)
		if d := time.Since(t0); d > 300*time.Millisecond {
			t.Logf("cycle %d: %v conn %v gone %v", i, d, t2.Sub(t1), time.Since(t4))
		}
	}
	st := sink.Stats()
	srv.Close()
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if len(st.Viewers) != 0 {
		t.Errorf("viewers left: %+v", st.Viewers)
	}
}

func waitViewers(t testing.TB, sink *webrtcsink.Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(sink.Stats().Viewers) != n {
		if time.Now().After(deadline) {
			t.Fatalf("viewers: %+v, want %d", sink.Stats().Viewers, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
