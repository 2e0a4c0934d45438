package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	go_qr "github.com/piglig/go-qr"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// portal is a Self Care portal on a loopback test server, with one user
// and one phone awaiting activation, bound to its model.
type portal struct {
	url    string
	device string
	code   onboarding.Plaintext
}

func startPortal(t *testing.T) portal {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	sealer, err := onboarding.NewSealer(bytes.Repeat([]byte{3}, onboarding.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc := selfcare.New(store, selfcare.Config{
		Hash:       selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1},
		Onboarding: selfcare.OnboardingConfig{Store: store.Onboarding(), Sealer: sealer},
	})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateUser(ctx, "", selfcare.User{ID: "ann"}, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "ann"); err != nil {
		t.Fatal(err)
	}
	da, err := svc.DeviceAdmin(selfcare.LocalCaller("test"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := da.Provision(ctx, onboarding.Provision{Model: "Cisco 8845", Owner: "ann"}, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := da.IssueCode(ctx, d.Name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return portal{url: srv.URL, device: d.Name, code: rc.Code}
}

// qrFile writes a PNG of the QR code of text, as the portal draws it.
func qrFile(t *testing.T, text string) string {
	t.Helper()
	qr, err := go_qr.EncodeText(text, go_qr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	data, err := qr.ToPNGBytes(go_qr.NewQrCodeImgConfig(8, 4))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sim runs the simulator and returns its output and exit status.
func sim(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	status := exitStatus(run(ctx, args, &out, &errOut), &errOut)
	return out.String(), errOut.String(), status
}

func TestPhoneRedeemsTheQRCodeOnce(t *testing.T) {
	p := startPortal(t)
	png := qrFile(t, p.code.Reveal())

	out, errOut, status := sim(t, "-portal", p.url, "-mac", "00:a1:b2:c3:d4:e5",
		"-model", "Cisco 8845", "-qr", png)
	if status != exitActivated || !strings.Contains(out, "activated SEP00A1B2C3D4E5") {
		t.Fatalf("first run: status %d, out %q, err %q", status, out, errOut)
	}

	// The same code again, typed this time: the portal refuses.
	out, errOut, status = sim(t, "-portal", p.url, "-mac", "00A1B2C3D4E5",
		"-model", "Cisco 8845", "-code", p.code.Grouped())
	if status != exitRefused || !strings.Contains(errOut, "activation_failed") {
		t.Errorf("second run: status %d, out %q, err %q; want a refusal", status, out, errOut)
	}
}

func TestPhoneOfAnotherModelIsRefused(t *testing.T) {
	p := startPortal(t)
	_, errOut, status := sim(t, "-portal", p.url, "-mac", "00A1B2C3D4E5",
		"-model", "Cisco 7841", "-code", p.code.Reveal())
	if status != exitRefused {
		t.Errorf("status %d (%s), want the portal's refusal", status, errOut)
	}
	// The right model still works: a refusal spends nothing.
	if _, errOut, status := sim(t, "-portal", p.url, "-mac", "00A1B2C3D4E5",
		"-model", "Cisco 8845", "-code", p.code.Reveal()); status != exitActivated {
		t.Errorf("right model after a refusal: %d (%s)", status, errOut)
	}
}

func TestBadUsageReachesNoPortal(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.png")
	if err := os.WriteFile(junk, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	notACode := qrFile(t, "https://example.com/")
	good := []string{"-mac", "00A1B2C3D4E5", "-model", "Cisco 8845"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a remote portal is refused", append([]string{"-portal", "http://192.0.2.10:8080",
			"-code", "1234567812345678"}, good...), "-allow-remote"},
		{"a remote name is refused", append([]string{"-portal", "https://portal.example",
			"-code", "1234567812345678"}, good...), "-allow-remote"},
		{"another scheme is refused", append([]string{"-portal", "ftp://127.0.0.1",
			"-code", "1234567812345678"}, good...), "want http"},
		{"a bad MAC is refused", []string{"-mac", "00A1B2", "-model", "x",
			"-code", "1234567812345678"}, "-mac"},
		{"no model is refused", []string{"-mac", "00A1B2C3D4E5",
			"-code", "1234567812345678"}, "-model"},
		{"both code sources are refused", append([]string{"-code", "1234567812345678",
			"-qr", junk}, good...), "exactly one"},
		{"a short code is refused", append([]string{"-code", "1234-5678"}, good...),
			"16 digits"},
		{"an image that is no PNG is refused", append([]string{"-qr", junk}, good...),
			"not a PNG"},
		{"a QR code without a code is refused", append([]string{"-qr", notACode},
			good...), "16 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, status := sim(t, tc.args...)
			if status != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("status %d, stderr %q; want usage error mentioning %q", status,
					errOut, tc.want)
			}
		})
	}
}

func TestLoopbackNames(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "localhost": true,
		"LocalHost": true, "::ffff:127.0.0.1": true,
		"10.0.0.1": false, "192.0.2.1": false, "localhost.example": false, "": false,
		"0.0.0.0": false,
	} {
		if got := loopbackName(host); got != want {
			t.Errorf("loopbackName(%q) = %t, want %t", host, got, want)
		}
	}
}

func TestDialerAllowsLoopbackOnly(t *testing.T) {
	// The check sees the address that a name resolved to, before the socket
	// connects; it is called here directly, so that no test dials out.
	for addr, ok := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:443": true, "[::ffff:127.0.0.1]:80": true,
		"192.0.2.1:80": false, "[2001:db8::1]:443": false, "10.1.2.3:8080": false,
	} {
		err := loopbackOnly(context.Background(), "tcp", addr, nil)
		if (err == nil) != ok {
			t.Errorf("loopbackOnly(%s) = %v, want allowed=%t", addr, err, ok)
		}
	}
	// And it is in the client's dialer unless -allow-remote.
	tr := newClient(false, time.Second).Transport.(*http.Transport)
	if tr.Proxy != nil || tr.DialContext == nil {
		t.Error("the client may use a proxy or the default dialer")
	}
}

// hostile is a server that answers every activation with status and
// body, as a portal that is not one might.
func hostile(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// rawStatus is a server whose status line carries text of its choosing.
func rawStatus(t *testing.T, line string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
			line)
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNetworkTextIsPrintedEscaped(t *testing.T) {
	const mac = "00A1B2C3D4E5"
	tests := []struct {
		name   string
		url    string
		status int
		want   string // in the escaped output
	}{
		{"an escape sequence in the new name is refused",
			hostile(t, 200, `{"device":"\u001b[2J\u001b[31mSEP00A1B2C3D4E5"}`),
			exitUsage, `\x1b[2J`},
		{"a line break in the new name is refused",
			hostile(t, 200, `{"device":"SEP00A1B2C3D4E5\nactivated SEP000000000001"}`),
			exitUsage, `\nactivated`},
		{"another phone's name is refused",
			hostile(t, 200, `{"device":"SEP001122334455"}`), exitUsage, "SEP001122334455"},
		{"a name that is no SEP name is refused",
			hostile(t, 200, `{"device":"BAT00A1B2C3D4E5"}`), exitUsage, "BAT00A1B2C3D4E5"},
		{"control characters in a refusal are escaped",
			hostile(t, 403, `{"error":{"code":"no\u001b]0;pwned\u0007",`+
				`"message":"Refused.\r\nactivated SEP00A1B2C3D4E5\u009b"}}`),
			exitRefused, `\r\nactivated`},
		{"control characters in a failure are escaped",
			hostile(t, 500, `{"error":{"code":"internal","message":"\u001b[5mboom"}}`),
			exitUsage, `\x1b[5mboom`},
		{"the status line's text is not printed",
			rawStatus(t, "418 \x1b[31mteapot"), exitUsage, "418 I'm a teapot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, status := sim(t, "-portal", tc.url, "-mac", mac,
				"-model", "Cisco 8845", "-code", "1234-5678-9012-3456")
			printed := out + errOut
			if status != tc.status || !strings.Contains(printed, tc.want) {
				t.Errorf("status %d, output %q; want %d mentioning %q", status, printed,
					tc.status, tc.want)
			}
			if strings.ContainsFunc(strings.TrimSuffix(printed, "\n"), func(r rune) bool {
				return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0
			}) {
				t.Errorf("control characters printed: %q", printed)
			}
		})
	}
}
