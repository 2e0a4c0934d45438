package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// forwardingSite is an activation site where ann has lines 4021 and 4022
// and ben has 4031.
func newForwardingSite(tb testing.TB) *activationSite {
	tb.Helper()
	s := newActivationSite(tb)
	for _, d := range []selfcare.Device{
		{Name: "SEPANN", Owner: "ann", Lines: []selfcare.Line{{Index: 1, Extension: "4021"},
			{Index: 2, Extension: "4022"}}},
		{Name: "SEPBEN", Owner: "ben", Lines: []selfcare.Line{{Index: 1, Extension: "4031"}}},
	} {
		if err := s.svc.PutDevice(s.ctx, "", d); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

func (s *activationSite) setParam(key, value string) {
	s.tb.Helper()
	if _, err := s.svc.SetParam(s.ctx, selfcare.LocalCaller(""), key, value); err != nil {
		s.tb.Fatal(err)
	}
}

const fwdPath = "/ucmuser/api/v1/lines/4021/forwarding"

// patch sends a merge patch with the If-Match value, unless it is "-".
func (b *browser) patch(path, ifMatch, body string) response {
	b.tb.Helper()
	var hdr []string
	if ifMatch != "-" {
		hdr = []string{"If-Match", ifMatch}
	}
	return b.do("PATCH", path, "application/merge-patch+json", body, hdr...)
}

// forwarding decodes a forwarding answer.
func forwarding(tb testing.TB, res response) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		tb.Fatalf("body %q: %v", res.Body, err)
	}
	return m
}

// rule returns one rule of a forwarding answer as "voicemail|destination".
func rule(m map[string]any, name string) string {
	r, _ := m[name].(map[string]any)
	vm, _ := r["voicemail"].(bool)
	dest, _ := r["destination"].(string)
	if vm {
		return "vm|" + dest
	}
	return "|" + dest
}

func errCode(tb testing.TB, res response) string {
	tb.Helper()
	var e struct{ Error struct{ Code string } }
	if err := json.Unmarshal(res.Body, &e); err != nil {
		tb.Fatalf("error body %q: %v", res.Body, err)
	}
	return e.Error.Code
}

func TestForwardingAPIVersions(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	res := ann.get(fwdPath)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` {
		t.Fatalf("fresh GET: %d ETag %q %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
	}

	cfa := `{"callForwardAll":{"voicemail":false,"destination":"4031"}}`
	refusals := []struct {
		name, ifMatch, ctype, body string
		status                     int
		code                       string
	}{
		{"no If-Match is 428", "-", "application/merge-patch+json", cfa, 428,
			"precondition_required"},
		{"a version from the future is 409", `"5"`, "application/merge-patch+json", cfa,
			409, "version_conflict"},
		{"a weak tag is 409", `W/"0"`, "application/merge-patch+json", cfa, 409,
			"version_conflict"},
		{"a wildcard is 409", `*`, "application/merge-patch+json", cfa, 409,
			"version_conflict"},
		{"a tag that is not ours is 409", `"abc"`, "application/merge-patch+json", cfa,
			409, "version_conflict"},
		{"plain JSON is 415", `"0"`, "application/json", cfa, 415,
			"unsupported_media_type"},
		{"an unknown rule is 400", `"0"`, "application/merge-patch+json",
			`{"forwardAll":{"destination":"4031"}}`, 400, "bad_request"},
		{"an unknown rule member is 400", `"0"`, "application/merge-patch+json",
			`{"callForwardAll":{"target":"4031"}}`, 400, "bad_request"},
		{"a repeated member is 400", `"0"`, "application/merge-patch+json",
			`{"callForwardAll":null,"callForwardAll":{"destination":"4031"}}`, 400,
			"bad_request"},
		{"voicemail as text is 400", `"0"`, "application/merge-patch+json",
			`{"callForwardAll":{"voicemail":"yes"}}`, 400, "bad_request"},
		{"a rule that is not an object is 400", `"0"`, "application/merge-patch+json",
			`{"callForwardAll":"4031"}`, 400, "bad_request"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ifMatch != "-" {
				hdr = []string{"If-Match", c.ifMatch}
			}
			res := ann.do("PATCH", fwdPath, c.ctype, c.body, hdr...)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
		})
	}
	if got := ann.get(fwdPath); got.Header.Get("ETag") != `"0"` {
		t.Fatalf("a refused PATCH changed the line: ETag %s", got.Header.Get("ETag"))
	}

	// Set Call Forward All, then the busy rule alone: Call Forward All stays.
	res = ann.patch(fwdPath, `"0"`, cfa)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("PATCH: %d ETag %q %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
	}
	res = ann.patch(fwdPath, `"1"`, `{"busyInternal":{"voicemail":true}}`)
	m := forwarding(t, res)
	if res.Header.Get("ETag") != `"2"` || rule(m, "callForwardAll") != "|4031" ||
		rule(m, "busyInternal") != "vm|" {
		t.Fatalf("busy rule: ETag %s %s", res.Header.Get("ETag"), res.Body)
	}

	// The stale version that was current a moment ago is refused; nothing
	// changes.
	res = ann.patch(fwdPath, `"1"`, `{"callForwardAll":null}`)
	if res.StatusCode != 409 || errCode(t, res) != "version_conflict" {
		t.Errorf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
	if m = forwarding(t, ann.get(fwdPath)); rule(m, "callForwardAll") != "|4031" {
		t.Errorf("stale PATCH changed: %v", m)
	}

	// null destination clears it alone; a null rule turns it off.
	res = ann.patch(fwdPath, `"2"`, `{"callForwardAll":{"voicemail":true,`+
		`"destination":null},"busyInternal":null}`)
	m = forwarding(t, res)
	if res.StatusCode != 200 || rule(m, "callForwardAll") != "vm|" ||
		rule(m, "busyInternal") != "|" || m["version"] != float64(3) {
		t.Errorf("nulls: %d %s", res.StatusCode, res.Body)
	}
}

func TestForwardingAPIRefusesDestinationsWithReasons(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	for _, c := range []struct{ dest, want string }{
		{"9011441632960961", "International numbers are not allowed."},
		{"4021", "itself"},
		{"408 555 0100", "Spaces"},
	} {
		res := ann.patch(fwdPath, `"0"`,
			`{"callForwardAll":{"destination":"`+c.dest+`"}}`)
		var e struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Message string }
			}
		}
		if err := json.Unmarshal(res.Body, &e); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 400 || e.Error.Code != "invalid" || len(e.Error.Fields) != 1 ||
			e.Error.Fields[0].Field != "callForwardAll.destination" ||
			!strings.Contains(e.Error.Fields[0].Message, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.dest, res.StatusCode, res.Body,
				c.want)
		}
	}
}

func TestForwardingAPIAnotherUsersLineIsNotFound(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	benPath := "/ucmuser/api/v1/lines/4031/forwarding"
	if res := ben.patch(benPath, `"0"`, `{"callForwardAll":{"destination":"4021"}}`); res.StatusCode != 200 {
		t.Fatalf("ben's own PATCH: %d %s", res.StatusCode, res.Body)
	}
	before := ben.get(benPath)

	nobody := "/ucmuser/api/v1/lines/4999/forwarding"
	for _, c := range []struct {
		name string
		res  func(path string) response
	}{
		{"GET", func(p string) response { return ann.get(p) }},
		{"PATCH at the right version", func(p string) response {
			return ann.patch(p, `"1"`, `{"callForwardAll":null}`)
		}},
		{"PATCH at version 0", func(p string) response {
			return ann.patch(p, `"0"`, `{"callForwardAll":null}`)
		}},
	} {
		t.Run(c.name+" answers as for a line that does not exist", func(t *testing.T) {
			theirs, missing := c.res(benPath), c.res(nobody)
			if theirs.StatusCode != 404 || string(theirs.Body) != string(missing.Body) ||
				missing.StatusCode != 404 {
				t.Errorf("ben's line %d %s; no line %d %s", theirs.StatusCode, theirs.Body,
					missing.StatusCode, missing.Body)
			}
		})
	}
	after := ben.get(benPath)
	if string(after.Body) != string(before.Body) || after.Header.Get("ETag") != `"1"` {
		t.Errorf("ben's line changed: %s -> %s", before.Body, after.Body)
	}
}

func TestForwardingPage(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	page := ann.get("/ucmuser/forwarding")
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, `name="version" value="0"`) ||
		!strings.Contains(body, "Line 4022") ||
		!strings.Contains(body, `name="noAnswerExternal.destination"`) {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}
	if !strings.Contains(string(ann.get("/ucmuser/phones").Body),
		`href="/ucmuser/forwarding"`) {
		t.Error("navigation lacks the forwarding page")
	}

	form := url.Values{"extension": {"4021"}, "version": {"0"},
		"section":                    {"all", "rules"},
		"callForwardAll.destination": {"914085550100"},
		"busyInternal.voicemail":     {"on"}}
	res := ann.followSaved(ann.do("POST", "/ucmuser/forwarding",
		"application/x-www-form-urlencoded", form.Encode()))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "has been saved") ||
		!strings.Contains(string(res.Body), `value="914085550100"`) {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	m := forwarding(t, ann.get(fwdPath))
	if rule(m, "callForwardAll") != "|914085550100" || rule(m, "busyInternal") != "vm|" {
		t.Errorf("stored %v", m)
	}

	// The same form again carries a stale version: 409 and a clear word.
	form.Set("callForwardAll.destination", "4031")
	res = ann.do("POST", "/ucmuser/forwarding", "application/x-www-form-urlencoded",
		form.Encode())
	if res.StatusCode != 409 || !strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	if m = forwarding(t, ann.get(fwdPath)); rule(m, "callForwardAll") != "|914085550100" {
		t.Errorf("stale form changed the line: %v", m)
	}

	// A refused number is shown back beside its rule, as typed.
	form.Set("version", "1")
	form.Set("callForwardAll.destination", "9011441632960961")
	res = ann.do("POST", "/ucmuser/forwarding", "application/x-www-form-urlencoded",
		form.Encode())
	if res.StatusCode != 400 || !strings.Contains(string(res.Body),
		"International numbers are not allowed.") ||
		!strings.Contains(string(res.Body), `value="9011441632960961"`) {
		t.Errorf("refused form: %d %s", res.StatusCode, res.Body)
	}

	// Another user's line through the form is not found.
	form = url.Values{"extension": {"4031"}, "version": {"0"}, "section": {"all"},
		"callForwardAll.destination": {"4021"}}
	res = ann.do("POST", "/ucmuser/forwarding", "application/x-www-form-urlencoded",
		form.Encode())
	if res.StatusCode != 404 {
		t.Errorf("ben's line by form: %d", res.StatusCode)
	}
}

func TestForwardingGateOnPageAndAPI(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	s.setParam(params.KeyShowCallForwarding, params.ShowOnlyCFA)
	body := string(ann.get("/ucmuser/forwarding").Body)
	if !strings.Contains(body, `name="callForwardAll.destination"`) ||
		strings.Contains(body, "busyInternal") {
		t.Errorf("CFA only: the page should offer Call Forward All alone:\n%s", body)
	}
	res := ann.patch(fwdPath, `"0"`, `{"busyInternal":{"voicemail":true}}`)
	if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
		!strings.Contains(string(res.Body), params.KeyShowCallForwarding) {
		t.Errorf("CFA only, busy rule: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(fwdPath, `"0"`, `{"callForwardAll":{"voicemail":true}}`); res.StatusCode != 200 {
		t.Errorf("CFA only, CFA: %d %s", res.StatusCode, res.Body)
	}
	// What the parameter hides is not shown by the API either.
	for _, res := range []response{res, ann.get(fwdPath)} {
		got := string(res.Body)
		if res.StatusCode != 200 || !strings.Contains(got, `"callForwardAll"`) ||
			strings.Contains(got, "busyInternal") || strings.Contains(got, "noAnswerExternal") {
			t.Errorf("CFA only, the JSON shows hidden rules: %d %s", res.StatusCode, got)
		}
	}

	s.setParam(params.KeyShowCallForwarding, params.HideAllSettings)
	for _, res := range []response{ann.get(fwdPath),
		ann.patch(fwdPath, `"1"`, `{"callForwardAll":null}`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get("/ucmuser/forwarding"); res.StatusCode != 403 ||
		!strings.Contains(string(res.Body), "Show Call Forwarding") {
		t.Errorf("hidden page: %d %s", res.StatusCode, res.Body)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="/ucmuser/forwarding"`) {
		t.Error("navigation still offers the hidden page")
	}
}
