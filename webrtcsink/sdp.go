package webrtcsink

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// An OfferError says why an offer was refused; the handler answers 400 with
// its message.
type OfferError struct{ Msg string }

func (e *OfferError) Error() string { return "webrtcsink: offer: " + e.Msg }

// videoCodecs parses an SDP and returns the codecs of its first video
// section, in the section's format order.
func videoCodecs(s string) ([]webrtc.RTPCodecParameters, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(s); err != nil {
		return nil, &OfferError{Msg: "not valid SDP: " + err.Error()}
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "video" {
			continue
		}
		byPT := map[string]*webrtc.RTPCodecParameters{}
		out := make([]webrtc.RTPCodecParameters, 0, len(md.MediaName.Formats))
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue
			}
			out = append(out, webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt)})
		}
		for i := range out {
			byPT[strconv.Itoa(int(out[i].PayloadType))] = &out[i]
		}
		for _, a := range md.Attributes {
			pt, rest, _ := strings.Cut(a.Value, " ")
			c := byPT[pt]
			if c == nil {
				continue
			}
			switch a.Key {
			case "rtpmap":
				name, _, _ := strings.Cut(rest, "/")
				c.MimeType = "video/" + name
				c.ClockRate = 90000
			case "fmtp":
				c.SDPFmtpLine = rest
			}
		}
		return out, nil
	}
	return nil, &OfferError{Msg: "no video section"}
}

// checkOffer returns an [OfferError] unless the offer has a video section
// with H.264 in packetization mode 1.
func checkOffer(s string) error {
	if strings.TrimSpace(s) == "" {
		return &OfferError{Msg: "empty"}
	}
	codecs, err := videoCodecs(s)
	if err != nil {
		return err
	}
	if chooseCodec(codecs, "") >= 0 {
		return nil
	}
	var names []string
	for _, c := range codecs {
		n := strings.TrimPrefix(c.MimeType, "video/")
		if strings.EqualFold(n, "H264") {
			n += " packetization-mode=" + parseFmtp(c.SDPFmtpLine)["packetization-mode"]
		}
		names = append(names, n)
	}
	return &OfferError{Msg: fmt.Sprintf("no H.264 with packetization-mode=1 in the video section (offered: %s)", strings.Join(names, ", "))}
}

// setAnswerProfile rewrites the answer so that the H.264 format the track
// will send announces the camera's profile-level-id when the offer allows it:
// the camera's exact value when the offer has its profile (profile_idc and
// constraint flags), else the offered profile with the camera's level when
// the camera's stream conforms to it. RFC 6184 §8.2.2 keeps the profile
// symmetric (strict receivers such as pion compare those two bytes) and lets
// the level differ when level-asymmetry-allowed=1 or it is not higher.
func setAnswerProfile(answer, plid string) string {
	if len(plid) != 6 {
		return answer
	}
	codecs, err := videoCodecs(answer)
	if err != nil {
		return answer
	}
	i := chooseCodec(codecs, plid)
	if i < 0 {
		return answer
	}
	f := parseFmtp(codecs[i].SDPFmtpLine)
	offered := f["profile-level-id"]
	if len(offered) != 6 || !profileFits(plid, offered) {
		return answer
	}
	if f["level-asymmetry-allowed"] != "1" && level(plid) > level(offered) {
		return answer
	}
	target := offered[:4] + plid[4:]
	if strings.EqualFold(target, offered) {
		return answer
	}
	prefix := fmt.Sprintf("a=fmtp:%d ", codecs[i].PayloadType)
	lines := strings.SplitAfter(answer, "\n")
	for j, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[j] = strings.Replace(l, "profile-level-id="+offered, "profile-level-id="+target, 1)
		}
	}
	return strings.Join(lines, "")
}

type profile int

const (
	profileUnknown profile = iota
	profileConstrainedBaseline
	profileBaseline
	profileMain
	profileHigh
	profileConstrainedHigh
)

// classify returns the H.264 profile a profile-level-id names, following
// the table in RFC 6184 §8.1 and WebRTC's reading of the constraint flags.
func classify(plid string) profile {
	b, err := hex.DecodeString(plid)
	if err != nil || len(b) != 3 {
		return profileUnknown
	}
	idc, c := b[0], b[1]
	switch {
	case idc == 0x42 && c&0x4f == 0x40, idc == 0x4d && c&0x8f == 0x80, idc == 0x58 && c&0xcf == 0xc0:
		return profileConstrainedBaseline
	case idc == 0x42 && c&0x4f == 0x00, idc == 0x58 && c&0xcf == 0x80:
		return profileBaseline
	case idc == 0x4d && c&0x8f == 0x00:
		return profileMain
	case idc == 0x64 && c == 0x00:
		return profileHigh
	case idc == 0x64 && c == 0x0c:
		return profileConstrainedHigh
	}
	return profileUnknown
}

// profileFits reports whether a stream of profile-level-id cam conforms to
// the profile of offered (levels aside).
func profileFits(cam, offered string) bool {
	c, o := classify(cam), classify(offered)
	switch {
	case c == profileUnknown || o == profileUnknown:
		return len(cam) == 6 && len(offered) == 6 && strings.EqualFold(cam[:4], offered[:4])
	case c == o:
		return true
	case c == profileConstrainedBaseline:
		return true // a subset of every other profile listed
	case c == profileMain, c == profileConstrainedHigh:
		return o == profileHigh
	}
	return false
}

func level(plid string) int {
	b, err := hex.DecodeString(plid)
	if err != nil || len(b) != 3 {
		return 0
	}
	return int(b[2])
}

var errBadCandidate = errors.New("webrtcsink: bad trickle ICE fragment")
