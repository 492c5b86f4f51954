package record_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/record"
)

// clipFrames returns the frames of a test clip: 30 fps from PTS 0.
func clipFrames(t testing.TB, name string) []shmcast.Frame {
	t.Helper()
	clips := map[string][]byte{
		"baseline": testclip.Baseline,
		"high":     testclip.High,
		"aud":      testclip.AUD,
		"slices":   testclip.Slices,
	}
	frames, err := testclip.Frames(clips[name])
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// probe is what ffprobe says about a recording.
type probe struct {
	Codec    string
	Width    int
	Height   int
	Frames   int
	Duration time.Duration
}

func ffprobe(t testing.TB, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var v struct {
		Streams []struct {
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			NbReadFrames string `json:"nb_read_frames"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &v); err != nil || len(v.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v: %s", path, err, out)
	}
	s := v.Streams[0]
	p := probe{Codec: s.CodecName, Width: s.Width, Height: s.Height}
	p.Frames, _ = strconv.Atoi(s.NbReadFrames)
	if sec, err := strconv.ParseFloat(v.Format.Duration, 64); err == nil {
		p.Duration = time.Duration(sec * float64(time.Second))
	}
	return p
}

// decodeClean runs ffmpeg's decoder over path with -xerror and fails the
// test on any output or a non-zero exit.
func decodeClean(t testing.TB, path string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path, "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("ffmpeg decode %s: %v: %s", path, err, stderr.String())
	}
}

// packetPTS returns the PTS of every packet of path, in 90 kHz ticks, in
// decode order.
func packetPTS(t testing.TB, path string) (pts []int64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		p, err := strconv.ParseInt(string(line), 10, 64)
		if err != nil {
			t.Fatalf("ffprobe packet line %q", line)
		}
		pts = append(pts, p)
	}
	return pts
}

// record writes frames into a new recorder with options o and closes it.
func recordAll(t testing.TB, o record.Options, frames []shmcast.Frame) *record.Recorder {
	t.Helper()
	r, err := record.New(o)
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
	return r
}

// checkPlayable probes every recording in dir and checks it decodes cleanly;
// it returns the probes.
func checkPlayable(t testing.TB, dir string) (files []string, probes []probe) {
	t.Helper()
	files = recordings(t, dir)
	for _, f := range files {
		p := ffprobe(t, f)
		if p.Codec != "h264" || p.Frames == 0 {
			t.Errorf("%s: ffprobe = %+v", f, p)
		}
		decodeClean(t, f)
		probes = append(probes, p)
	}
	return files, probes
}
