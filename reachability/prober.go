package reachability

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// Defaults for the zero fields of [Config].
const (
	DefaultTimeout     = 3 * time.Second
	DefaultCacheTTL    = 5 * time.Second
	DefaultCacheSize   = 4096
	DefaultMaxInFlight = 64
	DefaultHTTPDelay   = 10 * time.Millisecond

	// LocalPrefixesTTL is how long the host's own subnets are reused.
	LocalPrefixesTTL = 5 * time.Second
)

// Resolver looks up the addresses of a DNS name. *[net.Resolver]
// satisfies it.
type Resolver interface {
	// LookupNetIP returns the addresses of host for network "ip", or an
	// error (a *net.DNSError for an unknown name, ctx.Err() when ctx
	// ends first).
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Config tunes a [Prober]. Zero fields mean the Default* values.
type Config struct {
	// Timeout is the deadline of one probe run: resolution, ICMP and
	// HTTP together.
	Timeout time.Duration
	// CacheTTL is how long an answer, alive or not, is reused; a negative
	// value disables the cache. CacheSize bounds the entries.
	CacheTTL  time.Duration
	CacheSize int
	// MaxInFlight bounds the probe runs in progress; a probe beyond it
	// is answered at once with [ReasonBusy].
	MaxInFlight int

	// HTTPDelay is the head start of the ICMP probe: the HTTP probe
	// starts after it, or as soon as ICMP has failed or is off. A host
	// that answers ping within it gets no HTTP request at all, which
	// spares small web servers such as a phone's. Negative starts both
	// at once.
	HTTPDelay time.Duration

	// ICMP chooses the socket of the default pinger; see [ICMPMode].
	// PingCount is the most echo requests one probe sends
	// ([DefaultPingCount]).
	ICMP      ICMPMode
	PingCount int

	// Resolver, Dialer and Pinger replace the defaults: net.DefaultResolver,
	// a net.Dialer whose Control re-checks the address it connects to,
	// and pro-bing in the mode that ICMP selects. A custom Dialer is
	// trusted to connect to the address it is given; a custom Pinger is
	// used unless ICMP is [ICMPOff].
	Resolver Resolver
	Dialer   Dialer
	Pinger   Pinger

	// LocalPrefixes lists the subnets configured on the host's own
	// interfaces (default: [InterfacePrefixes]). The network and
	// broadcast addresses of each IPv4 subnet of /30 or wider are
	// refused even inside a wider allowed network, since an echo sent
	// there is answered by every host of the subnet. It is called at
	// most once per [LocalPrefixesTTL]; an error keeps the last list.
	LocalPrefixes func() ([]netip.Prefix, error)

	// Now is the clock of the cache (time.Now).
	Now func() time.Time
	// Logger receives start-up messages and debug steps; nil discards.
	Logger *slog.Logger
}

// Method is the probe that proved a host alive.
type Method string

// Methods.
const (
	MethodICMP Method = "icmp"
	MethodHTTP Method = "http"
)

// Reason says how a probe was decided.
type Reason uint8

// Reasons. The zero value is not a valid reason.
const (
	ReasonAlive Reason = iota + 1
	ReasonInvalid
	ReasonBlocked
	ReasonTimeout
	ReasonUnreachable
	ReasonBusy
	ReasonResolveFailed
)

// String returns the reason as shown to administrators: "alive",
// "invalid", "blocked by policy", "timeout", "unreachable", "busy" or
// "resolve failed".
func (r Reason) String() string {
	switch r {
	case ReasonAlive:
		return "alive"
	case ReasonInvalid:
		return "invalid"
	case ReasonBlocked:
		return "blocked by policy"
	case ReasonTimeout:
		return "timeout"
	case ReasonUnreachable:
		return "unreachable"
	case ReasonBusy:
		return "busy"
	case ReasonResolveFailed:
		return "resolve failed"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Result is the outcome of one [Prober.Probe].
type Result struct {
	// Target is the normalized target ([Target.String]); empty when the
	// input was invalid.
	Target string
	Alive  bool
	Reason Reason
	// Method is the probe that answered; empty unless Alive.
	Method Method
	// Addr is the address probed; Resolved is every address the name
	// resolved to (for the audit log), or nil for an IP literal.
	Addr     netip.Addr
	Resolved []netip.Addr
	// RTT is the round trip of the winning probe.
	RTT time.Duration
	// Shared is set when the answer came from a run shared with other
	// concurrent callers, Cached when it came from the cache.
	Shared bool
	Cached bool
	// Err explains a false answer for the logs; nil when Alive. It wraps
	// [ErrInvalidHost], [ErrBlocked], [ErrResolve], [ErrBusy] or the
	// probes' own errors. It must not be shown to the user, who gets
	// only the verdict.
	Err error
}

// Prober answers whether hosts are alive. It is safe for concurrent use.
type Prober struct {
	policy   Policy
	timeout  time.Duration
	cacheTTL time.Duration
	delay    time.Duration
	mode     ICMPMode
	resolver Resolver
	dialer   Dialer // nil: the guarded net.Dialer
	pinger   Pinger // nil: ICMP off
	now      func() time.Time
	log      *slog.Logger

	flights singleflight.Group
	slots   *semaphore.Weighted
	cache   answerCache
	local   localSubnets
}

// New returns a Prober that probes only what policy allows. The ICMP
// mode is settled here, once: [ICMPAuto] picks what the system allows,
// and an explicit [ICMPUnprivileged] or [ICMPPrivileged] socket is opened
// once (sending nothing) to see that it can be. When ICMP is unavailable
// New logs one warning naming the mode and the fix, and the Prober probes
// by HTTP only ([Prober.ICMPMode] is then [ICMPOff]). The error wraps
// [ErrInvalidConfig].
func New(policy Policy, cfg Config) (*Prober, error) {
	return newProber(policy, cfg, openICMP)
}

// openICMP opens and closes the ICMP socket of mode, sending nothing.
func openICMP(mode ICMPMode) error {
	network := "udp4"
	if mode == ICMPPrivileged {
		network = "ip4:icmp"
	}
	c, err := icmp.ListenPacket(network, "0.0.0.0")
	if err != nil {
		return err
	}
	return c.Close()
}

// newProber is [New] with the socket check replaceable by tests.
func newProber(policy Policy, cfg Config, open func(ICMPMode) error) (*Prober, error) {
	if cfg.Timeout < 0 || cfg.CacheSize < 0 || cfg.MaxInFlight < 0 || cfg.PingCount < 0 {
		return nil, fmt.Errorf("%w: negative Timeout, CacheSize, MaxInFlight or PingCount",
			ErrInvalidConfig)
	}
	if cfg.ICMP > ICMPOff {
		return nil, fmt.Errorf("%w: unknown ICMP mode %v", ErrInvalidConfig, cfg.ICMP)
	}
	p := &Prober{
		policy:   policy,
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		cacheTTL: cmp.Or(cfg.CacheTTL, DefaultCacheTTL),
		delay:    cmp.Or(cfg.HTTPDelay, DefaultHTTPDelay),
		resolver: cfg.Resolver,
		dialer:   cfg.Dialer,
		pinger:   cfg.Pinger,
		now:      cfg.Now,
		log:      cfg.Logger,
	}
	if p.resolver == nil {
		p.resolver = net.DefaultResolver
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.local = localSubnets{list: cfg.LocalPrefixes}
	if p.local.list == nil {
		p.local.list = InterfacePrefixes
	}
	p.slots = semaphore.NewWeighted(int64(cmp.Or(cfg.MaxInFlight, DefaultMaxInFlight)))
	p.cache = answerCache{size: cmp.Or(cfg.CacheSize, DefaultCacheSize)}

	// An injected pinger is used as is; otherwise pick the socket now so
	// that a missing permission is reported once, not on every probe.
	p.mode = cfg.ICMP
	switch {
	case p.mode == ICMPOff:
		p.pinger = nil
		// The operator's choice, not a fault: said once, without advice.
		p.log.Info("reachability: ICMP echo turned off, probing by HTTP only",
			"icmp_mode", ICMPOff.String())
	case p.pinger != nil:
	case p.mode == ICMPAuto:
		p.mode = DetectICMPMode()
		if p.mode == ICMPOff {
			p.log.Warn("reachability: ICMP echo unavailable, probing by HTTP only; "+
				"allow the process's group in net.ipv4.ping_group_range or grant "+
				"CAP_NET_RAW", "icmp_mode", ICMPAuto.String())
		}
	default:
		// An explicit mode the system refuses would fail every probe in
		// silence: say so once, here, and do without ICMP.
		if err := open(p.mode); err != nil {
			fix := "allow the process's group in net.ipv4.ping_group_range"
			if p.mode == ICMPPrivileged {
				fix = "run as root or grant CAP_NET_RAW"
			}
			p.log.Warn("reachability: ICMP "+p.mode.String()+" socket cannot be opened, "+
				"probing by HTTP only; "+fix+", or choose another ICMP mode",
				"icmp_mode", p.mode.String(), "err", err)
			p.mode = ICMPOff
		}
	}
	if p.pinger == nil && p.mode != ICMPOff {
		p.pinger = newProBing(p.mode, cmp.Or(cfg.PingCount, DefaultPingCount), p.timeout, p.log)
	}
	if p.pinger != nil {
		p.log.Info("reachability: prober ready", "icmp_mode", p.mode.String(),
			"timeout", p.timeout)
	}
	return p, nil
}

// ICMPMode returns the ICMP mode settled by [New]: [ICMPOff] when probes
// use HTTP only; with a [Config.Pinger], the mode given in [Config.ICMP].
func (p *Prober) ICMPMode() ICMPMode { return p.mode }

// Policy returns the target policy.
func (p *Prober) Policy() Policy { return p.policy }

// Probe reports whether host is alive. It never fails: every outcome,
// including an invalid or refused host, is a [Result] whose Reason says
// why. Invalid and refused literal targets are answered without any
// network traffic. Probe returns when ctx ends, with [ReasonTimeout] and
// ctx's error; a run shared with other callers goes on for them.
func (p *Prober) Probe(ctx context.Context, host string) Result {
	t, err := ParseHost(host)
	if err != nil {
		return Result{Reason: ReasonInvalid, Err: err}
	}
	key := t.String()
	if t.Port != 0 {
		if err := p.policy.CheckPort(t.Port); err != nil {
			return Result{Target: key, Reason: ReasonBlocked, Err: err}
		}
	}
	if t.IsLiteral() {
		if err := p.check("", t.Addr); err != nil {
			return Result{Target: key, Reason: ReasonBlocked, Addr: t.Addr, Err: err}
		}
	} else if !p.policy.MayResolve(t.Host) {
		// No answer of the DNS could be allowed: the query would only
		// carry a user-chosen name out of the host.
		return Result{Target: key, Reason: ReasonBlocked, Err: fmt.Errorf(
			"%w: %s: not in the allow list, which has no networks or addresses",
			ErrBlocked, t.Host)}
	}

	if res, ok := p.cache.get(key, p.now()); ok {
		res.Cached = true
		return res
	}

	ch := p.flights.DoChan(key, func() (any, error) {
		return p.flight(ctx, key, t), nil
	})
	select {
	case r := <-ch:
		res := r.Val.(Result)
		res.Shared = r.Shared
		res.Resolved = slices.Clone(res.Resolved)
		return res
	case <-ctx.Done():
		return Result{Target: key, Reason: ReasonTimeout, Err: ctx.Err()}
	}
}

// flight is the one run that concurrent callers for key share.
func (p *Prober) flight(ctx context.Context, key string, t Target) Result {
	// A caller that missed the cache just before the previous flight
	// stored its answer lands here; the answer is still good.
	if res, ok := p.cache.get(key, p.now()); ok {
		res.Cached = true
		return res
	}
	if !p.slots.TryAcquire(1) {
		return Result{Target: key, Reason: ReasonBusy, Err: ErrBusy}
	}

	// The run must not end because the caller who started it went away:
	// it keeps the caller's values, drops its cancellation and gets its
	// own deadline.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	res := p.run(ctx, t, func() {
		cancel()
		p.slots.Release(1)
	})
	res.Target = key
	p.cache.put(key, res, p.now(), p.cacheTTL)
	return res
}

// run resolves, checks and races. It returns as soon as the answer is
// known; release is called once every probe it started has returned.
func (p *Prober) run(ctx context.Context, t Target, release func()) Result {
	addr, resolved, res, ok := p.pick(ctx, t)
	if !ok {
		release()
		return res
	}
	res = p.race(ctx, t, addr, release)
	res.Resolved = resolved
	return res
}

// pick returns the one address to probe. Every address a name resolves to
// must pass the policy: a name that answers with an allowed address and a
// refused one is refused, so that the order of the answers cannot matter.
func (p *Prober) pick(ctx context.Context, t Target) (netip.Addr, []netip.Addr, Result, bool) {
	if t.IsLiteral() {
		return t.Addr.Unmap(), nil, Result{}, true
	}

	addrs, err := p.resolver.LookupNetIP(ctx, "ip", t.Host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		reason := ReasonResolveFailed
		if ctx.Err() != nil {
			reason = ReasonTimeout
		}
		return netip.Addr{}, nil, Result{Reason: reason,
			Err: fmt.Errorf("%w: %s: %w", ErrResolve, t.Host, err)}, false
	}

	for i, a := range addrs {
		addrs[i] = a.Unmap()
		if err := p.check(t.Host, addrs[i]); err != nil {
			return netip.Addr{}, addrs, Result{Reason: ReasonBlocked, Addr: addrs[i],
				Resolved: addrs, Err: err}, false
		}
	}

	// Prefer IPv4: the networks that phones and cluster nodes sit on are
	// IPv4 far more often than they are reachable over IPv6.
	best := addrs[0]
	if i := slices.IndexFunc(addrs, netip.Addr.Is4); i >= 0 {
		best = addrs[i]
	}
	return best, addrs, Result{}, true
}

// check is the policy's verdict on addr, then the refusal of the network
// and broadcast addresses of the host's own subnets.
func (p *Prober) check(name string, addr netip.Addr) error {
	if err := p.policy.CheckName(name, addr); err != nil {
		return err
	}
	return p.local.check(addr.Unmap(), p.now())
}

// race probes addr by ICMP in this goroutine and by HTTP, after its head
// start, in another; the first success cancels the other. It returns as
// soon as the answer is known and calls release once both have returned.
func (p *Prober) race(ctx context.Context, t Target, addr netip.Addr, release func()) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Whichever of the two probes ends last calls release.
	var running atomic.Int32
	running.Store(2)
	done := func() {
		if running.Add(-1) == 0 {
			release()
		}
	}

	to := pin{to: netip.AddrPortFrom(addr, t.HTTPPort())}
	if !t.IsLiteral() {
		to.name = t.Host
	}
	httpDone := make(chan error, 1)
	var httpRTT time.Duration
	runHTTP := func() {
		defer done()
		rtt, err := p.probeHTTP(ctx, t, to)
		httpRTT = rtt
		// Send before cancelling: whoever sees ctx end must find the
		// answer already there.
		httpDone <- err
		if err == nil {
			cancel()
		}
	}

	// The head start is a timer, not a waiting goroutine: when ICMP
	// answers first, HTTP costs nothing at all.
	var headStart *time.Timer
	switch err := p.policy.CheckPort(to.to.Port()); {
	case err != nil:
		httpDone <- fmt.Errorf("http: %w", err)
		done()
	case p.pinger == nil || p.delay <= 0:
		go runHTTP()
	default:
		headStart = time.AfterFunc(p.delay, runHTTP)
	}

	// ICMP runs here rather than in a goroutine of its own: one hand-over
	// less on the path of the answer that usually comes first.
	icmpErr := errors.New("icmp: off")
	if p.pinger != nil {
		rtt, err := p.pinger.Ping(ctx, addr)
		done()
		stopped := headStart != nil && headStart.Stop()
		if err == nil {
			if stopped {
				done() // HTTP never started
			}
			p.log.Debug("reachability: alive", "target", t.String(), "addr", addr,
				"method", MethodICMP, "rtt", rtt)
			return Result{Alive: true, Reason: ReasonAlive, Method: MethodICMP,
				Addr: addr, RTT: rtt}
		}
		icmpErr = err
		switch {
		case stopped && ctx.Err() != nil:
			httpDone <- fmt.Errorf("http: not started: %w", ctx.Err())
			done()
		case stopped:
			// ICMP failed within HTTP's head start: HTTP goes now.
			go runHTTP()
		}
	} else {
		done()
	}

	var httpErr error
	select {
	case httpErr = <-httpDone:
	case <-ctx.Done():
		// An answer that came with the deadline still counts.
		select {
		case httpErr = <-httpDone:
		default:
			return Result{Reason: ReasonTimeout, Addr: addr,
				Err: errors.Join(icmpErr, ctx.Err())}
		}
	}
	if httpErr == nil {
		p.log.Debug("reachability: alive", "target", t.String(), "addr", addr,
			"method", MethodHTTP, "rtt", httpRTT)
		return Result{Alive: true, Reason: ReasonAlive, Method: MethodHTTP,
			Addr: addr, RTT: httpRTT}
	}

	// Both failed: a refused connection and an ICMP error say unreachable,
	// but a probe that gave up at the deadline still means timeout.
	errs := []error{icmpErr, httpErr}
	reason := ReasonUnreachable
	if slices.ContainsFunc(errs, isTimeout) {
		reason = ReasonTimeout
	}
	return Result{Reason: reason, Addr: addr, Err: errors.Join(errs...)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, ErrNoReply) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// answerCache keeps recent answers, alive or not.
type answerCache struct {
	size int
	mu   sync.Mutex
	m    map[string]cachedAnswer
}

type cachedAnswer struct {
	res     Result
	expires time.Time
}

func (c *answerCache) get(key string, now time.Time) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.expires) {
		return Result{}, false
	}
	e.res.Resolved = slices.Clone(e.res.Resolved)
	return e.res, true
}

// put stores res unless caching is off or the answer says nothing about
// the host (busy). When the cache is full it drops expired entries, then
// an arbitrary one.
func (c *answerCache) put(key string, res Result, now time.Time, ttl time.Duration) {
	if ttl <= 0 || res.Reason == ReasonBusy {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedAnswer)
	}
	if len(c.m) >= c.size {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.size {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = cachedAnswer{res: res, expires: now.Add(ttl)}
}

// InterfacePrefixes returns the subnets configured on the host's
// interfaces, from [net.InterfaceAddrs].
func InterfacePrefixes() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		ones, _ := ipn.Mask.Size()
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.Is4() && ones > 32 {
			ones -= 96
		}
		if n, err := ip.Prefix(ones); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// localSubnets keeps the network and broadcast addresses of the host's
// own IPv4 subnets, refreshed at most once per [LocalPrefixesTTL].
type localSubnets struct {
	list func() ([]netip.Prefix, error)

	mu      sync.Mutex
	edges   map[netip.Addr]netip.Prefix
	expires time.Time
}

func (l *localSubnets) check(addr netip.Addr, now time.Time) error {
	if !addr.Is4() {
		return nil
	}
	l.mu.Lock()
	if l.edges == nil || !now.Before(l.expires) {
		if ps, err := l.list(); err == nil || l.edges == nil {
			l.edges = subnetEdges(ps)
		}
		l.expires = now.Add(LocalPrefixesTTL)
	}
	n, ok := l.edges[addr]
	l.mu.Unlock()
	if ok {
		return fmt.Errorf("%w: %v: network or broadcast address of the local subnet %v",
			ErrBlocked, addr, n)
	}
	return nil
}

// subnetEdges maps the first and last address of each IPv4 subnet of /30
// or wider to the subnet.
func subnetEdges(ps []netip.Prefix) map[netip.Addr]netip.Prefix {
	m := make(map[netip.Addr]netip.Prefix)
	for _, n := range ps {
		n = n.Masked()
		if !n.Addr().Is4() || n.Bits() > 30 {
			continue
		}
		m[n.Addr()] = n
		m[lastAddr(n)] = n
	}
	return m
}
