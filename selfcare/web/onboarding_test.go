package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	go_qr "github.com/piglig/go-qr"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// activationSite is a portal with device activation on a loopback test
// server, with end users ann and ben and a phone administrator pat.
type activationSite struct {
	tb    testing.TB
	ctx   context.Context
	svc   *selfcare.Service
	admin *selfcare.DeviceAdmin
	srv   *httptest.Server
	clock *frozenClock
}

const (
	sitePassword = "Corr3ct-Horse!"
	sitePIN      = "80461973"
	siteModel    = "Cisco 8845"
	siteMAC      = "00A1B2C3D4E5"
)

func newActivationSite(tb testing.TB) *activationSite {
	return newActivationSiteWith(tb, onboarding.Config{})
}

// newActivationSiteWith builds the site with reg tuning the registry; its
// clock stands still unless advanced.
func newActivationSiteWith(tb testing.TB, reg onboarding.Config) *activationSite {
	tb.Helper()
	ctx := context.Background()
	clk := &frozenClock{t: time.Now().UTC().Truncate(time.Second)}
	store := memstore.New()
	sealer, err := onboarding.NewSealer(bytes.Repeat([]byte{9}, onboarding.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	svc := selfcare.New(store, selfcare.Config{
		Now:  clk.Now,
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1},
		Onboarding: selfcare.OnboardingConfig{Store: store.Onboarding(), Sealer: sealer,
			Registry: reg},
	})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, u := range []struct {
		id     string
		groups []string
	}{
		{"ann", []string{acl.GroupStandardCCMEndUsers}},
		{"ben", []string{acl.GroupStandardCCMEndUsers}},
		{"pat", []string{acl.GroupStandardCCMEndUsers, acl.GroupStandardCCMPhoneAdministration}},
	} {
		if err := svc.CreateUser(ctx, "", selfcare.User{ID: u.id}, sitePassword,
			sitePIN); err != nil {
			tb.Fatal(err)
		}
		for _, g := range u.groups {
			if err := svc.AddGroupMember(ctx, "", g, u.id); err != nil {
				tb.Fatal(err)
			}
		}
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	s := &activationSite{tb: tb, ctx: ctx, svc: svc, srv: httptest.NewServer(h),
		clock: clk}
	tb.Cleanup(s.srv.Close)
	if s.admin, err = svc.DeviceAdmin(selfcare.LocalCaller("")); err != nil {
		tb.Fatal(err)
	}
	return s
}

// provision adds a phone that awaits activation.
func (s *activationSite) provision(owner, mac string) onboarding.Device {
	s.tb.Helper()
	d, err := s.admin.Provision(s.ctx, onboarding.Provision{MAC: mac, Model: siteModel,
		Owner: owner}, true)
	if err != nil {
		s.tb.Fatal(err)
	}
	return d
}

// browser is a signed-in client with its own cookies.
type browser struct {
	tb   testing.TB
	base string
	c    *http.Client
}

func (s *activationSite) signIn(user string) *browser {
	s.tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.tb.Fatal(err)
	}
	b := &browser{tb: s.tb, base: s.srv.URL, c: &http.Client{Jar: jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	if user != "" {
		res := b.do("POST", "/ucmuser/api/v1/session", "application/json",
			`{"userId":"`+user+`","password":"`+sitePassword+`"}`)
		if res.StatusCode != http.StatusCreated {
			s.tb.Fatalf("login %s: %d", user, res.StatusCode)
		}
	}
	return b
}

// response is an answer read in full.
type response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

func (b *browser) do(method, path, ctype, body string, hdr ...string) response {
	b.tb.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.tb.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	return response{res.StatusCode, res.Header, data}
}

func (b *browser) get(path string) response { return b.do("GET", path, "", "") }

// activate posts what a phone sends, without any browser header.
func (b *browser) activate(mac, model, code string) response {
	b.tb.Helper()
	body, err := json.Marshal(map[string]string{"mac": mac, "model": model, "code": code})
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.do("POST", "/ucmuser/api/v1/activation", "application/json", string(body))
}

// decodeQR reads the text of a PNG QR image.
func decodeQR(tb testing.TB, data []byte) string {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("QR image: %v", err)
	}
	text, err := go_qr.Decode(img)
	if err != nil {
		tb.Fatalf("QR decode: %v", err)
	}
	return text
}

var groupedCode = regexp.MustCompile(`\d{4}-\d{4}-\d{4}-\d{4}`)

func TestPhonesPageShowsPhonesReadyToActivate(t *testing.T) {
	s := newActivationSite(t)
	d := s.provision("ann", "")
	ann := s.signIn("ann")

	res := ann.get("/ucmuser/phones")
	page := string(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Ready to activate") ||
		!strings.Contains(page, "/ucmuser/phones/"+d.Name+"/activation.png") ||
		!strings.Contains(page, "Expires") {
		t.Fatalf("My Phones lacks the section, the image or the expiry:\n%s", page)
	}

	// The API gives the same code, and the image holds it.
	res = ann.get("/ucmuser/api/v1/phones/ready-to-activate")
	var api struct {
		Phones []struct {
			Device, Code, QR string
			ExpiresAt        time.Time
		}
	}
	if err := json.Unmarshal(res.Body, &api); err != nil || len(api.Phones) != 1 {
		t.Fatalf("ready-to-activate API: %s (%v)", res.Body, err)
	}
	code := api.Phones[0].Code
	if !groupedCode.MatchString(code) || !strings.Contains(page, strings.Join(
		strings.Split(code, "-"), "</span> <span>")) {
		t.Errorf("code %q is not in groups of four, or not on the page", code)
	}
	img := ann.get(api.Phones[0].QR)
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" ||
		img.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("QR image: %d %v", img.StatusCode, img.Header)
	}
	if got := decodeQR(t, img.Body); got != strings.ReplaceAll(code, "-", "") {
		t.Errorf("QR holds %q, want the code %q", got, code)
	}

	// Each view is in the audit trail, without the code.
	views, err := s.svc.Audit(s.ctx, selfcare.AuditFilter{Action: onboarding.ActionView})
	if err != nil || len(views) != 3 {
		t.Fatalf("%d view events, %v; want 3 (page, API, image)", len(views), err)
	}
	for _, e := range views {
		if e.Actor != "ann" || strings.Contains(e.Detail, strings.ReplaceAll(code, "-", "")) {
			t.Errorf("view event %+v", e)
		}
	}
}

// readyAPI is the answer of the ready-to-activate API.
type readyAPI struct {
	Phones []struct {
		Device, State, Code, QR string
	}
	More int
}

func TestPhonesReadyToActivateAreBounded(t *testing.T) {
	const shown, total = 3, 5
	s := newActivationSiteWith(t, onboarding.Config{MaxShown: shown})
	for i := range total {
		s.provision("ann", fmt.Sprintf("00A1B2C3%04X", i+1))
	}
	ann := s.signIn("ann")

	res := ann.get("/ucmuser/api/v1/phones/ready-to-activate")
	var api readyAPI
	if err := json.Unmarshal(res.Body, &api); err != nil || len(api.Phones) != shown ||
		api.More != total-shown {
		t.Errorf("API: %s (%v); want %d phones and \"more\": %d", res.Body, err, shown,
			total-shown)
	}
	page := string(ann.get("/ucmuser/phones").Body)
	if n := strings.Count(page, "/activation.png"); n != shown ||
		!strings.Contains(page, "2 more phones await activation; ask your administrator") {
		t.Errorf("My Phones shows %d codes (want %d) or lacks the note of 2 more:\n%s", n,
			shown, page)
	}
	views, err := s.svc.Audit(s.ctx, selfcare.AuditFilter{Action: onboarding.ActionView})
	if err != nil || len(views) != 2*shown {
		t.Errorf("%d view events, %v; want %d for two views of %d codes", len(views), err,
			2*shown, shown)
	}
}

func TestExpiredCodeShowsAsExpired(t *testing.T) {
	s := newActivationSite(t)
	d := s.provision("ann", siteMAC)
	s.clock.advance(onboarding.DefaultTTL)
	ann := s.signIn("ann")

	res := ann.get("/ucmuser/api/v1/phones/ready-to-activate")
	var api readyAPI
	if err := json.Unmarshal(res.Body, &api); err != nil || len(api.Phones) != 1 ||
		api.Phones[0].Device != d.Name || api.Phones[0].State != "expired" ||
		api.Phones[0].Code != "" || api.Phones[0].QR != "" {
		t.Errorf("API after expiry: %s (%v); want %s expired, without code or image",
			res.Body, err, d.Name)
	}
	page := string(ann.get("/ucmuser/phones").Body)
	if !strings.Contains(page, "Code expired — ask your administrator for a new one") ||
		strings.Contains(page, "activation.png") || groupedCode.MatchString(page) {
		t.Errorf("My Phones after expiry lacks the note or shows a code:\n%s", page)
	}
}

func TestAnotherUserCannotSeeTheCode(t *testing.T) {
	s := newActivationSite(t)
	d := s.provision("ann", siteMAC)
	ben := s.signIn("ben")
	for _, path := range []string{"/ucmuser/phones/" + d.Name + "/activation.png",
		"/ucmuser/phones/SEP001122334455/activation.png"} {
		if res := ben.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s as ben: %d, want 404", path, res.StatusCode)
		}
	}
	res := ben.get("/ucmuser/api/v1/phones/ready-to-activate")
	if res.StatusCode != http.StatusOK || bytes.Contains(res.Body, []byte(d.Name)) {
		t.Errorf("ben's list: %d %s", res.StatusCode, res.Body)
	}
	if page := ben.get("/ucmuser/phones"); bytes.Contains(page.Body, []byte(d.Name)) {
		t.Error("ben's page shows ann's phone")
	}
	anon := s.signIn("")
	if res := anon.get("/ucmuser/phones/" + d.Name + "/activation.png"); res.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("the image without a session: %d, want a redirect to sign in",
			res.StatusCode)
	}
}

func TestShowPhonesReadyToActivateGate(t *testing.T) {
	s := newActivationSite(t)
	d := s.provision("ann", "")
	ann := s.signIn("ann")
	set := func(v string) {
		t.Helper()
		if _, err := s.svc.SetParam(s.ctx, selfcare.LocalCaller(""),
			params.KeyShowPhonesReadyToActivate, v); err != nil {
			t.Fatal(err)
		}
	}

	set("false")
	if page := ann.get("/ucmuser/phones"); page.StatusCode != http.StatusOK ||
		bytes.Contains(page.Body, []byte("Ready to activate")) {
		t.Errorf("hidden: My Phones %d still shows the section", page.StatusCode)
	}
	res := ann.get("/ucmuser/api/v1/phones/ready-to-activate")
	if res.StatusCode != http.StatusForbidden || !bytes.Contains(res.Body,
		[]byte(`"feature_hidden"`)) {
		t.Errorf("hidden: API %d %s, want 403 feature_hidden", res.StatusCode, res.Body)
	}
	if img := ann.get("/ucmuser/phones/" + d.Name + "/activation.png"); img.StatusCode !=
		http.StatusForbidden {
		t.Errorf("hidden: image %d, want 403", img.StatusCode)
	}

	set("true")
	if page := ann.get("/ucmuser/phones"); !bytes.Contains(page.Body,
		[]byte("Ready to activate")) {
		t.Error("shown again: My Phones lacks the section")
	}
}

func TestActivationEndpoint(t *testing.T) {
	s := newActivationSite(t)
	d := s.provision("ann", "")
	ann := s.signIn("ann")
	res := ann.get("/ucmuser/api/v1/phones/ready-to-activate")
	code := groupedCode.FindString(string(res.Body))
	phone := s.signIn("")

	// Every failure looks the same.
	fails := []response{
		phone.activate(siteMAC, "Cisco 7841", code),
		phone.activate(siteMAC, siteModel, "1111-2222-3333-4444"),
		phone.activate("not-a-mac", siteModel, code),
		phone.do("POST", "/ucmuser/api/v1/activation", "application/json", `{"mac":`),
		phone.do("POST", "/ucmuser/api/v1/activation", "text/plain", `{}`),
	}
	for i, f := range fails {
		if f.StatusCode != http.StatusForbidden || !bytes.Equal(f.Body, fails[0].Body) {
			t.Errorf("failure %d: %d %s; want the one generic 403", i, f.StatusCode, f.Body)
		}
	}
	if !bytes.Contains(fails[0].Body, []byte(`"activation_failed"`)) {
		t.Errorf("failure body %s", fails[0].Body)
	}

	// A browser on another site cannot post for a phone.
	cross := phone.do("POST", "/ucmuser/api/v1/activation", "application/json",
		`{"mac":"`+siteMAC+`","model":"`+siteModel+`","code":"`+code+`"}`,
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if cross.StatusCode != http.StatusForbidden || !bytes.Contains(cross.Body,
		[]byte("cross_origin")) {
		t.Errorf("cross-site post: %d %s", cross.StatusCode, cross.Body)
	}

	ok := phone.activate(strings.ToLower(siteMAC), siteModel, code)
	var got struct{ Device, Model string }
	if ok.StatusCode != http.StatusOK || json.Unmarshal(ok.Body, &got) != nil ||
		got.Device != "SEP"+siteMAC {
		t.Fatalf("redemption: %d %s, want 200 with SEP%s", ok.StatusCode, ok.Body, siteMAC)
	}
	if again := phone.activate(siteMAC, siteModel, code); again.StatusCode !=
		http.StatusForbidden {
		t.Errorf("second redemption: %d, want 403", again.StatusCode)
	}
	page := ann.get("/ucmuser/phones")
	if !bytes.Contains(page.Body, []byte("SEP"+siteMAC)) || bytes.Contains(page.Body,
		[]byte(d.Name)) || bytes.Contains(page.Body, []byte("Ready to activate")) {
		t.Errorf("My Phones after activation:\n%s", page.Body)
	}
}

func TestDeviceAdminAPI(t *testing.T) {
	s := newActivationSite(t)
	pat, ann := s.signIn("pat"), s.signIn("ann")
	admin := "/ucmuser/api/v1/admin/"

	if res := ann.get(admin + "devices"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an end user lists devices: %d, want 403", res.StatusCode)
	}
	if res := s.signIn("").get(admin + "devices"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("nobody lists devices: %d, want 401", res.StatusCode)
	}

	res := pat.do("POST", admin+"devices", "application/json",
		`{"model":"`+siteModel+`","owner":"ann","mac":"`+siteMAC+`"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("provision: %d %s", res.StatusCode, res.Body)
	}
	name := "SEP" + siteMAC
	res = pat.do("POST", admin+"devices", "application/json",
		`{"model":"`+siteModel+`","owner":"nobody"}`)
	if res.StatusCode != http.StatusBadRequest || !bytes.Contains(res.Body, []byte("owner")) {
		t.Errorf("provision for nobody: %d %s", res.StatusCode, res.Body)
	}

	res = pat.do("POST", admin+"devices/"+name+"/activation-code", "", "")
	first := groupedCode.FindString(string(res.Body))
	if res.StatusCode != http.StatusCreated || first == "" {
		t.Fatalf("issue: %d %s", res.StatusCode, res.Body)
	}
	res = pat.do("POST", admin+"devices/"+name+"/activation-code", "", "")
	if res.StatusCode != http.StatusConflict {
		t.Errorf("issue over an outstanding code: %d, want 409", res.StatusCode)
	}
	res = pat.do("PUT", admin+"devices/"+name+"/activation-code", "", "")
	second := groupedCode.FindString(string(res.Body))
	if res.StatusCode != http.StatusOK || second == "" || second == first {
		t.Fatalf("replace: %d %s", res.StatusCode, res.Body)
	}
	res = pat.do("GET", admin+"activation-codes", "", "", "Accept", "text/csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"),
		"text/csv") || !bytes.Contains(res.Body, []byte(second)) {
		t.Errorf("CSV export: %d %s", res.StatusCode, res.Body)
	}
	if res := pat.do("DELETE", admin+"devices/"+name+"/activation-code", "", ""); res.
		StatusCode != http.StatusNoContent {
		t.Errorf("release: %d %s", res.StatusCode, res.Body)
	}
	if res := pat.do("DELETE", admin+"devices/"+name+"/activation-code", "", ""); res.
		StatusCode != http.StatusNotFound {
		t.Errorf("release again: %d, want 404", res.StatusCode)
	}
	res = pat.get(admin + "devices")
	if res.StatusCode != http.StatusOK || !bytes.Contains(res.Body, []byte(`"released"`)) ||
		groupedCode.Match(res.Body) {
		t.Errorf("list: %d %s; want the state, never a code", res.StatusCode, res.Body)
	}

	csv := "model,owner,mac,requireActivation\n" + siteModel + ",ben,,true\n" +
		siteModel + ",nobody,,true\n"
	res = pat.do("POST", admin+"devices/import", "text/csv", csv)
	if res.StatusCode != http.StatusBadRequest || !bytes.Contains(res.Body, []byte("line 3")) {
		t.Errorf("import with a bad row: %d %s", res.StatusCode, res.Body)
	}
	res = pat.do("POST", admin+"devices/import", "text/csv", strings.Split(csv, "nobody")[0]+
		"ben,,false\n")
	if res.StatusCode != http.StatusCreated {
		t.Errorf("import: %d %s", res.StatusCode, res.Body)
	}
	res = pat.do("POST", admin+"devices/"+name+"/require-activation", "", "")
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("require activation: %d %s", res.StatusCode, res.Body)
	}
	if res := ann.do("PUT", admin+"devices/"+name+"/activation-code", "", ""); res.
		StatusCode != http.StatusForbidden {
		t.Errorf("an end user replaces a code: %d, want 403", res.StatusCode)
	}

	// The counters of this process: three codes issued (issue, replace,
	// require activation), one released, one failed attempt.
	s.signIn("").activate(siteMAC, siteModel, "1111-2222-3333-4444")
	res = pat.get(admin + "activation-stats")
	var st struct{ Attempts, Failures, Activations, Issued, Released int }
	if res.StatusCode != http.StatusOK || json.Unmarshal(res.Body, &st) != nil ||
		st.Attempts != 1 || st.Failures != 1 || st.Activations != 0 || st.Issued != 3 ||
		st.Released != 1 {
		t.Errorf("stats: %d %s", res.StatusCode, res.Body)
	}
	if res := ann.get(admin + "activation-stats"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an end user reads the stats: %d, want 403", res.StatusCode)
	}
}

// advance moves the clock on.
func (c *frozenClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
