package h264_test

import (
	"testing"

	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// firstSPS returns the first SPS NAL unit of clip.
func firstSPS(t testing.TB, clip []byte) []byte {
	t.Helper()
	s := h264.NewScanner(clip)
	for s.Scan() {
		if s.Type() == h264.NALUTypeSPS {
			return s.NALU()
		}
	}
	t.Fatalf("no SPS: %v", s.Err())
	return nil
}

func TestParseSPSClipsMatchFFprobe(t *testing.T) {
	for _, c := range testclip.All() {
		t.Run(c.Name, func(t *testing.T) {
			p := ffprobe(t, c.Name, c.Data)
			info, err := h264.ParseSPS(firstSPS(t, c.Data))
			if err != nil {
				t.Fatal(err)
			}
			if info.Width != p.Width || info.Height != p.Height {
				t.Errorf("ParseSPS size %dx%d, ffprobe %dx%d", info.Width, info.Height, p.Width, p.Height)
			}
			if got := profileName(info.Profile, info.Constraints); got != p.Profile {
				t.Errorf("ParseSPS profile %d/%#x = %q, ffprobe %q", info.Profile, info.Constraints, got, p.Profile)
			}
			if info.FrameRate != c.FPS {
				t.Errorf("ParseSPS FrameRate %v, want %v", info.FrameRate, c.FPS)
			}
			t.Logf("%+v", info)
		})
	}
}
