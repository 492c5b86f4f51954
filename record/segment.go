package record

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// segment is one recording. Its file is created only with its first
// fragment, written in one piece with the header, so that no file ever holds
// a header without a picture. The file's size is the length of its last
// complete write: after a failed write the file is cut back to it, so that
// it always ends with a whole fragment.
type segment struct {
	f        *os.File // nil until the first fragment
	path     string
	head     []byte    // header, until the file is created
	start    time.Time // wall clock when its first frame arrived: its name
	firstDTS int64     // 90 kHz ticks of the first frame
	sps, pps []byte    // of the key frame it started with
	size     int64
	frags    int // fragments written
}

// maxCollisions bounds the "-N" suffixes tried for a taken name.
const maxCollisions = 1000

// createSegment creates a new file for a segment starting at now, never
// replacing an existing file.
func createSegment(o *Options, now time.Time) (*os.File, string, error) {
	base := now.UTC().Format(o.Pattern)
	ext := o.Format.Ext()
	for i := 0; i < maxCollisions; i++ {
		name := base + ext
		if i > 0 {
			name = base + "-" + strconv.Itoa(i) + ext
		}
		path := filepath.Join(o.Dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("record: create segment: %w", err)
		}
		if o.Sync != SyncNone {
			if err := syncDir(o.Dir); err != nil {
				f.Close()
				os.Remove(path)
				return nil, "", err
			}
		}
		return f, path, nil
	}
	return nil, "", fmt.Errorf("record: create segment %s: %d names taken", base, maxCollisions)
}

// write appends b to the segment in one write and, if sync, fsyncs. On error
// it cuts the file back to its last good size.
func (s *segment) write(b []byte, sync bool) error {
	if len(b) == 0 {
		return nil
	}
	n, err := s.f.Write(b)
	if err == nil && sync {
		err = s.f.Sync()
	}
	if err != nil {
		if n > 0 {
			// Truncation frees blocks, so it works on a full disk.
			s.f.Truncate(s.size)
			s.f.Seek(s.size, 0)
		}
		return fmt.Errorf("record: %w", err)
	}
	s.size += int64(n)
	return nil
}

// close closes the file, if there is one, fsyncing it first if sync. A
// file without a complete fragment is removed: it holds no picture.
func (s *segment) close(sync bool) error {
	if s.f == nil {
		return nil
	}
	var err error
	if sync && s.frags > 0 {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if s.frags == 0 {
		os.Remove(s.path)
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that the names in it survive a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("record: sync dir: %w", err)
	}
	err = d.Sync()
	d.Close()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}
