package record

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSegmentStart(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 16, 47, 30, 123e6, time.UTC)
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"2026-12-04T16-47-30.123Z.mp4", DefaultPattern, true},
		{"2026-12-04T16-47-30.123Z.h264", DefaultPattern, true},
		{"2026-12-04T16-47-30.123Z-7.mp4", DefaultPattern, true},
		{"2026-12-04T16-47-30.123Z-12.mp4", DefaultPattern, true},
		{"2026-12-04T16-47-30.123Z-0.mp4", DefaultPattern, false},
		{"2026-12-04T16-47-30.123Z-07.mp4", DefaultPattern, false},
		{"2026-12-04T16-47-30.123Z-.mp4", DefaultPattern, false},
		{"2026-12-04T16-47-30.123Z-x.mp4", DefaultPattern, false},
		{"2026-12-04T16-47-30.123Z.mp4.part", DefaultPattern, false},
		{"2026-12-04T16-47-30.123Z.txt", DefaultPattern, false},
		{"2026-12-04T16-47-30.12Z.mp4", DefaultPattern, false},
		{"2026-12-04T16-47-30.123.mp4", DefaultPattern, false},
		{"x2026-12-04T16-47-30.123Z.mp4", DefaultPattern, false},
		{".mp4", DefaultPattern, false},
		{"camA_20261204_164730.mp4", "camA_20060102_150405", true},
		{"camB_20261204_164730.mp4", "camA_20060102_150405", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := segmentStart(tt.name, tt.pattern)
			if ok != tt.want {
				t.Fatalf("segmentStart(%q, %q) = %v, %v, want ok %v", tt.name, tt.pattern, got, ok, tt.want)
			}
			if ok && !got.Equal(t0.Truncate(time.Second)) && !got.Equal(t0) {
				t.Errorf("segmentStart(%q) = %v, want %v", tt.name, got, t0)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	files := []ownedFile{ // oldest first
		{"a", now.Add(-50 * time.Minute), 100},
		{"b", now.Add(-40 * time.Minute), 100},
		{"c", now.Add(-30 * time.Minute), 100},
		{"d", now.Add(-20 * time.Minute), 100},
		{"e", now.Add(-10 * time.Minute), 100},
	}
	tests := []struct {
		name     string
		maxAge   time.Duration
		maxBytes int64
		keep     string
		want     []string
	}{
		{"no limits", 0, 0, "", nil},
		{"age", 35 * time.Minute, 0, "", []string{"a", "b"}},
		{"age keeps the open one", 35 * time.Minute, 0, "a", []string{"b"}},
		{"size", 0, 300, "", []string{"a", "b"}},
		{"size exact", 0, 500, "", nil},
		{"size keeps the open one", 0, 150, "e", []string{"a", "b", "c", "d"}},
		{"size below one file", 0, 50, "", []string{"a", "b", "c", "d", "e"}},
		{"both", 45 * time.Minute, 200, "", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range expired(files, now, tt.maxAge, tt.maxBytes, tt.keep) {
				got = append(got, f.path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOptionsPattern(t *testing.T) {
	for _, p := range []string{"a/2006", "2006-01-02", "15-04", "no time"} {
		if _, err := (Options{Dir: "x", Pattern: p}).withDefaults(); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
	if _, err := (Options{}).withDefaults(); err == nil {
		t.Error("empty Dir accepted")
	}
}

// FuzzSegmentStart: a name the recorder accepts as its own formats back to
// itself (modulo the collision suffix), so only names it makes are deleted.
func FuzzSegmentStart(f *testing.F) {
	f.Add("2026-12-04T16-47-30.123Z.mp4", DefaultPattern)
	f.Add("2026-12-04T16-47-30.123Z-3.h264", DefaultPattern)
	f.Add("camA_20261204_164730.mp4", "camA_20060102_150405")
	f.Fuzz(func(t *testing.T, name, pattern string) {
		start, ok := segmentStart(name, pattern)
		if !ok {
			return
		}
		base := start.Format(pattern)
		for _, ext := range []string{".mp4", ".h264"} {
			if name == base+ext || len(name) > len(base+ext) && name[:len(base)+1] == base+"-" && name[len(name)-len(ext):] == ext {
				return
			}
		}
		t.Fatalf("segmentStart(%q, %q) = %v, which formats as %q", name, pattern, start, base)
	})
}
