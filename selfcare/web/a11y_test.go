package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// The accessibility test renders every page a signed-in user can reach,
// and each page again after a refused save, and checks in the parsed HTML
// what assistive technology relies on: one label per field, unique ids,
// descriptions and summary links that point somewhere, invalid fields
// marked and tied to their message, one h1 and one alert.

// newA11ySite is the line settings site (every part of the line settings
// shown) where ann also has a user profile that offers the Extension
// Mobility page, a phone service to subscribe to, an additional phone and
// a contact, so that every page shows its forms filled.
func newA11ySite(tb testing.TB) (*activationSite, *browser) {
	tb.Helper()
	s := newLineSettingsSite(tb)
	local := selfcare.LocalCaller("")
	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, err := s.svc.PutProfile(s.ctx, local, prof); err != nil {
		tb.Fatal(err)
	}
	if err := s.svc.AssignProfile(s.ctx, local, "ann", prof.Name); err != nil {
		tb.Fatal(err)
	}
	if err := s.svc.AddPhoneService(s.ctx, local, selfcare.PhoneService{ID: "agent",
		Name: "Agent sign-in", Kind: selfcare.PhoneServiceInternal,
		URL: "https://agents.example.com/xml",
		Params: []selfcare.ServiceParam{{Name: "agentId", DisplayName: "Agent ID",
			Required: true, MaxLength: 6, Kind: selfcare.ServiceParamDigits}}}); err != nil {
		tb.Fatal(err)
	}
	ann := s.signIn("ann")
	rdAdd(tb, ann, `{"number":"+14085550101","description":"Mobile"}`)
	mustCreateContact(tb, ann, annContacts, `{"firstName":"Ada","methods":`+
		`[{"type":"work","number":"4021"}]}`)
	if res := ann.form("/ucmuser/services", url.Values{"action": {"subscribe"},
		"device": {"SEPANN"}, "service": {"agent"}, "p.agentId": {"4711"}}); res.StatusCode >= 400 {
		tb.Fatalf("subscribe: %d %s", res.StatusCode, res.Body)
	}
	return s, ann
}

// a11yNav is every page the navigation offers a user with every feature.
var a11yNav = []string{"phones", "forwarding", "speed-dials", "contacts", "services", "dnd",
	"conferencing", "line-settings", "additional-phones", "password", "language", "pin",
	"extension-mobility"}

func TestEveryPageIsAccessible(t *testing.T) {
	_, ann := newA11ySite(t)

	// Crawl from My Phones: the navigation, and the links within pages
	// (a phone's settings, a contact's edit form), bounded in number.
	seen := map[string]bool{}
	queue := []string{"/ucmuser/phones"}
	var nav []string
	for len(queue) > 0 && len(seen) < 60 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		res := ann.get(path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
			continue
		}
		doc := parsePage(t, res.Body)
		for _, p := range a11yProblems(doc) {
			t.Errorf("GET %s: %s", path, p)
		}
		if nav == nil {
			nav = navTargets(doc)
		}
		for _, link := range pageLinks(doc) {
			if !seen[link] {
				queue = append(queue, link)
			}
		}
	}
	want := make([]string, 0, len(a11yNav))
	for _, p := range a11yNav {
		want = append(want, "/ucmuser/"+p)
	}
	slices.Sort(want)
	slices.Sort(nav)
	if !slices.Equal(nav, want) {
		t.Errorf("the navigation offers %q, want %q", nav, want)
	}
	for _, p := range want {
		if !seen[p] {
			t.Errorf("page %s was not reached", p)
		}
	}
	if !seen["/ucmuser/phones/SEPANN/settings"] {
		t.Error("the phone settings page was not reached from My Phones")
	}
}

// TestPagesOutsideTheNavigationAreAccessible checks the sign-in page, as
// served and after a refused sign-in, and the error page.
func TestPagesOutsideTheNavigationAreAccessible(t *testing.T) {
	s, ann := newA11ySite(t)
	nobody := s.signIn("")
	cases := []struct {
		name   string
		res    response
		status int
	}{
		{"sign-in page", nobody.get("/ucmuser/login"), http.StatusOK},
		{"refused sign-in", nobody.form("/ucmuser/login",
			url.Values{"userId": {"ann"}, "password": {"wrong"}}), http.StatusUnauthorized},
		{"error page", ann.get("/ucmuser/phones/SEPBEN/settings"), http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", c.res.StatusCode, c.status)
			}
			doc := parsePage(t, c.res.Body)
			for _, p := range a11yProblems(doc) {
				t.Error(p)
			}
			if c.status != http.StatusOK {
				for _, p := range refusalProblems(doc, false) {
					t.Error(p)
				}
			}
		})
	}
}

func TestRefusedSavesAreAccessible(t *testing.T) {
	_, ann := newA11ySite(t)
	long := strings.Repeat("x", 200)
	cases := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{"forwarding names the refused destination", "/ucmuser/forwarding",
			url.Values{"extension": {"4021"}, "version": {"0"}, "section": {"all", "rules"},
				"callForwardAll.destination": {"9011441632960961"},
				"busyInternal.destination":   {"not a number"}}, 400},
		{"forwarding reports a conflict", "/ucmuser/forwarding",
			url.Values{"extension": {"4021"}, "version": {"99"}, "section": {"all"}}, 409},
		{"speed dials name the row", "/ucmuser/speed-dials",
			url.Values{"device": {"SEPANN"}, "version": {"0"}, "position": {"1", ""},
				"destination": {"95551234,1234", ""}, "label": {"", ""}}, 400},
		{"contacts name the field", "/ucmuser/contacts",
			url.Values{"action": {"add"}, "device": {"SEPANN"},
				"methodType": {"work"}, "methodNumber": {"12ab"}}, 400},
		{"services name the parameter", "/ucmuser/services",
			url.Values{"action": {"update"}, "device": {"SEPANN"}, "service": {"agent"},
				"version": {"1"}, "p.agentId": {"12345678"}}, 400},
		{"Do Not Disturb reports a conflict", "/ucmuser/dnd",
			url.Values{"version": {"99"}, "option": {"ringerOff"},
				"alert": {"disable"}}, 409},
		{"conferencing names the code", "/ucmuser/conferencing",
			url.Values{"version": {"0"}, "enabled": {"on"}, "accessCode": {"1"}}, 400},
		{"line settings name the label", "/ucmuser/line-settings",
			url.Values{"device": {"SEPANN"}, "index": {"1"}, "version": {"0"},
				"section":  {"ring", "label", "mwi"},
				"ringIdle": {"ring"}, "ringOnCall": {"ring"}, "label": {long},
				"mwiVisual": {"useSystemPolicy"}, "mwiAudible": {"default"}}, 400},
		{"additional phones name the number", "/ucmuser/additional-phones",
			url.Values{"number": {"abc"}, "voicemailAvoidance": {"useSystemDefault"},
				"delayBeforeRinging": {"x"}, "answerTooSoon": {"1.5"},
				"answerTooLate": {"19.0"}, "day": {"1"}, "start": {"25:00"},
				"end": {"17:00"}}, 400},
		{"password names the confirmation", "/ucmuser/password",
			url.Values{"currentPassword": {sitePassword}, "newPassword": {"a"},
				"confirmPassword": {"b"}}, 400},
		{"language names the list", "/ucmuser/language",
			url.Values{"version": {"0"}, "locale": {"xx_XX"}}, 400},
		{"PIN names the new PIN", "/ucmuser/pin",
			url.Values{"currentPassword": {sitePassword}, "newPin": {"1111"},
				"confirmPin": {"1111"}}, 400},
		{"Do Not Disturb names the option", "/ucmuser/dnd",
			url.Values{"version": {"0"}, "enabled": {"yes"}, "option": {"loud"},
				"alert": {"beepOnly"}}, 400},
		{"Extension Mobility names the choice", "/ucmuser/extension-mobility",
			url.Values{"choice": {"custom"}, "hours": {"x"}, "version": {"0"}}, 400},
		{"phone settings name the description", "/ucmuser/phones/SEPANN/settings",
			url.Values{"version": {"0"}, "section": {"description"},
				"description": {long}}, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ann.form(c.path, c.form)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, res.Body)
			}
			doc := parsePage(t, res.Body)
			for _, p := range a11yProblems(doc) {
				t.Error(p)
			}
			for _, p := range refusalProblems(doc, c.status == http.StatusBadRequest) {
				t.Error(p)
			}
		})
	}
}

// TestA11yCheckerFindsProblems feeds the checker pages with one problem
// each, so that a check that never fires is noticed.
func TestA11yCheckerFindsProblems(t *testing.T) {
	const ok = `<h1>T</h1><form><label for="a">A</label><input id="a" name="a"></form>`
	cases := []struct{ name, page, want string }{
		{"no label", `<h1>T</h1><input id="a">`, "has 0 labels"},
		{"aria-label only", `<h1>T</h1><input id="a" aria-label="A">`, "aria-label"},
		{"two labels", `<h1>T</h1><label for="a">A</label><label for="a">B</label>` +
			`<input id="a">`, "has 2 labels"},
		{"duplicate id", ok + `<p id="a"></p>`, `id "a" is used 2 times`},
		{"dangling description", `<h1>T</h1><label for="a">A</label>` +
			`<input id="a" aria-describedby="x">`, `aria-describedby "x"`},
		{"invalid without message", `<h1>T</h1><label for="a">A</label>` +
			`<input id="a" aria-invalid="true">`, "no error message"},
		{"orphan field error", ok + `<p class="field-error" id="e">bad</p>`,
			"not tied to an invalid field"},
		{"summary link to nothing", ok + `<div class="error-summary" role="alert">` +
			`<a href="#nope">x</a></div>`, `links to "#nope"`},
		{"two h1", ok + `<h1>U</h1>`, "2 h1"},
		{"nested alert", ok + `<div role="alert"><p role="alert">x</p></div>`,
			"role=alert inside"},
		{"same name twice in a form", `<h1>T</h1><form><label for="a">N</label>` +
			`<input id="a"><label for="b">N</label><input id="b"></form>`,
			`2 fields are named "N"`},
		{"row 0", `<h1>T</h1><label for="a">Label, row 0</label><input id="a">`,
			"counts rows from 0"},
		{"two autofocus", `<h1>T</h1><label for="a">A</label><input id="a" autofocus>` +
			`<div tabindex="-1" autofocus></div>`, "ask for the focus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := a11yProblems(parsePage(t, []byte(c.page)))
			if !slices.ContainsFunc(got, func(p string) bool {
				return strings.Contains(p, c.want)
			}) {
				t.Errorf("problems %q, want one with %q", got, c.want)
			}
		})
	}
	if got := a11yProblems(parsePage(t, []byte(ok))); len(got) != 0 {
		t.Errorf("a correct page: %q", got)
	}
	if got := refusalProblems(parsePage(t, []byte(ok)), true); len(got) == 0 {
		t.Error("a refused save without an error summary passed")
	}
}

func parsePage(tb testing.TB, body []byte) *html.Node {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// elements returns the elements below n, in document order.
func elements(n *html.Node) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode {
			out = append(out, d)
		}
	}
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// isField reports whether n takes input that needs a label.
func isField(n *html.Node) bool {
	switch n.Data {
	case "select", "textarea":
		return true
	case "input":
		t, _ := attr(n, "type")
		return !slices.Contains([]string{"hidden", "submit", "button", "reset", "image"}, t)
	}
	return false
}

var rowZero = regexp.MustCompile(`(?i)\brow 0\b`)

// a11yProblems lists what is wrong with a page, one sentence each.
func a11yProblems(doc *html.Node) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	all := elements(doc)

	ids := map[string]*html.Node{}
	idCount := map[string]int{}
	labelsFor := map[string][]*html.Node{}
	h1 := 0
	for _, n := range all {
		if id, ok := attr(n, "id"); ok {
			ids[id] = n
			idCount[id]++
		}
		if n.Data == "label" {
			if f, ok := attr(n, "for"); ok {
				labelsFor[f] = append(labelsFor[f], n)
			}
		}
		if n.Data == "h1" {
			h1++
		}
	}
	for id, c := range idCount {
		if c > 1 {
			bad("id %q is used %d times", id, c)
		}
	}
	if h1 != 1 {
		bad("the page has %d h1 elements, want 1", h1)
	}
	focus := slices.DeleteFunc(slices.Clone(all), func(n *html.Node) bool {
		_, ok := attr(n, "autofocus")
		return !ok
	})
	if len(focus) > 1 {
		bad("%d elements ask for the focus, want at most 1", len(focus))
	}

	// References must point at elements of the page.
	describedBy := map[string]*html.Node{}
	for _, n := range all {
		for _, a := range []string{"aria-describedby", "aria-labelledby"} {
			v, _ := attr(n, a)
			for _, ref := range strings.Fields(v) {
				if ids[ref] == nil {
					bad("<%s id=%q> has %s %q, which is no element", n.Data, idOf(n), a, ref)
				}
				if a == "aria-describedby" {
					describedBy[ref] = n
				}
			}
		}
	}

	// Every field has exactly one visible label, and its name is one
	// nobody could mistake within its form.
	names := map[*html.Node]map[string]int{}
	for _, n := range all {
		if !isField(n) {
			continue
		}
		id := idOf(n)
		var name []string
		for _, l := range labelsFor[id] {
			name = append(name, textOf(l))
		}
		for p := n.Parent; p != nil; p = p.Parent {
			if p.Type == html.ElementNode && p.Data == "label" {
				if _, ok := attr(p, "for"); !ok {
					name = append(name, textOf(p))
				}
			}
		}
		if v, ok := attr(n, "aria-labelledby"); ok {
			var parts []string
			for _, ref := range strings.Fields(v) {
				if ids[ref] != nil {
					parts = append(parts, textOf(ids[ref]))
				}
			}
			name = append(name, strings.Join(parts, " "))
		}
		if id == "" || len(name) != 1 {
			bad("field <%s id=%q name=%q> has %d labels, want one <label for> or "+
				"aria-labelledby", n.Data, id, nameAttr(n), len(name))
		}
		if _, ok := attr(n, "aria-label"); ok {
			bad("field <%s id=%q> is named by aria-label, which nobody sees", n.Data, id)
		}
		if len(name) == 1 {
			if rowZero.MatchString(name[0]) {
				bad("field %q counts rows from 0", name[0])
			}
			if t, _ := attr(n, "type"); t != "radio" {
				form := enclosing(n, "form")
				if names[form] == nil {
					names[form] = map[string]int{}
				}
				names[form][name[0]]++
			}
		}

		// An invalid field says why, in a message tied to it.
		if v, _ := attr(n, "aria-invalid"); v == "true" {
			d, _ := attr(n, "aria-describedby")
			if !slices.ContainsFunc(strings.Fields(d), func(ref string) bool {
				return ids[ref] != nil && hasClass(ids[ref], "field-error")
			}) {
				bad("invalid field <%s id=%q> has no error message in aria-describedby",
					n.Data, id)
			}
		}
	}
	for form, counts := range names {
		for name, c := range counts {
			if c > 1 {
				bad("%d fields are named %q in form %q", c, name, idOf(form))
			}
		}
	}

	// Field errors are announced with their field, not on their own.
	for _, n := range all {
		if !hasClass(n, "field-error") {
			continue
		}
		f := describedBy[idOf(n)]
		if f == nil {
			bad("field error %q is not tied to an invalid field", textOf(n))
			continue
		}
		if v, _ := attr(f, "aria-invalid"); v != "true" {
			bad("field error %q is not tied to an invalid field", textOf(n))
		}
	}

	// The error summary links to elements that exist, and to a field
	// only when it is marked invalid.
	for _, n := range all {
		if !hasClass(n, "error-summary") {
			continue
		}
		for _, a := range elements(n) {
			href, _ := attr(a, "href")
			if a.Data != "a" || !strings.HasPrefix(href, "#") {
				continue
			}
			target := ids[strings.TrimPrefix(href, "#")]
			if target == nil {
				bad("the error summary links to %q, which is no element", href)
				continue
			}
			if v, _ := attr(target, "aria-invalid"); isField(target) && v != "true" {
				bad("the error summary links to %q, which is not marked invalid", href)
			}
		}
	}

	// One alert, never inside another: a screen reader reads each.
	for _, n := range all {
		if r, _ := attr(n, "role"); r != "alert" {
			continue
		}
		for p := n.Parent; p != nil; p = p.Parent {
			if r, _ := attr(p, "role"); p.Type == html.ElementNode && r == "alert" {
				bad("role=alert inside role=alert: %q", textOf(n))
			}
		}
	}
	return out
}

// refusalProblems checks what a refused save must show: one alert, the
// error summary, and, when fields were refused, a link in the summary to
// each invalid field. A conflict refuses no field; the summary says why.
func refusalProblems(doc *html.Node, fields bool) []string {
	var out []string
	all := elements(doc)
	var alerts, summaries []*html.Node
	for _, n := range all {
		if r, _ := attr(n, "role"); r == "alert" {
			alerts = append(alerts, n)
		}
		if hasClass(n, "error-summary") {
			summaries = append(summaries, n)
		}
	}
	if len(alerts) != 1 {
		out = append(out, fmt.Sprintf("%d elements with role=alert, want 1", len(alerts)))
	}
	if len(summaries) != 1 {
		return append(out, fmt.Sprintf("%d error summaries, want 1", len(summaries)))
	}
	var linked []string
	for _, a := range elements(summaries[0]) {
		if href, _ := attr(a, "href"); a.Data == "a" && strings.HasPrefix(href, "#") {
			linked = append(linked, strings.TrimPrefix(href, "#"))
		}
	}
	if fields && len(linked) == 0 {
		out = append(out, "the error summary links to no refused field")
	}
	// A field is in the summary itself, or shares its message with one
	// that is, as the fields of one speed dial row do.
	ids := map[string]*html.Node{}
	for _, n := range all {
		if id := idOf(n); id != "" {
			ids[id] = n
		}
	}
	messages := func(n *html.Node) []string {
		d, _ := attr(n, "aria-describedby")
		return slices.DeleteFunc(strings.Fields(d), func(ref string) bool {
			return ids[ref] == nil || !hasClass(ids[ref], "field-error")
		})
	}
	var linkedMessages []string
	for _, id := range linked {
		if ids[id] != nil {
			linkedMessages = append(linkedMessages, messages(ids[id])...)
		}
	}
	invalid := 0
	for _, n := range all {
		if v, _ := attr(n, "aria-invalid"); v != "true" {
			continue
		}
		invalid++
		if !slices.Contains(linked, idOf(n)) && !slices.ContainsFunc(messages(n),
			func(m string) bool { return slices.Contains(linkedMessages, m) }) {
			out = append(out, fmt.Sprintf("invalid field %q is not in the error summary",
				idOf(n)))
		}
	}
	if fields && invalid == 0 {
		out = append(out, "no field is marked invalid")
	}
	return out
}

func idOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	v, _ := attr(n, "id")
	return v
}

func nameAttr(n *html.Node) string {
	v, _ := attr(n, "name")
	return v
}

// enclosing returns the nearest ancestor element called tag, or nil.
func enclosing(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return p
		}
	}
	return nil
}

// navTargets returns the paths of the main navigation's links.
func navTargets(doc *html.Node) []string {
	var out []string
	for _, n := range elements(doc) {
		if n.Data != "nav" {
			continue
		}
		for _, a := range elements(n) {
			if href, ok := attr(a, "href"); a.Data == "a" && ok {
				out = append(out, href)
			}
		}
	}
	return out
}

// pageLinks returns the portal's pages that doc links to, without
// fragments, static files or the API.
func pageLinks(doc *html.Node) []string {
	var out []string
	for _, n := range elements(doc) {
		href, ok := attr(n, "href")
		if n.Data != "a" || !ok {
			continue
		}
		href, _, _ = strings.Cut(href, "#")
		if !strings.HasPrefix(href, "/ucmuser/") ||
			strings.HasPrefix(href, "/ucmuser/static/") ||
			strings.HasPrefix(href, "/ucmuser/api/") {
			continue
		}
		out = append(out, href)
	}
	return out
}
