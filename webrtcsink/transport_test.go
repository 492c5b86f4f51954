package webrtcsink_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/webrtcsink"
)

// TestSinksShareTransport serves two streams on one UDP port: each sink's
// viewer gets its own stream, and closing a sink leaves the port to the
// other.
func TestSinksShareTransport(t *testing.T) {
	tr, err := webrtcsink.NewTransport(webrtcsink.Options{Interfaces: []string{"lo"}, IncludeLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var sinks [2]*webrtcsink.Sink
	var viewers [2]*testViewer
	api := clientAPI(t)
	for i := range sinks {
		if sinks[i], err = webrtcsink.New(webrtcsink.Options{Transport: tr}); err != nil {
			t.Fatal(err)
		}
		defer sinks[i].Close()
		srv := httptest.NewServer(sinks[i])
		defer srv.Close()
		viewers[i] = dialWHEP(t, api, srv.URL+"/whep", false)
		defer viewers[i].close()
		waitConnected(t, sinks[i], 1)
	}
	if a, b := sinks[0].UDPAddrs(), sinks[1].UDPAddrs(); len(a) == 0 || a[0].String() != b[0].String() {
		t.Fatalf("UDPAddrs: %v and %v, want the same shared port", a, b)
	}

	// Stream 0 gets the clip's first GOP, stream 1 its second one, at once.
	frames := testclip.MustFrames(testclip.Baseline)
	for i := 0; i < testclip.GOP; i++ {
		sinks[0].WriteFrame(frames[i])
		sinks[1].WriteFrame(frames[testclip.GOP+i])
		time.Sleep(3 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, tv := range viewers {
		if err := tv.waitFrames(ctx, testclip.GOP); err != nil {
			t.Fatalf("viewer of sink %d: %v", i, err)
		}
		got, err := tv.accessUnits()
		if err != nil {
			t.Fatal(err)
		}
		first := frames[i*testclip.GOP].Data
		if want := payloadNALUs(first); len(got) == 0 || !slices.EqualFunc(want, nalus(got[0]), bytes.Equal) {
			t.Errorf("viewer of sink %d did not start with its own stream's key frame", i)
		}
	}

	// Closing sink 0 leaves the shared port open for sink 1.
	sinks[0].Close()
	if len(sinks[1].UDPAddrs()) == 0 {
		t.Fatal("sink 1 lost its port when sink 0 closed")
	}
	n := viewers[1].markers.Load()
	for i := 2 * testclip.GOP; i < 3*testclip.GOP; i++ {
		sinks[1].WriteFrame(frames[i])
		time.Sleep(3 * time.Millisecond)
	}
	if err := viewers[1].waitFrames(ctx, n+testclip.GOP); err != nil {
		t.Errorf("sink 1 after sink 0 closed: %v", err)
	}
}
