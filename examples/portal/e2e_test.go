package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source shared by the server and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// credential is one line of demo-credentials.txt.
type credential struct{ id, password, pin, purpose string }

func readCredentials(t testing.TB, dir string) []credential {
	t.Helper()
	path := filepath.Join(dir, demoCredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []credential
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("credentials line %q has %d fields, want 4", line, len(f))
		}
		out = append(out, credential{f[0], f[1], f[2], f[3]})
	}
	return out
}

// client is a browser-like HTTP client with its own cookie jar.
type client struct {
	t    testing.TB
	base string // http://host:port
	http *http.Client
}

func newClient(t testing.TB, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// do sends one request and returns the status and body.
func (c *client) do(method, path string, body any, hdr map[string]string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string: // a form
		rd, ctype = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

func (c *client) login(id, password string) (int, string) {
	c.t.Helper()
	return c.do("POST", "/ucmuser/api/v1/session",
		map[string]string{"userId": id, "password": password}, nil)
}

func expect(t testing.TB, what string, gotStatus, wantStatus int, body string) {
	t.Helper()
	if gotStatus != wantStatus {
		t.Fatalf("%s: status %d, want %d; body: %.300s", what, gotStatus, wantStatus, body)
	}
}

// runCLI runs the admin command line on the data folder, as an operator
// would while the server runs.
func runCLI(t testing.TB, dir string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	full := append([]string{"admin", "-data", dir}, args...)
	err := run(context.Background(), full, func(string) string { return "" },
		strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("portal %s: %v\n%s", strings.Join(full, " "), err, errOut.String())
	}
	return out.String()
}

// TestEndToEnd starts the real server on SQLite in a temporary folder and
// goes through the portal the way a user and an operator would.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	srv, err := openServer(context.Background(), options{
		Addr: "127.0.0.1:0", DataDir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	base := strings.TrimSuffix(srv.URL(), "/ucmuser/")

	creds := readCredentials(t, dir)
	if len(creds) != 3 {
		t.Fatalf("got %d demo users, want 3", len(creds))
	}
	user, norole := creds[0], creds[1]

	// The portal's pages start at the login page.
	anon := newClient(t, base)
	st, body := anon.do("GET", "/ucmuser/login", nil, nil)
	expect(t, "login page", st, http.StatusOK, body)
	if !strings.Contains(body, `name="password"`) {
		t.Fatalf("login page has no password field: %.300s", body)
	}
	st, body = anon.do("GET", "/ucmuser/phones", nil, nil)
	expect(t, "phones page without session", st, http.StatusSeeOther, body)
	st, body = anon.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "me without session", st, http.StatusUnauthorized, body)

	// The end user logs in and lists their phones, in the API and the page.
	alice := newClient(t, base)
	st, body = alice.login(user.id, user.password)
	expect(t, "login", st, http.StatusCreated, body)
	st, body = alice.do("GET", "/ucmuser/api/v1/phones", nil, nil)
	expect(t, "phones", st, http.StatusOK, body)
	var phones struct {
		Phones []struct {
			Name  string
			Lines []struct{ Extension string }
		}
	}
	if err := json.Unmarshal([]byte(body), &phones); err != nil {
		t.Fatal(err)
	}
	if len(phones.Phones) != 3 || len(phones.Phones[0].Lines) == 0 {
		t.Fatalf("phones = %+v, want three phones with lines", phones.Phones)
	}
	st, body = alice.do("GET", "/ucmuser/phones", nil, nil)
	expect(t, "phones page", st, http.StatusOK, body)
	if !strings.Contains(body, phones.Phones[0].Name) || !strings.Contains(body, "2001") {
		t.Fatalf("phones page lacks the phone or its line: %.500s", body)
	}

	// Refusals look alike whatever the cause: wrong password, no role,
	// unknown user.
	st, wrongBody := anon.login(user.id, user.password+"x")
	expect(t, "wrong password", st, http.StatusUnauthorized, wrongBody)
	st, body = anon.login(norole.id, norole.password)
	expect(t, "user without the role", st, http.StatusUnauthorized, body)
	if body != wrongBody {
		t.Errorf("refusal for missing role differs from wrong password:\n%s\n%s", body, wrongBody)
	}
	st, body = anon.login("nobody.here", "whatever-password")
	expect(t, "unknown user", st, http.StatusUnauthorized, body)
	if body != wrongBody {
		t.Errorf("refusal for unknown user differs from wrong password")
	}

	// An operator adds a user with the command line while the server runs;
	// the server sees the new group membership at once.
	out := runCLI(t, dir, "user", "add", "lock.me", "-first", "Lou")
	lockPW := field(t, out, "password")
	runCLI(t, dir, "group", "add-member", "Standard CCM End Users", "lock.me")
	lou := newClient(t, base)
	st, body = lou.login("lock.me", lockPW)
	expect(t, "new user login", st, http.StatusCreated, body)
	if !strings.Contains(body, `"mustChangePassword":true`) {
		t.Errorf("new user must change the password: %s", body)
	}

	// Three bad passwords lock the account; then the right one fails too.
	for i := range 3 {
		st, body = anon.login("lock.me", "not-the-password")
		expect(t, "bad password "+string(rune('1'+i)), st, http.StatusUnauthorized, body)
	}
	st, body = anon.login("lock.me", lockPW)
	expect(t, "login while locked", st, http.StatusUnauthorized, body)
	if body != wrongBody {
		t.Errorf("refusal for a locked account differs from wrong password")
	}
	out = runCLI(t, dir, "audit", "-user", "lock.me", "-action", "login.failed", "-n", "5")
	if !strings.Contains(out, "account now locked") || !strings.Contains(out, "account locked out") {
		t.Errorf("audit trail does not record the lockout:\n%s", out)
	}

	// Password change: a second session of the user ends, the current one
	// stays, the old password stops working.
	other := newClient(t, base)
	st, body = other.login(user.id, user.password)
	expect(t, "second session", st, http.StatusCreated, body)
	newPW := "amber tractor velvet harbour"
	st, body = alice.do("PUT", "/ucmuser/api/v1/password", map[string]string{
		"currentPassword": user.password, "newPassword": newPW}, nil)
	expect(t, "password change", st, http.StatusNoContent, body)
	st, body = other.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "other session after password change", st, http.StatusUnauthorized, body)
	st, body = alice.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "own session after password change", st, http.StatusOK, body)
	st, body = anon.login(user.id, user.password)
	expect(t, "old password", st, http.StatusUnauthorized, body)

	// PIN change: a trivial PIN is refused with a reason, a good one taken.
	st, body = alice.do("PUT", "/ucmuser/api/v1/pin", map[string]string{
		"currentPassword": newPW, "newPin": "123456"}, nil)
	expect(t, "trivial PIN", st, http.StatusBadRequest, body)
	if !strings.Contains(body, `"newPin"`) {
		t.Errorf("trivial PIN refusal does not name the field: %s", body)
	}
	st, body = alice.do("PUT", "/ucmuser/api/v1/pin", map[string]string{
		"currentPassword": newPW, "newPin": "80417263"}, nil)
	expect(t, "good PIN", st, http.StatusNoContent, body)

	// A state change from another site is refused and changes nothing.
	st, body = alice.do("POST", "/ucmuser/logout", "", map[string]string{
		"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	expect(t, "cross-origin logout", st, http.StatusForbidden, body)
	st, body = alice.do("PUT", "/ucmuser/api/v1/password", map[string]string{
		"currentPassword": newPW, "newPassword": "another fine passphrase"},
		map[string]string{"Origin": "http://evil.example"})
	expect(t, "cross-origin password change", st, http.StatusForbidden, body)
	st, body = alice.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "session after cross-origin attempts", st, http.StatusOK, body)

	// Logout ends the session on the server.
	st, body = other.login(user.id, newPW)
	expect(t, "login with new password", st, http.StatusCreated, body)
	st, body = other.do("POST", "/ucmuser/logout", "", nil)
	expect(t, "logout", st, http.StatusSeeOther, body)
	st, body = other.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "after logout", st, http.StatusUnauthorized, body)

	// An idle session expires after 30 minutes.
	clk.Advance(31 * time.Minute)
	st, body = alice.do("GET", "/ucmuser/api/v1/me", nil, nil)
	expect(t, "idle session", st, http.StatusUnauthorized, body)
}

// field returns the value after "name<TAB>" in the CLI's output.
func field(t testing.TB, out, name string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, name+"\t"); ok {
			return v
		}
	}
	t.Fatalf("no %q in output:\n%s", name, out)
	return ""
}
