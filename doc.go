// Package shmcast serves live H.264 video that a camera or encoder process
// writes into a shared-memory ring buffer to many WebRTC viewers and to
// recordings, with the lowest latency the machine allows.
//
// This package is shmcast's io: it defines [Frame] (one access unit), [Source]
// and [Sink], and [Copy], which wires one to the other. The other packages
// are independent stages of a chain that callers wire themselves, owning
// every goroutine:
//
//	src, _ := shm.Open("cam", shm.ReaderOptions{})          // Source: frames from /dev/shm/cam
//	parsed := h264.NewParser(src)                            // Processor: a Source wrapping a Source
//	dist := fanout.New(fanout.Options{Keyframes: src})       // Distributor: a Sink of many Sources
//	viewers := webrtcsink.New(webrtcsink.Options{...})       // Sink: WHEP viewers (an http.Handler)
//	rec, _ := record.New(record.Options{Dir: "/var/rec"})    // Sink: fMP4 segments
//	g, ctx := errgroup.WithContext(ctx)
//	g.Go(func() error { return shmcast.Copy(ctx, dist, parsed) })
//	g.Go(func() error { return shmcast.Copy(ctx, viewers, dist.Subscribe(fanout.SubscribeOptions{})) })
//	g.Go(func() error { return shmcast.Copy(ctx, rec, dist.Subscribe(fanout.SubscribeOptions{})) })
//	err := g.Wait()
//
// Errors are temporary or fatal ([Temporary], [IsTemporary]); an [Escalator]
// turns a run of temporary errors into a fatal one. Key frame requests travel
// upstream through [KeyframeRequester], merged and rate-limited by a
// [KeyframeLimiter].
package shmcast
