package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	go_qr "github.com/piglig/go-qr"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// onboardingSite is a real portal on SQLite in a temporary folder, with
// its clock, for the device activation tests.
type onboardingSite struct {
	t    *testing.T
	dir  string
	clk  *clock
	srv  *server
	base string
	user credential
}

func startOnboardingSite(t *testing.T) *onboardingSite {
	t.Helper()
	s := &onboardingSite{t: t, dir: t.TempDir(),
		// Near the real time: the command line issues codes on it.
		clk: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	s.start()
	s.user = readCredentials(t, s.dir)[0]
	return s
}

func (s *onboardingSite) start() {
	s.t.Helper()
	srv, err := openServer(context.Background(), options{Addr: "127.0.0.1:0",
		DataDir: s.dir, Now: s.clk.Now})
	if err != nil {
		s.t.Fatal(err)
	}
	s.srv = srv
	s.base = strings.TrimSuffix(srv.URL(), "/ucmuser/")
	s.t.Cleanup(s.stop)
}

func (s *onboardingSite) stop() {
	if s.srv == nil {
		return
	}
	if err := s.srv.Close(context.Background()); err != nil {
		s.t.Errorf("close: %v", err)
	}
	s.srv = nil
}

// signIn returns a client signed in as the demo end user.
func (s *onboardingSite) signIn() *client {
	s.t.Helper()
	c := newClient(s.t, s.base)
	st, body := c.login(s.user.id, s.user.password)
	expect(s.t, "login", st, http.StatusCreated, body)
	return c
}

// addUser adds an end user with a known password through the command
// line, in the extra groups given.
func (s *onboardingSite) addUser(id string, groups ...string) *client {
	s.t.Helper()
	runCLI(s.t, s.dir, "user", "add", id)
	for _, g := range append([]string{"Standard CCM End Users"}, groups...) {
		runCLI(s.t, s.dir, "group", "add-member", g, id)
	}
	pw := "plum kettle orbit 7 lantern"
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"admin", "-data", s.dir, "user",
		"set-password", id, "-stdin", "-keep"}, func(string) string { return "" },
		strings.NewReader(pw+"\n"), &out, &errOut)
	if err != nil {
		s.t.Fatalf("set-password: %v\n%s", err, errOut.String())
	}
	c := newClient(s.t, s.base)
	st, body := c.login(id, pw)
	expect(s.t, "login "+id, st, http.StatusCreated, body)
	return c
}

var qrPath = regexp.MustCompile(`/ucmuser/phones/([A-Z0-9]+)/activation\.png`)

// scanQR finds device's QR image on My Phones, fetches it and decodes it,
// as a person holding the phone's camera to the screen would.
func scanQR(t *testing.T, c *client, device string) string {
	t.Helper()
	st, page := c.do("GET", "/ucmuser/phones", nil, nil)
	expect(t, "My Phones", st, http.StatusOK, page)
	var path string
	for _, m := range qrPath.FindAllStringSubmatch(page, -1) {
		if m[1] == device {
			path = m[0]
		}
	}
	if path == "" {
		t.Fatalf("My Phones has no QR image for %s:\n%s", device, page)
	}
	st, img := c.do("GET", path, nil, nil)
	expect(t, "QR image", st, http.StatusOK, "")
	decoded, err := png.Decode(strings.NewReader(img))
	if err != nil {
		t.Fatalf("QR image: %v", err)
	}
	text, err := go_qr.Decode(decoded)
	if err != nil {
		t.Fatalf("QR decode: %v", err)
	}
	return text
}

// redeem posts to the activation endpoint as a phone: no session, no
// browser headers. It returns the status and the new device name.
func redeem(t *testing.T, base, mac, model, code string) (int, string) {
	t.Helper()
	phone := newClient(t, base)
	st, body := phone.do("POST", "/ucmuser/api/v1/activation",
		map[string]string{"mac": mac, "model": model, "code": code}, nil)
	var out struct{ Device string }
	_ = json.Unmarshal([]byte(body), &out)
	return st, out.Device
}

// readyCodes returns the codes of the user's phones ready to activate, by
// device.
func readyCodes(t *testing.T, c *client) map[string]string {
	t.Helper()
	st, body := c.do("GET", "/ucmuser/api/v1/phones/ready-to-activate", nil, nil)
	expect(t, "ready to activate", st, http.StatusOK, body)
	var out struct {
		Phones []struct{ Device, Code string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, p := range out.Phones {
		codes[p.Device] = p.Code
	}
	return codes
}

// TestEndToEndOnboarding goes from the administrator to the phone: the
// command line provisions a phone for the demo user, who signs in and
// shows the QR code on My Phones; the phone scans it and activates, once.
func TestEndToEndOnboarding(t *testing.T) {
	s := startOnboardingSite(t)

	// The key was made on first start, for the owner's eyes only.
	fi, err := os.Stat(filepath.Join(s.dir, activationKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("activation key: %v, %v; want mode 0600", fi, err)
	}

	// The demo user's third phone shows a code at once.
	dana := s.signIn()
	demo := readyCodes(t, dana)
	if len(demo) != 1 {
		t.Fatalf("demo data: %d phones ready to activate, want 1", len(demo))
	}

	// The administrator provisions a phone without its MAC.
	out := runCLI(t, s.dir, "device", "add-dummy", "-model", "Cisco 7841",
		"-owner", s.user.id, "-require-activation")
	dummy := field(t, out, "provisioned")
	if !strings.HasPrefix(dummy, onboarding.PrefixDummy) {
		t.Fatalf("add-dummy printed %q", out)
	}

	// The user shows the code; the phone scans it.
	code := scanQR(t, dana, dummy)
	if want := strings.ReplaceAll(readyCodes(t, dana)[dummy], "-", ""); code != want {
		t.Fatalf("QR holds %q, the page shows %q", code, want)
	}

	// A phone of another model cannot use it: the code is bound to the model.
	const mac = "00A1B2C3D4E5"
	if st, _ := redeem(t, s.base, mac, "Cisco 8845", code); st != http.StatusForbidden {
		t.Fatalf("another model: %d, want 403", st)
	}
	st, name := redeem(t, s.base, mac, "Cisco 7841", code)
	if st != http.StatusOK || name != "SEP"+mac {
		t.Fatalf("redemption: %d %q, want 200 SEP%s", st, name, mac)
	}

	// My Phones shows the phone under its real name, and no longer as
	// ready to activate.
	st, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	expect(t, "My Phones", st, http.StatusOK, page)
	if !strings.Contains(page, "SEP"+mac) || strings.Contains(page, dummy) {
		t.Errorf("My Phones after activation lacks SEP%s or still has %s", mac, dummy)
	}
	if _, still := readyCodes(t, dana)[dummy]; still {
		t.Error("the activated phone is still ready to activate")
	}
	out = runCLI(t, s.dir, "device", "list")
	if !regexp.MustCompile(`SEP` + mac + `\s+Cisco 7841\s+\S+\s+activated`).MatchString(out) {
		t.Errorf("device list after activation:\n%s", out)
	}

	// The code works once.
	if st, _ := redeem(t, s.base, mac, "Cisco 7841", code); st != http.StatusForbidden {
		t.Errorf("second redemption: %d, want 403", st)
	}
	out = runCLI(t, s.dir, "audit", "-action", onboarding.ActionRedeem, "-n", "10")
	if !strings.Contains(out, "device activated, renamed from "+dummy) ||
		strings.Count(out, "failed") < 2 || strings.Contains(out, code) {
		t.Errorf("audit trail of redemptions:\n%s", out)
	}

	// A restart keeps the key, so the demo code still opens.
	s.stop()
	s.start()
	if again := readyCodes(t, s.signIn()); len(again) != 1 || again[firstKey(demo)] !=
		demo[firstKey(demo)] {
		t.Errorf("after a restart the demo code is %v, was %v", again, demo)
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

func TestOnboardingMACBindingExpiryAndAttemptLimit(t *testing.T) {
	s := startOnboardingSite(t)
	dana := s.signIn()
	const mac, other = "001B54AABBCC", "001B54DDEEFF"
	out := runCLI(t, s.dir, "device", "add", "SEP"+mac, "-model", "Cisco 8845",
		"-owner", s.user.id, "-require-activation")
	device := field(t, out, "provisioned")
	code := readyCodes(t, dana)[device]

	// Bound to the MAC: another phone of the same model fails.
	if st, _ := redeem(t, s.base, other, "Cisco 8845", code); st != http.StatusForbidden {
		t.Fatalf("another MAC: %d, want 403", st)
	}

	// Five failed attempts release the code; the right one then fails too.
	for range onboarding.DefaultMaxFailures {
		if st, _ := redeem(t, s.base, mac, "Cisco 8845", "1234-1234-1234-1234"); st !=
			http.StatusForbidden {
			t.Fatalf("a wrong code: %d", st)
		}
	}
	if st, _ := redeem(t, s.base, mac, "Cisco 8845", code); st != http.StatusForbidden {
		t.Fatalf("the right code after the attempt limit: %d, want 403", st)
	}
	if len(readyCodes(t, dana)) != 1 { // the demo phone only
		t.Error("a released code is still shown")
	}

	// The administrator replaces it; the new code works on the next day
	// but not after its time to live.
	out = runCLI(t, s.dir, "code", "replace", device)
	fresh := field(t, out, "code")
	s.clk.Advance(onboarding.DefaultTTL + time.Hour)
	if st, _ := redeem(t, s.base, mac, "Cisco 8845", fresh); st != http.StatusForbidden {
		t.Fatalf("an expired code: %d, want 403", st)
	}
	da, err := s.srv.svc.DeviceAdmin(selfcare.LocalCaller(""))
	if err != nil {
		t.Fatal(err)
	}
	sts, err := da.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Name == device && (st.CodeState != onboarding.StateExpired ||
			!st.RequiresActivation) {
			t.Errorf("after expiry %s is %+v", device, st)
		}
	}

	// Release, and a new code that works.
	runCLI(t, s.dir, "code", "release", device)
	fresh = field(t, runCLI(t, s.dir, "code", "issue", device), "code")
	s.clk.Advance(-onboarding.DefaultTTL) // the command line issued it on the real clock
	if st, name := redeem(t, s.base, mac, "Cisco 8845", fresh); st != http.StatusOK ||
		name != device {
		t.Errorf("a fresh code: %d %q", st, name)
	}
}

func TestOnboardingGateAndOtherUsers(t *testing.T) {
	s := startOnboardingSite(t)
	dana := s.signIn()
	var device string
	for d := range readyCodes(t, dana) {
		device = d
	}
	qr := "/ucmuser/phones/" + device + "/activation.png"

	// Another user sees neither the code nor the image.
	eve := s.addUser("eve.other")
	if st, body := eve.do("GET", qr, nil, nil); st != http.StatusNotFound {
		t.Errorf("another user's QR image: %d, want 404; %.200s", st, body)
	}
	if codes := readyCodes(t, eve); len(codes) != 0 {
		t.Errorf("another user sees %v", codes)
	}

	// An administrator working on the same database, as the command line
	// does, switches the section off; the running portal follows at once.
	setShow := func(v string) {
		t.Helper()
		st, svc, err := openStore(context.Background(), options{DataDir: s.dir})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = svc.SetParam(context.Background(), selfcare.LocalCaller(""),
			params.KeyShowPhonesReadyToActivate, v)
		if err != nil {
			t.Fatal(err)
		}
	}
	setShow("false")
	st, body := dana.do("GET", "/ucmuser/api/v1/phones/ready-to-activate", nil, nil)
	if st != http.StatusForbidden || !strings.Contains(body, "feature_hidden") {
		t.Errorf("API while hidden: %d %s, want 403 feature_hidden", st, body)
	}
	if st, page := dana.do("GET", "/ucmuser/phones", nil, nil); st != http.StatusOK ||
		strings.Contains(page, "Ready to activate") || strings.Contains(page, qr) {
		t.Errorf("My Phones while hidden: %d, still shows the section", st)
	}
	if st, _ := dana.do("GET", qr, nil, nil); st != http.StatusForbidden {
		t.Errorf("QR image while hidden: %d, want 403", st)
	}
	setShow("true")
	if len(readyCodes(t, dana)) != 1 {
		t.Error("the code did not come back with the parameter")
	}
}

func TestOnboardingAdministration(t *testing.T) {
	s := startOnboardingSite(t)
	pat := s.addUser("pat.phones", "Standard CCM Phone Administration")
	eve := s.addUser("eve.other")
	const api = "/ucmuser/api/v1/admin/"

	// An end user may not administer devices.
	if st, _ := eve.do("GET", api+"devices", nil, nil); st != http.StatusForbidden {
		t.Errorf("an end user lists devices: %d, want 403", st)
	}

	// Provision through the admin API, for the demo user.
	st, body := pat.do("POST", api+"devices", map[string]any{"model": "Cisco 8851",
		"owner": s.user.id, "mac": "00:1b:54:00:00:42", "requireActivation": true}, nil)
	expect(t, "provision", st, http.StatusCreated, body)
	st, body = pat.do("PUT", api+"devices/SEP001B54000042/activation-code", nil, nil)
	expect(t, "replace", st, http.StatusOK, body)
	code := regexp.MustCompile(`\d{4}-\d{4}-\d{4}-\d{4}`).FindString(body)
	if code == "" {
		t.Fatalf("replace gave no code: %s", body)
	}

	// Bulk provisioning from a file: a bad row stops the whole file.
	csv := filepath.Join(s.dir, "phones.csv")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(csv, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("name,model,owner,mac,requireActivation\n" +
		",Cisco 8845," + s.user.id + ",001B54000101,true\n" +
		",Cisco 8845,nobody,,true\n")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"admin", "-data", s.dir, "device", "import",
		csv}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "line 3") {
		t.Errorf("import with a bad row: %v\n%s", err, out.String())
	}
	if strings.Contains(runCLI(t, s.dir, "device", "list"), "SEP001B54000101") {
		t.Error("a refused import wrote its good row")
	}
	write("model,owner,mac,requireActivation\nCisco 8845," + s.user.id + ",001B54000101,yes\n")
	if out := runCLI(t, s.dir, "device", "import", csv); !strings.Contains(out,
		"1 devices imported") {
		t.Errorf("import: %s", out)
	}

	// Export: a private file holding every outstanding code, audited.
	export := filepath.Join(t.TempDir(), "codes.csv") // not in the data folder
	runCLI(t, s.dir, "code", "export", "-o", export)
	fi, err := os.Stat(export)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v, %v; want mode 0600", fi, err)
	}
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), code) || strings.Count(string(data), "\n") != 4 {
		t.Errorf("export holds:\n%s\nwant a header and 3 codes, %s among them", data, code)
	}
	if out := runCLI(t, s.dir, "audit", "-action", onboarding.ActionExport); !strings.Contains(
		out, "3 outstanding codes") {
		t.Errorf("export not audited:\n%s", out)
	}

	// The same through the API, for the phone administrator only.
	st, body = pat.do("GET", api+"activation-codes", nil, nil)
	expect(t, "export API", st, http.StatusOK, body)
	if strings.Count(body, `"code"`) != 3 {
		t.Errorf("export API: %s", body)
	}
	if st, _ := eve.do("GET", api+"activation-codes", nil, nil); st != http.StatusForbidden {
		t.Errorf("an end user exports: %d, want 403", st)
	}

	// The demo administrator, who has no Self Care, uses the
	// administration session.
	ada := readCredentials(t, s.dir)[2]
	admin := newClient(t, s.base)
	st, body = admin.do("POST", api+"session",
		map[string]string{"userId": ada.id, "password": ada.password}, nil)
	expect(t, "administration login", st, http.StatusCreated, body)
	st, body = admin.do("GET", api+"devices", nil, nil)
	expect(t, "devices as the demo administrator", st, http.StatusOK, body)
	if !strings.Contains(body, "SEP001B54000042") || strings.Contains(body, code) {
		t.Errorf("device list: %.300s", body)
	}

	// An operator's own key file must exist; it is never made for them.
	_, err = openServer(context.Background(), options{Addr: "127.0.0.1:0", DataDir: s.dir,
		ActivationKey: filepath.Join(s.dir, "missing.key"), NoDemo: true})
	if err == nil {
		t.Error("the server started with a missing operator key file")
	}
}

// runCLIErr runs an admin command that may fail, and returns its output,
// error output and error.
func runCLIErr(dir string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"admin", "-data", dir}, args...),
		func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// copyDatabase copies the database of the data folder from into a new
// folder, without the activation key, as a backup restored elsewhere is.
func copyDatabase(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		data, err := os.ReadFile(filepath.Join(from, dbFile+suffix))
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, dbFile+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// writeKey writes a new activation key file at path and returns it.
func writeKey(t *testing.T, path string) {
	t.Helper()
	key, err := onboarding.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, onboarding.EncodeKey(key), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLostOrReplacedActivationKeyIsRefused copies a portal's database
// without its key: neither the server nor the command line may then make
// a key, or use another, that cannot open the stored codes; the operator
// restores the key, or discards the codes on purpose.
func TestLostOrReplacedActivationKeyIsRefused(t *testing.T) {
	s := startOnboardingSite(t)
	demo := readyCodes(t, s.signIn())
	if len(demo) != 1 {
		t.Fatalf("demo data: %d phones ready to activate, want 1", len(demo))
	}
	s.stop()
	cp := copyDatabase(t, s.dir)
	cpKey := filepath.Join(cp, activationKeyFile)
	start := func() error {
		srv, err := openServer(context.Background(), options{Addr: "127.0.0.1:0",
			DataDir: cp, Now: s.clk.Now})
		if err == nil {
			srv.Close(context.Background())
		}
		return err
	}
	noKeyMade := func(when string) {
		t.Helper()
		if _, err := os.Stat(cpKey); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a key file was made: %v", when, err)
		}
	}

	// The key is lost: the server refuses to make a new one.
	err := start()
	if err == nil || !strings.Contains(err.Error(), cpKey) ||
		!strings.Contains(err.Error(), "discard-key") {
		t.Errorf("server without its key: %v; want a refusal naming %s and discard-key",
			err, cpKey)
	}
	noKeyMade("server")
	// The command line neither.
	_, _, err = runCLIErr(cp, "device", "list")
	if err == nil || !strings.Contains(err.Error(), "-activation-key") {
		t.Errorf("command line without the key: %v; want a refusal", err)
	}
	noKeyMade("command line")

	// The key is replaced: both refuse it.
	writeKey(t, cpKey)
	if err := start(); !errors.Is(err, onboarding.ErrKeyMismatch) ||
		!strings.Contains(err.Error(), cpKey) {
		t.Errorf("server with another key: %v; want ErrKeyMismatch naming %s", err, cpKey)
	}
	_, _, err = runCLIErr(cp, "code", "issue", firstKey(demo))
	if !errors.Is(err, onboarding.ErrKeyMismatch) {
		t.Errorf("command line with another key: %v; want ErrKeyMismatch", err)
	}

	// The right key, named on the command line, works on the copy.
	out := runCLI(t, cp, "-activation-key", filepath.Join(s.dir, activationKeyFile),
		"device", "list")
	if !strings.Contains(out, firstKey(demo)) {
		t.Errorf("device list with the right key:\n%s", out)
	}

	// Discarding the codes is explicit, audited, and lets the new key in.
	if _, _, err := runCLIErr(cp, "code", "discard-key"); err == nil ||
		!strings.Contains(err.Error(), "-confirm") {
		t.Errorf("discard-key without -confirm: %v", err)
	}
	out = runCLI(t, cp, "code", "discard-key", "-confirm")
	if field(t, out, "released") != firstKey(demo) {
		t.Errorf("discard-key printed:\n%s", out)
	}
	if err := start(); err != nil {
		t.Fatalf("server after discard-key: %v", err)
	}
	out = runCLI(t, cp, "audit", "-action", selfcare.ActionKeyDiscard)
	if !strings.Contains(out, "1 outstanding codes released: "+firstKey(demo)) {
		t.Errorf("discard-key not audited:\n%s", out)
	}
	out = runCLI(t, cp, "device", "list")
	if !regexp.MustCompile(firstKey(demo) + `.*awaiting activation\s+released`).
		MatchString(out) {
		t.Errorf("device list after discard-key:\n%s", out)
	}
	fresh := field(t, runCLI(t, cp, "code", "issue", firstKey(demo)), "code")
	if !regexp.MustCompile(`^\d{4}-\d{4}-\d{4}-\d{4}$`).MatchString(fresh) {
		t.Errorf("code issue after discard-key printed %q", fresh)
	}
}

// TestCommandLineNeverMakesAKey: the server uses a key file of its own;
// the command line without -activation-key refuses rather than make
// DATA/activation.key and print codes that nobody can redeem.
func TestCommandLineNeverMakesAKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "site.key")
	writeKey(t, keyFile)
	srv, err := openServer(context.Background(), options{Addr: "127.0.0.1:0",
		DataDir: dir, ActivationKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	if _, err := os.Stat(filepath.Join(dir, activationKeyFile)); !errors.Is(err,
		fs.ErrNotExist) {
		t.Fatalf("the server made a key beside its own: %v", err)
	}

	out, _, err := runCLIErr(dir, "device", "add-dummy", "-model", "Cisco 7841",
		"-owner", "demo.user", "-require-activation")
	if err == nil || !strings.Contains(err.Error(), "-activation-key") ||
		!strings.Contains(err.Error(), "never makes one") {
		t.Errorf("command line without the key file: %v\n%s; want a refusal", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, activationKeyFile)); !errors.Is(err,
		fs.ErrNotExist) {
		t.Errorf("the command line made %s: %v", activationKeyFile, err)
	}
	out = runCLI(t, dir, "-activation-key", keyFile, "device", "add-dummy",
		"-model", "Cisco 7841", "-owner", "demo.user", "-require-activation")
	if !strings.Contains(out, "provisioned") {
		t.Errorf("command line with the server's key:\n%s", out)
	}
}

// TestDeviceAddOverAPhoneOfAnotherModel: the portal's record and device
// activation must agree on the model, or the phone could never redeem its
// code; and the command line says who will see the code.
func TestDeviceAddOverAPhoneOfAnotherModel(t *testing.T) {
	s := startOnboardingSite(t)
	const phone = "SEP00A1B2C3D403" // demo.norole's Cisco 7841
	out, _, err := runCLIErr(s.dir, "device", "add", phone, "-model", "Cisco 8845",
		"-owner", "demo.norole", "-require-activation")
	if err == nil || !strings.Contains(err.Error(), "Cisco 7841") {
		t.Errorf("device add as another model: %v\n%s; want a refusal naming Cisco 7841",
			err, out)
	}
	if strings.Contains(runCLI(t, s.dir, "device", "list"), phone) {
		t.Error("the refused phone is listed")
	}

	// The same model in other case is the same model; its owner, who may
	// not sign in, is not promised the code.
	out = runCLI(t, s.dir, "device", "add", phone, "-model", "cisco 7841",
		"-owner", "demo.norole", "-require-activation")
	if strings.Contains(out, "sees the activation code") ||
		!strings.Contains(out, "cannot see the activation code") ||
		!strings.Contains(out, "code export") {
		t.Errorf("device add for an owner without Self Care printed:\n%s", out)
	}
	out = runCLI(t, s.dir, "device", "add", "SEP00A1B2C3D4F0", "-model", "Cisco 8845",
		"-owner", s.user.id, "-require-activation")
	if !strings.Contains(out, "Its owner, "+s.user.id+", sees the activation code") {
		t.Errorf("device add for an end user printed:\n%s", out)
	}
}

// TestFailedExportIsAuditedAsFailed: an export that cannot be written is
// not recorded as done.
func TestFailedExportIsAuditedAsFailed(t *testing.T) {
	s := startOnboardingSite(t)
	bad := filepath.Join(t.TempDir(), "no such folder", "codes.csv")
	if _, _, err := runCLIErr(s.dir, "code", "export", "-o", bad); err == nil {
		t.Fatal("an export to a missing folder succeeded")
	}
	out := runCLI(t, s.dir, "audit", "-action", onboarding.ActionExport)
	if !strings.Contains(out, "failed") || strings.Contains(out, " ok ") ||
		!strings.Contains(out, "not delivered") {
		t.Errorf("audit of a failed export:\n%s", out)
	}

	good := filepath.Join(t.TempDir(), "codes.csv")
	runCLI(t, s.dir, "code", "export", "-o", good)
	if data, err := os.ReadFile(good); err != nil || strings.Count(string(data), "\n") != 2 {
		t.Errorf("export file: %q, %v; want a header and the demo code", data, err)
	}
	out = runCLI(t, s.dir, "audit", "-action", onboarding.ActionExport, "-n", "1")
	if !strings.Contains(out, "1 outstanding codes") || strings.Contains(out, "failed") {
		t.Errorf("audit of a written export:\n%s", out)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(good), ".export-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// TestExportRefusesSpecialFiles: the export replaces only a regular file; a
// pipe or a link at the path is left alone and the export is refused.
func TestExportRefusesSpecialFiles(t *testing.T) {
	s := startOnboardingSite(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.csv")
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, link} {
		if _, _, err := runCLIErr(s.dir, "code", "export", "-o", path); err == nil {
			t.Errorf("export to %s succeeded", filepath.Base(path))
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode().IsRegular() {
			t.Errorf("%s was replaced by a regular file (%v)", filepath.Base(path), err)
		}
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the export followed the link")
	}
}

// TestExportRefusesTheDataFolder: an export may not be written over the
// database, its -wal or -shm file, the key or anything else in the data
// folder, by any name of it; the files stay as they were.
func TestExportRefusesTheDataFolder(t *testing.T) {
	s := startOnboardingSite(t)
	link := filepath.Join(t.TempDir(), "data-link")
	if err := os.Symlink(s.dir, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(s.dir, dbFile),
		filepath.Join(s.dir, dbFile+"-shm"),
		filepath.Join(s.dir, dbFile+"-wal"),
		filepath.Join(s.dir, "codes.csv"),
		filepath.Join(link, dbFile+"-shm"),
		filepath.Join(s.dir, "sub", "..", dbFile),
	} {
		before, _ := os.Stat(path)
		_, _, err := runCLIErr(s.dir, "code", "export", "-o", path)
		if err == nil || !strings.Contains(err.Error(), "inside the data folder") {
			t.Errorf("export to %s: %v, want a refusal naming the data folder", path, err)
		}
		after, _ := os.Stat(path)
		if (before == nil) != (after == nil) || before != nil && !os.SameFile(before, after) {
			t.Errorf("export to %s replaced or created the file", path)
		}
	}
	// The portal still reads and writes its database.
	runCLI(t, s.dir, "user", "list")
}
