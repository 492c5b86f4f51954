package webrtcsink_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/shmcast/shmcast/webrtcsink"
)

// TestAbruptDisconnect: a viewer whose process dies (no DTLS close, no
// DELETE) is removed after DisconnectTimeout. Before that, its receiver
// reports give the Sink a round-trip time.
func TestAbruptDisconnect(t *testing.T) {
	frames := clip(t)
	sink, srv := newServer(t, webrtcsink.Options{DisconnectTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); feedLoop(ctx, sink, frames, nil) }()
	defer func() { cancel(); wg.Wait() }()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperViewers$")
	cmd.Env = append(os.Environ(), helperURLEnv+"="+srv.URL+"/whep", helperNEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	waitConnected(t, sink, 1)
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := sink.Stats()
		if len(st.Viewers) == 1 && st.Viewers[0].RTT > 0 {
			t.Logf("RTT %v after %d frames", st.Viewers[0].RTT, st.Viewers[0].Frames)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no RTT from receiver reports: %+v", st.Viewers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	waitViewers(t, sink, 0)
}
