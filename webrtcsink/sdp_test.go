package webrtcsink

import (
	"strings"
	"testing"
)

func TestProfileFits(t *testing.T) {
	tests := []struct {
		cam, offered string
		want         bool
	}{
		{"42c01e", "42e01f", true},  // constrained baseline both ways of writing it
		{"42c01e", "42001f", true},  // CB is a subset of baseline
		{"42c01e", "4d001f", true},  // and of main
		{"42c01e", "640c1f", true},  // and of constrained high
		{"42001e", "42e01f", false}, // baseline is not constrained baseline
		{"4d0028", "64001f", true},  // main within high
		{"640028", "4d001f", false}, // high is not main
		{"640028", "640c1f", false}, // high is not constrained high
		{"f40028", "f4001f", true},  // unknown profile: same bytes
		{"f40028", "64001f", false},
		{"zz", "42e01f", false},
	}
	for _, tt := range tests {
		if got := profileFits(tt.cam, tt.offered); got != tt.want {
			t.Errorf("profileFits(%s, %s) = %v, want %v", tt.cam, tt.offered, got, tt.want)
		}
	}
}

const answerFmt = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\na=fmtp:97 %s\r\na=rtpmap:98 H264/90000\r\na=fmtp:98 %s\r\n"

func TestSetAnswerProfile(t *testing.T) {
	tests := []struct {
		name, fmtp97, fmtp98, plid, want97, want98 string
	}{
		{"exact profile", "packetization-mode=1;profile-level-id=42e01f", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01f", "42c01e",
			"packetization-mode=1;profile-level-id=42e01f", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01e"},
		{"compatible profile, camera level", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f", "42c01e",
			"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01e", "packetization-mode=0;profile-level-id=42e01f"},
		{"higher level without asymmetry", "packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f", "42c028",
			"packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f"},
		{"camera unknown", "packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f", "",
			"packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f"},
		{"high camera, baseline offer", "packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f", "640028",
			"packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := setAnswerProfile(sprintf(answerFmt, tt.fmtp97, tt.fmtp98), tt.plid)
			want := sprintf(answerFmt, tt.want97, tt.want98)
			if got != want {
				t.Errorf("setAnswerProfile(%s) =\n%s\nwant\n%s", tt.plid, got, want)
			}
		})
	}
}

func sprintf(format string, a, b string) string {
	return strings.Replace(strings.Replace(format, "%s", a, 1), "%s", b, 1)
}

func FuzzCheckOffer(f *testing.F) {
	f.Add(sprintf(answerFmt, "packetization-mode=1;profile-level-id=42e01f", "x"))
	f.Add("v=0\r\n")
	f.Add("")
	f.Add("m=video 9 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		_ = checkOffer(s)
		_ = setAnswerProfile(s, "42c01e")
		_, _ = parseSDPFrag(s)
		_ = profileLevelID([]byte(s))
	})
}

func TestChooseCodecPrefersSameProfile(t *testing.T) {
	a := sprintf(answerFmt, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	got := setAnswerProfile(a, "42c01e")
	if !strings.Contains(got, "a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01e") ||
		!strings.Contains(got, "profile-level-id=42001f") {
		t.Errorf("constrained baseline camera did not pick the constrained baseline format:\n%s", got)
	}
}
