package webrtcsink_test

import (
	"os"
	"testing"

	"github.com/shmcast/shmcast/internal/netns"
	"go.uber.org/goleak"
)

// Every test of the package runs in a network namespace that has only
// loopback (when root): pion peers, Chromium and GStreamer see nothing else.
func TestMain(m *testing.M) {
	if code, ok := netns.Reexec(); ok {
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}
