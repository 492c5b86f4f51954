package shm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/shm"
)

// A producer and a consumer of one stream. They would normally be two
// processes; the segment is the same.
func Example() {
	dir, err := os.MkdirTemp(shm.DefaultDir, "example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := shm.Create("cam", shm.WriterOptions{
		Dir: dir, Slots: 8, MaxFrameSize: 64 << 10,
		Width: 1280, Height: 720, FrameRateNum: 30, FrameRateDen: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := shm.Open("cam", shm.ReaderOptions{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	fmt.Printf("%s: %dx%d at %d/%d fps, %d slots\n", info.Name, info.Width, info.Height, info.FrameRateNum, info.FrameRateDen, info.Slots)

	for i := range 3 {
		w.WriteFrame(shmcast.Frame{
			Data: []byte{0, 0, 0, 1, 0x65, byte(i)},
			Key:  i == 0,
			PTS:  time.Duration(i) * time.Second / 30,
		})
	}
	w.Close() // readers read what is left, then io.EOF

	for {
		f, err := r.ReadFrame(context.Background())
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("frame %d key=%v pts=%v % x\n", f.Seq, f.Key, f.PTS, f.Data)
	}
	st := r.Stats()
	fmt.Println("delivered", st.Frames, "lost", st.Lost)
	// Output:
	// cam: 1280x720 at 30/1 fps, 8 slots
	// frame 1 key=true pts=0s 00 00 00 01 65 00
	// frame 2 key=false pts=33.333333ms 00 00 00 01 65 01
	// frame 3 key=false pts=66.666666ms 00 00 00 01 65 02
	// delivered 3 lost 0
}

// A producer honours readers' key frame requests before encoding each frame.
func ExampleWriter_KeyframeRequested() {
	dir, _ := os.MkdirTemp(shm.DefaultDir, "example-")
	defer os.RemoveAll(dir)
	w, _ := shm.Create("cam", shm.WriterOptions{Dir: dir, Slots: 8, MaxFrameSize: 1024})
	defer w.Close()
	r, _ := shm.Open("cam", shm.ReaderOptions{Dir: dir})
	defer r.Close()

	r.RequestKeyframe() // a viewer joined, or sent a PLI
	for i := range 2 {
		forceIDR := w.KeyframeRequested()
		fmt.Printf("frame %d: force IDR %v\n", i+1, forceIDR)
		w.WriteFrame(shmcast.Frame{Data: []byte{0, 0, 1, 0x65}, Key: forceIDR})
	}
	// Output:
	// frame 1: force IDR true
	// frame 2: force IDR false
}
