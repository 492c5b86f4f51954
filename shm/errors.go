package shm

import "errors"

// Validation errors, in the order a reader checks for them. Open wraps them
// with the segment's path; test with [errors.Is].
var (
	ErrNotSegment   = errors.New("shm: not a SHMVIDEO segment")
	ErrVersion      = errors.New("shm: unsupported format version")
	ErrCRC          = errors.New("shm: header CRC mismatch")
	ErrInconsistent = errors.New("shm: inconsistent segment sizes")
	ErrTruncated    = errors.New("shm: segment truncated")
	ErrCodec        = errors.New("shm: unsupported codec")
)

// Other errors.
var (
	ErrBadName       = errors.New("shm: invalid segment name")
	ErrBusy          = errors.New("shm: segment has a live writer")
	ErrFrameTooLarge = errors.New("shm: frame larger than the slot")
	ErrCorrupt       = errors.New("shm: corrupt slot")
)
