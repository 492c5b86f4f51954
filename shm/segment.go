package shm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultDir is where segments live unless an Options.Dir says otherwise.
const DefaultDir = "/dev/shm"

// segment is one mapped segment file.
type segment struct {
	fd     int
	mem    []byte
	l      layout
	dev    uint64
	ino    uint64
	closed bool
}

func segmentPath(dir, name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	if dir == "" {
		dir = DefaultDir
	}
	return filepath.Join(dir, name), nil
}

func (s *segment) u32(off uint64) *uint32 { return (*uint32)(unsafe.Pointer(&s.mem[off])) }
func (s *segment) u64(off uint64) *uint64 { return (*uint64)(unsafe.Pointer(&s.mem[off])) }
func (s *segment) i64(off uint64) *int64  { return (*int64)(unsafe.Pointer(&s.mem[off])) }

func (s *segment) notify() *uint32  { return s.u32(offNotify) }
func (s *segment) waiters() *uint32 { return s.u32(offWaiters) }
func (s *segment) writeSeq() uint64 { return atomic.LoadUint64(s.u64(offWriteSeq)) }
func (s *segment) lastKey() uint64  { return atomic.LoadUint64(s.u64(offLastKeySeq)) }
func (s *segment) state() uint32    { return atomic.LoadUint32(s.u32(offState)) }

// openSegment opens and validates the segment file at path and maps it
// read-write (readers write the reader line and the waiter count).
func openSegment(path string) (*segment, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	s, err := mapSegment(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

func mapSegment(fd int) (*segment, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("fstat: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%w: not a regular file", ErrNotSegment)
	}
	hdr := make([]byte, offCRC+4)
	n, err := unix.Pread(fd, hdr, 0)
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	l, err := decodeHeader(hdr[:n], st.Size)
	if err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(fd, 0, int(l.segmentSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return &segment{fd: fd, mem: mem, l: l, dev: uint64(st.Dev), ino: st.Ino}, nil
}

func (s *segment) close() {
	if s.closed {
		return
	}
	s.closed = true
	unix.Munmap(s.mem)
	unix.Close(s.fd)
}

// writerAlive reports whether some process holds the writer's OFD lock.
func writerAlive(fd int) (bool, error) {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 1}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_GETLK, &lk); err != nil {
		return false, fmt.Errorf("fcntl F_OFD_GETLK: %w", err)
	}
	return lk.Type != unix.F_UNLCK, nil
}

// sameFile reports whether path names the inode dev/ino.
func sameFile(path string, dev, ino uint64) (bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return false, err
	}
	return uint64(st.Dev) == dev && st.Ino == ino, nil
}

// faultError turns the panic of a memory fault in a mapping (a segment
// truncated under us: SIGBUS) into ErrTruncated; any other panic goes on.
func faultError(p any) error {
	if f, ok := p.(interface{ Addr() uintptr }); ok {
		return fmt.Errorf("%w: fault at %#x", ErrTruncated, f.Addr())
	}
	panic(p)
}

// guard runs fn with faults in mappings turned into errors.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = faultError(p)
		}
	}()
	return fn()
}

var errNotExist = os.ErrNotExist

func isNotExist(err error) bool { return errors.Is(err, errNotExist) }
