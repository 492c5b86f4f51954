package shm

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// FuzzOpen writes random segment files, most of them small mutations of a
// valid one, and opens and reads them: errors only, never a panic or a
// crash, whatever the header and the slots say.
func FuzzOpen(f *testing.F) {
	good := validSegment(f, 2, 100)
	f.Add(good)
	f.Add(good[:HeaderSize])
	f.Add([]byte("SHMVIDEO"))
	f.Add([]byte{})
	// A segment whose slots claim frames with absurd lengths.
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(bad[offWriteSeq:], 1)
	binary.LittleEndian.PutUint64(bad[offLastKeySeq:], 1)
	slot := HeaderSize + pageSize
	binary.LittleEndian.PutUint64(bad[slot+slotCommit:], 2)
	binary.LittleEndian.PutUint32(bad[slot+slotLen:], 1<<31)
	binary.LittleEndian.PutUint32(bad[slot+slotFlags:], slotKey)
	f.Add(bad)
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(huge[offWriteSeq:], ^uint64(0))
	binary.LittleEndian.PutUint64(huge[offLastKeySeq:], ^uint64(0))
	f.Add(huge)
	dir := shmDir(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		fuzzSegment(t, dir, b)
		if len(b) >= identityLen+4 { // the same with a valid CRC, to get past it
			b = append([]byte(nil), b...)
			recrc(b)
			fuzzSegment(t, dir, b)
		}
	})
}

func fuzzSegment(t *testing.T, dir string, b []byte) {
	path := filepath.Join(dir, "seg")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path) // fuzz workers exit without running cleanups
	if _, err := decodeHeader(b, int64(len(b))); err != nil {
		if !errors.Is(err, ErrNotSegment) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrCRC) &&
			!errors.Is(err, ErrInconsistent) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCodec) {
			t.Fatalf("decodeHeader: unclassified error %v", err)
		}
	}
	// Hold the writer's lock, so that the reader reads the slots.
	lockFD, err := unix.Open(path, unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lockFD)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Len: 1}
	if err := unix.FcntlFlock(uintptr(lockFD), unix.F_OFD_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	r, err := Open("seg", ReaderOptions{Dir: dir})
	if err != nil {
		return
	}
	defer r.Close()
	// Read what the slots hold, as ReadFrame does but without waiting.
	for range 8 {
		var ok bool
		err := guard(func() error {
			s := r.seg
			if r.next <= s.writeSeq() {
				_, ok, err = r.take(s)
				return err
			}
			return nil
		})
		if err != nil || !ok {
			break
		}
	}
	r.RequestKeyframe()
	if len(b)%8 == 0 { // and sometimes the whole of ReadFrame, waiting included
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		r.ReadFrame(ctx)
	}
}
