package record_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shmcast/shmcast/record"
)

// recordings returns the files in dir, sorted by name.
func recordings(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecordProbe(t *testing.T) {
	tests := []struct {
		clip          string
		format        record.Format
		width, height int
	}{
		{"baseline", record.FMP4, 640, 360},
		{"high", record.FMP4, 1280, 720},
		{"aud", record.FMP4, 640, 360},
		{"slices", record.FMP4, 640, 360},
		{"baseline", record.AnnexB, 640, 360},
		{"high", record.AnnexB, 1280, 720},
	}
	for _, tt := range tests {
		t.Run(tt.clip+tt.format.Ext(), func(t *testing.T) {
			t.Parallel()
			frames := clipFrames(t, tt.clip)
			dir := t.TempDir()
			r, err := record.New(record.Options{Dir: dir, Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				if err := r.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			files := recordings(t, dir)
			if len(files) != 1 {
				t.Fatalf("files = %v, want one", files)
			}
			p := ffprobe(t, files[0])
			t.Logf("%s: %+v", filepath.Base(files[0]), p)
			if p.Codec != "h264" || p.Width != tt.width || p.Height != tt.height || p.Frames != len(frames) {
				t.Errorf("ffprobe = %+v, want h264 %dx%d %d frames", p, tt.width, tt.height, len(frames))
			}
			if tt.format == record.FMP4 {
				want := frames[len(frames)-1].PTS + frames[1].PTS
				if d := p.Duration - want; d < -frames[1].PTS || d > frames[1].PTS {
					t.Errorf("duration = %v, want %v ± one frame", p.Duration, want)
				}
			}
			decodeClean(t, files[0])
			st := r.Stats()
			fi, _ := os.Stat(files[0])
			if st.Frames != uint64(len(frames)) || st.Segments != 1 || st.Bytes != uint64(fi.Size()) || st.Errors != 0 {
				t.Errorf("Stats = %+v, want %d frames, 1 segment, %d bytes", st, len(frames), fi.Size())
			}
		})
	}
}
