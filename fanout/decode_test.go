package fanout_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/fanout"
	"github.com/shmcast/shmcast/internal/testclip"
)

// decodeCheck decodes an Annex B stream with `ffmpeg -xerror` and reports
// any error, any missing reference, and how many frames were decoded. The
// error level alone (`-v error`) is not enough: FFmpeg's H.264 decoder
// conceals a missing P-frame silently and says so only at debug level
// ("Frame num gap"), so one pass at debug level, each line tagged with its
// level, checks both.
func decodeCheck(t *testing.T, stream []byte) (frames int, err error) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "level+debug", "-xerror",
		"-f", "h264", "-i", "-", "-f", "null", "-")
	cmd.Stdin = bytes.NewReader(stream)
	out, err := cmd.CombinedOutput()
	if m := regexp.MustCompile(`.*\[(error|fatal|panic)\].*`).Find(out); err != nil || m != nil {
		return 0, fmt.Errorf("ffmpeg -xerror: %v: %s", err, m)
	}
	if m := regexp.MustCompile(`Frame num gap.*`).Find(out); m != nil {
		return 0, fmt.Errorf("ffmpeg: a reference frame is missing: %s", m)
	}
	m := regexp.MustCompile(`(\d+) frames successfully decoded, (\d+) decoding errors`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("ffmpeg: no decode summary in\n%s", out)
	}
	if string(m[2]) != "0" {
		return 0, fmt.Errorf("ffmpeg: %s decoding errors", m[2])
	}
	frames, _ = strconv.Atoi(string(m[1]))
	return frames, nil
}

// The checker must see the corruption of the original design, which dropped
// one frame of a slow client, and damaged data.
func TestDecodeCheckCatchesDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(i int, data []byte) []byte
	}{
		{"one P-frame dropped", func(i int, data []byte) []byte {
			return map[bool][]byte{false: data}[i == 45]
		}},
		{"key frame's slice data corrupted", func(i int, data []byte) []byte {
			if i != 30 {
				return data
			}
			bad := bytes.Clone(data)
			r := rand.New(rand.NewPCG(1, 2))
			for j := len(bad) / 2; j < len(bad); j++ {
				bad[j] = byte(r.Uint32())
			}
			return bad
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stream []byte
			for i, f := range testclip.MustFrames(testclip.Baseline) {
				stream = append(stream, tt.damage(i, f.Data)...)
			}
			if _, err := decodeCheck(t, stream); err == nil {
				t.Fatal("decodeCheck passed a damaged stream")
			} else {
				t.Log(err)
			}
		})
	}
}

// TestSlowSubscriberDecodes pipes slow subscribers' frames of a real clip
// through ffmpeg: what they get must decode without a single error.
func TestSlowSubscriberDecodes(t *testing.T) {
	clip := testclip.MustFrames(testclip.Baseline)
	tests := []struct {
		name      string
		opt       fanout.SubscribeOptions
		joinAt    int
		read      func(i int) int // frames to read after writing frame i
		lose      func(i int) bool
		wantDrops bool
	}{
		{"reads every other frame", fanout.SubscribeOptions{QueueLen: 8}, 0,
			func(i int) int { return i % 2 }, nil, true},
		{"stalls for 40 frames", fanout.SubscribeOptions{QueueLen: 20}, 0,
			func(i int) int { return map[bool]int{true: 40}[i%40 == 39] }, nil, true},
		{"bounded in bytes", fanout.SubscribeOptions{QueueBytes: 20000}, 0,
			func(i int) int { return i % 2 }, nil, true},
		{"late join from the cached GOP", fanout.SubscribeOptions{}, 45,
			func(i int) int { return 1 }, nil, false},
		{"late join waiting for a key", fanout.SubscribeOptions{WaitForKey: true}, 45,
			func(i int) int { return 1 }, nil, false},
		{"upstream loss", fanout.SubscribeOptions{}, 0,
			func(i int) int { return 1 }, func(i int) bool { return i >= 50 && i < 53 || i == 200 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := fanout.New(fanout.Options{})
			var s *fanout.Subscription
			var stream []byte
			delivered := 0
			read := func(n int) {
				for ; n > 0 && s.Stats().Queued > 0; n-- {
					f, err := s.ReadFrame(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					stream = append(stream, f.Data...)
					delivered++
				}
			}
			for i, f := range clip {
				if i == tt.joinAt {
					s = d.Subscribe(tt.opt)
				}
				if tt.lose != nil && tt.lose(i) {
					continue // lost upstream: the next Seq jumps
				}
				if err := d.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
				if s != nil {
					read(tt.read(i))
				}
			}
			d.Close()
			read(len(clip))
			if _, err := s.ReadFrame(context.Background()); err == nil {
				t.Fatal("ReadFrame after drain: no error, want EOF")
			}
			s.Close()
			st := s.Stats()
			t.Logf("delivered %d, dropped %d, resyncs %d, catch-up %d", st.Delivered, st.Dropped, st.Resyncs, s.CatchUp())
			if tt.wantDrops != (st.Dropped > 0) {
				t.Errorf("dropped %d frames; want drops: %v", st.Dropped, tt.wantDrops)
			}
			n, err := decodeCheck(t, stream)
			if err != nil {
				t.Fatal(err)
			}
			if n != delivered {
				t.Errorf("ffmpeg decoded %d frames, want the %d delivered", n, delivered)
			}
		})
	}
}

var _ shmcast.Source = (*fanout.Subscription)(nil)
