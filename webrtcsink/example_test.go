package webrtcsink_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/webrtcsink"
)

// A WHEP server: viewers POST their SDP offer to /whep (or JSON to
// /api/webrtc/offer) and get the answer with the server's candidates.
func Example() {
	sink, err := webrtcsink.New(webrtcsink.Options{UDPPort: 0, MaxViewers: 100})
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close()
	srv := httptest.NewServer(sink) // or: http.ListenAndServe(":8080", sink)
	defer srv.Close()

	// Frames come from a fanout.Subscription; this Source just waits.
	src := shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) { <-ctx.Done(); return shmcast.Frame{}, ctx.Err() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- shmcast.Copy(ctx, sink, src) }()
	defer func() { cancel(); <-done }()

	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/whep", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Accept-Post"))
	// Output: 204 No Content application/sdp
}
