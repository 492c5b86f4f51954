package record_test

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shmcast/shmcast"
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
			if st.Frames != uint64(len(frames)) || st.Segments != 1 || st.Bytes != uint64(fi.Size()) || st.Errors != 0 ||
				st.Width != tt.width || st.Height != tt.height {
				t.Errorf("Stats = %+v, want %d frames, 1 segment, %d bytes", st, len(frames), fi.Size())
			}
		})
	}
}

// TestTimestamps feeds frames with uneven intervals and checks that every
// sample keeps its PTS and its own duration.
func TestTimestamps(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")[:90]
	var want []int64
	var d time.Duration
	for i := range frames {
		frames[i].PTS, frames[i].DTS = 5*time.Second+d, 5*time.Second+d // not from 0
		want = append(want, shmcast.Ticks(d))
		d += []time.Duration{30 * time.Millisecond, 37 * time.Millisecond, 40 * time.Millisecond}[i%3]
	}
	dir := t.TempDir()
	recordAll(t, record.Options{Dir: dir}, frames)
	files, _ := checkPlayable(t, dir)
	// Within a fragment the demuxer derives each PTS from the sum of the
	// sample durations before it, so equal PTS prove the durations.
	pts := packetPTS(t, files[0])
	if diff := cmp.Diff(want, pts); diff != "" {
		t.Errorf("packet PTS (-want +got):\n%s", diff)
	}
	p := ffprobe(t, files[0])
	if wantDur := shmcast.FromTicks(want[len(want)-1] + want[len(want)-1] - want[len(want)-2]); p.Duration != wantDur {
		t.Errorf("duration = %v, want %v (last frame as long as the one before)", p.Duration, wantDur)
	}
}

// TestResolutionChange records two clips of different sizes back to back:
// two segments, each with its own size.
func TestResolutionChange(t *testing.T) {
	t.Parallel()
	a, b := clipFrames(t, "baseline")[:60], clipFrames(t, "high")
	frames := append([]shmcast.Frame(nil), a...)
	for i, f := range b {
		f.PTS = a[len(a)-1].PTS + time.Duration(i+1)*time.Second/30
		f.DTS = f.PTS
		frames = append(frames, f)
	}
	dir := t.TempDir()
	r := recordAll(t, record.Options{Dir: dir}, frames)
	_, probes := checkPlayable(t, dir)
	want := []probe{
		{Codec: "h264", Width: 640, Height: 360, Frames: len(a), Duration: 2 * time.Second},
		{Codec: "h264", Width: 1280, Height: 720, Frames: len(b), Duration: 3 * time.Second},
	}
	if diff := cmp.Diff(want, probes); diff != "" {
		t.Errorf("probes (-want +got):\n%s", diff)
	}
	if st := r.Stats(); st.Segments != 2 || st.Frames != uint64(len(frames)) {
		t.Errorf("Stats = %+v, want 2 segments, %d frames", st, len(frames))
	}
}

// TestDiscontinuity: a discontinuity ends the segment; the next one starts
// at the next key frame, and the frames in between are skipped.
func TestDiscontinuity(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")[:120]
	frames[45].Discontinuity = true // mid-GOP: 45..59 skipped
	frames[90].Discontinuity = true // at a key frame: nothing skipped
	frames[90].Key = true
	dir := t.TempDir()
	r := recordAll(t, record.Options{Dir: dir}, frames)
	_, probes := checkPlayable(t, dir)
	var got []int
	for _, p := range probes {
		got = append(got, p.Frames)
	}
	if diff := cmp.Diff([]int{45, 30, 30}, got); diff != "" {
		t.Errorf("frames per segment (-want +got):\n%s", diff)
	}
	if st := r.Stats(); st.Skipped != 15 {
		t.Errorf("Skipped = %d, want 15", st.Skipped)
	}
}

// TestStartStopConcurrent toggles recording from another goroutine while
// frames flow; every file must play.
func TestStartStopConcurrent(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")
	dir := t.TempDir()
	r, err := record.New(record.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tick := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		i := 0
		for range tick {
			if i%2 == 0 {
				r.Stop()
			} else {
				r.Start()
			}
			r.Stats()
			i++
		}
	})
	for i, f := range frames {
		if i%37 == 0 {
			select {
			case tick <- struct{}{}:
			default:
			}
		}
		if err := r.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	close(tick)
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFrame(frames[0]); !errors.Is(err, shmcast.ErrClosed) {
		t.Errorf("WriteFrame after Close = %v, want ErrClosed", err)
	}
	if err := r.Start(); !errors.Is(err, shmcast.ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	_, probes := checkPlayable(t, dir)
	total := 0
	for _, p := range probes {
		total += p.Frames
	}
	st := r.Stats()
	if uint64(total) != st.Frames || st.Recording {
		t.Errorf("files hold %d frames, Stats = %+v", total, st)
	}
	t.Logf("%d segments, %d frames", len(probes), total)
}

// TestStopStart records, stops, skips a while, and starts again: two files.
func TestStopStart(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")[:150]
	dir := t.TempDir()
	r, err := record.New(record.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		switch i {
		case 40:
			if err := r.Stop(); err != nil {
				t.Fatal(err)
			}
			if r.Stats().Recording || r.Stats().File != "" {
				t.Errorf("Stats after Stop = %+v", r.Stats())
			}
		case 70:
			r.Start()
		}
		r.WriteFrame(f)
	}
	r.Close()
	_, probes := checkPlayable(t, dir)
	if len(probes) != 2 || probes[0].Frames != 40 || probes[1].Frames != 60 {
		t.Errorf("probes = %+v, want 40 and 60 frames", probes)
	}
}

// TestRotationRealClock is a short real-time run: 3 s paced at 30 fps with
// 1 s segments and 250 ms fragments gives three files named by the wall
// clock, in order, each playing its 30 frames.
func TestRotationRealClock(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")[:90]
	dir := t.TempDir()
	begin := time.Now().UTC().Truncate(time.Millisecond)
	r, err := record.New(record.Options{Dir: dir, SegmentDuration: time.Second, FragmentDuration: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		time.Sleep(time.Until(begin.Add(f.PTS)))
		r.WriteFrame(f)
	}
	r.Close()
	end := time.Now().UTC()
	files, probes := checkPlayable(t, dir)
	if len(files) != 3 {
		t.Fatalf("files = %v, want 3", files)
	}
	var prev time.Time
	for i, f := range files {
		name := filepath.Base(f)
		start, err := time.Parse(record.DefaultPattern, strings.TrimSuffix(name, ".mp4"))
		if err != nil || start.Before(begin) || start.After(end) || !start.After(prev) {
			t.Errorf("file %s: start %v (%v), want in [%v, %v] after %v", name, start, err, begin, end, prev)
		}
		prev = start
		if probes[i].Frames != 30 {
			t.Errorf("file %s: %d frames, want 30", name, probes[i].Frames)
		}
	}
	if st := r.Stats(); st.Fragments != 12 || st.Segments != 3 {
		t.Errorf("Stats = %+v, want 12 fragments in 3 segments", st)
	}
}

// TestOnErrorReentrant: OnError runs without the recorder's lock, so it may
// stop the recorder.
func TestOnErrorReentrant(t *testing.T) {
	t.Parallel()
	frames := clipFrames(t, "baseline")[:90]
	dir := filepath.Join(t.TempDir(), "rec")
	var r *record.Recorder
	var got []error
	r, err := record.New(record.Options{Dir: dir, OnError: func(err error) {
		got = append(got, err)
		if err := r.Stop(); err != nil {
			t.Errorf("Stop in OnError = %v", err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(dir)
	for _, f := range frames {
		r.WriteFrame(f)
	}
	r.Close()
	if st := r.Stats(); len(got) != 1 || st.Recording || st.Frames != 0 || st.Errors != 1 {
		t.Errorf("errors %v, Stats %+v; want one error and a stopped recorder", got, st)
	}
}
