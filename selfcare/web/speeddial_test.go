package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

const sdPath = "/ucmuser/api/v1/phones/SEPANN/speed-dials"

// put sends a whole speed dial list with the If-Match value, unless "-".
func (b *browser) put(path, ifMatch, body string) response {
	b.tb.Helper()
	var hdr []string
	if ifMatch != "-" {
		hdr = []string{"If-Match", ifMatch}
	}
	return b.do("PUT", path, "application/json", body, hdr...)
}

// fieldErrors returns the fields of an error answer, each "field: message".
func fieldErrors(tb testing.TB, res response) []string {
	tb.Helper()
	var e struct {
		Error struct {
			Fields []struct{ Field, Message string }
		}
	}
	if err := json.Unmarshal(res.Body, &e); err != nil {
		tb.Fatalf("error body %q: %v", res.Body, err)
	}
	var out []string
	for _, f := range e.Error.Fields {
		out = append(out, f.Field+": "+f.Message)
	}
	return out
}

func TestSpeedDialsAPIVersionsAndValidation(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	res := ann.get(sdPath)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` ||
		!strings.Contains(string(res.Body), `"speedDials":[]`) {
		t.Fatalf("fresh GET: %d ETag %q %s", res.StatusCode, res.Header.Get("ETag"),
			res.Body)
	}

	good := `{"speedDials":[{"position":2,"destination":"4031","label":"Ben"},` +
		`{"position":1,"destination":"95551234,1234,5678#","label":"Bank"}]}`
	refusals := []struct {
		name, ifMatch, body string
		status              int
		code, field         string
	}{
		{"no If-Match is 428", "-", good, 428, "precondition_required", ""},
		{"a version from the future is 409", `"4"`, good, 409, "version_conflict", ""},
		{"two entries on one position are 409", `"0"`,
			`{"speedDials":[{"position":3,"destination":"4031","label":""},` +
				`{"position":3,"destination":"4032","label":""}]}`, 409, "conflict",
			"speedDials[1].position"},
		{"position 0 is 400", `"0"`,
			`{"speedDials":[{"position":0,"destination":"4031","label":""}]}`, 400,
			"invalid", "speedDials[0].position"},
		{"a position past the last is 400", `"0"`,
			`{"speedDials":[{"position":100,"destination":"4031","label":""}]}`, 400,
			"invalid", "speedDials[0].position"},
		{"codes after a pause without a label are 400", `"0"`,
			`{"speedDials":[{"position":1,"destination":"95551234,1234","label":" "}]}`,
			400, "invalid", "speedDials[0].label"},
		{"a label over 32 characters is 400", `"0"`,
			`{"speedDials":[{"position":1,"destination":"4031","label":"` +
				strings.Repeat("é", 33) + `"}]}`, 400, "invalid", "speedDials[0].label"},
		{"a label with a bidi override is 400", `"0"`,
			`{"speedDials":[{"position":1,"destination":"4031","label":"a\u202eb"}]}`,
			400, "invalid", "speedDials[0].label"},
		{"an international number is 400", `"0"`,
			`{"speedDials":[{"position":1,"destination":"9011441632960961","label":""}]}`,
			400, "invalid", "speedDials[0].destination"},
		{"spaces in a number are 400", `"0"`,
			`{"speedDials":[{"position":1,"destination":"408 555 0100","label":""}]}`,
			400, "invalid", "speedDials[0].destination"},
		{"an unknown member is 400", `"0"`, `{"entries":[]}`, 400, "bad_request", ""},
		{"a missing list is 400", `"0"`, `{}`, 400, "bad_request", ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			res := ann.put(sdPath, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
			if c.field != "" {
				f := fieldErrors(t, res)
				if len(f) != 1 || !strings.HasPrefix(f[0], c.field+": ") {
					t.Errorf("fields %q, want one for %s", f, c.field)
				}
			}
		})
	}
	if got := ann.get(sdPath); got.Header.Get("ETag") != `"0"` {
		t.Fatalf("a refused PUT changed the list: ETag %s", got.Header.Get("ETag"))
	}

	res = ann.put(sdPath, `"0"`, good)
	var v struct {
		Version    int64
		SpeedDials []struct {
			Position           int
			Destination, Label string
		}
	}
	if err := json.Unmarshal(res.Body, &v); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` || v.Version != 1 ||
		len(v.SpeedDials) != 2 || v.SpeedDials[0].Label != "Bank" ||
		v.SpeedDials[1].Destination != "4031" {
		t.Fatalf("PUT: %d ETag %q %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
	}
	// The version that was current a moment ago is stale now.
	if res = ann.put(sdPath, `"0"`, `{"speedDials":[]}`); res.StatusCode != 409 ||
		errCode(t, res) != "version_conflict" {
		t.Errorf("stale PUT: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.put(sdPath, `"1"`, `{"speedDials":[]}`); res.StatusCode != 200 ||
		res.Header.Get("ETag") != `"2"` {
		t.Errorf("clearing: %d %s", res.StatusCode, res.Body)
	}
}

func TestSpeedDialsAPIAnotherUsersPhoneIsNotFound(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	benPath := "/ucmuser/api/v1/phones/SEPBEN/speed-dials"
	one := `{"speedDials":[{"position":1,"destination":"4021","label":"Ann"}]}`
	if res := ben.put(benPath, `"0"`, one); res.StatusCode != 200 {
		t.Fatalf("ben's own PUT: %d %s", res.StatusCode, res.Body)
	}
	before := ben.get(benPath)
	nobody := "/ucmuser/api/v1/phones/SEPNOBODY/speed-dials"
	for _, c := range []struct {
		name string
		res  func(path string) response
	}{
		{"GET", func(p string) response { return ann.get(p) }},
		{"PUT at the right version", func(p string) response {
			return ann.put(p, `"1"`, `{"speedDials":[]}`)
		}},
	} {
		t.Run(c.name+" answers as for a phone that does not exist", func(t *testing.T) {
			theirs, missing := c.res(benPath), c.res(nobody)
			if theirs.StatusCode != 404 || missing.StatusCode != 404 ||
				string(theirs.Body) != string(missing.Body) {
				t.Errorf("ben's phone %d %s; no phone %d %s", theirs.StatusCode,
					theirs.Body, missing.StatusCode, missing.Body)
			}
		})
	}
	form := url.Values{"device": {"SEPBEN"}, "version": {"1"}, "position": {"1"},
		"destination": {"4021"}, "label": {"x"}}
	if res := ann.do("POST", "/ucmuser/speed-dials", "application/x-www-form-urlencoded",
		form.Encode()); res.StatusCode != 404 {
		t.Errorf("ben's phone by form: %d", res.StatusCode)
	}
	if after := ben.get(benPath); string(after.Body) != string(before.Body) {
		t.Errorf("ben's list changed: %s -> %s", before.Body, after.Body)
	}
}

func TestSpeedDialsPage(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/speed-dials")
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, `name="device" value="SEPANN"`) ||
		strings.Contains(body, "SEPBEN") ||
		!strings.Contains(string(ann.get("/ucmuser/phones").Body),
			`href="/ucmuser/speed-dials"`) {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}

	post := func(form url.Values) response {
		return ann.do("POST", "/ucmuser/speed-dials", "application/x-www-form-urlencoded",
			form.Encode())
	}
	form := url.Values{"device": {"SEPANN"}, "version": {"0"},
		"position":    {"1", "", "4"},
		"destination": {"95551234,1234", "", "4031"},
		"label":       {"Bank", "", ""}}
	res := ann.followSaved(post(form))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "have been saved") ||
		!strings.Contains(string(res.Body), `value="95551234,1234"`) {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}

	// The same form again is stale.
	if res = post(form); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}

	// A refusal is shown beside its row, as typed.
	form.Set("version", "1")
	form["label"] = []string{"", "", ""}
	res = post(form)
	if res.StatusCode != 400 || !strings.Contains(string(res.Body), "Enter a label") ||
		!strings.Contains(string(res.Body), `<a href="#sd-SEPANN-1-label">Row 1: `) {
		t.Errorf("refused form: %d %s", res.StatusCode, res.Body)
	}
	if got := ann.get(sdPath); got.Header.Get("ETag") != `"1"` {
		t.Errorf("refused form saved: %s", got.Body)
	}
}

func TestSpeedDialsGate(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	s.setParam(params.KeyShowSpeedDials, "false")
	for _, res := range []response{ann.get(sdPath),
		ann.put(sdPath, `"0"`, `{"speedDials":[]}`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowSpeedDials) {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get("/ucmuser/speed-dials"); res.StatusCode != 403 {
		t.Errorf("hidden page: %d", res.StatusCode)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body),
		`href="/ucmuser/speed-dials"`) {
		t.Error("navigation still offers the hidden page")
	}
}
