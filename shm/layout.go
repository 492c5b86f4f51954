package shm

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"time"
)

// Format constants of SHMVIDEO version 1.0; docs/shm-format.md is normative.
const (
	Magic          = "SHMVIDEO" // first 8 bytes of every segment
	VersionMajor   = 1          // readers reject any other major version
	VersionMinor   = 0          // readers accept any minor version
	HeaderSize     = 4096       // header page size written by this package
	SlotHeaderSize = 128        // slot header size written by this package

	MinSlots      = 2
	MaxSlots      = 1 << 16
	MaxFrameLimit = 64 << 20 // largest max_payload a reader accepts
	maxSegment    = 1 << 36  // largest segment_size a reader accepts
	maxNameLen    = 63
	pageSize      = 4096
)

// Header field offsets (bytes from the start of the segment).
const (
	offMagic          = 0
	offMajor          = 8
	offMinor          = 10
	offHeaderSize     = 12
	offSlotCount      = 16
	offSlotHeaderSize = 20
	offSlotStride     = 24
	offMaxPayload     = 28
	offSegmentSize    = 32
	offSegmentID      = 40
	offCodec          = 48
	offStreamFlags    = 52
	offWidth          = 56
	offHeight         = 60
	offFPSNum         = 64
	offFPSDen         = 68
	offWriterPID      = 72
	offRequired       = 76
	offCreated        = 80
	offName           = 96
	offCRC            = 252
	identityLen       = 252 // bytes covered by the CRC

	// Writer line: written by the writer only.
	offWriteSeq   = 256
	offLastKeySeq = 264
	offHeartbeat  = 272
	offState      = 280

	// Wake line: the futex word and the waiter count.
	offNotify  = 320
	offWaiters = 324

	// Reader line: written by readers.
	offKeyframeReq  = 384
	offReaderActive = 392
)

// Slot header field offsets (bytes from the start of the slot).
const (
	slotCommit  = 0
	slotPTS     = 8
	slotDTS     = 16
	slotCapture = 24
	slotLen     = 32
	slotFlags   = 36
	slotWidth   = 40
	slotHeight  = 44
)

// Values of the state word.
const (
	stateInit   = 0
	stateLive   = 1
	stateClosed = 2
)

// Stream flags, slot flags and the codec.
const (
	streamAnnexB       = 1 << 0
	streamParamsInBand = 1 << 1

	slotKey           = 1 << 0
	slotDiscontinuity = 1 << 1

	codecH264 = "H264"
)

// layout is the validated identity of a segment.
type layout struct {
	major, minor   uint16
	headerSize     uint32
	slots          uint32
	slotHeaderSize uint32
	slotStride     uint32
	maxPayload     uint32
	segmentSize    uint64
	segmentID      uint64
	info           Info
}

// Info describes a segment: its geometry and the stream it carries.
type Info struct {
	Name          string    // stream name written by the writer
	VersionMajor  int       // format major version
	VersionMinor  int       // format minor version
	Slots         int       // ring slots
	MaxFrameSize  int       // largest access unit a slot holds
	SegmentID     uint64    // random, new for every writer incarnation
	Width, Height int       // coded size in pixels; 0 if unknown
	FrameRateNum  int       // frame rate numerator; 0 if unknown
	FrameRateDen  int       // frame rate denominator
	ParamsInBand  bool      // SPS and PPS precede every IDR
	WriterPID     int       // process id of the writer, for information
	Created       time.Time // when the writer created the segment
}

func (l *layout) slotOffset(seq uint64) uint64 {
	return uint64(l.headerSize) + (seq&uint64(l.slots-1))*uint64(l.slotStride)
}

// newLayout computes the geometry for a writer.
func newLayout(slots, maxFrame int) layout {
	stride := (SlotHeaderSize + maxFrame + pageSize - 1) / pageSize * pageSize
	return layout{
		major: VersionMajor, minor: VersionMinor,
		headerSize: HeaderSize, slots: uint32(slots), slotHeaderSize: SlotHeaderSize,
		slotStride: uint32(stride), maxPayload: uint32(maxFrame),
		segmentSize: HeaderSize + uint64(slots)*uint64(stride),
	}
}

// encodeHeader writes the identity block of l into b (at least
// HeaderSize bytes), magic included, CRC last.
func encodeHeader(b []byte, l *layout) {
	le := binary.LittleEndian
	copy(b[offMagic:], Magic)
	le.PutUint16(b[offMajor:], l.major)
	le.PutUint16(b[offMinor:], l.minor)
	le.PutUint32(b[offHeaderSize:], l.headerSize)
	le.PutUint32(b[offSlotCount:], l.slots)
	le.PutUint32(b[offSlotHeaderSize:], l.slotHeaderSize)
	le.PutUint32(b[offSlotStride:], l.slotStride)
	le.PutUint32(b[offMaxPayload:], l.maxPayload)
	le.PutUint64(b[offSegmentSize:], l.segmentSize)
	le.PutUint64(b[offSegmentID:], l.segmentID)
	copy(b[offCodec:offCodec+4], codecH264)
	flags := uint32(streamAnnexB)
	if l.info.ParamsInBand {
		flags |= streamParamsInBand
	}
	le.PutUint32(b[offStreamFlags:], flags)
	le.PutUint32(b[offWidth:], uint32(l.info.Width))
	le.PutUint32(b[offHeight:], uint32(l.info.Height))
	le.PutUint32(b[offFPSNum:], uint32(l.info.FrameRateNum))
	le.PutUint32(b[offFPSDen:], uint32(l.info.FrameRateDen))
	le.PutUint32(b[offWriterPID:], uint32(l.info.WriterPID))
	le.PutUint32(b[offRequired:], 0)
	le.PutUint64(b[offCreated:], uint64(l.info.Created.UnixNano()))
	clear(b[offName : offName+maxNameLen+1])
	copy(b[offName:offName+maxNameLen], l.info.Name)
	le.PutUint32(b[offCRC:], crc32.ChecksumIEEE(b[:identityLen]))
}

// decodeHeader validates the first bytes of a segment file of the given
// size, in the order the specification gives, and returns its layout.
func decodeHeader(b []byte, fileSize int64) (layout, error) {
	var l layout
	le := binary.LittleEndian
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return l, ErrNotSegment
	}
	if len(b) < offMinor+2 {
		return l, fmt.Errorf("%w: %d bytes", ErrTruncated, fileSize)
	}
	l.major, l.minor = le.Uint16(b[offMajor:]), le.Uint16(b[offMinor:])
	if l.major != VersionMajor {
		return l, fmt.Errorf("%w: %d.%d, this reader supports %d.x", ErrVersion, l.major, l.minor, VersionMajor)
	}
	if len(b) < offCRC+4 || fileSize < HeaderSize {
		return l, fmt.Errorf("%w: %d bytes, header needs %d", ErrTruncated, fileSize, HeaderSize)
	}
	if got, want := crc32.ChecksumIEEE(b[:identityLen]), le.Uint32(b[offCRC:]); got != want {
		return l, fmt.Errorf("%w: computed %08x, header says %08x", ErrCRC, got, want)
	}
	if req := le.Uint32(b[offRequired:]); req != 0 {
		return l, fmt.Errorf("%w: required features %#x unknown to version %d.%d", ErrVersion, req, VersionMajor, VersionMinor)
	}
	l.headerSize = le.Uint32(b[offHeaderSize:])
	l.slots = le.Uint32(b[offSlotCount:])
	l.slotHeaderSize = le.Uint32(b[offSlotHeaderSize:])
	l.slotStride = le.Uint32(b[offSlotStride:])
	l.maxPayload = le.Uint32(b[offMaxPayload:])
	l.segmentSize = le.Uint64(b[offSegmentSize:])
	l.segmentID = le.Uint64(b[offSegmentID:])
	if err := l.check(); err != nil {
		return l, err
	}
	if uint64(fileSize) < l.segmentSize || fileSize < 0 {
		return l, fmt.Errorf("%w: %d bytes, segment_size is %d", ErrTruncated, fileSize, l.segmentSize)
	}
	if c := string(b[offCodec : offCodec+4]); c != codecH264 {
		return l, fmt.Errorf("%w: %q", ErrCodec, c)
	}
	flags := le.Uint32(b[offStreamFlags:])
	name := b[offName : offName+maxNameLen+1]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	l.info = Info{
		Name: string(name), VersionMajor: int(l.major), VersionMinor: int(l.minor),
		Slots: int(l.slots), MaxFrameSize: int(l.maxPayload), SegmentID: l.segmentID,
		Width: int(le.Uint32(b[offWidth:])), Height: int(le.Uint32(b[offHeight:])),
		FrameRateNum: int(le.Uint32(b[offFPSNum:])), FrameRateDen: int(le.Uint32(b[offFPSDen:])),
		ParamsInBand: flags&streamParamsInBand != 0,
		WriterPID:    int(le.Uint32(b[offWriterPID:])),
		Created:      time.Unix(0, int64(le.Uint64(b[offCreated:]))),
	}
	return l, nil
}

// check validates the geometry: every size consistent with the others and
// within the limits.
func (l *layout) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInconsistent}, a...)...)
	}
	switch {
	case l.headerSize < HeaderSize || l.headerSize%pageSize != 0:
		return bad("header_size %d", l.headerSize)
	case l.slots < MinSlots || l.slots > MaxSlots || bits.OnesCount32(l.slots) != 1:
		return bad("slot_count %d is not a power of two in [%d, %d]", l.slots, MinSlots, MaxSlots)
	case l.slotHeaderSize < SlotHeaderSize || l.slotHeaderSize%64 != 0:
		return bad("slot_header_size %d", l.slotHeaderSize)
	case l.maxPayload == 0 || l.maxPayload > MaxFrameLimit:
		return bad("max_payload %d not in [1, %d]", l.maxPayload, MaxFrameLimit)
	case l.slotStride%pageSize != 0 || uint64(l.slotStride) < uint64(l.slotHeaderSize)+uint64(l.maxPayload):
		return bad("slot_stride %d for slot_header_size %d and max_payload %d", l.slotStride, l.slotHeaderSize, l.maxPayload)
	case l.segmentSize != uint64(l.headerSize)+uint64(l.slots)*uint64(l.slotStride):
		return bad("segment_size %d != header_size + slot_count × slot_stride", l.segmentSize)
	case l.segmentSize > maxSegment:
		return bad("segment_size %d exceeds %d", l.segmentSize, uint64(maxSegment))
	case l.segmentID == 0:
		return bad("segment_id is zero")
	}
	return nil
}

// ValidName reports whether name can name a segment: 1 to 63 bytes of
// ASCII letters, digits, '.', '_' and '-', not starting with '.', so that it
// can never contain '/' or be "..".
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > maxNameLen || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
