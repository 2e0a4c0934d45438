package web_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
)

const confPath = "/ucmuser/api/v1/conferencing"

// conf decodes a Conference Now answer.
func conf(tb testing.TB, res response) (enabled bool, code string, version int64) {
	tb.Helper()
	var v struct {
		Enabled    bool
		AccessCode string
		Version    int64
	}
	if err := json.Unmarshal(res.Body, &v); err != nil {
		tb.Fatalf("body %q: %v", res.Body, err)
	}
	return v.Enabled, v.AccessCode, v.Version
}

func TestConferencingAPIVersionsAndValidation(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	res := ann.get(confPath)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` || string(res.Body) !=
		`{"enabled":false,"accessCode":"","version":0}`+"\n" ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("fresh GET: %d %v %q", res.StatusCode, res.Header, res.Body)
	}
	for _, c := range []struct {
		name, ifMatch, body string
		status              int
		code                string
		fields              []string
	}{
		{"no If-Match is 428", "-", `{"accessCode":"52719"}`, 428,
			"precondition_required", nil},
		{"a version from the future is 409", `"4"`, `{"accessCode":"52719"}`, 409,
			"version_conflict", nil},
		{"a weak tag is 409", `W/"0"`, `{"accessCode":"52719"}`, 409,
			"version_conflict", nil},
		{"a code as a number is 400", `"0"`, `{"accessCode":52719}`, 400,
			"bad_request", nil},
		{"enabled as text is 400", `"0"`, `{"enabled":"on"}`, 400, "bad_request", nil},
		{"an unknown member is 400", `"0"`, `{"pin":"52719"}`, 400, "bad_request", nil},
		{"another user's ID is 400", `"0"`, `{"userId":"ben","enabled":false}`, 400,
			"bad_request", nil},
		{"the version as a member is 400", `"0"`, `{"version":7}`, 400,
			"bad_request", nil},
		{"a short code names the field", `"0"`, `{"accessCode":"52"}`, 400, "invalid",
			[]string{"accessCode"}},
		{"a run names the field", `"0"`, `{"accessCode":"45678"}`, 400, "invalid",
			[]string{"accessCode"}},
		{"on without a code names enabled", `"0"`, `{"enabled":true}`, 400, "invalid",
			[]string{"enabled"}},
		{"markup in the code is refused", `"0"`, `{"accessCode":"<b>1</b>"}`, 400,
			"invalid", []string{"accessCode"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(confPath, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
			var got []string
			for _, f := range fieldErrors(t, res) {
				name, _, _ := strings.Cut(f, ":")
				if !slices.Contains(got, name) {
					got = append(got, name)
				}
			}
			if c.fields != nil && !slices.Equal(got, c.fields) {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
		})
	}
	if got := ann.get(confPath); got.Header.Get("ETag") != `"0"` {
		t.Fatalf("a refused PATCH changed the setting: %s", got.Body)
	}

	res = ann.patch(confPath, `"0"`, `{"enabled":true,"accessCode":"05271"}`)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` || string(res.Body) !=
		`{"enabled":true,"accessCode":"05271","version":1}`+"\n" {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	// Absent members stay; turning it off keeps the code.
	res = ann.patch(confPath, `"1"`, `{"enabled":false}`)
	if en, code, v := conf(t, res); res.StatusCode != 200 || en || code != "05271" ||
		v != 2 {
		t.Errorf("off: %d %s", res.StatusCode, res.Body)
	}
	// null returns the code to none.
	res = ann.patch(confPath, `"2"`, `{"accessCode":null}`)
	if _, code, v := conf(t, res); res.StatusCode != 200 || code != "" || v != 3 {
		t.Errorf("null code: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(confPath, `"2"`, `{"accessCode":"52719"}`); res.StatusCode != 409 {
		t.Errorf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
}

// TestConferencingAnotherUserCannotReachIt: the resource has no ID in its
// path, so another user can only ever name their own; this checks that
// nothing in a request, version or body, reaches ann's.
func TestConferencingAnotherUserCannotReachIt(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	if res := ann.patch(confPath, `"0"`, `{"enabled":true,"accessCode":"52719"}`); res.
		StatusCode != 200 {
		t.Fatalf("ann's own PATCH: %d %s", res.StatusCode, res.Body)
	}
	before := ann.get(confPath)

	if res := ben.get(confPath); strings.Contains(string(res.Body), "52719") ||
		res.Header.Get("ETag") != `"0"` {
		t.Errorf("ben reads %s", res.Body)
	}
	for _, c := range []struct{ ifMatch, body string }{
		{`"1"`, `{"enabled":false}`},
		{`"0"`, `{"userId":"ann","accessCode":"80413"}`},
		{`"0"`, `{"owner":"ann","accessCode":"80413"}`},
	} {
		ben.patch(confPath, c.ifMatch, c.body)
	}
	for _, form := range []url.Values{
		{"version": {"1"}, "accessCode": {"80413"}},
		{"version": {"1"}, "accessCode": {"80413"}, "userId": {"ann"}},
	} {
		ben.do("POST", "/ucmuser/conferencing", "application/x-www-form-urlencoded",
			form.Encode())
	}
	if after := ann.get(confPath); string(after.Body) != string(before.Body) {
		t.Errorf("ann's setting changed: %s -> %s", before.Body, after.Body)
	}
	// Ann's version or an owner in the body changed nothing of ben's either.
	if _, code, v := conf(t, ben.get(confPath)); code != "" || v != 0 {
		t.Errorf("ben's setting became %q at version %d", code, v)
	}
}

func TestConferencingConcurrentUpdatesOneWins(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	if res := ann.patch(confPath, `"0"`, `{"accessCode":"52719"}`); res.StatusCode != 200 {
		t.Fatalf("first: %d %s", res.StatusCode, res.Body)
	}
	codes := []string{"80413", "61947"}
	statuses := make([]int, len(codes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, code := range codes {
		wg.Go(func() {
			<-start
			statuses[i] = ann.patch(confPath, `"1"`, `{"accessCode":"`+code+`"}`).StatusCode
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{200, 409}) {
		t.Fatalf("statuses %v, want one 200 and one 409", statuses)
	}
	_, code, v := conf(t, ann.get(confPath))
	if v != 2 || !slices.Contains(codes, code) {
		t.Errorf("stored %q at version %d", code, v)
	}
}

func TestConferencingPage(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/conferencing")
	if page.StatusCode != 200 || !strings.Contains(string(page.Body),
		`name="version" value="0"`) || !strings.Contains(string(page.Body),
		`<label for="conf-code">`) || !strings.Contains(string(
		ann.get("/ucmuser/phones").Body), `href="/ucmuser/conferencing"`) {
		t.Fatalf("page: %d %s", page.StatusCode, page.Body)
	}
	post := func(form url.Values) response {
		return ann.do("POST", "/ucmuser/conferencing", "application/x-www-form-urlencoded",
			form.Encode())
	}

	// A bad code is shown back beside its field, and nothing is stored.
	res := post(url.Values{"version": {"0"}, "enabled": {"on"}, "accessCode": {"1111"}})
	body := string(res.Body)
	if res.StatusCode != 400 || !strings.Contains(body, `aria-invalid="true"`) ||
		!strings.Contains(body, `id="conf-code-error"`) ||
		!strings.Contains(body, "more than twice in a row") ||
		!strings.Contains(body, `href="#conf-code"`) ||
		!strings.Contains(body, `value="1111"`) {
		t.Fatalf("refused form: %d %s", res.StatusCode, body)
	}
	if _, _, v := conf(t, ann.get(confPath)); v != 0 {
		t.Fatalf("a refused form saved version %d", v)
	}

	form := url.Values{"version": {"0"}, "enabled": {"on"}, "accessCode": {"52719"}}
	res = ann.followSaved(post(form))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "has been saved") ||
		!strings.Contains(string(res.Body), `value="52719"`) ||
		!strings.Contains(string(res.Body), `id="conf-on" name="enabled" checked`) {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	form.Set("accessCode", "80413")
	if res = post(form); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") ||
		!strings.Contains(string(res.Body), `value="52719"`) {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	if res = post(url.Values{"accessCode": {"80413"}}); res.StatusCode != 400 {
		t.Errorf("form without a version: %d", res.StatusCode)
	}
}

func TestConferencingGate(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	s.setParam(params.KeyShowConferencing, "false")
	for _, res := range []response{ann.get(confPath),
		ann.patch(confPath, `"0"`, `{"accessCode":"52719"}`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowConferencing) {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	for _, res := range []response{ann.get("/ucmuser/conferencing"),
		ann.do("POST", "/ucmuser/conferencing", "application/x-www-form-urlencoded",
			"version=0&accessCode=52719")} {
		if res.StatusCode != 403 {
			t.Errorf("hidden page: %d", res.StatusCode)
		}
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body),
		`href="/ucmuser/conferencing"`) {
		t.Error("navigation still offers the hidden page")
	}
	s.setParam(params.KeyShowConferencing, "true")
	if _, _, v := conf(t, ann.get(confPath)); v != 0 {
		t.Errorf("a hidden write was stored: version %d", v)
	}
}
