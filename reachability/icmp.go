package reachability

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"
	"golang.org/x/net/icmp"
)

// Pinger sends ICMP echo requests. [Prober] uses one built on pro-bing
// unless [Config.Pinger] supplies another.
type Pinger interface {
	// Ping sends echo requests to addr until the first echo reply from
	// addr arrives or ctx ends, and returns that reply's round trip. It
	// returns an error wrapping [ErrNoReply] when the requests went
	// unanswered, ctx.Err() when ctx ended first, or a socket error.
	Ping(ctx context.Context, addr netip.Addr) (time.Duration, error)
}

// ICMPMode says how the default pinger opens its socket.
type ICMPMode uint8

// ICMP modes. [ICMPAuto], the zero value, lets [New] pick the first of
// [ICMPUnprivileged] and [ICMPPrivileged] that the system allows, else
// [ICMPOff].
const (
	ICMPAuto ICMPMode = iota
	ICMPUnprivileged
	ICMPPrivileged
	ICMPOff
)

// String returns "auto", "unprivileged", "privileged" or "off".
func (m ICMPMode) String() string {
	switch m {
	case ICMPAuto:
		return "auto"
	case ICMPUnprivileged:
		return "unprivileged"
	case ICMPPrivileged:
		return "privileged"
	case ICMPOff:
		return "off"
	}
	return fmt.Sprintf("ICMPMode(%d)", uint8(m))
}

// DetectICMPMode opens and closes an ICMP socket of each kind, sending
// nothing, and returns the first kind the system allows: unprivileged
// (the process's group is in net.ipv4.ping_group_range), privileged (root
// or CAP_NET_RAW), else [ICMPOff].
func DetectICMPMode() ICMPMode {
	for _, m := range []struct {
		mode    ICMPMode
		network string
	}{{ICMPUnprivileged, "udp4"}, {ICMPPrivileged, "ip4:icmp"}} {
		c, err := icmp.ListenPacket(m.network, "0.0.0.0")
		if err == nil {
			_ = c.Close()
			return m.mode
		}
	}
	return ICMPOff
}

// DefaultPingCount is the number of echo requests one ping may send; the
// first reply ends it, the others are there for a lost packet.
const DefaultPingCount = 3

// proBing is the [Pinger] built on pro-bing.
type proBing struct {
	privileged bool
	count      int
	fallback   time.Duration // run time when ctx has no deadline
	log        *slog.Logger

	// ids hands out ICMP identifiers. Raw sockets see every echo reply
	// of the host, so privileged pingers must not share an identifier;
	// random 16-bit identifiers collide often among a few hundred.
	ids atomic.Uint32
}

func newProBing(mode ICMPMode, count int, fallback time.Duration, log *slog.Logger) *proBing {
	b := &proBing{
		privileged: mode == ICMPPrivileged,
		count:      count,
		fallback:   fallback,
		log:        log,
	}
	b.ids.Store(rand.Uint32())
	return b
}

var (
	_ Pinger         = (*proBing)(nil)
	_ probing.Logger = pingLogger{}
)

func (b *proBing) Ping(ctx context.Context, addr netip.Addr) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	timeout := b.fallback
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		// pro-bing's tickers panic on a duration that is not positive.
		return 0, context.DeadlineExceeded
	}

	// The address is already checked: hand pro-bing the literal so that
	// it never resolves anything itself.
	pg := probing.New(addr.String())
	pg.SetIPAddr(&net.IPAddr{IP: addr.AsSlice()})
	pg.SetPrivileged(b.privileged)
	if b.privileged {
		pg.SetID(int(b.ids.Add(1) & 0xffff))
	}
	pg.SetLogger(pingLogger{b.log})
	pg.Count = b.count
	pg.Interval = max(timeout/time.Duration(b.count+1), time.Millisecond)
	pg.Timeout = timeout
	pg.RecordRtts = false
	pg.RecordTTLs = false

	// pro-bing counts a reply from any source (an echo sent to a
	// broadcast address is answered by others); only addr's counts here.
	// The first one ends the ping at once instead of when Run returns,
	// which may be up to a receive poll interval later.
	got := make(chan time.Duration, 1)
	pg.OnRecv = func(pkt *probing.Packet) {
		from, ok := netip.AddrFromSlice(pkt.IPAddr.IP)
		if !ok || from.Unmap() != addr.Unmap() {
			return
		}
		select {
		case got <- pkt.Rtt:
		default:
		}
		pg.Stop()
	}

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- pg.RunWithContext(ctx) }()

	// Cancelling ctx stops Run, whose goroutines end within one receive
	// poll interval (at most about 100 ms); nobody waits for that here.
	defer cancel()
	select {
	case rtt := <-got:
		return rtt, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case err := <-done:
		select {
		case rtt := <-got:
			return rtt, nil
		default:
		}
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w from %v", ErrNoReply, addr)
	}
}

// pingLogger sends pro-bing's messages to slog at debug level: they are
// per packet, and the probe's outcome is reported by its result.
type pingLogger struct{ l *slog.Logger }

func (p pingLogger) logf(format string, v []any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug("reachability: pro-bing: " + fmt.Sprintf(format, v...))
	}
}

func (p pingLogger) Fatalf(format string, v ...any) { p.logf(format, v) }
func (p pingLogger) Errorf(format string, v ...any) { p.logf(format, v) }
func (p pingLogger) Warnf(format string, v ...any)  { p.logf(format, v) }
func (p pingLogger) Infof(format string, v ...any)  { p.logf(format, v) }
func (p pingLogger) Debugf(format string, v ...any) { p.logf(format, v) }
