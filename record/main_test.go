package record_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childEnv names the environment variable that makes the test binary play a
// child process: "crash" records until killed (TestCrash), "diskfull" runs
// TestDiskFull inside a private mount namespace.
const childEnv = "RECORD_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "crash" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m)
}
