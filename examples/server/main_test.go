package main

import (
	"os"
	"testing"

	"github.com/shmcast/shmcast/internal/netns"
	"go.uber.org/goleak"
)

// The end-to-end tests start the server, Chromium and producers as real
// processes in a network namespace that has only loopback.
func TestMain(m *testing.M) {
	if code, ok := netns.Reexec(); ok {
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}
