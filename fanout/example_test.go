package fanout_test

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/fanout"
)

// source yields n frames of a stream with a key frame every 30, as fast as
// it is read: a stand-in for h264.NewParser(shm reader).
func source(n uint64) shmcast.Source {
	var seq uint64
	return shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) {
		if seq == n {
			return shmcast.Frame{}, io.EOF
		}
		seq++
		return shmcast.Frame{Seq: seq, Key: seq%30 == 1, Data: []byte{0, 0, 0, 1, 0x65}}, nil
	})
}

// consumer counts what a subscriber receives.
type consumer struct {
	frames int
	first  shmcast.Frame
}

func (c *consumer) WriteFrame(f shmcast.Frame) error {
	if c.frames == 0 {
		c.first = f
	}
	c.frames++
	return nil
}

// One source feeds two consumers of different speeds: a viewer that keeps
// up, and a recorder that stalls until the stream has ended. The recorder's
// queue of 10 frames overflows; it drops to the next key frame each time,
// and gets the newest complete run of frames, starting at a key frame.
func Example() {
	ctx := context.Background()
	d := fanout.New(fanout.Options{}) // Keyframes: the shm reader, in a server

	// The viewer's queue holds the whole demo stream, so it never drops,
	// however the goroutines are scheduled.
	viewerSub := d.Subscribe(fanout.SubscribeOptions{QueueLen: 100})
	recorderSub := d.Subscribe(fanout.SubscribeOptions{QueueLen: 10})
	var viewer, recorder consumer
	stalled := make(chan struct{})

	var wg sync.WaitGroup
	wg.Go(func() {
		defer viewerSub.Close()
		shmcast.Copy(ctx, &viewer, viewerSub)
	})
	wg.Go(func() {
		defer recorderSub.Close()
		<-stalled // a slow disk
		shmcast.Copy(ctx, &recorder, recorderSub)
	})

	shmcast.Copy(ctx, d, source(90)) // the producer; WriteFrame never blocks
	d.Close()                        // subscribers drain their queues, then io.EOF
	close(stalled)
	wg.Wait()

	for _, c := range []struct {
		name string
		c    *consumer
		s    *fanout.Subscription
	}{{"viewer", &viewer, viewerSub}, {"recorder", &recorder, recorderSub}} {
		st := c.s.Stats()
		fmt.Printf("%s: %d frames from #%d (key %v, discontinuity %v), dropped %d, resyncs %d\n",
			c.name, c.c.frames, c.c.first.Seq, c.c.first.Key, c.c.first.Discontinuity, st.Dropped, st.Resyncs)
	}
	fmt.Printf("distributor: %d frames written, %d delivered, %d dropped\n",
		d.Stats().Frames, d.Stats().Delivered, d.Stats().Dropped)
	// Output:
	// viewer: 90 frames from #1 (key true, discontinuity false), dropped 0, resyncs 0
	// recorder: 10 frames from #61 (key true, discontinuity true), dropped 80, resyncs 3
	// distributor: 90 frames written, 100 delivered, 80 dropped
}
