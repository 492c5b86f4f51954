package webrtcsink

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shmcast/shmcast"
)

// Sink serves one H.264 stream to WebRTC viewers. It is a [shmcast.Sink]:
// WriteFrame packetizes each frame once and hands the shared packets to
// every viewer's bounded queue without blocking. It is an [http.Handler]
// for WHEP and the legacy JSON offer API (see [Sink.ServeHTTP]).
//
// Each viewer costs two goroutines, started when its offer is answered and
// ended by disconnection, DELETE or [Sink.Close]: a writer that sends the
// viewer's queue and answers its NACKs, and an RTCP reader.
type Sink struct {
	o     Options
	log   *slog.Logger
	t     *Transport
	ownT  bool                     // the Sink made t and closes it
	kf    *shmcast.KeyframeLimiter // nil: nobody to ask
	cache *retransmitCache
	mux   *http.ServeMux

	wmu sync.Mutex // serializes WriteFrame
	pk  packetizer
	gop gop // the access units since the last key frame, for BurstGOP

	plid    atomic.Pointer[string] // the camera's profile-level-id, once seen
	viewers atomic.Pointer[[]*viewer]
	frames  atomic.Uint64
	packets atomic.Uint64

	mu      sync.Mutex
	byID    map[string]*viewer
	pending int // offers being answered
	closed  bool
	wg      sync.WaitGroup // viewers' goroutines
	gone    viewerCounters // totals of viewers that left
}

var (
	_ shmcast.Sink = (*Sink)(nil)
	_ http.Handler = (*Sink)(nil)
)

// ErrTooManyViewers is returned when MaxViewers viewers are connected.
var ErrTooManyViewers = errors.New("webrtcsink: too many viewers")

// New returns a Sink with no viewers, on o.Transport or, when that is nil,
// on a Transport of its own that listens on the UDP (and optionally TCP)
// port of o. Call Close to release them.
func New(o Options) (*Sink, error) {
	o.setDefaults()
	t, own := o.Transport, false
	if t == nil {
		var err error
		if t, err = newTransport(&o); err != nil {
			return nil, err
		}
		own = true
	}
	s := &Sink{
		o:     o,
		log:   o.Logger,
		t:     t,
		ownT:  own,
		cache: newRetransmitCache(int64(o.RetransmitAge), o.RetransmitBytes),
		pk:    packetizer{mtu: uint16(o.MTU), seq: uint16(rand.Uint32()), tsBase: rand.Uint32()},
		byID:  map[string]*viewer{},
	}
	if o.Keyframes != nil {
		s.kf = shmcast.NewKeyframeLimiter(o.Keyframes, o.KeyframeInterval)
	}
	s.viewers.Store(&[]*viewer{})
	s.mux = s.routes()
	return s, nil
}

// WriteFrame packetizes f once and queues the packets for every connected
// viewer. It never blocks on a viewer: a viewer whose queue is full drops
// frames until the next key frame. It returns [shmcast.ErrClosed] after
// Close.
func (s *Sink) WriteFrame(f shmcast.Frame) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return shmcast.ErrClosed
	}
	if f.Key {
		if p := profileLevelID(f.Data); p != "" {
			if old := s.plid.Load(); old == nil || *old != p {
				s.plid.Store(&p)
			}
		}
	}
	au := s.pk.packetize(f, shmcast.Monotonic())
	if au == nil {
		return nil
	}
	s.frames.Add(1)
	s.packets.Add(uint64(len(au.pkts)))
	s.cache.add(au)
	if s.o.BurstGOP {
		s.gop.add(au, s.o.RetransmitBytes)
	}
	for _, v := range *s.viewers.Load() {
		v.offer(au)
	}
	return nil
}

// Close disconnects every viewer, waits for their goroutines and releases
// the ports unless they belong to a shared [Options].Transport. It is
// idempotent.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	vs := make([]*viewer, 0, len(s.byID))
	for _, v := range s.byID {
		vs = append(vs, v)
	}
	s.mu.Unlock()
	for _, v := range vs {
		v.stop()
	}
	s.wg.Wait()
	if s.kf != nil {
		s.kf.Close()
	}
	if !s.ownT {
		return nil
	}
	return s.t.Close()
}

// UDPAddrs returns the local addresses of the shared ICE UDP port.
func (s *Sink) UDPAddrs() []net.Addr { return s.t.UDPAddrs() }

func (s *Sink) requestKeyframe() {
	if s.kf != nil {
		s.kf.RequestKeyframe()
	}
}

func (s *Sink) profile() string {
	if p := s.plid.Load(); p != nil {
		return *p
	}
	return ""
}

// join makes a connected viewer receive frames from the next key frame on,
// and asks the producer for one so that the picture starts at once.
//
// With BurstGOP it first queues the cached GOP, up to the latest frame, as a
// burst whose timestamps are squeezed into a millisecond per frame just
// before the latest frame's, so that the receiver decodes through it at once
// and shows the live picture, without adding the GOP's duration to its
// playout delay (DESIGN.md §5).
func (s *Sink) join(v *viewer) {
	s.wmu.Lock()
	v.waitKey, v.lagging = true, false
	if n := len(s.gop.aus); s.o.BurstGOP && n > 0 && n <= cap(v.q)/2 {
		last := s.gop.aus[n-1].pkts[0].ts
		for j, au := range s.gop.aus {
			v.q <- queued{au: au, ts: last - uint32(n-1-j)*burstSpacing, burst: true}
		}
		v.waitKey = false
		v.st.bursts.Add(uint64(n))
	}
	v.active.Store(true)
	s.wmu.Unlock()
	s.requestKeyframe()
}

// burstSpacing is the timestamp step between frames of a GOP burst: 1 ms.
const burstSpacing = shmcast.ClockRate / 1000

// gop keeps the access units from the last key frame on.
type gop struct {
	aus   []*accessUnit
	bytes int
}

func (g *gop) add(au *accessUnit, maxBytes int) {
	switch {
	case au.key:
		clear(g.aus)
		g.aus, g.bytes = g.aus[:0], 0
	case len(g.aus) == 0:
		return // no key frame yet
	}
	if g.bytes+au.bytes > maxBytes {
		clear(g.aus)
		g.aus, g.bytes = g.aus[:0], 0 // too long to burst: wait for the next key frame
		return
	}
	g.aus = append(g.aus, au)
	g.bytes += au.bytes
}

// reserve takes a viewer slot for an offer being answered.
func (s *Sink) reserve() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return shmcast.ErrClosed
	case s.o.MaxViewers > 0 && len(s.byID)+s.pending >= s.o.MaxViewers:
		return ErrTooManyViewers
	}
	s.pending++
	return nil
}

func (s *Sink) unreserve() {
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
}

// register adds an answered viewer and starts its goroutines.
func (s *Sink) register(v *viewer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return shmcast.ErrClosed
	}
	s.byID[v.id] = v
	list := append(slices.Clone(*s.viewers.Load()), v)
	s.viewers.Store(&list)
	s.wg.Add(2)
	go v.run()
	go v.readRTCP()
	return nil
}

// remove takes v out of the Sink; WriteFrame no longer sees it.
func (s *Sink) remove(v *viewer) {
	s.wmu.Lock() // so that no WriteFrame is inside v.offer
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[v.id] != v {
		return
	}
	delete(s.byID, v.id)
	list := slices.DeleteFunc(slices.Clone(*s.viewers.Load()), func(x *viewer) bool { return x == v })
	s.viewers.Store(&list)
	s.gone.add(&v.st)
}

func (s *Sink) lookup(id string) *viewer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}
