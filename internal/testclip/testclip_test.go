package testclip_test

import (
	"testing"

	"github.com/shmcast/shmcast/internal/testclip"
)

func TestClips(t *testing.T) {
	for _, c := range testclip.All() {
		frames, err := testclip.Frames(c.Data)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if len(frames) != c.Frames {
			t.Errorf("%s: %d frames, want %d", c.Name, len(frames), c.Frames)
		}
		for i, f := range frames {
			if want := i%testclip.GOP == 0; f.Key != want {
				t.Errorf("%s: frame %d: Key %v, want %v", c.Name, i, f.Key, want)
			}
		}
		if len(c.Data) >= 1<<20 {
			t.Errorf("%s: %d bytes, keep clips under 1 MiB", c.Name, len(c.Data))
		}
	}
}
