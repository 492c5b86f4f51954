package record_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/internal/testclip"
	"github.com/shmcast/shmcast/record"
)

var (
	hdOnce   sync.Once
	hdFrames []shmcast.Frame
	hdErr    error
)

// hdClip makes a 720p30 clip of about 2 Mbit/s with a 2 s GOP (noise keeps
// x264 from undershooting the bitrate).
func hdClip(b *testing.B) []shmcast.Frame {
	hdOnce.Do(func() {
		dir, err := os.MkdirTemp("", "recbench")
		if err != nil {
			hdErr = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "hd.h264")
		out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "4",
			"-vf", "noise=alls=12:allf=t", "-c:v", "libx264", "-preset", "veryfast",
			"-pix_fmt", "yuv420p", "-g", "60", "-bf", "0",
			"-b:v", "2M", "-maxrate", "2M", "-bufsize", "2M", "-f", "h264", path).CombinedOutput()
		if err != nil {
			hdErr = err
			b.Logf("ffmpeg: %s", out)
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			hdErr = err
			return
		}
		hdFrames, hdErr = testclip.Frames(data)
	})
	if hdErr != nil {
		b.Skip("no 720p clip:", hdErr)
	}
	return hdFrames
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriteFrame records a 720p30 2 Mbit/s stream. Besides ns/op it
// reports the process CPU time per frame (user + system, fsync included)
// and what that is in percent of one core at 30 frames per second.
func BenchmarkWriteFrame(b *testing.B) {
	frames := hdClip(b)
	var bytes int
	for _, f := range frames {
		bytes += len(f.Data)
	}
	b.Logf("clip: %d frames, %.2f Mbit/s", len(frames), float64(bytes)*8/(float64(len(frames))/30)/1e6)
	for _, bc := range []struct {
		name string
		o    record.Options
	}{
		{"fmp4-sync-fragment", record.Options{}},
		{"fmp4-sync-segment", record.Options{Sync: record.SyncSegment}},
		{"annexb-sync-fragment", record.Options{Format: record.AnnexB}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o := bc.o
			o.Dir = b.TempDir()
			o.SegmentDuration = time.Minute
			r, err := record.New(o)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(bytes / len(frames)))
			b.ReportAllocs()
			cpu0, i := cpuTime(), 0
			for b.Loop() {
				f := frames[i%len(frames)]
				f.PTS = time.Duration(i) * time.Second / 30
				f.DTS = f.PTS
				if err := r.WriteFrame(f); err != nil {
					b.Fatal(err)
				}
				i++
			}
			cpu := cpuTime() - cpu0
			r.Close()
			if st := r.Stats(); st.Errors != 0 {
				b.Fatal(st.LastError)
			}
			perFrame := float64(cpu.Nanoseconds()) / float64(i)
			b.ReportMetric(perFrame, "cpu-ns/frame")
			b.ReportMetric(perFrame*30/1e9*100, "%core@30fps")
		})
	}
}
