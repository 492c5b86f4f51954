package shm

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shmcast/shmcast"
)

var long = flag.Bool("long", false, "run the long versions: 100 writer restarts")

// The test binary re-executes itself as writer and reader processes: the
// environment variable roleEnv names the role.
const roleEnv = "SHMTEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runChild(role))
	}
	goleak.VerifyTestMain(m)
}

func runChild(role string) int {
	var err error
	switch role {
	case "writer":
		err = childWriter()
	case "reader":
		err = childReader()
	case "benchwriter":
		err = childBenchWriter()
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// pool is the deterministic source of payload bytes.
var pool = func() []byte {
	b := make([]byte, 2<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b
}()

const minPayload = 24

// makePayload builds a self-checking frame: seq, tag, size, pool bytes,
// and a CRC-32 of everything before it.
func makePayload(dst []byte, seq, tag uint64, size int) []byte {
	size = max(size, minPayload)
	b := dst[:size]
	binary.LittleEndian.PutUint64(b[0:], seq)
	binary.LittleEndian.PutUint64(b[8:], tag)
	binary.LittleEndian.PutUint32(b[16:], uint32(size))
	start := int(seq*131) % (len(pool) - size)
	copy(b[20:size-4], pool[start:])
	binary.LittleEndian.PutUint32(b[size-4:], crc32.ChecksumIEEE(b[:size-4]))
	return b
}

// checkPayload verifies a frame made by makePayload and returns its tag.
func checkPayload(b []byte, seq uint64) (uint64, error) {
	if len(b) < minPayload {
		return 0, fmt.Errorf("frame %d: %d bytes", seq, len(b))
	}
	n := len(b)
	if got := binary.LittleEndian.Uint32(b[n-4:]); got != crc32.ChecksumIEEE(b[:n-4]) {
		return 0, fmt.Errorf("frame %d: bad checksum", seq)
	}
	if s := binary.LittleEndian.Uint64(b); s != seq {
		return 0, fmt.Errorf("frame %d carries seq %d", seq, s)
	}
	if int(binary.LittleEndian.Uint32(b[16:])) != n {
		return 0, fmt.Errorf("frame %d: size mismatch", seq)
	}
	return binary.LittleEndian.Uint64(b[8:]), nil
}

// writerResult is what a writer child prints when it ends.
type writerResult struct{ Frames, KeyframeRequests uint64 }

// childWriter publishes frames as the environment says. It prints "ready"
// once the segment exists; with WAITGO it waits for a line on stdin before
// writing, with BATCH=n before every n frames after the first n; with HOLD it keeps the segment until stdin ends; FRAMES=0 writes
// until killed.
func childWriter() error {
	w, err := Create(os.Getenv("NAME"), WriterOptions{
		Dir: os.Getenv("DIR"), Slots: envInt("SLOTS", 64), MaxFrameSize: envInt("MAXFRAME", 1<<20),
		Width: 640, Height: 360, FrameRateNum: 30, FrameRateDen: 1,
	})
	if err != nil {
		return err
	}
	stdin := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if os.Getenv("WAITGO") != "" {
		stdin.ReadString('\n')
	}
	frames := envInt("FRAMES", 100)
	interval := time.Duration(envInt("INTERVAL_US", 0)) * time.Microsecond
	keyEvery := envInt("KEYEVERY", 10)
	minSize, maxSize := envInt("MINSIZE", 100), envInt("MAXSIZE", 4096)
	largeEvery, largeSize := envInt("LARGEEVERY", 0), envInt("LARGESIZE", 512<<10)
	pauseEvery := envInt("PAUSEEVERY", 0)
	tag := uint64(envInt("TAG", 0))
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	buf := make([]byte, max(maxSize, largeSize))
	forceKey := false
	batch := uint64(envInt("BATCH", 0))
	for s := uint64(1); frames == 0 || s <= uint64(frames); s++ {
		if batch > 0 && s > 1 && (s-1)%batch == 0 {
			stdin.ReadString('\n')
		}
		size := minSize + rng.IntN(maxSize-minSize+1)
		if largeEvery > 0 && s%uint64(largeEvery) == 0 {
			size = largeSize
		}
		if w.KeyframeRequested() {
			forceKey = true
		}
		key := s == 1 || (keyEvery > 0 && s%uint64(keyEvery) == 1) || forceKey
		forceKey = false
		f := shmcast.Frame{
			Data: makePayload(buf, s, tag, size), Key: key,
			PTS: time.Duration(s) * time.Second / 30, DTS: time.Duration(s) * time.Second / 30,
			Discontinuity: s == 7,
		}
		if err := w.WriteFrame(f); err != nil {
			return err
		}
		if pauseEvery > 0 && s%uint64(pauseEvery) == 0 {
			time.Sleep(time.Millisecond)
		}
		if interval > 0 {
			time.Sleep(interval)
		}
	}
	if os.Getenv("HOLD") != "" {
		io.Copy(io.Discard, stdin)
	}
	st := w.Stats()
	if os.Getenv("NOCLOSE") == "" {
		if err := w.Close(); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(writerResult{st.Frames, st.KeyframeRequests})
}

// readerResult is what a reader child prints when it reaches EOF.
type readerResult struct {
	ReaderStats
	Bad     uint64 // frames that failed their checksum: must be 0
	GapLost uint64 // frames missing before and between delivered sequence numbers
	Last    uint64 // last frame number delivered
	Err     string
}

// childReader reads to EOF, checking every frame, sleeping SLOWMS
// milliseconds every SLOWEVERY frames to let the writer lap it.
func childReader() error {
	r, err := Open(os.Getenv("NAME"), ReaderOptions{Dir: os.Getenv("DIR")})
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Println("ready")
	slowEvery, slow := envInt("SLOWEVERY", 0), time.Duration(envInt("SLOWUS", 0))*time.Microsecond
	var res readerResult
	for {
		f, err := r.ReadFrame(context.Background())
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.Err = err.Error()
			}
			break
		}
		if _, err := checkPayload(f.Data, f.Seq); err != nil {
			res.Bad++
			fmt.Fprintln(os.Stderr, err)
		}
		if f.Seq > res.Last+1 {
			res.GapLost += f.Seq - res.Last - 1
		}
		res.Last = f.Seq
		if slowEvery > 0 && f.Seq%uint64(slowEvery) == 0 {
			time.Sleep(slow)
		}
	}
	res.ReaderStats = r.Stats()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// A child is a writer or reader process running this test binary.
type child struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	once  sync.Once
	err   error
}

// startChild runs bin (the test binary if "") in role with env settings.
func startChild(t testing.TB, bin, role string, env ...string) *child {
	t.Helper()
	if bin == "" {
		bin = os.Args[0]
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() { c.kill() })
	return c
}

// line reads the child's next line of output.
func (c *child) line() string {
	c.t.Helper()
	s, err := c.out.ReadString('\n')
	if err != nil {
		c.t.Fatalf("child %d output: %v (got %q)", c.cmd.Process.Pid, err, s)
	}
	return strings.TrimSpace(s)
}

func (c *child) expectReady() {
	c.t.Helper()
	if s := c.line(); s != "ready" {
		c.t.Fatalf("child said %q, want ready", s)
	}
}

// result decodes the child's final JSON line and waits for it to exit.
func (c *child) result(v any) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.line()), v); err != nil {
		c.t.Fatal(err)
	}
	if err := c.wait(); err != nil {
		c.t.Fatalf("child: %v", err)
	}
}

func (c *child) wait() error {
	c.once.Do(func() { c.stdin.Close(); c.err = c.cmd.Wait() })
	return c.err
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	c.wait()
}

// shmDir makes a private directory in /dev/shm: real shared memory.
func shmDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(DefaultDir, "shmtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func env(dir, name string, kv ...string) []string {
	return append([]string{"DIR=" + dir, "NAME=" + name}, kv...)
}

// readTimeout reads one frame, failing the test after a generous timeout.
func readTimeout(t *testing.T, r *Reader) shmcast.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := r.ReadFrame(ctx)
	if err != nil {
		t.Fatalf("ReadFrame: %v (stats %+v)", err, r.Stats())
	}
	return f
}

// openWait opens a segment, retrying while it does not exist yet.
func openWait(t *testing.T, dir, name string) *Reader {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := Open(name, ReaderOptions{Dir: dir})
		if err == nil {
			t.Cleanup(func() { r.Close() })
			return r
		}
		if !shmcast.IsTemporary(err) || time.Now().After(deadline) {
			t.Fatalf("Open: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func segPath(dir, name string) string { return filepath.Join(dir, name) }

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
