package webrtcsink_test

import (
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
)

// clip returns the 640x360 30 fps constrained-baseline test clip (GOP 30),
// one access unit per frame.
func clip(t testing.TB) []shmcast.Frame {
	t.Helper()
	frames, err := testclip.Frames(testclip.Baseline)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// nalus returns the NAL units of an Annex B stream, without start codes.
func nalus(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

// payloadNALUs returns the NAL units that travel over RTP: all but access
// unit delimiters and filler data, which the payloader drops.
func payloadNALUs(au []byte) [][]byte {
	var out [][]byte
	for _, n := range nalus(au) {
		if t := n[0] & 0x1f; t != 9 && t != 12 {
			out = append(out, n)
		}
	}
	return out
}
