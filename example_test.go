package shmcast_test

import (
	"context"
	"fmt"
	"io"

	"github.com/shmcast/shmcast"
)

// Copy wires any Source to any Sink; here a counting Sink reads three frames.
func ExampleCopy() {
	seq := uint64(0)
	src := shmcast.SourceFunc(func(ctx context.Context) (shmcast.Frame, error) {
		if seq == 3 {
			return shmcast.Frame{}, io.EOF
		}
		seq++
		return shmcast.Frame{Seq: seq, Key: seq == 1}, nil
	})
	sink := shmcast.SinkFunc(func(f shmcast.Frame) error {
		fmt.Println("frame", f.Seq, "key", f.Key)
		return nil
	})
	err := shmcast.Copy(context.Background(), sink, src)
	fmt.Println("err:", err)
	// Output:
	// frame 1 key true
	// frame 2 key false
	// frame 3 key false
	// err: <nil>
}

// An Escalator lets a stage retry temporary errors and give up after a run of them.
func ExampleEscalator() {
	var e shmcast.Escalator
	busy := shmcast.Temporary(fmt.Errorf("camera not ready"))
	tries := 0
	for !e.Fatal(busy) {
		tries++ // retry with backoff here
	}
	fmt.Println("gave up after", tries, "retries")
	// Output: gave up after 9 retries
}
