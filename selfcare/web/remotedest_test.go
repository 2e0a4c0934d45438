package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
)

const rdPath = "/ucmuser/api/v1/remote-destinations"

// rdItem is a remote destination as the API shows it.
type rdItem struct {
	ID                 string
	Number             string
	Description        string
	SingleNumberReach  bool
	MoveToMobile       bool
	DelayBeforeRinging float64
	AnswerTooSoon      float64
	AnswerTooLate      float64
	VoicemailAvoidance string
	Schedule           []struct {
		Day        int
		Start, End string
	}
	TimeZone string
	Version  int64
}

func decodeRD(tb testing.TB, res response) rdItem {
	tb.Helper()
	var d rdItem
	if err := json.Unmarshal(res.Body, &d); err != nil {
		tb.Fatalf("body %q: %v", res.Body, err)
	}
	return d
}

// rdAdd adds a remote destination through the API and returns it.
func rdAdd(tb testing.TB, b *browser, body string) rdItem {
	tb.Helper()
	res := b.do("POST", rdPath, "application/json", body)
	if res.StatusCode != 201 {
		tb.Fatalf("POST %s: %d %s", body, res.StatusCode, res.Body)
	}
	return decodeRD(tb, res)
}

// rdPost posts a page form.
func (b *browser) rdPost(path string, v url.Values) response {
	b.tb.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", v.Encode())
}

// rdForm is a complete page form for number, with an empty schedule.
func rdForm(number, version string) url.Values {
	v := url.Values{"number": {number}, "description": {"Mobile"},
		"singleNumberReach": {"on"}, "delayBeforeRinging": {"4.0"},
		"answerTooSoon": {"1.5"}, "answerTooLate": {"19.0"},
		"voicemailAvoidance": {"useSystemDefault"}, "timeZone": {"Europe/Zurich"},
		"day": make([]string, 7), "start": make([]string, 7), "end": make([]string, 7)}
	if version != "" {
		v.Set("version", version)
	}
	return v
}

func TestRemoteDestinationsAPI(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	res := ann.get(rdPath)
	if res.StatusCode != 200 || string(res.Body) !=
		`{"limit":4,"remoteDestinations":[]}`+"\n" {
		t.Fatalf("empty list: %d %s", res.StatusCode, res.Body)
	}
	res = ann.do("POST", rdPath, "application/json", `{"number":"+14085550101"}`)
	d := decodeRD(t, res)
	if res.StatusCode != 201 || res.Header.Get("ETag") != `"1"` ||
		res.Header.Get("Location") != rdPath+"/"+d.ID || len(d.ID) != 24 ||
		!strings.Contains(string(res.Body), `"delayBeforeRinging":4.0,`+
			`"answerTooSoon":1.5,"answerTooLate":19.0,"voicemailAvoidance":`+
			`"useSystemDefault","schedule":[],"timeZone":"UTC","version":1}`) ||
		!d.SingleNumberReach || d.MoveToMobile {
		t.Fatalf("create: %d %v %s", res.StatusCode, res.Header, res.Body)
	}
	item := rdPath + "/" + d.ID
	if got := ann.get(item); got.StatusCode != 200 || string(got.Body) != string(res.Body) {
		t.Errorf("read back: %d %s", got.StatusCode, got.Body)
	}

	// A merge patch: absent stays, value sets, null returns to default.
	res = ann.patch(item, `"1"`, `{"moveToMobile":true,"answerTooLate":25.5,`+
		`"schedule":[{"day":1,"start":"08:00","end":"24:00"}],"singleNumberReach":false}`)
	d = decodeRD(t, res)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"2"` || !d.MoveToMobile ||
		d.AnswerTooLate != 25.5 || d.SingleNumberReach || len(d.Schedule) != 1 ||
		d.Description != "" || d.Number != "+14085550101" {
		t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
	}
	res = ann.patch(item, `"2"`, `{"singleNumberReach":null,"schedule":null}`)
	d = decodeRD(t, res)
	if res.StatusCode != 200 || !d.SingleNumberReach || len(d.Schedule) != 0 ||
		!d.MoveToMobile || d.AnswerTooLate != 25.5 {
		t.Errorf("nulls: %d %s", res.StatusCode, res.Body)
	}
	for _, c := range []struct {
		name, method, ifMatch string
		status                int
		code                  string
	}{
		{"PATCH without If-Match is 428", "PATCH", "-", 428, "precondition_required"},
		{"PATCH at a stale version is 409", "PATCH", `"2"`, 409, "version_conflict"},
		{"PATCH with a weak tag is 409", "PATCH", `W/"3"`, 409, "version_conflict"},
		{"DELETE without If-Match is 428", "DELETE", "-", 428, "precondition_required"},
		{"DELETE at a stale version is 409", "DELETE", `"1"`, 409, "version_conflict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res response
			if c.method == "PATCH" {
				res = ann.patch(item, c.ifMatch, `{"description":"stale"}`)
			} else {
				var hdr []string
				if c.ifMatch != "-" {
					hdr = []string{"If-Match", c.ifMatch}
				}
				res = ann.do("DELETE", item, "", "", hdr...)
			}
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
	}
	if got := decodeRD(t, ann.get(item)); got.Version != 3 || got.Description != "" {
		t.Fatalf("refused writes changed it: %+v", got)
	}
	if res = ann.do("DELETE", item, "", "", "If-Match", `"3"`); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.get(item); res.StatusCode != 404 {
		t.Errorf("after delete: %d", res.StatusCode)
	}
}

func TestRemoteDestinationsAPIRefusals(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	const good = `"number":"+14085550101"`
	for _, c := range []struct {
		name, body  string
		status      int
		code, field string
		message     string
	}{
		{"the owner is refused, named", `{` + good + `,"userId":"ben"}`, 403, "forbidden",
			"userId", ""},
		{"the ID is refused, named", `{` + good + `,"id":"x"}`, 403, "forbidden", "id", ""},
		{"the limit is refused, named", `{` + good + `,"limit":9}`, 403, "forbidden",
			"limit", ""},
		{"an unknown member is refused", `{` + good + `,"ringAll":true}`, 400,
			"bad_request", "", ""},
		{"a member twice is refused", `{` + good + `,` + good + `}`, 400, "bad_request",
			"", ""},
		{"a timer with two decimals is named", `{` + good + `,"delayBeforeRinging":4.55}`,
			400, "invalid", "delayBeforeRinging", "at most one decimal"},
		{"a timer as text is named", `{` + good + `,"answerTooSoon":"1.5"}`, 400, "invalid",
			"answerTooSoon", "at most one decimal"},
		{"a timer out of bounds is named", `{` + good + `,"delayBeforeRinging":31}`, 400,
			"invalid", "delayBeforeRinging", "from 0.0 to 30.0"},
		{"one's own line is named", `{"number":"4021"}`, 400, "invalid", "number",
			"one of your own lines"},
		{"separators are named", `{"number":"408-555-0101"}`, 400, "invalid", "number",
			"not allowed"},
		{"markup is named", `{"number":"<script>"}`, 400, "invalid", "number", ""},
		{"a control character in the description is named",
			`{` + good + `,"description":"a\u0007b"}`, 400, "invalid", "description", ""},
		{"a bad schedule row is named", `{` + good +
			`,"schedule":[{"day":2,"start":"09:00","end":"08:00"}]}`, 400, "invalid",
			"schedule[0].end", "after the start"},
		{"an unknown schedule member is refused", `{` + good +
			`,"schedule":[{"day":2,"start":"08:00","end":"09:00","tz":"UTC"}]}`, 400,
			"bad_request", "", ""},
		{"an unknown policy is refused", `{` + good + `,"voicemailAvoidance":"never"}`, 400,
			"bad_request", "", ""},
		{"an unknown time zone is named", `{` + good + `,"timeZone":"Moon/Base"}`, 400,
			"invalid", "timeZone", "time zone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.do("POST", rdPath, "application/json", c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
			if c.field == "" {
				return
			}
			f := fieldErrors(t, res)
			if len(f) != 1 || !strings.HasPrefix(f[0], c.field+": ") ||
				!strings.Contains(f[0], c.message) {
				t.Errorf("fields %q, want %s with %q", f, c.field, c.message)
			}
		})
	}
	if res := ann.get(rdPath); !strings.Contains(string(res.Body), `"remoteDestinations":[]`) {
		t.Errorf("a refused request stored something: %s", res.Body)
	}
	// The same refusals hold for a patch.
	d := rdAdd(t, ann, `{`+good+`}`)
	res := ann.patch(rdPath+"/"+d.ID, `"1"`, `{"owner":"ben"}`)
	if res.StatusCode != 403 || !strings.Contains(string(res.Body), `"field":"owner"`) {
		t.Errorf("patch of the owner: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(rdPath+"/"+d.ID, `"1"`, `{"answerTooLate":1.0}`); res.StatusCode !=
		400 || !strings.Contains(string(res.Body), "more than answer too soon") {
		t.Errorf("late before soon: %d %s", res.StatusCode, res.Body)
	}
	if got := decodeRD(t, ann.get(rdPath+"/"+d.ID)); got.Version != 1 {
		t.Errorf("refused patches changed it: %+v", got)
	}
}

func TestRemoteDestinationsLimit(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	for _, n := range []string{"1", "2", "3", "4"} {
		rdAdd(t, ann, `{"number":"+1408555010`+n+`"}`)
	}
	res := ann.do("POST", rdPath, "application/json", `{"number":"+14085550105"}`)
	if res.StatusCode != 409 || errCode(t, res) != "limit_reached" {
		t.Fatalf("fifth: %d %s", res.StatusCode, res.Body)
	}
	res = ann.rdPost("/ucmuser/additional-phones", rdForm("+14085550105", ""))
	if res.StatusCode != 409 || !strings.Contains(string(res.Body),
		"you already have 4 additional phones") {
		t.Errorf("fifth by form: %d %s", res.StatusCode, res.Body)
	}
	page := string(ann.get("/ucmuser/additional-phones").Body)
	if !strings.Contains(page, "You have 4 of at most 4") ||
		strings.Contains(page, `action="/ucmuser/additional-phones"`) {
		t.Errorf("the page at the limit still offers the add form:\n%s", page)
	}
	if res = ann.do("POST", rdPath, "application/json",
		`{"number":"+14085550101"}`); res.StatusCode != 409 {
		t.Errorf("duplicate at the limit: %d", res.StatusCode)
	}
}

// TestRemoteDestinationsAnotherUsersAreNotFound has ben try every endpoint
// on ann's remote destination: each answers exactly as for an ID that
// does not exist, and ann's stays as it was.
func TestRemoteDestinationsAnotherUsersAreNotFound(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	d := rdAdd(t, ann, `{"number":"+14085550101","description":"Ann's mobile"}`)
	rdAdd(t, ben, `{"number":"+14085550199"}`)
	before := ann.get(rdPath)
	missing := strings.Repeat("ab", 12)
	for _, c := range []struct {
		name string
		call func(id string) response
	}{
		{"API GET", func(id string) response { return ben.get(rdPath + "/" + id) }},
		{"API PATCH", func(id string) response {
			return ben.patch(rdPath+"/"+id, `"1"`, `{"description":"ben's now"}`)
		}},
		{"API DELETE", func(id string) response {
			return ben.do("DELETE", rdPath+"/"+id, "", "", "If-Match", `"1"`)
		}},
		{"page save", func(id string) response {
			return ben.rdPost("/ucmuser/additional-phones/"+id, rdForm("+14085550188", "1"))
		}},
		{"page delete", func(id string) response {
			return ben.rdPost("/ucmuser/additional-phones/"+id+"/delete",
				url.Values{"version": {"1"}})
		}},
	} {
		t.Run(c.name+" answers as for a missing one", func(t *testing.T) {
			theirs, none := c.call(d.ID), c.call(missing)
			if theirs.StatusCode != 404 || none.StatusCode != 404 ||
				string(theirs.Body) != string(none.Body) {
				t.Errorf("ann's: %d %s; missing: %d %s", theirs.StatusCode, theirs.Body,
					none.StatusCode, none.Body)
			}
		})
	}
	if res := ben.get(rdPath); strings.Contains(string(res.Body), d.ID) ||
		strings.Contains(string(ben.get("/ucmuser/additional-phones").Body), d.ID) {
		t.Errorf("ben's list shows ann's: %s", res.Body)
	}
	if after := ann.get(rdPath); string(after.Body) != string(before.Body) {
		t.Errorf("ann's changed: %s -> %s", before.Body, after.Body)
	}
}

func TestRemoteDestinationsConcurrentPatches(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	d := rdAdd(t, ann, `{"number":"+14085550101"}`)
	item := rdPath + "/" + d.ID
	bodies := []string{`{"description":"first"}`, `{"description":"second"}`}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		res   = make([]response, len(bodies))
	)
	for i, body := range bodies {
		wg.Go(func() {
			<-start
			res[i] = ann.patch(item, `"1"`, body)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, r := range res {
		switch r.StatusCode {
		case 200:
			if winner >= 0 {
				t.Fatal("both patches won")
			}
			winner = i
		case 409:
		default:
			t.Fatalf("patch %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	if winner < 0 {
		t.Fatal("neither patch won")
	}
	got := decodeRD(t, ann.get(item))
	want := []string{"first", "second"}[winner]
	if got.Description != want || got.Version != 2 {
		t.Errorf("stored %+v, want the winner's %q at version 2", got, want)
	}
}

func TestRemoteDestinationsPage(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	const page = "/ucmuser/additional-phones"
	res := ann.get(page)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body),
		`<label for="rd-new-number">`) || !strings.Contains(string(
		ann.get("/ucmuser/phones").Body), `href="/ucmuser/additional-phones"`) {
		t.Fatalf("page: %d %s", res.StatusCode, res.Body)
	}

	// Adding: the description is shown escaped.
	add := rdForm("+14085550101", "")
	add.Set("description", "<b>Mobile</b>")
	add["day"][0], add["start"][0], add["end"][0] = "1", "08:00", "17:00"
	res = ann.followSaved(ann.rdPost(page, add))
	body := string(res.Body)
	if res.StatusCode != 200 || !strings.Contains(body, "has been added") ||
		!strings.Contains(body, "&lt;b&gt;Mobile&lt;/b&gt;") || strings.Contains(body,
		"<b>Mobile") {
		t.Fatalf("add: %d %s", res.StatusCode, body)
	}
	list := ann.get(rdPath)
	var l struct{ RemoteDestinations []rdItem }
	if err := json.Unmarshal(list.Body, &l); err != nil || len(l.RemoteDestinations) != 1 ||
		len(l.RemoteDestinations[0].Schedule) != 1 ||
		l.RemoteDestinations[0].TimeZone != "Europe/Zurich" {
		t.Fatalf("stored: %s", list.Body)
	}
	d := l.RemoteDestinations[0]
	edit := page + "/" + d.ID

	// Bad input: every message beside its field, in the summary, nothing
	// stored, and what was typed shown again.
	bad := rdForm("4022", "1")
	bad.Set("answerTooSoon", "1.55")
	bad["day"][3], bad["start"][3], bad["end"][3] = "2", "10:00", "09:00"
	res = ann.rdPost(edit, bad)
	body = string(res.Body)
	p := "rd-" + d.ID
	for _, want := range []string{
		`id="` + p + `-number" name="number" value="4022"`,
		`aria-invalid="true" aria-describedby="` + p + `-number-err"`,
		`id="` + p + `-number-err">4022 is one of your own lines`,
		`aria-describedby="` + p + `-answerTooSoon-err"`,
		"at most one decimal",
		`aria-describedby="` + p + `-schedule-3-err"`,
		"The end time must be after the start time.",
		`href="#` + p + `-schedule-3-end"`,
		`<details open>`,
		"was not saved",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if res.StatusCode != 400 || decodeRD(t, ann.get(rdPath+"/"+d.ID)).Version != 1 {
		t.Fatalf("refused form: %d, or stored", res.StatusCode)
	}

	// Saving, then the same form again is stale: the current values show.
	good := rdForm("+14085550102", "1")
	good.Set("description", "Home")
	if res = ann.followSaved(ann.rdPost(edit, good)); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "has been saved") {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	good.Set("description", "Stale")
	res = ann.rdPost(edit, good)
	if res.StatusCode != 409 || !strings.Contains(string(res.Body), "changed elsewhere") ||
		!strings.Contains(string(res.Body), `value="Home"`) {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.rdPost(edit+"/delete", url.Values{"version": {"1"}}); res.StatusCode != 409 {
		t.Errorf("stale delete: %d", res.StatusCode)
	}
	if res = ann.followSaved(ann.rdPost(edit+"/delete",
		url.Values{"version": {"2"}})); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "has been deleted") {
		t.Errorf("delete: %d %s", res.StatusCode, res.Body)
	}
	if got := ann.get(rdPath); !strings.Contains(string(got.Body), `"remoteDestinations":[]`) {
		t.Errorf("after delete: %s", got.Body)
	}
}

func TestRemoteDestinationsGate(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	d := rdAdd(t, ann, `{"number":"+14085550101"}`)
	item := rdPath + "/" + d.ID
	s.setParam(params.KeyShowAdditionalPhones, "false")
	for name, res := range map[string]response{
		"list":   ann.get(rdPath),
		"read":   ann.get(item),
		"create": ann.do("POST", rdPath, "application/json", `{"number":"+14085550102"}`),
		"patch":  ann.patch(item, `"1"`, `{"moveToMobile":true}`),
		"delete": ann.do("DELETE", item, "", "", "If-Match", `"1"`),
	} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowAdditionalPhones) {
			t.Errorf("hidden %s: %d %s", name, res.StatusCode, res.Body)
		}
	}
	for name, res := range map[string]response{
		"page":      ann.get("/ucmuser/additional-phones"),
		"page add":  ann.rdPost("/ucmuser/additional-phones", rdForm("+14085550102", "")),
		"page save": ann.rdPost("/ucmuser/additional-phones/"+d.ID, rdForm("+1408555", "1")),
		"page delete": ann.rdPost("/ucmuser/additional-phones/"+d.ID+"/delete",
			url.Values{"version": {"1"}}),
	} {
		if res.StatusCode != 403 {
			t.Errorf("hidden %s: %d", name, res.StatusCode)
		}
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body),
		`href="/ucmuser/additional-phones"`) {
		t.Error("navigation still offers the hidden page")
	}
	s.setParam(params.KeyShowAdditionalPhones, "true")
	if got := decodeRD(t, ann.get(item)); got.Version != 1 || got.MoveToMobile {
		t.Errorf("hidden writes changed it: %+v", got)
	}
}
