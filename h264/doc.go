// Package h264 understands just enough H.264 (ITU-T Rec. H.264 | ISO/IEC
// 14496-10) to move access units from a camera to viewers and recordings
// safely: the Annex B byte stream format (start codes, Annex B), NAL unit
// types (§7.4.1, Table 7-1), the facts of a sequence parameter set
// (§7.3.2.1.1) and access unit boundaries (§7.4.1.2.3).
//
// Its place in the chain:
//
//		raw .h264 file or pipe ──► Splitter ──► (shm producer)
//		shm.Reader ──► Parser ──► fanout.Distributor ──► sinks
//
//	  - [Scanner], [NextNALU], [Split], [AppendSplit] and [Join] read and write
//	    Annex B buffers. Scanning checks every NAL unit and never allocates.
//	  - [ParseSPS] returns an [SPSInfo]: size, profile-level-id for WebRTC and
//	    frame rate, decoded with mediacommon's SPS parser.
//	  - [Parser] is a [shmcast.Source] wrapping a Source: it caches SPS and
//	    PPS, puts them in front of IDR pictures that lack them, marks Key frames
//	    and holds back frames that cannot be decoded.
//	  - [Splitter] is a [shmcast.Source] that cuts a raw Annex B byte stream
//	    into access units.
//
// Nothing in the package starts goroutines. Frames that the Parser passes
// on unchanged share the source frame's Data; frames it changes, and every
// frame of a Splitter, get freshly allocated Data. The package never writes
// to a buffer it was given. Malformed input gives errors, never panics.
package h264
