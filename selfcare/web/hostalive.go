package web

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ucselfcare/portal/reachability"
	"github.com/ucselfcare/portal/selfcare"
)

// routesHostAlive adds GET {prefix}hostAlive/{host}, the reachability probe
// of Cisco's portal. The wildcard takes the rest of the path, so that a
// "host" with a slash in it is answered false like any other bad host
// instead of falling through to a 404.
func (h *Handler) routesHostAlive() {
	h.mux.Handle("GET "+h.cfg.Prefix+"hostAlive/{host...}", h.page(h.hostAlive))
}

// hostAlive answers the bare word true or false, in text/plain without a
// newline, as the reference portal does; scripts compare the body as is.
//
// It is called by scripts, not followed by a person, so a missing session
// is a 401, not a redirect to the login page. A request that a browser
// marks as cross-site is refused before anything else: the session
// cookie is SameSite=Strict and would not be sent anyway, and a probe
// sends packets, so it is treated like a change of state.
func (h *Handler) hostAlive(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errCrossOrigin
	}
	p, err := h.authenticate(r)
	if errors.Is(err, selfcare.ErrUnauthenticated) {
		if h.sessionToken(r) != "" {
			h.clearSessionCookie(w)
		}
		w.Header().Set("WWW-Authenticate", `Cookie realm="selfcare"`)
	}
	if err != nil {
		return err
	}

	alive, err := h.svc.HostAlive(r.Context(), p, r.PathValue("host"), remoteAddr(r))
	if rl, ok := errors.AsType[*selfcare.RateLimitError](err); ok {
		w.Header().Set("Retry-After", retryAfter(rl.RetryAfter))
	}
	if err != nil {
		return err
	}

	body := strconv.FormatBool(alive)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
	return nil
}

// retryAfter renders a wait as Retry-After seconds, rounded up so that a
// client that waits as told finds a token.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// ReachabilityProber is the [selfcare.HostProber] of package
// reachability. Its target policy allows the cluster's servers, which the
// service passes with every probe, and the servers, networks and ports of
// its own configuration. It keeps one [reachability.Prober] for the
// cluster it last saw and builds a new one when the cluster changes, which
// an administrator does rarely; answers cached by the old one are then
// forgotten. It is safe for concurrent use.
type ReachabilityProber struct {
	servers []string
	policy  reachability.PolicyConfig
	cfg     reachability.Config
	log     *slog.Logger

	// mu serialises rebuilds; probes read cur without it.
	mu  sync.Mutex
	cur atomic.Pointer[clusterProber]
}

// clusterProber is the prober for one cluster, keyed by its server names.
type clusterProber struct {
	key    string
	prober *reachability.Prober
}

var _ selfcare.HostProber = (*ReachabilityProber)(nil)

// NewReachabilityProber returns a prober whose policy allows servers and
// what policy lists, plus the cluster's servers at each probe. It builds
// the first [reachability.Prober] at once, for an empty cluster, so that
// the ICMP socket kind is settled here and a missing permission is logged
// at start (by cfg.Logger); later probers reuse that kind without looking
// again, though when ICMP is unavailable each one repeats the warning. The
// error wraps [reachability.ErrInvalidPolicy] or
// [reachability.ErrInvalidConfig].
func NewReachabilityProber(servers []string, policy reachability.PolicyConfig,
	cfg reachability.Config) (*ReachabilityProber, error) {
	pol, err := reachability.NewPolicy(servers, policy)
	if err != nil {
		return nil, err
	}
	first, err := reachability.New(pol, cfg)
	if err != nil {
		return nil, err
	}
	r := &ReachabilityProber{servers: slices.Clone(servers), policy: policy, cfg: cfg,
		log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.cfg.ICMP = first.ICMPMode()
	r.cur.Store(&clusterProber{prober: first})
	return r, nil
}

// ProbeHost probes host under the policy for cluster and reports the result
// in the service's terms.
func (r *ReachabilityProber) ProbeHost(ctx context.Context, host string,
	cluster []string) selfcare.ProbeVerdict {
	res := r.forCluster(cluster).Probe(ctx, host)
	v := selfcare.ProbeVerdict{Alive: res.Alive, Target: res.Target,
		Method: string(res.Method), Reason: res.Reason.String(), RTT: res.RTT, Err: res.Err}
	for _, addr := range res.Resolved {
		v.Addrs = append(v.Addrs, addr.String())
	}
	// A literal target resolves to nothing; its address is the one that
	// was checked, or probed.
	if len(v.Addrs) == 0 && res.Addr.IsValid() {
		v.Addrs = []string{res.Addr.String()}
	}
	return v
}

// forCluster returns the prober for cluster, building it on the first
// probe after a change.
func (r *ReachabilityProber) forCluster(cluster []string) *reachability.Prober {
	names := make([]string, len(cluster))
	for i, n := range cluster {
		names[i] = strings.ToLower(n)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	key := strings.Join(names, ",")
	if c := r.cur.Load(); c.key == key {
		return c.prober
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cur.Load(); c.key == key {
		return c.prober
	}
	p, err := r.build(names)
	if err != nil {
		// Every part was checked on its own, so this is not expected.
		// The old prober stays, under the new key so that the next probe
		// does not try and log again.
		r.log.Error("hostAlive: no target policy for the cluster; keeping the old one",
			"cluster", key, "err", err)
		p = r.cur.Load().prober
	}
	r.cur.Store(&clusterProber{key: key, prober: p})
	return p
}

// build makes the prober for a cluster. A server that cannot be probed (a
// name outside the probe grammar, an address in an always-refused range) is
// left out with a warning rather than costing the others their place.
func (r *ReachabilityProber) build(cluster []string) (*reachability.Prober, error) {
	servers := slices.Clone(r.servers)
	for _, name := range cluster {
		_, err := reachability.NewPolicy([]string{name}, reachability.PolicyConfig{
			Lab: r.policy.Lab})
		if err != nil {
			r.log.Warn("hostAlive: cluster server left out of the target policy",
				"server", name, "err", err)
			continue
		}
		servers = append(servers, name)
	}
	pol, err := reachability.NewPolicy(servers, r.policy)
	if err != nil {
		return nil, err
	}
	r.log.Info("hostAlive: target policy follows the cluster", "servers", cluster)
	return reachability.New(pol, r.cfg)
}
