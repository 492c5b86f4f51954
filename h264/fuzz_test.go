package h264_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"regexp"
	"testing"

	"github.com/shmcast/shmcast"
	"github.com/shmcast/shmcast/h264"
	"github.com/shmcast/shmcast/internal/testclip"
)

// clipSeeds returns small pieces of every clip: its first frames and cuts
// through them.
func clipSeeds() [][]byte {
	var seeds [][]byte
	for _, c := range testclip.All() {
		frames := testclip.MustFrames(c.Data)
		seeds = append(seeds, frames[0].Data[:min(len(frames[0].Data), 2000)], frames[1].Data, c.Data[:3000])
	}
	return seeds
}

// checkNALU fails unless n is a NAL unit Split can return.
func checkNALU(t *testing.T, n []byte) {
	t.Helper()
	if len(n) == 0 {
		t.Fatal("empty NAL unit")
	}
	if n[0]&0x80 != 0 {
		t.Fatalf("forbidden bit set in %x", n)
	}
	if n[len(n)-1] == 0 {
		t.Fatalf("NAL unit %x ends with a zero byte", n)
	}
	for i := 0; i+2 < len(n); i++ {
		if n[i] == 0 && n[i+1] == 0 && n[i+2] <= 2 {
			t.Fatalf("NAL unit %x holds 00 00 0%d", n, n[i+2])
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, tt := range splitTests {
		f.Add(tt.in)
	}
	for _, s := range clipSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := h264.NewScanner(b)
		var scanned [][]byte
		for s.Scan() {
			checkNALU(t, s.NALU())
			if s.Offset() < 3 || s.Offset()+len(s.NALU()) > len(b) || !bytes.Equal(b[s.Offset():s.Offset()+len(s.NALU())], s.NALU()) {
				t.Fatalf("Offset %d does not locate the NAL unit", s.Offset())
			}
			scanned = append(scanned, s.NALU())
		}
		var se *h264.SyntaxError
		if err := s.Err(); err != nil && (!errors.As(err, &se) || se.Offset < 0 || se.Offset > len(b)) {
			t.Fatalf("Err() = %v, want a SyntaxError with an offset in the input", err)
		}
		var stepped [][]byte
		rest := b
		for {
			n, r, err := h264.NextNALU(rest)
			if err != nil {
				break
			}
			stepped = append(stepped, n)
			rest = r
		}
		if !equalNALUs(scanned, stepped) {
			t.Fatalf("Scanner and NextNALU disagree")
		}
	})
}

func FuzzSplit(f *testing.F) {
	for _, tt := range splitTests {
		f.Add(tt.in)
	}
	for _, s := range clipSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus, err := h264.Split(b)
		if err != nil {
			if nalus != nil {
				t.Fatalf("Split returned NAL units and %v", err)
			}
			return
		}
		for _, n := range nalus {
			checkNALU(t, n)
		}
		again, err := h264.Split(h264.Join(nalus))
		if err != nil {
			t.Fatalf("Split(Join(n)): %v", err)
		}
		if !equalNALUs(nalus, again) {
			t.Fatalf("Split(Join(n)) != n")
		}
	})
}

func FuzzSplitter(f *testing.F) {
	for _, s := range clipSeeds() {
		f.Add(s, uint8(7))
	}
	f.Add(h264.Join([][]byte{nAUD, nSPS, nPPS, nIDR, nAUD, nP, nIDR5, nP5, nSEI, nP}), uint8(1))
	f.Add([]byte("junk\x00\x00\x01\x09\xf0\x00\x00\x00\x00\x01\x65\x88\x00\x00\x01\x00\x00\x01\x41\x9a"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		read := func(r io.Reader, max int) (frames []shmcast.Frame, errs int) {
			s := h264.NewSplitterOptions(r, h264.SplitterOptions{MaxFrameSize: max})
			for range 2*len(b) + 10 {
				f, err := s.ReadFrame(context.Background())
				if err == io.EOF {
					return frames, errs
				}
				if err != nil {
					if !errors.Is(err, h264.ErrFrameTooLarge) && !errors.Is(err, h264.ErrNoStartCode) {
						t.Fatalf("ReadFrame: %v", err)
					}
					errs++
					continue
				}
				if len(f.Data) == 0 || len(f.Data) > max || f.Seq == 0 {
					t.Fatalf("frame of %d bytes, Seq %d", len(f.Data), f.Seq)
				}
				for s := h264.NewScanner(f.Data); s.Scan(); {
					if len(s.NALU()) == 0 {
						t.Fatal("empty NAL unit")
					}
				}
				frames = append(frames, f)
			}
			t.Fatalf("no io.EOF after %d reads", 2*len(b)+10)
			return nil, 0
		}
		whole, _ := read(bytes.NewReader(b), 1<<20)
		chunked, _ := read(&chunkReader{b: b, max: 1 + int(chunk)}, 1<<20)
		if len(whole) != len(chunked) {
			t.Fatalf("%d frames from whole reads, %d from chunks ≤ %d", len(whole), len(chunked), 1+int(chunk))
		}
		for i := range whole {
			if !bytes.Equal(whole[i].Data, chunked[i].Data) || whole[i].Key != chunked[i].Key || whole[i].Seq != chunked[i].Seq {
				t.Fatalf("frame %d differs between whole and chunked reads", i)
			}
		}
		read(&chunkReader{b: b, max: 1 + int(chunk)}, 64) // small limit: no panic, frames bounded
	})
}

// frameRecords encodes frames as the FuzzParser input: per frame a 16-bit
// little-endian length, a flags byte (1: Discontinuity) and the data.
func frameRecords(frames ...shmcast.Frame) []byte {
	var b []byte
	for _, f := range frames {
		d := f.Data[:min(len(f.Data), 1500)]
		b = binary.LittleEndian.AppendUint16(b, uint16(len(d)))
		flags := byte(0)
		if f.Discontinuity {
			flags = 1
		}
		b = append(append(b, flags), d...)
	}
	return b
}

func FuzzParser(f *testing.F) {
	for _, c := range testclip.All() {
		fr := testclip.MustFrames(c.Data)
		f.Add(frameRecords(fr[0], fr[1], fr[2]))
		f.Add(frameRecords(strip(f, fr[0]), only(f, fr[0], h264.NALUTypeSPS, h264.NALUTypePPS), fr[1]))
	}
	f.Add(frameRecords(shmcast.Frame{Data: h264.Join([][]byte{nSPS, nPPS, nIDR})}, shmcast.Frame{Data: []byte("junk")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var frames []shmcast.Frame
		for seq := uint64(1); len(b) >= 3; seq++ {
			n := min(int(binary.LittleEndian.Uint16(b)), len(b)-3)
			frames = append(frames, shmcast.Frame{Data: b[3 : 3+n], Discontinuity: b[2]&1 != 0, Seq: seq})
			b = b[3+n:]
		}
		p := h264.NewParserOptions(testclip.Source(frames), h264.ParserOptions{MaxFrameSize: 1400})
		synced := false
		for range len(frames) + 1 {
			f, err := p.ReadFrame(context.Background())
			if err == io.EOF {
				return
			}
			if err != nil {
				if !shmcast.IsTemporary(err) {
					t.Fatalf("ReadFrame: %v, want a temporary error", err)
				}
				synced = false
				continue
			}
			nalus, err := h264.Split(f.Data)
			if err != nil {
				t.Fatalf("Parser passed on a frame Split rejects: %v", err)
			}
			var sps, pps, idr bool
			for _, n := range nalus {
				switch h264.TypeOf(n) {
				case h264.NALUTypeSPS:
					sps = true
				case h264.NALUTypePPS:
					pps = true
				case h264.NALUTypeIDR:
					idr = true
				}
			}
			if f.Key != idr || (f.Key && !(sps && pps)) {
				t.Fatalf("Key %v for a frame with IDR %v SPS %v PPS %v", f.Key, idr, sps, pps)
			}
			if !synced && !f.Key {
				t.Fatalf("frame %d passed on before a Key frame", f.Seq)
			}
			synced = true
			if _, ok := p.SPSInfo(); !ok {
				t.Fatalf("no SPSInfo after a Key frame")
			}
		}
		t.Fatal("no io.EOF")
	})
}

var hex6 = regexp.MustCompile(`^[0-9a-f]{6}$`)

func FuzzParseSPS(f *testing.F) {
	for _, c := range testclip.All() {
		sps := firstSPS(f, c.Data)
		f.Add(sps)
		f.Add(sps[:len(sps)/2])
	}
	f.Add([]byte{0x67})
	f.Add([]byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := h264.ParseSPS(b)
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 || info.Width > 16384 || info.Height > 16384 {
			t.Fatalf("size %dx%d", info.Width, info.Height)
		}
		if !hex6.MatchString(info.ProfileLevelID) || info.ID < 0 || info.ID > 31 || info.FrameRate < 0 {
			t.Fatalf("bad info %+v", info)
		}
	})
}
