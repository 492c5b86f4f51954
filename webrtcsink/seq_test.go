package webrtcsink_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/webrtcsink"
)

// TestSequentialViewersPlay: viewers that join one after the other each get
// a picture quickly, from a producer that honours key frame requests.
func TestSequentialViewersPlay(t *testing.T) {
	frames := clip(t)
	var want atomic.Bool
	sink, srv := newServer(t, webrtcsink.Options{
		Keyframes: shmcast.KeyframeRequesterFunc(func() { want.Store(true) }), KeyframeInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); feedLoop(ctx, sink, frames, &want) }()
	defer func() { cancel(); wg.Wait() }()
	api := clientAPI(t)
	for i := range 3 {
		tv := dialWHEP(t, api, srv.URL+"/whep", false)
		select {
		case <-tv.first:
		case <-time.After(10 * time.Second):
			t.Fatalf("viewer %d: no frame in 10 s: %+v", i, sink.Stats())
		}
		tv.close()
	}
}
