package h264_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

func ExampleSplit() {
	au := []byte{
		0, 0, 0, 1, 0x09, 0xf0, // access unit delimiter
		0, 0, 1, 0x06, 0x05, 0x01, 0xaa, 0x80, // SEI, 3-byte start code
		0, 0, 0, 1, 0x41, 0x9a, 0x22, // slice of a non-IDR picture
	}
	nalus, err := h264.Split(au)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range nalus {
		fmt.Println(h264.TypeOf(n), len(n))
	}
	fmt.Printf("% x\n", h264.Join(nalus[:1]))
	// Output:
	// AUD 2
	// SEI 5
	// NonIDR 3
	// 00 00 00 01 09 f0
}

func ExampleScanner() {
	s := h264.NewScanner([]byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0xe5})
	for s.Scan() {
		fmt.Println(s.Type(), "at", s.Offset())
	}
	fmt.Println(s.Err())
	fmt.Println(errors.Is(s.Err(), h264.ErrForbiddenBit))
	// Output:
	// SPS at 4
	// PPS at 9
	// h264: forbidden_zero_bit set at byte 14
	// true
}

func ExampleParseSPS() {
	s := h264.NewScanner(testclip.Baseline)
	for s.Scan() {
		if s.Type() == h264.NALUTypeSPS {
			info, err := h264.ParseSPS(s.NALU())
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Printf("%dx%d profile-level-id=%s %s %g fps\n",
				info.Width, info.Height, info.ProfileLevelID, info.Codec(), info.FrameRate)
			return
		}
	}
	// Output:
	// 640x360 profile-level-id=42c01e avc1.42c01e 30 fps
}

func ExampleSplitter() {
	s := h264.NewSplitter(bytes.NewReader(testclip.AUD), 30) // or os.Stdin from `ffmpeg ... -f h264 -`
	for {
		f, err := s.ReadFrame(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if f.Key {
			fmt.Println("key frame", f.Seq, "at", f.PTS)
		}
	}
	// Output:
	// key frame 1 at 0s
	// key frame 31 at 1s
	// key frame 61 at 2s
}

func ExampleParser() {
	src := h264.NewSplitter(bytes.NewReader(testclip.High), 30)
	p := h264.NewParser(src)
	var esc shmcast.Escalator
	ctx := context.Background()
	for {
		f, err := p.ReadFrame(ctx)
		if err == io.EOF {
			break
		}
		if esc.Fatal(err) {
			fmt.Println(err)
			return
		}
		if err != nil {
			continue // a bad frame: the Parser waits for the next IDR
		}
		_ = f // pass f on to a Sink
	}
	info, _ := p.SPSInfo()
	st := p.Stats()
	fmt.Printf("%dx%d %s: %d frames, %d key frames\n", info.Width, info.Height, info.ProfileLevelID, st.Frames, st.KeyFrames)
	// Output:
	// 1280x720 64001f: 90 frames, 3 key frames
}
