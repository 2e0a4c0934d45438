// Command phonesim plays a phone that onboards with an activation code. It
// takes the code as digits, or reads it from an image of the QR code that
// the portal shows on My Phones, and redeems it at a running portal with
// the phone's MAC address and model, as a phone with a camera would:
//
//	go run ./examples/phonesim -portal http://127.0.0.1:8080 -mac 00A1B2C3D4E5 \
//		-model "Cisco 8845" (-qr FILE.png | -code 1234-5678-9012-3456)
//
// It posts {"mac", "model", "code"} to the portal's activation endpoint,
// {portal}/ucmuser/api/v1/activation, and prints the phone's new name.
// Whatever it prints from the network is quoted, control characters
// escaped, so that a portal (or whatever answers in its place) cannot move
// the cursor, recolour the terminal or forge a line; and a new name that
// is not "SEP" and the phone's own MAC is refused.
//
// It talks only to the loopback interface unless -allow-remote is given:
// the portal URL must name 127.0.0.0/8, ::1 or localhost, every connection
// is checked again once made (so a name that resolves elsewhere is refused
// too), proxies from the environment are ignored and redirects are not
// followed. Pointing a phone simulator at other people's portals is not
// what it is for.
//
// The exit status is 0 when the phone was activated, 1 when the portal
// refused, 2 on bad usage or when the portal could not be reached.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	go_qr "github.com/piglig/go-qr"

	"github.com/ucselfcare/portal/onboarding"
)

// Defaults of the flags.
const (
	defaultPortal  = "http://127.0.0.1:8080"
	defaultPrefix  = "/ucmuser/"
	defaultTimeout = 10 * time.Second
	// maxImage bounds the QR image read; the portal's are a few KiB.
	maxImage = 8 << 20
	// maxAnswer bounds the portal's answer read.
	maxAnswer = 64 << 10
)

// Exit statuses.
const (
	exitActivated = 0
	exitRefused   = 1
	exitUsage     = 2
)

// errRefused is the portal saying no; every other failure is ours or the
// network's.
var errRefused = errors.New("phonesim: the portal refused the activation")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// exitStatus reports err and maps it to the exit status.
func exitStatus(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitActivated
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
	}
	fmt.Fprintln(stderr, err)
	if errors.Is(err, errRefused) {
		return exitRefused
	}
	return exitUsage
}

// phone is what the simulator is told.
type phone struct {
	endpoint    *url.URL
	mac, model  string
	code        onboarding.Plaintext
	allowRemote bool
	timeout     time.Duration
}

// run is the whole command, apart from the process's exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	p, err := parse(args, stderr)
	if err != nil {
		return err
	}
	c := newClient(p.allowRemote, p.timeout)
	device, err := redeem(ctx, c, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "activated %s (%s)\n", device, p.model)
	return nil
}

// parse reads the flags, the QR image if any, and checks everything
// before the portal is contacted, so that a typing error costs none of the
// phone's few attempts.
func parse(args []string, stderr io.Writer) (phone, error) {
	fs := flag.NewFlagSet("phonesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	portal := fs.String("portal", defaultPortal, "the portal's base URL")
	prefix := fs.String("prefix", defaultPrefix, "the path the portal is mounted at")
	mac := fs.String("mac", "", "the phone's MAC address (required)")
	model := fs.String("model", "", `the phone's model, such as "Cisco 8845" (required)`)
	qr := fs.String("qr", "", "a PNG image of the QR code shown on My Phones")
	code := fs.String("code", "", "the activation code, in groups of four or not")
	allowRemote := fs.Bool("allow-remote", false,
		"let the portal be on another host than this one (loopback only otherwise)")
	timeout := fs.Duration("timeout", defaultTimeout, "deadline of the redemption")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: phonesim [-portal URL] -mac MAC -model MODEL "+
			"(-qr FILE.png | -code CODE) [-allow-remote]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return phone{}, err
	}
	if fs.NArg() > 0 {
		return phone{}, fmt.Errorf("phonesim: unexpected argument %q", fs.Arg(0))
	}

	p := phone{model: strings.TrimSpace(*model), allowRemote: *allowRemote,
		timeout: *timeout}
	var err error
	if p.mac, err = onboarding.ParseMAC(*mac); err != nil {
		return phone{}, fmt.Errorf("phonesim: -mac %q: %w", *mac, err)
	}
	if p.model == "" {
		return phone{}, errors.New("phonesim: -model is required")
	}
	raw := *code
	switch {
	case (*qr == "") == (*code == ""):
		return phone{}, errors.New("phonesim: give exactly one of -qr and -code")
	case *qr != "":
		if raw, err = readQR(*qr); err != nil {
			return phone{}, err
		}
	}
	if p.code, err = onboarding.Normalize(raw); err != nil {
		return phone{}, fmt.Errorf("phonesim: the code: %w", err)
	}
	if p.endpoint, err = endpoint(*portal, *prefix, *allowRemote); err != nil {
		return phone{}, err
	}
	return p, nil
}

// readQR returns the text of the QR code in a PNG file.
func readQR(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("phonesim: -qr: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(io.LimitReader(f, maxImage))
	if err != nil {
		return "", fmt.Errorf("phonesim: -qr %s: not a PNG image: %w", path, err)
	}
	text, err := go_qr.Decode(img)
	if err != nil {
		return "", fmt.Errorf("phonesim: -qr %s: no QR code found: %w", path, err)
	}
	return text, nil
}

// endpoint returns the activation endpoint of the portal at base, which
// must be on loopback unless allowRemote.
func endpoint(base, prefix string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil {
		return nil, fmt.Errorf("phonesim: -portal %q: want http or https://HOST[:PORT]",
			base)
	}
	if !allowRemote && !loopbackName(u.Hostname()) {
		return nil, fmt.Errorf("phonesim: -portal %q is not on this host; the simulator "+
			"talks to loopback only unless -allow-remote is given", base)
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("phonesim: -prefix %q must start and end with a slash", prefix)
	}
	return u.JoinPath(prefix, "api/v1/activation"), nil
}

// loopbackName reports whether host is a loopback address or localhost.
func loopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// newClient returns the HTTP client of the simulator: no proxy, no
// redirects, and unless allowRemote a dialer that refuses any connection
// whose peer is not a loopback address, whatever a name resolved to.
func newClient(allowRemote bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowRemote {
		d.ControlContext = loopbackOnly
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext,
			TLSHandshakeTimeout: timeout, MaxIdleConns: 1},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// loopbackOnly is a dialer's control function: it runs once the socket
// exists and before it connects, with the address a name resolved to, and
// refuses any that is not loopback.
func loopbackOnly(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("phonesim: %s is not a loopback address", address)
	}
	return nil
}

// redeem posts the phone's activation and returns its new device name.
func redeem(ctx context.Context, c *http.Client, p phone) (string, error) {
	body, err := json.Marshal(struct {
		MAC   string `json:"mac"`
		Model string `json:"model"`
		Code  string `json:"code"`
	}{p.mac, p.model, p.code.Reveal()})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint.String(),
		bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "phonesim ("+p.model+")")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("phonesim: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("phonesim: reading the answer: %w", err)
	}

	// The status line's text is the server's; its number and Go's text
	// for it are not.
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode == http.StatusOK {
		var out struct {
			Device string `json:"device"`
		}
		if err := json.Unmarshal(data, &out); err != nil || out.Device == "" {
			return "", fmt.Errorf("phonesim: the portal answered 200 without a device name")
		}
		if out.Device != onboarding.PrefixMAC+p.mac {
			return "", fmt.Errorf("phonesim: the portal answered 200 with the device name "+
				"%s, not %s%s, the name a phone with this MAC gets",
				quote(out.Device), onboarding.PrefixMAC, p.mac)
		}
		return out.Device, nil
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
		return "", fmt.Errorf("phonesim: %s answered %s; is it a Self Care portal?",
			p.endpoint, status)
	}
	if resp.StatusCode >= 500 {
		return "", fmt.Errorf("phonesim: the portal failed: %s (%s)", quote(e.Error.Message),
			status)
	}
	return "", fmt.Errorf("%w: %s (%s, %s)", errRefused, quote(e.Error.Message), status,
		quote(e.Error.Code))
}

// maxQuoted bounds how much of a text from the network is printed.
const maxQuoted = 200

// quote makes a text from the network safe to print on a terminal: quoted,
// with control characters (escape sequences, line breaks) and everything
// outside printable ASCII escaped, and cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return strconv.QuoteToASCII(s)
}
