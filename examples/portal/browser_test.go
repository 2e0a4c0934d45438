package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/web"
)

// The browser test drives the portal's pages in headless Chromium the way
// a person does: it finds each field by the name a screen reader would
// announce, types, clicks, and reloads. Chromium comes from Debian's
// packages (.ci/run installs them); the test skips without it, except in
// CI, where a skip would hide a broken install.

// browserTimeout bounds everything the browser does in one test, and
// stepTimeout each step, so that a field that is never found is named in
// the failure rather than lost in an overall timeout.
const (
	browserTimeout = 60 * time.Second
	stepTimeout    = 15 * time.Second
)

// chromiumPath returns the Chromium to drive: $SELFCARE_CHROMIUM, or
// Debian's /usr/bin/chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SELFCARE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		msg := fmt.Sprintf("Chromium not found (%v); install Debian's chromium and "+
			"chromium-driver packages, or set SELFCARE_CHROMIUM", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI installs it in .ci/run, so this is a failure there")
		}
		t.Skip(msg)
	}
	return path
}

// isolatedEnv marks the run of the browser test inside its own network
// namespace.
const isolatedEnv = "SELFCARE_BROWSER_ISOLATED"

// runIsolated runs TestBrowserSettingsKept again in a new network namespace
// (in a new user namespace too when not root) with loopback up, and fails
// when that run fails. Where namespaces cannot be made it skips, except in
// CI.
func runIsolated(t *testing.T) {
	t.Helper()
	args := []string{"--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--user", "--map-root-user")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*browserTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "unshare", append(args, "true")...).
		CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot make a network namespace for the browser (%v: %s)",
			err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	args = append(args, "--", "sh", "-c", `ip link set lo up && exec "$@"`, "sh",
		os.Args[0], "-test.run=^TestBrowserSettingsKept$", "-test.count=1", "-test.v")
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = append(os.Environ(), isolatedEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestBrowserSettingsKept") {
		t.Fatalf("the browser test in its own network namespace: %v\n%s", err, out)
	}
	t.Logf("the browser test passed in its own network namespace:\n%s", out)
}

// onlyLoopback fails the test unless loopback is the one interface up, as
// in the namespace runIsolated makes.
func onlyLoopback(t *testing.T) {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && i.Flags&net.FlagUp != 0 {
			t.Fatalf("interface %s is up: the browser must run where only loopback is", i.Name)
		}
	}
}

// browserSite is a portal on a temporary SQLite database, served on
// loopback, with one end user who has one phone of two lines.
type browserSite struct {
	base     string // http://127.0.0.1:port
	user     string
	password string
	device   string
}

func startBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	ctx := context.Background()
	st, svc, err := openStore(ctx, options{DataDir: t.TempDir(),
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})

	s := &browserSite{user: "bea.browser", password: "amber tractor velvet harbour",
		device: "SEP00B0B0B0B001"}
	u := selfcare.User{ID: s.user, FirstName: "Bea", LastName: "Browser"}
	if err := svc.CreateUser(ctx, "test", u, s.password, "80417263"); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "test", acl.GroupStandardCCMEndUsers,
		s.user); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutDevice(ctx, "test", selfcare.Device{Name: s.device, Owner: s.user,
		Model: "Cisco 8845", AdminDescription: "Bea's desk phone",
		Lines: []selfcare.Line{{Index: 1, Extension: "2001"},
			{Index: 2, Extension: "2002"}}}); err != nil {
		t.Fatal(err)
	}

	h, err := web.New(svc, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(web.DefaultPrefix, h)
	// httptest listens on 127.0.0.1, the one host the browser may reach.
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.base = ts.URL
	if !strings.HasPrefix(s.base, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", s.base)
	}
	return s
}

// browser is one headless Chromium tab that may load only the test
// server's pages.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab, bounded by browserTimeout
	base string

	mu      sync.Mutex
	foreign []string // URLs the tab asked for outside base
	local   int      // requests to base, so the guard is known to listen
}

// startBrowser starts Chromium with its background services off and
// every host name but 127.0.0.1 unresolvable, so that nothing leaves the
// machine even if a page or a browser feature asks.
func startBrowser(t *testing.T, exe, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.WindowSize(1024, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-features",
			"Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
				"AutofillServerCommunication,InterestFeedContentSuggestions"),
	)
	// chromedp gives the browser a new, empty --user-data-dir and removes it.
	bounded, cancelTime := context.WithTimeout(context.Background(), browserTimeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(bounded, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTime()
	})

	b := &browser{t: t, ctx: tab, base: base}
	err := chromedp.Listen(tab, func(ev any) {
		var url string
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			url = ev.Request.URL
		case *network.EventWebSocketCreated:
			url = ev.URL
		default:
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		switch {
		case strings.HasPrefix(url, base+"/"):
			b.local++
		case url == "about:blank", strings.HasPrefix(url, "data:"):
			// Nothing leaves the page.
		default:
			b.foreign = append(b.foreign, url)
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium %s: %v", exe, err)
	}
	return b
}

// checkRequests fails the test for any request outside the test server.
func (b *browser) checkRequests() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.foreign) > 0 {
		b.t.Errorf("the browser asked for pages outside %s: %q", b.base, b.foreign)
	}
	if b.local == 0 {
		b.t.Error("the request guard saw no request at all")
	}
}

// keepEvidence saves a screenshot and the page's HTML when the test has
// failed. It writes them outside t.TempDir, which is removed when the
// test ends, so that the logged paths can still be opened.
func (b *browser) keepEvidence() {
	if !b.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "selfcare-browser-")
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.t.Logf("no screenshot: %v", err)
	} else if err := os.WriteFile(filepath.Join(dir, "page.png"), png, 0o600); err == nil {
		b.t.Logf("screenshot of the failing page: %s", filepath.Join(dir, "page.png"))
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML("html")); err == nil {
		path := filepath.Join(dir, "page.html")
		if os.WriteFile(path, []byte(html), 0o600) == nil {
			b.t.Logf("HTML of %s: %s", loc, path)
		}
	}
}

// runStep runs one action in the tab within stepTimeout.
func runStep[T any](b *browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: no such element after %v, or the page never loaded",
			err, stepTimeout)
	}
	return v, err
}

// do runs steps in the tab and fails the test, saying what for, on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := runStep(b, chromedp.Steps(steps...)); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page of the portal with a GET, as typing its address
// does, and checks the status.
func (b *browser) open(path string) {
	b.t.Helper()
	resp, err := runStep(b, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("open %s: status %d", path, resp.Status)
	}
}

// submit clicks a form's button and waits for the page that answers: after
// a save, the page that the redirect leads to.
func (b *browser) submit(button ax, wantStatus int) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(button.String(), button.opts()...))
	if err != nil {
		b.t.Fatalf("click %s: %v", button, err)
	}
	if resp.Status != int64(wantStatus) {
		b.t.Fatalf("click %s: status %d, want %d", button, resp.Status, wantStatus)
	}
}

// ax selects an element the way assistive technology sees it: by its
// computed role and accessible name, optionally inside another element.
// A field whose label is missing or not tied to it is not found, and
// two fields with one name inside the scope are an error.
type ax struct {
	role, name string
	in         *chromedp.Node
	scope      string // what in is, for messages
}

func (a ax) String() string {
	if a.in != nil {
		return fmt.Sprintf("%s %q in %s", a.role, a.name, a.scope)
	}
	return fmt.Sprintf("%s %q", a.role, a.name)
}

// within returns an ax for the element named role and name inside a.
func (b *browser) within(a ax, role, name string) ax {
	b.t.Helper()
	nodes, err := runStep(b, chromedp.Nodes(a.String(), a.opts()...))
	if err != nil {
		b.t.Fatalf("find %s: %v", a, err)
	}
	return ax{role: role, name: name, in: nodes[0], scope: a.String()}
}

func (a ax) opts(extra ...chromedp.QueryOption) []chromedp.QueryOption {
	o := []chromedp.QueryOption{chromedp.ByFunc(a.lookup), chromedp.After(a.unique)}
	if a.in != nil {
		o = append(o, chromedp.FromNode(a.in))
	}
	return append(o, extra...)
}

// lookup asks Chromium's accessibility tree for the matches below n.
func (a ax) lookup(ctx context.Context, t *chromedp.Target, n *chromedp.Node) (
	[]cdp.NodeID, error) {
	res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
		NodeID: n.NodeID, Role: a.role, AccessibleName: a.name})
	if err != nil {
		return nil, err
	}
	var ids []cdp.BackendNodeID
	for _, node := range res.Nodes {
		if !node.Ignored && node.BackendDOMNodeID != 0 &&
			!slices.Contains(ids, node.BackendDOMNodeID) {
			ids = append(ids, node.BackendDOMNodeID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend,
		dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: ids})
	return pushed.NodeIDs, err
}

func (a ax) unique(_ context.Context, _ *chromedp.Target, nodes []*chromedp.Node) error {
	if len(nodes) != 1 {
		return fmt.Errorf("%d elements are announced as %s; want exactly one", len(nodes), a)
	}
	return nil
}

// typeInto clears a text field and types text into it, key by key.
func (b *browser) typeInto(field ax, text string) {
	b.t.Helper()
	b.do("type into "+field.String(),
		chromedp.Clear(field.String(), field.opts()...),
		chromedp.SendKeys(field.String(), text, field.opts(chromedp.NodeVisible)...))
}

// value is what a text field or list box holds now.
func (b *browser) value(field ax) string {
	b.t.Helper()
	v, err := runStep(b, chromedp.Value(field.String(), field.opts()...))
	if err != nil {
		b.t.Fatalf("read %s: %v", field, err)
	}
	return v
}

// checked reports whether a checkbox or radio button is checked.
func (b *browser) checked(box ax) bool {
	b.t.Helper()
	v, err := runStep(b, chromedp.JavascriptAttribute[bool](box.String(),
		"checked", box.opts()...))
	if err != nil {
		b.t.Fatalf("read %s: %v", box, err)
	}
	return v
}

// description is the accessible description of an element: the text a
// screen reader reads after its name, such as an error tied to a field.
func (b *browser) description(field ax) string {
	b.t.Helper()
	d, err := runStep(b, chromedp.QueryAfter(field.String(),
		func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (string, error) {
			res, err := cdp.Call(ctx, t, accessibility.GetPartialAXTree,
				accessibility.GetPartialAXTreeParams{BackendNodeID: nodes[0].BackendNodeID})
			if err != nil {
				return "", err
			}
			for _, n := range res.Nodes {
				if n.BackendDOMNodeID == nodes[0].BackendNodeID && n.Description != nil {
					var s string
					err := json.Unmarshal([]byte(n.Description.Value), &s)
					return s, err
				}
			}
			return "", nil
		}, field.opts()...))
	if err != nil {
		b.t.Fatalf("describe %s: %v", field, err)
	}
	return d
}

// pageText is the visible text of the page's main part.
func (b *browser) pageText() string {
	b.t.Helper()
	s, err := runStep(b, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return s
}

// TestBrowserSettingsKept signs in through the login page, sets Call
// Forward All, adds a speed dial and turns on Do Not Disturb through the
// pages' forms, and checks after reloading every page, and through the
// JSON API, that each value was kept and none disturbed another.
//
// Chromium opens sockets of its own that no flag turns off (a probe of
// IPv6 reachability connects a UDP socket to a public address), so the
// test runs itself again in a network namespace of its own, whose only
// interface is loopback: nothing Chromium does can leave it.
func TestBrowserSettingsKept(t *testing.T) {
	exe := chromiumPath(t)
	if os.Getenv(isolatedEnv) == "" {
		runIsolated(t)
		return
	}
	onlyLoopback(t)
	s := startBrowserSite(t)
	b := startBrowser(t, exe, s.base)
	defer b.checkRequests()
	defer b.keepEvidence()

	// Sign in with the labelled fields; the portal lands on My Phones.
	b.open("/ucmuser/login")
	b.typeInto(ax{role: "textbox", name: "User ID"}, s.user)
	b.typeInto(ax{role: "textbox", name: "Password"}, s.password)
	b.submit(ax{role: "button", name: "Sign in"}, http.StatusOK)
	if loc, err := runStep(b, chromedp.Location()); err != nil ||
		loc != s.base+"/ucmuser/phones" {
		t.Fatalf("after signing in the browser is at %q (%v), want My Phones", loc, err)
	}

	// Call Forward All of line 2001 to a national number.
	const (
		national = "914085550100"
		destName = "Forward all calls: Number or directory URI"
	)
	b.open("/ucmuser/forwarding")
	line1 := b.within(ax{role: "form", name: "Line 2001"}, "group", "Forward all calls")
	b.typeInto(b.within(line1, "textbox", destName), national)
	b.submit(ax{role: "button", name: "Save line 2001"}, http.StatusOK)
	if text := b.pageText(); !strings.Contains(text,
		"Call forwarding of line 2001 has been saved.") {
		t.Fatalf("no confirmation after saving forwarding:\n%s", text)
	}

	// The save ended in a redirect, so the browser's own reload reads the
	// page again rather than posting the form a second time, which would
	// be refused as changed elsewhere.
	reloadCtx, cancelReload := context.WithTimeout(b.ctx, stepTimeout)
	reloaded, err := chromedp.RunResponse(reloadCtx, chromedp.Reload())
	cancelReload()
	if err != nil || reloaded.Status != http.StatusOK {
		t.Fatalf("reload after the save: %v, %+v", err, reloaded)
	}
	if text := b.pageText(); strings.Contains(text, "changed elsewhere") {
		t.Fatalf("reloading after a save reported a conflict:\n%s", text)
	}

	// A refused number on line 2002 is reported beside its field, tied
	// to it for screen readers, and stored nowhere.
	line2 := b.within(ax{role: "form", name: "Line 2002"}, "group", "Forward all calls")
	refused := b.within(line2, "textbox", destName)
	b.typeInto(refused, "9011441632960961")
	b.submit(ax{role: "button", name: "Save line 2002"}, http.StatusBadRequest)
	line2 = b.within(ax{role: "form", name: "Line 2002"}, "group", "Forward all calls")
	refused = b.within(line2, "textbox", destName)
	if d := b.description(refused); !strings.Contains(d,
		"International numbers are not allowed.") {
		t.Errorf("refused destination's description = %q, want the reason", d)
	}
	if v := b.value(refused); v != "9011441632960961" {
		t.Errorf("refused destination shown as %q, want what was typed", v)
	}

	// The focus starts on the error summary, whose link leads to the field.
	focused, err := runStep(b, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil || focused != "error-summary" {
		t.Errorf("after the refusal the focus is on %q (%v), want the error summary",
			focused, err)
	}
	b.within(ax{role: "alert", name: ""}, "link",
		"Forward all calls: International numbers are not allowed.")

	// A speed dial on the phone's first empty row.
	b.open("/ucmuser/speed-dials")
	phone := ax{role: "form", name: s.device + " (Bea's desk phone)"}
	b.typeInto(b.within(phone, "textbox", "Position, row 1"), "3")
	b.typeInto(b.within(phone, "textbox", "Number or URI, row 1"), "2002")
	b.typeInto(b.within(phone, "textbox", "Label, row 1"), "Team line")
	b.submit(ax{role: "button", name: "Save speed dials of " + s.device}, http.StatusOK)
	if text := b.pageText(); !strings.Contains(text, "have been saved") {
		t.Fatalf("no confirmation after saving speed dials:\n%s", text)
	}

	// Codes after a pause need a label: the refusal is read out with the
	// label field, the one to fix, and nothing is stored.
	b.typeInto(b.within(phone, "textbox", "Position, row 2"), "4")
	b.typeInto(b.within(phone, "textbox", "Number or URI, row 2"), "95551234,1234")
	b.submit(ax{role: "button", name: "Save speed dials of " + s.device},
		http.StatusBadRequest)
	if d := b.description(b.within(phone, "textbox", "Label, row 2")); !strings.Contains(d,
		"Enter a label") {
		t.Errorf("label field's description = %q, want why it is needed", d)
	}

	// Do Not Disturb on, rejecting calls, with a beep.
	b.open("/ucmuser/dnd")
	dndOn := ax{role: "checkbox", name: "Turn on Do Not Disturb"}
	reject := ax{role: "radio", name: "Call reject: the call is not shown"}
	alert := ax{role: "combobox", name: "Alert for an incoming call"}
	if b.checked(dndOn) {
		t.Fatal("Do Not Disturb is on before it was turned on")
	}
	b.do("choose Do Not Disturb settings",
		chromedp.Click(dndOn.String(), dndOn.opts(chromedp.NodeVisible)...),
		chromedp.Click(reject.String(), reject.opts(chromedp.NodeVisible)...),
		chromedp.SetValue(alert.String(), "beepOnly", alert.opts()...))
	b.submit(ax{role: "button", name: "Save"}, http.StatusOK)
	if text := b.pageText(); !strings.Contains(text, "Do Not Disturb has been saved.") {
		t.Fatalf("no confirmation after saving Do Not Disturb:\n%s", text)
	}

	// Reload every page: the stored values are shown, and a later save
	// changed nothing an earlier one set.
	b.open("/ucmuser/forwarding")
	line1 = b.within(ax{role: "form", name: "Line 2001"}, "group", "Forward all calls")
	if v := b.value(b.within(line1, "textbox", destName)); v != national {
		t.Errorf("after reload, Call Forward All of 2001 = %q, want %q", v, national)
	}
	if b.checked(b.within(line1, "checkbox", "Forward all calls: To voicemail")) {
		t.Error("after reload, Call Forward All of 2001 goes to voicemail")
	}
	line2 = b.within(ax{role: "form", name: "Line 2002"}, "group", "Forward all calls")
	if v := b.value(b.within(line2, "textbox", destName)); v != "" {
		t.Errorf("after reload, the refused number of 2002 is shown as stored: %q", v)
	}

	b.open("/ucmuser/speed-dials")
	got := []string{
		b.value(b.within(phone, "textbox", "Position, row 1")),
		b.value(b.within(phone, "textbox", "Number or URI, row 1")),
		b.value(b.within(phone, "textbox", "Label, row 1")),
	}
	if want := []string{"3", "2002", "Team line"}; !slices.Equal(got, want) {
		t.Errorf("after reload, the first speed dial row = %q, want %q", got, want)
	}

	b.open("/ucmuser/dnd")
	if !b.checked(dndOn) || !b.checked(reject) || b.value(alert) != "beepOnly" {
		t.Errorf("after reload, Do Not Disturb on=%t reject=%t alert=%q, want on, "+
			"call reject, beepOnly", b.checked(dndOn), b.checked(reject), b.value(alert))
	}

	// The JSON API, with a session of its own, reads the same from the
	// database.
	api := newClient(t, s.base)
	st, body := api.login(s.user, s.password)
	expect(t, "API login", st, http.StatusCreated, body)
	var fw struct {
		CallForwardAll struct {
			Voicemail   bool   `json:"voicemail"`
			Destination string `json:"destination"`
		} `json:"callForwardAll"`
	}
	apiRead(t, api, "/ucmuser/api/v1/lines/2001/forwarding", &fw)
	if fw.CallForwardAll.Destination != national || fw.CallForwardAll.Voicemail {
		t.Errorf("API: Call Forward All of 2001 = %+v", fw.CallForwardAll)
	}
	apiRead(t, api, "/ucmuser/api/v1/lines/2002/forwarding", &fw)
	if fw.CallForwardAll.Destination != "" {
		t.Errorf("API: the refused number of 2002 was stored: %+v", fw.CallForwardAll)
	}
	var sd struct {
		SpeedDials []struct {
			Position    int    `json:"position"`
			Destination string `json:"destination"`
			Label       string `json:"label"`
		} `json:"speedDials"`
	}
	apiRead(t, api, "/ucmuser/api/v1/phones/"+s.device+"/speed-dials", &sd)
	if len(sd.SpeedDials) != 1 || sd.SpeedDials[0].Position != 3 ||
		sd.SpeedDials[0].Destination != "2002" || sd.SpeedDials[0].Label != "Team line" {
		t.Errorf("API: speed dials = %+v, want one, 3 = 2002 (Team line)", sd.SpeedDials)
	}
	var dnd struct {
		Enabled bool   `json:"enabled"`
		Option  string `json:"option"`
		Alert   string `json:"incomingCallAlert"`
	}
	apiRead(t, api, "/ucmuser/api/v1/dnd", &dnd)
	if !dnd.Enabled || dnd.Option != "callReject" || dnd.Alert != "beepOnly" {
		t.Errorf("API: Do Not Disturb = %+v, want on, callReject, beepOnly", dnd)
	}
}

// apiRead GETs a JSON resource into v.
func apiRead(t testing.TB, c *client, path string, v any) {
	t.Helper()
	st, body := c.do("GET", path, nil, nil)
	expect(t, "GET "+path, st, http.StatusOK, body)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", path, errors.Join(err, errors.New(body)))
	}
}
