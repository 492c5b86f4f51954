package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBadFlagsExit2(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{nil, nil, "nothing to serve"},
		{[]string{"-shm", "../etc"}, nil, `-shm "../etc"`},
		{[]string{"-shm", "a/b"}, nil, `-shm "a/b"`},
		{[]string{"-shm", "cam,cam"}, nil, "named twice"},
		{[]string{"-demo", "-udp-port", "70000"}, nil, "-udp-port 70000"},
		{[]string{"-demo", "-log-format", "xml"}, nil, "-log-format"},
		{[]string{"-demo", "-log-level", "loud"}, nil, "-log-level"},
		{[]string{"-demo", "-record-segment", "0s"}, nil, "-record-segment"},
		{[]string{"-demo", "-no-such-flag"}, nil, "flag provided but not defined"},
		{[]string{"-demo", "extra"}, nil, "unexpected arguments"},
		{[]string{"-demo"}, map[string]string{"SHMCAST_MAX_VIEWERS": "many"}, "SHMCAST_MAX_VIEWERS"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tt.env[k] }
			code := run(context.Background(), tt.args, getenv, &stdout, &stderr)
			if code != 2 {
				t.Errorf("run(%q) = %d, want 2", tt.args, code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(%q) stderr = %q, want it to mention %q", tt.args, stderr.String(), tt.want)
			}
		})
	}
}

func TestHelpExits0AndListsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &stdout, &stderr); code != 0 {
		t.Fatalf("run(-h) = %d, want 0", code)
	}
	for _, f := range []string{"-shm", "-demo", "-http", "-udp-port", "-public-ip", "-record-dir", "-record-segment",
		"-record-max-age", "-record-max-bytes", "-max-viewers", "-token", "-log-format", "-log-level", "-pprof",
		"SHMCAST_RECORD_DIR"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("-h output lacks %s", f)
		}
	}
}

func TestEnvironmentSetsFlagsAndCommandLineWins(t *testing.T) {
	env := map[string]string{"SHMCAST_SHM": "cam0,cam1", "SHMCAST_MAX_VIEWERS": "7", "SHMCAST_HTTP": ":9000"}
	c, err := parseConfig([]string{"-http", ":9100"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.streams, ","); got != "cam0,cam1" {
		t.Errorf("streams = %q, want cam0,cam1 from SHMCAST_SHM", got)
	}
	if c.maxViewers != 7 {
		t.Errorf("maxViewers = %d, want 7 from SHMCAST_MAX_VIEWERS", c.maxViewers)
	}
	if c.httpAddr != ":9100" {
		t.Errorf("httpAddr = %q, want the command line's :9100 over the environment's", c.httpAddr)
	}
}
