package webrtcsink_test

import (
	"bytes"
	"context"
	"slices"
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

// TestBurstGOPJoin: with a producer that ignores key frame requests and
// BurstGOP, a viewer joining mid-GOP gets the GOP from its key frame at
// once, with timestamps 1 ms apart, then the live frames, all intact.
func TestBurstGOPJoin(t *testing.T) {
	frames := clip(t)
	sink, srv := newServer(t, webrtcsink.Options{BurstGOP: true, QueueLen: 64})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); feedLoop(ctx, sink, frames, nil) }()
	defer func() { cancel(); wg.Wait() }()
	time.Sleep(700 * time.Millisecond) // into the clip's first GOP (not a timing assertion)
	tv := dialWHEP(t, clientAPI(t), srv.URL+"/whep", false)
	defer tv.close()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := tv.waitFrames(wctx, 45); err != nil {
		t.Fatal(err)
	}
	var burst uint64
	for _, v := range sink.Stats().Viewers {
		burst = v.Burst
	}
	if burst < 2 {
		t.Fatalf("burst of %d frames, want several", burst)
	}
	aus, err := tv.accessUnits()
	if err != nil {
		t.Fatal(err)
	}
	k := -1
	for i := 0; i < len(frames); i += 30 {
		if slices.EqualFunc(payloadNALUs(frames[i].Data), nalus(aus[0]), bytes.Equal) {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("first access unit is not one of the clip's key frames")
	}
	for j, au := range aus {
		if !slices.EqualFunc(payloadNALUs(frames[(k+j)%len(frames)].Data), nalus(au), bytes.Equal) {
			t.Fatalf("access unit %d is not frame %d", j, (k+j)%len(frames))
		}
	}
	ts := tv.frameTimestamps()
	for j := 1; j < int(burst); j++ {
		if d := ts[j] - ts[j-1]; d != 90 {
			t.Errorf("burst frame %d: timestamp step %d, want 90 (1 ms)", j, d)
		}
	}
	if d := ts[burst] - ts[burst-1]; d != 3000 {
		t.Errorf("first live frame: timestamp step %d, want 3000 (33 ms)", d)
	}
}
