package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/shmcast/shmcast/shm"
	"github.com/shmcast/shmcast/webrtcsink"
)

// config is everything the flags set.
type config struct {
	streams      []string // shm segment names
	shmDir       string
	demo         bool
	httpAddr     string
	udpPort      int
	publicIPs    []string
	iceTCPPort   int
	interfaces   []string
	loopback     bool
	maxViewers   int
	burstGOP     bool
	token        string
	allowOrigins []string

	recordDir      string
	recordOnStart  bool
	recordSegment  time.Duration
	recordMaxAge   time.Duration
	recordMaxBytes int64

	logFormat    string
	logLevel     slog.Level
	pprof        bool
	errorRateMax int
	shutdownWait time.Duration
}

// envPrefix turns a flag name into its environment variable: -record-dir is SHMCAST_RECORD_DIR.
func envName(flagName string) string {
	return "SHMCAST_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig parses args (without the program name). Every flag can also be
// set through its environment variable; a flag on the command line wins.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	var streams, publicIPs, interfaces, origins, logLevel string
	fs := flag.NewFlagSet("shmcast-server", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&streams, "shm", "", "comma-separated shared-memory segment names to serve, e.g. cam0,cam1 (each gets /<name>/)")
	fs.StringVar(&c.shmDir, "shm-dir", shm.DefaultDir, "directory of the shared-memory segments")
	fs.BoolVar(&c.demo, "demo", false, "serve a built-in test clip through a real segment named demo; needs no camera")
	fs.StringVar(&c.httpAddr, "http", "127.0.0.1:8080", "HTTP listen address (viewer page, WHEP, API, metrics)")
	fs.IntVar(&c.udpPort, "udp-port", 8189, "UDP port for the WebRTC media of all streams and viewers (ICE UDP mux); 0 picks one")
	fs.StringVar(&publicIPs, "public-ip", "", "comma-separated public IPs announced instead of the host's (1:1 NAT)")
	fs.IntVar(&c.iceTCPPort, "ice-tcp-port", 0, "also offer ICE-TCP on this port; 0 disables")
	fs.StringVar(&interfaces, "interfaces", "", "comma-separated network interfaces for ICE candidates; empty means all")
	fs.BoolVar(&c.loopback, "loopback", false, "offer loopback ICE candidates (viewers on this machine, tests)")
	fs.BoolVar(&c.burstGOP, "burst-gop", false, "start new viewers with the cached GOP sent as a burst: instant picture from producers that ignore key frame requests (plain ffmpeg pipes)")
	fs.IntVar(&c.maxViewers, "max-viewers", 100, "viewers per stream; more get 503; 0 means no limit")
	fs.StringVar(&c.token, "token", "", "bearer token required for WHEP and the API; empty means none")
	fs.StringVar(&origins, "allow-origin", "", "comma-separated CORS origins for WHEP, or *")
	fs.StringVar(&c.recordDir, "record-dir", "recordings", "directory for recordings (one subdirectory per stream)")
	fs.BoolVar(&c.recordOnStart, "record", false, "start recording at start-up (else POST /api/record/start)")
	fs.DurationVar(&c.recordSegment, "record-segment", 10*time.Minute, "length of a recording segment")
	fs.DurationVar(&c.recordMaxAge, "record-max-age", 0, "delete recordings older than this; 0 keeps them")
	fs.Int64Var(&c.recordMaxBytes, "record-max-bytes", 0, "delete the oldest recordings beyond this many bytes per stream; 0 means no limit")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&c.pprof, "pprof", false, "serve /debug/pprof/ on the HTTP address")
	fs.IntVar(&c.errorRateMax, "error-rate-warn", 10, "warn when more errors than this happen in 10 s")
	fs.DurationVar(&c.shutdownWait, "shutdown-timeout", 5*time.Second, "longest graceful shutdown")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shmcast-server [flags]\n\n"+
			"Serves H.264 from shared-memory segments to WebRTC viewers (WHEP) and recordings.\n"+
			"Every flag can also be set by its environment variable, e.g. -record-dir by %s.\n\nFlags:\n",
			envName("record-dir"))
		fs.PrintDefaults()
	}

	// Environment first, so the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.streams = splitList(streams)
	c.publicIPs = splitList(publicIPs)
	c.interfaces = splitList(interfaces)
	c.allowOrigins = splitList(origins)
	if err := c.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("-log-level %q: want debug, info, warn or error", logLevel)
	}
	return c, c.validate()
}

func (c *config) validate() error {
	if c.demo {
		c.streams = append(c.streams, demoStream)
	}
	if len(c.streams) == 0 {
		return errors.New("nothing to serve: give -shm <segment name> or -demo")
	}
	seen := map[string]bool{}
	for _, s := range c.streams {
		if !shm.ValidName(s) {
			return fmt.Errorf("-shm %q: a segment name is 1-63 letters, digits, '.', '_' or '-', not starting with '.'", s)
		}
		if seen[s] {
			return fmt.Errorf("-shm %q: named twice", s)
		}
		seen[s] = true
	}
	switch {
	case c.logFormat != "text" && c.logFormat != "json":
		return fmt.Errorf("-log-format %q: want text or json", c.logFormat)
	case c.udpPort < 0 || c.udpPort > 65535:
		return fmt.Errorf("-udp-port %d: not a port", c.udpPort)
	case c.iceTCPPort < 0 || c.iceTCPPort > 65535:
		return fmt.Errorf("-ice-tcp-port %d: not a port", c.iceTCPPort)
	case c.maxViewers < 0:
		return fmt.Errorf("-max-viewers %d: must be >= 0", c.maxViewers)
	case c.recordSegment <= 0:
		return fmt.Errorf("-record-segment %v: must be > 0", c.recordSegment)
	case c.recordMaxAge < 0 || c.recordMaxBytes < 0:
		return errors.New("-record-max-age and -record-max-bytes must be >= 0")
	case c.shutdownWait <= 0:
		return fmt.Errorf("-shutdown-timeout %v: must be > 0", c.shutdownWait)
	}
	return nil
}

// transport opens the one UDP port (and ICE-TCP port) that the viewers of
// every stream share.
func (c *config) transport() (*webrtcsink.Transport, error) {
	return webrtcsink.NewTransport(webrtcsink.Options{
		UDPPort:         c.udpPort,
		NAT1To1IPs:      c.publicIPs,
		ICETCPPort:      c.iceTCPPort,
		Interfaces:      c.interfaces,
		IncludeLoopback: c.loopback,
	})
}

func (c *config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.logLevel}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
