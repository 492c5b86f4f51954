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

// A WHEP server: viewers POST their offer to /whep.
func Example() {
	sink, err := webrtcsink.New(webrtcsink.Options{UDPPort: 0, MaxViewers: 100})
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close()
	srv := httptest.NewServer(sink) // or http.ListenAndServe(":8080", sink)
	defer srv.Close()

	var src shmcast.Source = shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) {
		<-ctx.Done() // a real server reads a fanout.Subscription here
		return shmcast.Frame{}, ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go shmcast.Copy(ctx, sink, src)

	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/whep", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Accept-Post"))
	// Output: 204 No Content application/sdp
}
