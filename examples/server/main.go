// Command server is shmcast's reference server: it serves H.264 from
// shared-memory segments to WebRTC viewers (WHEP) and to fMP4 recordings.
//
//	go run ./examples/server -demo        # no camera needed; open the printed URL
//	go run ./examples/server -shm cam     # serve /dev/shm/cam, written by shmfeed or your producer
//
// See -h for every flag; each can also be set by an environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole server; it returns the exit code: 0 after a clean
// shutdown, 1 on a runtime failure, 2 for bad flags.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "shmcast-server: %v\nRun with -h for the flags.\n", err)
		return 2
	}
	log := c.logger(stdout)
	goroutinesBefore := runtime.NumGoroutine()
	if err := serve(ctx, &c, log); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	checkLeaks(log, goroutinesBefore)
	return 0
}

// serve builds the pipeline of every stream, serves HTTP until ctx is done,
// then stops everything within c.shutdownWait.
func serve(ctx context.Context, c *config, log *slog.Logger) error {
	m := newMetrics()
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()

	transport, err := c.transport()
	if err != nil {
		return err
	}
	defer transport.Close() // after every stream's viewers are closed

	var streams []*stream
	defer func() {
		for _, s := range streams { // only reached with streams not yet running
			s.viewers.Close()
			s.rec.Close()
			s.dist.Close()
		}
	}()
	for _, name := range c.streams {
		s, err := newStream(name, c, m, transport, log.With("stream", name))
		if err != nil {
			return err
		}
		streams = append(streams, s)
	}
	m.reg.MustRegister(streamCollector{streams})

	var demoProducer *demo
	if c.demo {
		if demoProducer, err = newDemo(c.shmDir, log.With("stream", demoStream)); err != nil {
			return err
		}
	}

	stages, stopStages := context.WithCancel(context.Background())
	defer stopStages()
	var wg sync.WaitGroup
	rate := &errorRate{window: 10 * time.Second, max: c.errorRateMax, log: log}
	wg.Go(func() { rate.watch(stages) })
	if demoProducer != nil {
		wg.Go(func() { demoProducer.run(stages) })
	}
	for _, s := range streams {
		sup := &supervisor{stream: s.name, log: s.log, metrics: m, rate: rate}
		wg.Go(func() { s.run(stages, sup) })
	}
	running := streams
	streams = nil // run closes them now

	srv := &http.Server{
		Handler:           routes(c, running, m),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
	}
	httpErr := make(chan error, 1)
	wg.Go(func() { httpErr <- srv.Serve(ln) })
	log.Info("shmcast server ready", "url", pageURL(ln.Addr()), "streams", strings.Join(c.streams, ","))

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-httpErr:
		err = fmt.Errorf("http: %w", err)
	}

	deadline := time.Now().Add(c.shutdownWait)
	sctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-c.shutdownWait/2))
	defer cancel()
	srv.Shutdown(sctx) // stops new offers; viewers' media is not HTTP
	stopStages()       // stages end; each stream closes viewers and its recording
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		return errors.New("shutdown took longer than -shutdown-timeout")
	}
	if demoProducer != nil {
		demoProducer.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func pageURL(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// checkLeaks logs the goroutines still running after shutdown beyond those
// that ran before start-up: each one is a bug.
func checkLeaks(log *slog.Logger, before int) {
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // goroutines that were told to stop are on their way out
	}
	if n := runtime.NumGoroutine(); n > before {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		log.Warn("goroutines still running after shutdown", "extra", n-before, "stacks", b.String())
		return
	}
	log.Info("stopped cleanly")
}
