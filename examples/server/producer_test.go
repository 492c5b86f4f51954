package main

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startProducer runs `ffmpeg | shmfeed` as a process group publishing a
// live 640x360 30 fps test picture into segment name in dir.
func startProducer(t *testing.T, dir, name string) (kill func()) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("SKIPPED LOUDLY: ffmpeg is not installed (apt-get install ffmpeg); CI installs it")
	}
	feed := build(t, "github.com/shmcast/shmcast/examples/shmfeed")
	cmd := exec.Command("sh", "-c", `ffmpeg -nostdin -v error -re -f lavfi -i testsrc2=size=640x360:rate=30 `+
		`-c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline -pix_fmt yuv420p -g 30 -bf 0 `+
		`-f h264 - | "$0" -name "$1" -dir "$2"`, feed, name, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	kill = func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	t.Cleanup(kill)
	return kill
}

// TestExternalProducerRestart plays a real external producer (which cannot
// make key frames on request, hence -burst-gop) in the
// browser, kills it with SIGKILL, starts it again, and checks that the same
// page, not reloaded, shows the new picture.
func TestExternalProducerRestart(t *testing.T) {
	needsIsolation(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := shmDir(t)
	kill := startProducer(t, dir, "cam")
	srv := startServer(t, "-shm", "cam", "-shm-dir", dir, "-http", "127.0.0.1:0", "-udp-port", "0",
		"-loopback", "-interfaces", "lo", "-record-dir", t.TempDir(), "-burst-gop")
	b := openViewer(t, ctx, srv.url)
	before := waitDecoded(t, ctx, b, 30, 30*time.Second)
	t.Logf("playing: %+v", before)

	kill()
	time.Sleep(time.Second)
	stalled := stats(t, ctx, b).FramesDecoded
	restart := time.Now()
	startProducer(t, dir, "cam")
	resumed := waitDecoded(t, ctx, b, stalled, 30*time.Second)
	t.Logf("picture back %v after the restart", time.Since(restart))
	after := waitDecoded(t, ctx, b, resumed.FramesDecoded+60, 30*time.Second)
	t.Logf("after the producer's restart: %+v (stalled at %d)", after, stalled)
	if after.FrameWidth != 640 || after.FrameHeight != 360 {
		t.Errorf("page shows %dx%d after the restart, want 640x360", after.FrameWidth, after.FrameHeight)
	}
	if v := srv.metric(t, "shmcast_viewers", `stream="cam"`); v != 1 {
		t.Errorf("shmcast_viewers = %v, want the same single viewer", v)
	}
}
