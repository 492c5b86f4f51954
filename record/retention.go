package record

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// retentionInterval is how often WriteFrame applies the retention rules
// between segment starts.
const retentionInterval = time.Minute

// ownedFile is a file in Dir whose name the recorder makes.
type ownedFile struct {
	path  string
	start time.Time
	size  int64
}

// segmentStart parses a file name made by the recorder with the given
// pattern and reports whether it is one: the pattern's time, an optional
// "-N" collision suffix, and the extension of a Format.
func segmentStart(name, pattern string) (time.Time, bool) {
	var base string
	switch {
	case strings.HasSuffix(name, FMP4.Ext()):
		base = strings.TrimSuffix(name, FMP4.Ext())
	case strings.HasSuffix(name, AnnexB.Ext()):
		base = strings.TrimSuffix(name, AnnexB.Ext())
	default:
		return time.Time{}, false
	}
	if t, ok := parseExact(base, pattern); ok {
		return t, true
	}
	i := strings.LastIndexByte(base, '-')
	if i < 0 || i == len(base)-1 || strings.TrimLeft(base[i+1:], "0123456789") != "" || base[i+1] == '0' {
		return time.Time{}, false
	}
	return parseExact(base[:i], pattern)
}

// parseExact parses s with layout and accepts it only if formatting the
// time gives s back, so that names merely similar to ours are not ours.
func parseExact(s, layout string) (time.Time, bool) {
	t, err := time.Parse(layout, s)
	if err != nil || t.Format(layout) != s {
		return time.Time{}, false
	}
	return t, true
}

// ownedFiles lists the recorder's regular files in dir, oldest first.
func ownedFiles(dir, pattern string) ([]ownedFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []ownedFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		start, ok := segmentStart(e.Name(), pattern)
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		files = append(files, ownedFile{filepath.Join(dir, e.Name()), start, info.Size()})
	}
	slices.SortFunc(files, func(a, b ownedFile) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	return files, nil
}

// expired returns the files to delete: those that started before now-maxAge
// (if maxAge > 0), then the oldest while the total exceeds maxBytes (if
// maxBytes > 0). The file at keep is never returned.
func expired(files []ownedFile, now time.Time, maxAge time.Duration, maxBytes int64, keep string) []ownedFile {
	var total int64
	for _, f := range files {
		total += f.size
	}
	var del []ownedFile
	for _, f := range files { // oldest first
		if f.path == keep {
			continue
		}
		old := maxAge > 0 && now.Sub(f.start) > maxAge
		big := maxBytes > 0 && total > maxBytes
		if !old && !big {
			continue
		}
		del = append(del, f)
		total -= f.size
	}
	return del
}
