// Package netns runs a test binary inside a network namespace of its own
// that has only a loopback interface, so that WebRTC and browser tests can
// neither reach nor disturb any other network (DESIGN.md §8, "Real clients").
package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// envInside is set in the environment of the re-executed test binary.
const envInside = "SHMCAST_NETNS"

// Reexec runs the current test binary again, with the same arguments, under
// `unshare -n` after bringing up lo, and returns its exit code and true.
// It returns false, and does nothing, when this process already runs inside
// such a namespace or cannot make one (not root, or unshare or ip missing):
// the caller then runs its tests here, and those that need isolation check
// [Isolated] and skip, saying why. Call it first thing in TestMain:
//
//	func TestMain(m *testing.M) {
//		if code, ok := netns.Reexec(); ok {
//			os.Exit(code)
//		}
//		goleak.VerifyTestMain(m)
//	}
func Reexec() (code int, ok bool) {
	if Isolated() {
		return 0, false
	}
	if why := unavailable(); why != "" {
		fmt.Fprintf(os.Stderr, "netns: tests run in the host's network namespace: %s\n", why)
		return 0, false
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", "sh", "-c",
		`ip link set lo up && exec "$0" "$@"`, os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), envInside+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exit):
		return exit.ExitCode(), true
	default:
		fmt.Fprintf(os.Stderr, "netns: %v\n", err)
		return 1, true
	}
}

// Isolated reports whether this process runs in a loopback-only namespace
// made by [Reexec].
func Isolated() bool { return os.Getenv(envInside) == "1" }

// SkipReason returns why tests cannot be isolated, or "" when they are.
func SkipReason() string {
	if Isolated() {
		return ""
	}
	if why := unavailable(); why != "" {
		return why
	}
	return "TestMain did not call netns.Reexec"
}

func unavailable() string {
	if os.Geteuid() != 0 {
		return "not root (unshare -n needs CAP_SYS_ADMIN)"
	}
	for _, tool := range []string{"unshare", "ip", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not found (apt-get install util-linux iproute2)"
		}
	}
	return ""
}
