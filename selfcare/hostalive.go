package selfcare

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ActionHostAlive is the audit action of a hostAlive probe. Every probe
// that reaches the prober is recorded, and so is the first refusal of a
// run of rate-limited ones.
const ActionHostAlive = "hostalive"

// Defaults of the hostAlive budget in [Config]: one probe a second per
// user, with up to ten saved for a page that checks a few phones at once.
const (
	DefaultHostAliveEvery = time.Second
	DefaultHostAliveBurst = 10
)

// ErrRateLimited means the caller has used up a per-user budget and should
// try again later; a [*RateLimitError] matches it and says when.
var ErrRateLimited = errors.New("selfcare: too many requests")

// RateLimitError is a refusal by a per-user budget. errors.Is(err,
// [ErrRateLimited]) is true for it.
type RateLimitError struct {
	// RetryAfter is how long the caller must wait for the budget to allow
	// the next request.
	RetryAfter time.Duration
}

// Error says the budget is used up and when to come back.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrRateLimited, e.RetryAfter)
}

// Is reports whether target is [ErrRateLimited].
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// HostProber answers whether a host is alive. The service declares it
// rather than calling package reachability, which opens sockets; package
// web implements it on a reachability prober (web.ReachabilityProber).
type HostProber interface {
	// ProbeHost reports whether host, the text the user put after
	// hostAlive/ in the path, is alive. cluster names the cluster's
	// configured servers as the parameters hold them now; the target
	// policy allows them besides what the prober's own configuration
	// allows. ProbeHost never fails: a refused or malformed host, a
	// timeout and a busy prober are all verdicts whose Reason says why.
	// It returns when ctx ends at the latest.
	ProbeHost(ctx context.Context, host string, cluster []string) ProbeVerdict
}

// ProbeVerdict is the outcome of one [HostProber.ProbeHost], in the terms
// the audit trail needs. Only Alive ever reaches the user.
type ProbeVerdict struct {
	Alive bool
	// Target is the host in normalized form; empty when the input was not
	// a host at all.
	Target string
	// Method is the probe that answered ("icmp", "http"); empty unless
	// Alive.
	Method string
	// Reason says how the verdict was reached: "alive", "invalid",
	// "blocked by policy", "timeout", "unreachable", "busy", ...
	Reason string
	// Addrs are the addresses the host resolved to, or the address given.
	Addrs []string
	// RTT is the round trip of the probe that answered.
	RTT time.Duration
	// Err explains a false verdict for administrators; nil when Alive.
	Err error
}

// HostAlive reports whether host is alive for the hostAlive route of
// Cisco's portal, whose answer is only true or false. The prober in
// [Config.Prober] decides which hosts may be probed at all: the cluster's
// servers (see [Service.Servers]) and what its own configuration allows.
// A refused host is simply not alive.
//
// It returns ErrUnauthenticated without a principal,
// ErrPasswordChangeRequired while the user must change their password,
// ErrForbidden for a principal without Self Care access or when no prober
// is configured (the route is switched off), a [*RateLimitError] when the
// user has used up their probe budget, and a wrapped store error when the
// cluster's servers cannot be read. A probe that ran, whatever its
// verdict, is not an error. Every probe that ran is audited with the
// target, its addresses and the verdict with its reason.
func (s *Service) HostAlive(ctx context.Context, p *Principal, host, remoteAddr string) (
	bool, error) {
	if err := s.ready(p); err != nil {
		return false, err
	}
	if !p.Grant.SelfCare() {
		return false, ErrForbidden
	}
	ha := s.hostAlive
	if ha.prober == nil {
		return false, fmt.Errorf("selfcare: host alive: no prober configured: %w", ErrForbidden)
	}

	// The budget is spent before probing, so that malformed and refused
	// hosts cost the same as real probes and cannot be sent in bulk.
	now := s.now()
	wait, first, ok := ha.limits.allow(p.User.ID, now)
	if !ok {
		// A client hammering the route would otherwise write a row per
		// refusal; the first one of a run is enough to see it.
		if first {
			s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionHostAlive,
				Target: host, Outcome: OutcomeDenied, RemoteAddr: remoteAddr,
				Detail: "rate limited; later refusals are not recorded until a probe is allowed"})
		}
		return false, &RateLimitError{RetryAfter: wait}
	}

	// The servers come from the parameters in force for every probe, so
	// that a server an administrator adds or removes counts at once.
	servers, err := s.Servers(ctx, LocalCaller(""))
	if err != nil {
		return false, fmt.Errorf("selfcare: host alive: %w", err)
	}
	cluster := make([]string, len(servers))
	for i, srv := range servers {
		cluster[i] = srv.Name
	}

	v := ha.prober.ProbeHost(ctx, host, cluster)
	target := v.Target
	if target == "" {
		target = host
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionHostAlive, Target: target,
		Outcome: probeOutcome(v), Detail: probeDetail(v), RemoteAddr: remoteAddr})
	return v.Alive, nil
}

// Reasons of a [ProbeVerdict] that refuse the target rather than report on
// it; their audit outcome is "denied".
const (
	probeReasonInvalid = "invalid"
	probeReasonBlocked = "blocked by policy"
)

func probeOutcome(v ProbeVerdict) string {
	switch {
	case v.Alive:
		return OutcomeOK
	case v.Reason == probeReasonInvalid, v.Reason == probeReasonBlocked:
		return OutcomeDenied
	}
	return OutcomeFailed
}

// probeDetail renders a verdict for the audit trail, the prober's error
// last, since the trail bounds the field and the error is the longest part.
func probeDetail(v ProbeVerdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%t (%s", v.Alive, v.Reason)
	if v.Alive {
		fmt.Fprintf(&b, ", %s, rtt %v", v.Method, v.RTT.Round(time.Microsecond))
	}
	b.WriteString("); addrs ")
	if len(v.Addrs) == 0 {
		b.WriteString("none")
	} else {
		b.WriteString(strings.Join(v.Addrs, " "))
	}
	if v.Err != nil {
		// A failed race joins one error a line; the trail keeps one line.
		b.WriteString("; ")
		b.WriteString(strings.ReplaceAll(v.Err.Error(), "\n", "; "))
	}
	return b.String()
}

// BUG(hostalive): the per-user probe budget lives in process memory, so N
// portal processes sharing one store allow a user N times the budget; and
// there is no budget across users beyond the prober's own bound on probes
// in flight.

// hostAlive is the service's hostAlive state: the prober and the budgets.
type hostAlive struct {
	prober HostProber
	limits *probeLimits
}

func newHostAlive(cfg Config) *hostAlive {
	every, burst := cfg.HostAliveEvery, cfg.HostAliveBurst
	if every <= 0 {
		every = DefaultHostAliveEvery
	}
	if burst == 0 || burst < NoLimit {
		burst = DefaultHostAliveBurst
	}
	return &hostAlive{prober: cfg.Prober, limits: newProbeLimits(every, burst)}
}

// probeLimits holds one token bucket per user. A bucket that has refilled
// completely is the same as a new one, so buckets idle that long are
// dropped: memory follows the users probing now, not every user who ever
// probed.
type probeLimits struct {
	every time.Duration
	burst int           // NoLimit: every probe is allowed
	idle  time.Duration // a bucket unused this long is full again

	mu    sync.Mutex
	users map[string]*probeLimit
	swept time.Time
}

type probeLimit struct {
	bucket *rate.Limiter
	used   time.Time
	// refused is set by a refusal and cleared by an allowed probe, so that
	// only the first refusal of a run is audited.
	refused bool
}

func newProbeLimits(every time.Duration, burst int) *probeLimits {
	return &probeLimits{every: every, burst: burst,
		idle: every * time.Duration(max(burst, 1)), users: make(map[string]*probeLimit)}
}

// allow spends one of user's tokens. When none is left it returns how long
// until the next one, and whether this is the first refusal since the
// user's last allowed probe.
func (l *probeLimits) allow(user string, now time.Time) (wait time.Duration, first, ok bool) {
	if l.burst == NoLimit {
		return 0, false, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)

	u := l.users[user]
	if u == nil {
		u = &probeLimit{bucket: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.users[user] = u
	}
	u.used = now
	if u.bucket.AllowN(now, 1) {
		u.refused = false
		return 0, false, true
	}
	first = !u.refused
	u.refused = true
	missing := 1 - u.bucket.TokensAt(now)
	return time.Duration(missing * float64(l.every)), first, false
}

// sweep drops the buckets that have been idle long enough to be full, at
// most once per idle period, so its cost is spread over many calls.
func (l *probeLimits) sweep(now time.Time) {
	if now.Sub(l.swept) < l.idle {
		return
	}
	for id, u := range l.users {
		if now.Sub(u.used) >= l.idle {
			delete(l.users, id)
		}
	}
	l.swept = now
}
