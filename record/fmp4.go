package record

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// A muxer turns frames into the bytes of one segment: a header when the
// segment opens, then fragments. It buffers the frames of the open fragment.
type muxer interface {
	// header resets the muxer for a new segment and returns its first bytes.
	header(sps, pps []byte) ([]byte, error)
	// add appends one frame to the open fragment. dts is in 90 kHz ticks
	// since the start of the segment, dur is the frame's duration in ticks.
	add(au []byte, key bool, dts int64, dur uint32, ptsOffset int32) error
	// frames returns the number of frames in the open fragment.
	frames() int
	// fragment returns the bytes of the open fragment and empties it; the
	// result is valid until the next call.
	fragment() ([]byte, error)
	// drop empties the open fragment.
	drop()
}

// trackID is the only track of a recording.
const trackID = 1

// fmp4Muxer writes fragmented MP4 through mediacommon's fmp4 package: one
// video track, 90 kHz timescale, one moof+mdat per fragment.
type fmp4Muxer struct {
	seq     uint32 // moof sequence number, from 1 in each segment
	base    uint64 // decode time of the open fragment's first frame
	arena   []byte // AVCC payloads of the open fragment, back to back
	ends    []int  // end of each payload in arena
	samples []fmp4.Sample
	ptrs    []*fmp4.Sample
	track   fmp4.PartTrack
	buf     seekablebuffer.Buffer
}

func (m *fmp4Muxer) header(sps, pps []byte) ([]byte, error) {
	m.seq = 0
	m.drop()
	m.buf.Reset()
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{
		ID:        trackID,
		TimeScale: 90000,
		Codec:     &codecs.H264{SPS: sps, PPS: pps},
	}}}
	if err := init.Marshal(&m.buf); err != nil {
		return nil, fmt.Errorf("record: init segment: %w", err)
	}
	return m.buf.Bytes(), nil
}

func (m *fmp4Muxer) add(au []byte, key bool, dts int64, dur uint32, ptsOffset int32) error {
	arena, err := appendAVCC(m.arena, au)
	if err != nil {
		return err
	}
	if len(m.samples) == 0 {
		m.base = uint64(dts)
	}
	m.arena = arena
	m.ends = append(m.ends, len(arena))
	m.samples = append(m.samples, fmp4.Sample{
		Duration:        dur,
		PTSOffset:       ptsOffset,
		IsNonSyncSample: !key,
	})
	return nil
}

func (m *fmp4Muxer) frames() int { return len(m.samples) }

func (m *fmp4Muxer) fragment() ([]byte, error) {
	if len(m.samples) == 0 {
		return nil, nil
	}
	m.ptrs = m.ptrs[:0]
	start := 0
	for i := range m.samples {
		m.samples[i].Payload = m.arena[start:m.ends[i]]
		start = m.ends[i]
		m.ptrs = append(m.ptrs, &m.samples[i])
	}
	m.seq++
	m.track = fmp4.PartTrack{ID: trackID, BaseTime: m.base, Samples: m.ptrs}
	part := fmp4.Part{SequenceNumber: m.seq, Tracks: []*fmp4.PartTrack{&m.track}}
	m.buf.Reset()
	err := part.Marshal(&m.buf)
	m.drop()
	if err != nil {
		return nil, fmt.Errorf("record: fragment: %w", err)
	}
	return m.buf.Bytes(), nil
}

func (m *fmp4Muxer) drop() {
	m.arena = m.arena[:0]
	m.ends = m.ends[:0]
	for i := range m.samples {
		m.samples[i].Payload = nil
	}
	m.samples = m.samples[:0]
}

// annexBMuxer writes the raw Annex B stream: no header, each access unit as
// it came, buffered for one fragment.
type annexBMuxer struct {
	buf []byte
	n   int
}

func (m *annexBMuxer) header(sps, pps []byte) ([]byte, error) {
	m.drop()
	return nil, nil
}

func (m *annexBMuxer) add(au []byte, key bool, dts int64, dur uint32, ptsOffset int32) error {
	if err := checkAnnexB(au); err != nil {
		return err
	}
	m.buf = append(m.buf, au...)
	m.n++
	return nil
}

func (m *annexBMuxer) frames() int { return m.n }

func (m *annexBMuxer) fragment() ([]byte, error) {
	b := m.buf
	m.drop()
	return b, nil
}

func (m *annexBMuxer) drop() {
	m.buf = m.buf[:0]
	m.n = 0
}
