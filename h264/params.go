package h264

import (
	"bytes"
	"fmt"
)

// spsEntry is a cached SPS: a private copy of the NAL unit and its facts.
type spsEntry struct {
	nalu []byte
	info SPSInfo
}

// ppsEntry is a cached PPS: a private copy of the NAL unit and the SPS it
// refers to.
type ppsEntry struct {
	nalu  []byte
	spsID uint32
}

// paramCache keeps the latest SPS and PPS of each id (§7.4.1.2.1: up to 32
// SPS and 256 PPS). It stores copies, never the caller's memory, and
// replaces an entry with a fresh one when its content changes, so that
// entries handed out earlier stay valid. The zero value is empty.
type paramCache struct {
	sps [32]*spsEntry
	pps [256]*ppsEntry
}

// putSPS caches nalu unless an identical SPS is cached under its id. It
// parses only new content, so repeating SPS cost a comparison.
func (c *paramCache) putSPS(nalu []byte) (*spsEntry, error) {
	id, ok := spsID(nalu)
	if !ok {
		return nil, fmt.Errorf("h264: SPS header: %w", ErrTruncated)
	}
	if e := c.sps[id]; e != nil && bytes.Equal(e.nalu, nalu) {
		return e, nil
	}
	info, err := ParseSPS(nalu)
	if err != nil {
		return nil, err
	}
	e := &spsEntry{nalu: bytes.Clone(nalu), info: info}
	c.sps[id] = e
	return e, nil
}

// putPPS caches nalu unless an identical PPS is cached under its id.
func (c *paramCache) putPPS(nalu []byte) (*ppsEntry, error) {
	id, sid, ok := ppsIDs(nalu)
	if !ok {
		return nil, fmt.Errorf("h264: PPS header: %w", ErrTruncated)
	}
	if e := c.pps[id]; e != nil && bytes.Equal(e.nalu, nalu) {
		return e, nil
	}
	e := &ppsEntry{nalu: bytes.Clone(nalu), spsID: sid}
	c.pps[id] = e
	return e, nil
}

// lookup returns the PPS of id and the SPS it refers to, or nils.
func (c *paramCache) lookup(ppsID uint32) (*spsEntry, *ppsEntry) {
	if ppsID >= uint32(len(c.pps)) {
		return nil, nil
	}
	p := c.pps[ppsID]
	if p == nil {
		return nil, nil
	}
	return c.sps[p.spsID], p
}
