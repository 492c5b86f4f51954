package record_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/record"
)

// loopFrames returns n frames of the clip played in a loop with continuous
// timestamps and sequence numbers.
func loopFrames(clip []shmcast.Frame, n int) []shmcast.Frame {
	out := make([]shmcast.Frame, n)
	for i := range out {
		f := clip[i%len(clip)]
		f.PTS = time.Duration(i) * time.Second / 30
		f.DTS, f.Seq = f.PTS, uint64(i+1)
		out[i] = f
	}
	return out
}

// feedPaced writes frames at their PTS on the (fake) clock, starting now.
func feedPaced(t *testing.T, r *record.Recorder, frames []shmcast.Frame, each func(i int)) {
	t.Helper()
	start := time.Now()
	for i, f := range frames {
		time.Sleep(time.Until(start.Add(f.PTS)))
		if each != nil {
			each(i)
		}
		if err := r.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, p := range recordings(t, dir) {
		out = append(out, filepath.Base(p))
	}
	return out
}

// TestRotation: segments rotate at the first key frame after
// SegmentDuration and are named by their UTC start time.
func TestRotation(t *testing.T) {
	t.Parallel()
	clip := clipFrames(t, "baseline")
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		r, err := record.New(record.Options{Dir: dir, SegmentDuration: 2500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		feedPaced(t, r, clip, nil)
		r.Close()
	})
	want := []string{ // synctest's clock starts at 2000-01-01 00:00:00 UTC
		"2000-01-01T00-00-00.000Z.mp4",
		"2000-01-01T00-00-03.000Z.mp4",
		"2000-01-01T00-00-06.000Z.mp4",
		"2000-01-01T00-00-09.000Z.mp4",
	}
	if diff := cmp.Diff(want, names(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	_, probes := checkPlayable(t, dir)
	for i, p := range probes {
		if want := []int{90, 90, 90, 30}[i]; p.Frames != want {
			t.Errorf("segment %d: %d frames, want %d", i, p.Frames, want)
		}
	}
}

// foreign are files in the recording directory that the recorder did not
// write; retention must leave them alone however old they look.
var foreign = []string{
	"notes.txt",
	"1999-01-01T00-00-00.000Z.txt",
	"1999-01-01T00-00-00.000Z.mp4.part",
	"1999-01-01T00-00-00Z.mp4",
	"1999-01-01T00-00-00.000Z-x.mp4",
	"1999-01-01T00-00-00.000Z-01.mp4",
	"x1999-01-01T00-00-00.000Z.mp4",
}

func addForeign(t *testing.T, dir string) {
	t.Helper()
	for _, n := range foreign {
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A directory and a symlink named like segments are not ours either.
	if err := os.Mkdir(filepath.Join(dir, "1999-01-01T00-00-00.000Z.mp4"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("notes.txt", filepath.Join(dir, "1999-01-01T00-00-01.000Z.mp4")); err != nil {
		t.Fatal(err)
	}
}

func checkForeign(t *testing.T, dir string) {
	t.Helper()
	for _, n := range append(foreign, "1999-01-01T00-00-00.000Z.mp4", "1999-01-01T00-00-01.000Z.mp4") {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("foreign file: %v", err)
		}
	}
}

// ours lists the recorder's files in dir (names starting with 2000-).
func ours(t testing.TB, dir string) []string {
	var out []string
	for _, n := range names(t, dir) {
		if n[:5] == "2000-" {
			out = append(out, n)
		}
	}
	return out
}

func TestRetentionAge(t *testing.T) {
	t.Parallel()
	clip := clipFrames(t, "baseline")
	dir := t.TempDir()
	addForeign(t, dir)
	synctest.Test(t, func(t *testing.T) {
		r, err := record.New(record.Options{Dir: dir, SegmentDuration: 2 * time.Second, MaxAge: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		feedPaced(t, r, clip, nil) // segments at 0, 2, 4, 6, 8 s
		r.Close()
		if st := r.Stats(); st.Deleted != 2 {
			t.Errorf("Deleted = %d, want 2", st.Deleted)
		}
	})
	want := []string{ // at 8 s, those older than 3 s went
		"2000-01-01T00-00-04.000Z.mp4",
		"2000-01-01T00-00-06.000Z.mp4",
		"2000-01-01T00-00-08.000Z.mp4",
	}
	if diff := cmp.Diff(want, ours(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	checkForeign(t, dir)
}

// TestRetentionAgePeriodic: within one long segment, retention still runs
// once a minute.
func TestRetentionAgePeriodic(t *testing.T) {
	t.Parallel()
	clip := clipFrames(t, "baseline")
	dir := t.TempDir()
	old := filepath.Join(dir, "2000-01-01T00-00-10.000Z-1.mp4") // ours by name
	synctest.Test(t, func(t *testing.T) {
		if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := record.New(record.Options{Dir: dir, MaxAge: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		feedPaced(t, r, loopFrames(clip, 30*62), func(i int) {
			_, err := os.Stat(old)
			switch sec := i / 30; {
			case sec < 60 && err != nil:
				t.Fatalf("at %d s: %v, want the file until the check at 60 s", sec, err)
			case sec > 60 && err == nil:
				t.Fatalf("at %d s: %s still there", sec, old)
			}
		})
		r.Close()
		if st := r.Stats(); st.Deleted != 1 || st.Segments != 1 {
			t.Errorf("Stats = %+v, want 1 deleted, 1 segment", st)
		}
	})
}

func TestRetentionSize(t *testing.T) {
	t.Parallel()
	clip := clipFrames(t, "baseline")
	dir := t.TempDir()
	addForeign(t, dir)
	const maxBytes = 120_000 // about 2.5 segments of 2 s at 400 kbit/s
	var sizes []int64        // of each segment when the next one opened
	synctest.Test(t, func(t *testing.T) {
		r, err := record.New(record.Options{Dir: dir, SegmentDuration: 2 * time.Second, MaxBytes: maxBytes})
		if err != nil {
			t.Fatal(err)
		}
		feedPaced(t, r, loopFrames(clip, 600), func(i int) {
			if i%60 != 0 {
				return
			}
			// Before each new segment, what is on disk is within the limit
			// plus the open segment.
			files := ours(t, dir)
			var total, last int64
			for _, n := range files {
				fi, err := os.Stat(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				total, last = total+fi.Size(), fi.Size()
			}
			if total-last > maxBytes {
				t.Errorf("at %d s: %d bytes in closed segments %v, limit %d", i/30, total-last, files, maxBytes)
			}
			sizes = append(sizes, last)
		})
		r.Close()
		if st := r.Stats(); st.Deleted == 0 || st.Deleted+uint64(len(ours(t, dir))) != st.Segments {
			t.Errorf("Stats = %+v, files %v", st, ours(t, dir))
		}
	})
	files := ours(t, dir)
	if len(files) < 2 || len(files) > 4 || files[len(files)-1] != "2000-01-01T00-00-18.000Z.mp4" {
		t.Errorf("kept %v, want the newest 2 to 4 segments", files)
	}
	checkForeign(t, dir)
}

// TestBackoff makes file creation fail by removing the directory: the
// recorder reports each failure (files are created with their first
// fragment, 1 s after the key frame), retries at the first key frame after
// 1, 2, 4 s, and records again once the directory is back.
func TestBackoff(t *testing.T) {
	t.Parallel()
	clip := clipFrames(t, "baseline")
	dir := filepath.Join(t.TempDir(), "rec")
	var errs []time.Duration
	var failing []bool
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r, err := record.New(record.Options{
			Dir: dir, SegmentDuration: time.Second, RetryMin: time.Second, RetryMax: 4 * time.Second,
			OnError: func(err error) { errs = append(errs, time.Since(start)) },
		})
		if err != nil {
			t.Fatal(err)
		}
		feedPaced(t, r, loopFrames(clip, 30*16), func(i int) {
			switch i {
			case 75: // 2.5 s
				os.RemoveAll(dir)
			case 330: // 11 s
				os.Mkdir(dir, 0o755)
			}
			if i%30 == 15 {
				failing = append(failing, r.Stats().Failing)
			}
		})
		r.Close()
		st := r.Stats()
		if st.LastError == nil || !errors.Is(st.LastError, fs.ErrNotExist) || st.Failing || st.Errors != 3 {
			t.Errorf("Stats = %+v", st)
		}
	})
	want := []time.Duration{3 * time.Second, 5 * time.Second, 8 * time.Second}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors at (-want +got):\n%s", diff)
	}
	wantFailing := []bool{false, false, false, true, true, true, true, true, true, true, true, true, true, false, false, false}
	if diff := cmp.Diff(wantFailing, failing); diff != "" {
		t.Errorf("Failing at each half second (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2000-01-01T00-00-12.000Z.mp4", "2000-01-01T00-00-13.000Z.mp4", "2000-01-01T00-00-14.000Z.mp4", "2000-01-01T00-00-15.000Z.mp4"}, names(t, dir)); diff != "" {
		t.Errorf("files after recovery (-want +got):\n%s", diff)
	}
	checkPlayable(t, dir)
}
