package reachability

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Dialer opens the TCP connection of the HTTP probe. *[net.Dialer]
// satisfies it; [Config.Dialer] replaces the default one in tests.
type Dialer interface {
	// DialContext connects to address, an "ip:port" literal that the
	// policy has already allowed, and returns the connection or the dial
	// error.
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

var _ Dialer = (*net.Dialer)(nil)

// Limits of what the HTTP probe reads. Any response is proof of life, so
// the probe reads the status line and headers through one small buffer and
// closes the connection without reading the body.
const (
	httpReadBuffer  = 4 << 10
	httpMaxHeaders  = 16 << 10
	httpUserAgent   = "selfcare-hostalive/1"
	httpDialNetwork = "tcp"
)

// pin is what the HTTP probe may connect to: the address that passed the
// policy, for the name (or literal) that the user asked about.
type pin struct {
	name string // DNS name, or "" for an IP literal target
	to   netip.AddrPort
}

// probeHTTP sends one GET of http://target/ to the pinned address and
// returns the time to the response headers. Any response, whatever its
// status, is success; redirects are returned, not followed.
func (p *Prober) probeHTTP(ctx context.Context, t Target, to pin) (time.Duration, error) {
	client := p.httpClient(ctx, to)
	defer client.CloseIdleConnections()

	// The URL keeps the user's host so that the Host header is the name
	// that was asked about; the dialer, not the URL, decides the address.
	u := url.URL{Scheme: "http", Host: t.String(), Path: "/"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("http: %w", err)
	}
	req.Header.Set("User-Agent", httpUserAgent)

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("http: %w", err)
	}
	rtt := time.Since(start)
	_ = resp.Body.Close()
	return rtt, nil
}

// httpClient returns a client for one probe. A transport per probe costs
// an allocation and buys that no connection, dial or pin is ever shared
// between probes.
func (p *Prober) httpClient(ctx context.Context, to pin) *http.Client {
	tr := &http.Transport{
		// An explicit nil: a proxy would make the dialer see the proxy's
		// address instead of the target's.
		Proxy: nil,
		// The transport detaches its dials from the request's
		// cancellation; dialing under the probe's own ctx instead makes
		// a lost race stop the dial too.
		DialContext: func(_ context.Context, _, _ string) (net.Conn, error) {
			return p.dialPinned(ctx, to)
		},
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: httpMaxHeaders,
		ReadBufferSize:         httpReadBuffer,
		WriteBufferSize:        httpReadBuffer,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// dialPinned connects to the pinned address whatever address the transport
// asks for, after checking it once more against the policy.
func (p *Prober) dialPinned(ctx context.Context, to pin) (net.Conn, error) {
	if err := p.checkPin(to, to.to.String()); err != nil {
		return nil, err
	}
	d := p.dialer
	if d == nil {
		d = &net.Dialer{
			KeepAlive: -1,
			// Control runs on the socket about to connect, after any
			// resolution, with the literal address it connects to.
			Control: func(_, address string, _ syscall.RawConn) error {
				return p.checkPin(to, address)
			},
		}
	}
	return d.DialContext(ctx, httpDialNetwork, to.to.String())
}

// errNotPinned is returned when a connection would go anywhere but the
// address that passed the policy.
var errNotPinned = errors.New("connection target is not the checked address")

// checkPin checks an "ip:port" that a connection is about to use.
func (p *Prober) checkPin(to pin, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrBlocked, address, err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if ap != to.to {
		return fmt.Errorf("%w: %v: %w", ErrBlocked, ap, errNotPinned)
	}
	if err := p.policy.CheckName(to.name, ap.Addr()); err != nil {
		return err
	}
	return p.policy.CheckPort(ap.Port())
}
