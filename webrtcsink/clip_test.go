package webrtcsink_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

var (
	clipOnce   sync.Once
	clipFrames []shmcast.Frame
	clipErr    error
)

// clip returns the 640x360 30 fps constrained-baseline test clip (GOP 30),
// one access unit per frame.
func clip(t testing.TB) []shmcast.Frame {
	t.Helper()
	clipOnce.Do(func() {
		var b []byte
		b, clipErr = os.ReadFile("../internal/testclip/baseline.h264")
		if clipErr != nil {
			return
		}
		for i, au := range splitAUs(b) {
			clipFrames = append(clipFrames, shmcast.Frame{
				Data: au, PTS: time.Duration(i) * time.Second / 30, DTS: time.Duration(i) * time.Second / 30,
				Key: hasNALU(au, 5), Seq: uint64(i + 1),
			})
		}
	})
	if clipErr != nil {
		t.Fatal(clipErr)
	}
	return clipFrames
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

func hasNALU(au []byte, typ byte) bool {
	for _, n := range nalus(au) {
		if n[0]&0x1f == typ {
			return true
		}
	}
	return false
}

// splitAUs cuts an Annex B stream into access units: a new one starts at an
// AUD, SPS or PPS, or at a slice with first_mb_in_slice == 0, after a slice.
func splitAUs(b []byte) [][]byte {
	var aus [][]byte
	var cur []byte
	vcl := false
	for _, n := range nalus(b) {
		typ := n[0] & 0x1f
		first := (typ == 1 || typ == 5) && len(n) > 1 && n[1]&0x80 != 0
		if vcl && (typ == 9 || typ == 7 || typ == 8 || first) {
			aus = append(aus, cur)
			cur, vcl = nil, false
		}
		cur = append(cur, 0, 0, 0, 1)
		cur = append(cur, n...)
		if typ == 1 || typ == 5 {
			vcl = true
		}
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
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
