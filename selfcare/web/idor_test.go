package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare/web"
)

// idorCase is what user ben sends to one route with ann's objects in the
// path: a body that would succeed for ann.
type idorCase struct {
	ctype, body string
}

// idorCases holds a case for every route whose path names an object,
// keyed by "METHOD pattern" as muxPatterns reads it. A route missing here
// fails TestEveryRouteRefusesAnotherUsersObjects, so a new route cannot
// skip the check.
var idorCases = map[string]idorCase{
	"GET {prefix}api/v1/lines/{extension}/forwarding": {},
	"PATCH {prefix}api/v1/lines/{extension}/forwarding": {idorPatch,
		`{"callForwardAll":{"destination":"4022"}}`},
	"GET {prefix}api/v1/phones/{device}/speed-dials": {},
	"PUT {prefix}api/v1/phones/{device}/speed-dials": {idorJSON,
		`{"speedDials":[{"position":2,"destination":"4031","label":"Ben"}]}`},
	"GET {prefix}api/v1/phones/{device}":                  {},
	"PATCH {prefix}api/v1/phones/{device}":                {idorPatch, `{"description":"Ben's now"}`},
	"GET {prefix}api/v1/phones/{device}/lines":            {},
	"GET {prefix}api/v1/phones/{device}/lines/{index}":    {},
	"PATCH {prefix}api/v1/phones/{device}/lines/{index}":  {idorPatch, `{"label":"Ben's now"}`},
	"GET {prefix}api/v1/phones/{device}/contacts":         {},
	"POST {prefix}api/v1/phones/{device}/contacts":        {idorJSON, `{"firstName":"Ben"}`},
	"GET {prefix}api/v1/phones/{device}/contacts/{id}":    {},
	"PATCH {prefix}api/v1/phones/{device}/contacts/{id}":  {idorPatch, `{"firstName":"Ben"}`},
	"DELETE {prefix}api/v1/phones/{device}/contacts/{id}": {},
	"GET {prefix}api/v1/phones/{device}/services":         {},
	"POST {prefix}api/v1/phones/{device}/services": {idorJSON,
		`{"serviceId":"agent","parameters":{"agentId":"4711","password":"ben-pw"}}`},
	"GET {prefix}api/v1/phones/{device}/services/{id}": {},
	"PATCH {prefix}api/v1/phones/{device}/services/{id}": {idorPatch,
		`{"parameters":{"agentId":"9999"}}`},
	"DELETE {prefix}api/v1/phones/{device}/services/{id}": {},
	"GET {prefix}api/v1/remote-destinations/{id}":         {},
	"PATCH {prefix}api/v1/remote-destinations/{id}":       {idorPatch, `{"description":"Ben's now"}`},
	"DELETE {prefix}api/v1/remote-destinations/{id}":      {},
	// Pages.
	"GET {prefix}phones/{device}/activation.png": {},
	"GET {prefix}phones/{device}/settings":       {},
	"POST {prefix}phones/{device}/settings": {idorForm,
		"version=0&section=description&description=Ben%27s+now"},
	"POST {prefix}additional-phones/{id}": {idorForm, "version=1&number=914085550124&" +
		"description=Ben%27s+now&voicemailAvoidance=useSystemDefault&" +
		"delayBeforeRinging=4.0&answerTooSoon=1.5&answerTooLate=19.0"},
	"POST {prefix}additional-phones/{id}/delete": {idorForm, "version=1"},
}

const (
	idorJSON  = "application/json"
	idorPatch = "application/merge-patch+json"
	idorForm  = "application/x-www-form-urlencoded"
)

// TestEveryRouteRefusesAnotherUsersObjects sends, as ben, every request
// that names an object in its path at ann's objects, with ann's current
// ETag and a body that would succeed for her. Each must get exactly the
// answer that a missing object gets, and nothing of ann's may change.
// Administrator routes are left out: they serve another audience, with
// checks of their own.
func TestEveryRouteRefusesAnotherUsersObjects(t *testing.T) {
	s := newServicesSite(t)
	s.setParam(params.KeyShowRingSettings, "true")
	s.setParam(params.KeyShowLineLabels, "true")
	ann, ben := s.signIn("ann"), s.signIn("ben")
	const api = "/ucmuser/api/v1/"

	created := func(path, body string) string {
		t.Helper()
		res := ann.do("POST", path, idorJSON, body)
		var v struct {
			ID        string `json:"id"`
			ServiceID string `json:"serviceId"`
		}
		if err := json.Unmarshal(res.Body, &v); res.StatusCode != http.StatusCreated ||
			err != nil {
			t.Fatalf("ann: POST %s: %d %s", path, res.StatusCode, res.Body)
		}
		return v.ID + v.ServiceID
	}
	contact := created(api+"phones/SEPANN/contacts", `{"firstName":"Cy","lastName":"Ames"}`)
	rd := created(api+"remote-destinations", `{"number":"914085550123","description":"Home"}`)
	service := created(api+"phones/SEPANN/services",
		`{"serviceId":"agent","parameters":{"agentId":"4711","password":"ann-pw"}}`)

	// ann's object and a missing one of the same shape, for each wildcard.
	other := func(id string) string { // same length and alphabet, another value
		if strings.HasSuffix(id, "0") {
			return id[:len(id)-1] + "1"
		}
		return id[:len(id)-1] + "0"
	}
	fill := func(pattern string, missing bool) string {
		path := strings.ReplaceAll(pattern, "{prefix}", web.DefaultPrefix)
		pick := func(own, gone string) string {
			if missing {
				return gone
			}
			return own
		}
		id := rd
		switch {
		case strings.Contains(path, "/contacts/"):
			id = contact
		case strings.Contains(path, "/services/"):
			id = service
		}
		return strings.NewReplacer(
			"{device}", pick("SEPANN", "SEPNONE"),
			"{extension}", pick("4021", "4999"),
			"{index}", "1",
			"{id}", pick(url.PathEscape(id), url.PathEscape(other(id))),
		).Replace(path)
	}

	var routes []string
	for _, pat := range muxPatterns(t) {
		if !strings.Contains(pat, "{") || strings.Count(pat, "{") == 1 &&
			strings.Contains(pat, "{prefix}") || strings.Contains(pat, "api/v1/admin/") ||
			strings.HasSuffix(pat, "{$}") || strings.Contains(pat, "hostAlive/") {
			// No object of a user's in the path: a host to probe is not one.
			continue
		}
		routes = append(routes, pat)
	}
	if len(routes) < 10 {
		t.Fatalf("only %d routes name an object: %q", len(routes), routes)
	}

	// ann's view of everything she owns, to compare at the end.
	snapshot := func() string {
		t.Helper()
		var b strings.Builder
		for _, pat := range routes {
			if strings.HasPrefix(pat, "GET ") && strings.Contains(pat, "api/v1/") {
				res := ann.get(fill(strings.TrimPrefix(pat, "GET "), false))
				fmt.Fprintf(&b, "%s %d %s %s\n", pat, res.StatusCode,
					res.Header.Get("ETag"), res.Body)
			}
		}
		for _, p := range []string{"remote-destinations", "dnd", "conferencing", "language"} {
			res := ann.get(api + p)
			fmt.Fprintf(&b, "%s %d %s %s\n", p, res.StatusCode, res.Header.Get("ETag"),
				res.Body)
		}
		return b.String()
	}
	before := snapshot()

	for _, pat := range routes {
		t.Run(pat, func(t *testing.T) {
			tc, ok := idorCases[pat]
			if !ok {
				t.Fatalf("no case in idorCases for %s: every route that names an "+
					"object needs one", pat)
			}
			method, path, _ := strings.Cut(pat, " ")
			own, gone := fill(path, false), fill(path, true)
			var hdr []string
			if method != "GET" && method != "POST" {
				if res := ann.get(own); res.Header.Get("ETag") != "" {
					hdr = []string{"If-Match", res.Header.Get("ETag")}
				}
			}
			got := ben.do(method, own, tc.ctype, tc.body, hdr...)
			want := ben.do(method, gone, tc.ctype, tc.body, hdr...)
			if got.StatusCode != http.StatusNotFound {
				t.Errorf("ben %s %s: %d %s, want 404", method, own, got.StatusCode, got.Body)
			}
			if got.StatusCode != want.StatusCode || string(got.Body) != string(want.Body) {
				t.Errorf("ben's answer for ann's object differs from a missing one's:\n"+
					"ann's:   %d %s\nmissing: %d %s", got.StatusCode, got.Body,
					want.StatusCode, want.Body)
			}
		})
	}

	if after := snapshot(); after != before {
		t.Errorf("ann's objects changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
