package shm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shmcast/shmcast"
)

// validSegment returns the bytes of a freshly created segment.
func validSegment(t testing.TB, slots, maxFrame int) []byte {
	t.Helper()
	dir := shmDir(t)
	w, err := Create("cam", WriterOptions{Dir: dir, Slots: slots, MaxFrameSize: maxFrame, Width: 640, Height: 360})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func recrc(b []byte) {
	binary.LittleEndian.PutUint32(b[offCRC:], crc32.ChecksumIEEE(b[:identityLen]))
}

// TestValidation: Open tells every kind of bad segment apart.
func TestValidation(t *testing.T) {
	good := validSegment(t, 4, 1000)
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); recrc(b); return b }
	}
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"empty", func(b []byte) []byte { return nil }, ErrNotSegment},
		{"zeros", func(b []byte) []byte { return make([]byte, len(b)) }, ErrNotSegment},
		{"other magic", func(b []byte) []byte { copy(b, "SHMAUDIO"); return b }, ErrNotSegment},
		{"magic only", func(b []byte) []byte { return b[:8] }, ErrTruncated},
		{"major 2", func(b []byte) []byte { b[offMajor] = 2; return b }, ErrVersion},
		{"major 0", func(b []byte) []byte { b[offMajor] = 0; return b }, ErrVersion},
		{"required feature", put32(offRequired, 1), ErrVersion},
		{"crc", func(b []byte) []byte { b[offWidth]++; return b }, ErrCRC},
		{"half header", func(b []byte) []byte { return b[:2000] }, ErrTruncated},
		{"slot count 3", put32(offSlotCount, 3), ErrInconsistent},
		{"slot count 1", put32(offSlotCount, 1), ErrInconsistent},
		{"header size", put32(offHeaderSize, 100), ErrInconsistent},
		{"slot header", put32(offSlotHeaderSize, 64), ErrInconsistent},
		{"stride", put32(offSlotStride, 4000), ErrInconsistent},
		{"payload > stride", put32(offMaxPayload, 5000), ErrInconsistent},
		{"payload 0", put32(offMaxPayload, 0), ErrInconsistent},
		{"segment size", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[offSegmentSize:], 1<<20)
			recrc(b)
			return b
		}, ErrInconsistent},
		{"segment id 0", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[offSegmentID:], 0)
			recrc(b)
			return b
		}, ErrInconsistent},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, ErrTruncated},
		{"header only", func(b []byte) []byte { return b[:HeaderSize] }, ErrTruncated},
		{"codec", func(b []byte) []byte { copy(b[offCodec:], "H265"); recrc(b); return b }, ErrCodec},
		{"minor 7", func(b []byte) []byte { b[offMinor] = 7; recrc(b); return b }, nil},
		{"longer file", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, nil},
	}
	dir := shmDir(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mutate(append([]byte(nil), good...))
			if err := os.WriteFile(filepath.Join(dir, "seg"), b, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := Open("seg", ReaderOptions{Dir: dir})
			if r != nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open("nothing-here", ReaderOptions{Dir: shmDir(t)})
	if !errors.Is(err, os.ErrNotExist) || !shmcast.IsTemporary(err) {
		t.Errorf("Open of a missing segment = %v, want a temporary ErrNotExist", err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"cam", true}, {"cam-1_hd.v2", true}, {"a", true},
		{"", false}, {".", false}, {"..", false}, {"../etc/passwd", false}, {"a/b", false},
		{".hidden", false}, {"sp ace", false}, {"ü", false}, {string(make([]byte, 64)), false},
		{"0123456789012345678901234567890123456789012345678901234567890ab", true},
		{"0123456789012345678901234567890123456789012345678901234567890abc", false},
	}
	dir := shmDir(t)
	for _, tt := range tests {
		if got := ValidName(tt.name); got != tt.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
		if tt.ok {
			continue
		}
		if _, err := Create(tt.name, WriterOptions{Dir: dir}); !errors.Is(err, ErrBadName) {
			t.Errorf("Create(%q) = %v, want ErrBadName", tt.name, err)
		}
		if _, err := Open(tt.name, ReaderOptions{Dir: dir}); !errors.Is(err, ErrBadName) {
			t.Errorf("Open(%q) = %v, want ErrBadName", tt.name, err)
		}
	}
}

func TestPermissions(t *testing.T) {
	dir := shmDir(t)
	for _, group := range []bool{false, true} {
		w, err := Create("cam", WriterOptions{Dir: dir, Slots: 2, MaxFrameSize: 100, GroupAccess: group})
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(w.Path())
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if group {
			want = 0o660
		}
		if st.Mode().Perm() != want {
			t.Errorf("GroupAccess %v: mode %v, want %v", group, st.Mode().Perm(), want)
		}
	}
}

func TestWriterOptions(t *testing.T) {
	dir := shmDir(t)
	for _, o := range []WriterOptions{{Slots: 3}, {Slots: 1}, {Slots: 1 << 17}, {MaxFrameSize: -1}, {MaxFrameSize: MaxFrameLimit + 1}} {
		o.Dir = dir
		if w, err := Create("cam", o); !errors.Is(err, ErrInconsistent) {
			t.Errorf("Create(%+v) = %v, want ErrInconsistent", o, err)
			if w != nil {
				w.Close()
			}
		}
	}
	w, err := Create("cam", WriterOptions{Dir: dir, Slots: 2, MaxFrameSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(shmcast.Frame{Data: make([]byte, 11)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("WriteFrame of 11 bytes into 10: %v", err)
	}
	w.Close()
	if err := w.WriteFrame(shmcast.Frame{Data: make([]byte, 1)}); !errors.Is(err, shmcast.ErrClosed) {
		t.Errorf("WriteFrame after Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestOwnership: a second writer cannot take a live writer's name; it
// replaces a dead one's; Close removes only the file that is still its own.
func TestOwnership(t *testing.T) {
	dir := shmDir(t)
	c := startChild(t, "", "writer", env(dir, "cam", "FRAMES=1", "HOLD=1")...)
	c.expectReady()
	if _, err := Create("cam", WriterOptions{Dir: dir}); !errors.Is(err, ErrBusy) {
		t.Fatalf("Create over a live writer: %v, want ErrBusy", err)
	}
	c.kill() // dies holding the name: a stale segment
	w1, err := Create("cam", WriterOptions{Dir: dir, Slots: 2, MaxFrameSize: 100})
	if err != nil {
		t.Fatalf("Create over a dead writer: %v", err)
	}
	// Someone removes w1's file and a new writer takes the name: w1.Close
	// must leave the new file alone.
	os.Remove(w1.Path())
	w2, err := Create("cam", WriterOptions{Dir: dir, Slots: 2, MaxFrameSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	w1.Close()
	if _, err := os.Stat(w2.Path()); err != nil {
		t.Errorf("w1.Close removed w2's segment: %v", err)
	}
	w2.Close()
	if _, err := os.Stat(w2.Path()); !os.IsNotExist(err) {
		t.Errorf("w2.Close left its segment: %v", err)
	}
	// A file that is not a segment is never replaced.
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("not video"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Create("other", WriterOptions{Dir: dir}); !errors.Is(err, ErrNotSegment) {
		t.Errorf("Create over a foreign file: %v, want ErrNotSegment", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "other")); string(b) != "not video" {
		t.Errorf("the foreign file was touched: %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestWorkedExample: the header of docs/shm-format.md §14, byte for byte.
func TestWorkedExample(t *testing.T) {
	l := newLayout(4, 5000)
	l.segmentID = 0x1122334455667788
	l.info = Info{Name: "cam", Width: 1280, Height: 720, FrameRateNum: 30, FrameRateDen: 1,
		ParamsInBand: true, WriterPID: 4242, Created: time.Unix(0, 1796400000000000000)}
	b := make([]byte, HeaderSize)
	encodeHeader(b, &l)
	if l.slotStride != 8192 || l.segmentSize != 36864 {
		t.Errorf("stride %d, segment size %d; the spec says 8192, 36864", l.slotStride, l.segmentSize)
	}
	const want = "53484d564944454f010000000010000004000000800000000020000088130000" +
		"009000000000000088776655443322114832363403000000000500" +
		"00d00200001e000000010000009210000000000000000083424818ee180000000000000000"
	if got := hex.EncodeToString(b[:96]); got != want {
		t.Errorf("header bytes 0..95:\n%s\nwant\n%s", got, want)
	}
	if string(b[96:99]) != "cam" || !bytes.Equal(b[99:offCRC], make([]byte, offCRC-99)) {
		t.Errorf("bytes 96..251 are not \"cam\" and zeros")
	}
	if crc := binary.LittleEndian.Uint32(b[offCRC:]); crc != 0x4be495e3 {
		t.Errorf("header_crc %08x, the spec says 4be495e3", crc)
	}
	got, err := decodeHeader(b, 36864)
	if err != nil || got.info.Name != "cam" || got.slots != 4 {
		t.Errorf("decodeHeader: %+v, %v", got, err)
	}
}
