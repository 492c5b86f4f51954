package h264_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// probe is what ffprobe says about a clip.
type probe struct {
	Width, Height int
	Profile       string
	Keys          []bool // key_frame of each frame, in order
}

// ffprobe runs the real ffprobe on clip, written to a temporary file. It
// skips the test when ffprobe is not installed.
func ffprobe(t *testing.T, name string, clip []byte) probe {
	t.Helper()
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed")
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, clip, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,profile:frame=key_frame", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", name, err)
	}
	var doc struct {
		Streams []struct {
			Width, Height int
			Profile       string
		}
		Frames []struct {
			KeyFrame int `json:"key_frame"`
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("ffprobe %s: %v", name, err)
	}
	if len(doc.Streams) != 1 {
		t.Fatalf("ffprobe %s: %d streams, want 1", name, len(doc.Streams))
	}
	p := probe{Width: doc.Streams[0].Width, Height: doc.Streams[0].Height, Profile: doc.Streams[0].Profile}
	for _, f := range doc.Frames {
		p.Keys = append(p.Keys, f.KeyFrame == 1)
	}
	return p
}

// profileName maps profile_idc and the constraint_set1 flag to ffprobe's
// profile names.
func profileName(profile, constraints uint8) string {
	switch profile {
	case 66:
		if constraints&0x40 != 0 {
			return "Constrained Baseline"
		}
		return "Baseline"
	case 77:
		return "Main"
	case 100:
		return "High"
	}
	return fmt.Sprint("profile_idc ", profile)
}
