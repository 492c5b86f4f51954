package webrtcsink_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmcast/shmcast/webrtcsink"
)

func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	default:
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
}

// TestCandidateOptions: the answer's candidates follow UDPPort, ICETCPPort
// and NAT1To1IPs.
func TestCandidateOptions(t *testing.T) {
	udp, tcp := freePort(t, "udp"), freePort(t, "tcp")
	offer := makeOffer(t, clientAPI(t))
	tests := []struct {
		name string
		o    webrtcsink.Options
		has  []string
		not  []string
	}{
		{"udp port", webrtcsink.Options{UDPPort: udp}, []string{" udp ", " 127.0.0.1 " + itoa(udp) + " typ host"}, []string{" tcp "}},
		{"ice-tcp", webrtcsink.Options{UDPPort: udp, ICETCPPort: tcp}, []string{" tcp ", itoa(tcp) + " typ host tcptype passive"}, nil},
		{"nat 1:1", webrtcsink.Options{NAT1To1IPs: []string{"203.0.113.7"}}, []string{" 203.0.113.7 "}, []string{" 127.0.0.1 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newServer(t, tt.o)
			got := do(t, srv.URL, request{"POST", "/whep", "application/sdp", offer, nil})
			if got.status != 201 {
				t.Fatalf("POST = %d %s", got.status, got.body)
			}
			for _, s := range tt.has {
				if !strings.Contains(got.body, s) {
					t.Errorf("answer lacks %q:\n%s", s, got.body)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(got.body, s) {
					t.Errorf("answer has %q:\n%s", s, got.body)
				}
			}
		})
	}
}

// TestConnectTimeout: a viewer that never connects is removed.
func TestConnectTimeout(t *testing.T) {
	sink, srv := newServer(t, webrtcsink.Options{ConnectTimeout: 200 * time.Millisecond})
	got := do(t, srv.URL, request{"POST", "/whep", "application/sdp", makeOffer(t, clientAPI(t)), nil})
	if got.status != 201 {
		t.Fatalf("POST = %d", got.status)
	}
	waitViewers(t, sink, 0)
	if d := do(t, srv.URL, request{"DELETE", got.header.Get("Location"), "", "", nil}); d.status != 404 {
		t.Errorf("DELETE after timeout = %d, want 404", d.status)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
