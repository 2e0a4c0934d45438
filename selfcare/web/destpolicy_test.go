package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

const destPolicyPath = "/ucmuser/api/v1/admin/destination-policy"

func TestDestinationPolicyAdminAPI(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	admin := p.signInAdmin()
	send := func(method, ifMatch, body string, c *http.Cookie) (int, string, string) {
		t.Helper()
		hdr := []string{}
		if ifMatch != "" {
			hdr = append(hdr, "If-Match", ifMatch)
		}
		rec := p.sendWith(method, destPolicyPath, body, c, hdr...)
		return rec.Code, rec.Header().Get("ETag"), rec.Body.String()
	}

	st, tag, body := send("GET", "", "", admin)
	if st != 200 || tag != `"0"` || !strings.Contains(body, `"custom":false`) ||
		!strings.Contains(body, `"name":"national","allowed":true`) {
		t.Fatalf("GET: %d %s %s", st, tag, body)
	}
	pol := selfcare.DefaultDestinationPolicy()
	for i := range pol.Classes {
		if pol.Classes[i].Name == selfcare.ClassNational {
			pol.Classes[i].Allowed = false
		}
	}
	raw, err := json.Marshal(pol)
	if err != nil {
		t.Fatal(err)
	}
	good := string(raw)

	for _, c := range []struct {
		name, ifMatch, body string
		cookie              *http.Cookie
		status              int
		code                string
	}{
		{"an end user is forbidden", `"0"`, good, p.user(), 403, "forbidden"},
		{"no If-Match is 428", "", good, admin, 428, "precondition_required"},
		{"a stale version is 409", `"3"`, good, admin, 409, "version_conflict"},
		{"a misspelt member deep inside is 400", `"0"`,
			strings.Replace(good, `"allowed"`, `"alowed"`, 1), admin, 400, "bad_request"},
		{"an unknown top-level member is 400", `"0"`,
			strings.TrimSuffix(good, "}") + `,"version":1}`, admin, 400, "bad_request"},
		{"trailing data is 400", `"0"`, good + "{}", admin, 400, "bad_request"},
		{"an invalid pattern is 400 naming it", `"0"`,
			strings.Replace(good, `"911"`, `"9[1-"`, 1), admin, 400, "invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := p.sendWith("PUT", destPolicyPath, c.body, c.cookie, "If-Match", c.ifMatch)
			if c.ifMatch == "" {
				rec = p.sendWith("PUT", destPolicyPath, c.body, c.cookie)
			}
			if rec.Code != c.status || decodeError(t, rec).Error.Code != c.code {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.code)
			}
			if c.code == "invalid" && !strings.Contains(rec.Body.String(),
				`"field":"classes[0].patterns[0]"`) {
				t.Errorf("the bad pattern is not named: %s", rec.Body)
			}
		})
	}
	if _, tag, _ := send("GET", "", "", admin); tag != `"0"` {
		t.Fatalf("a refused PUT changed the policy: ETag %s", tag)
	}

	st, tag, body = send("PUT", `"0"`, good, admin)
	if st != 200 || tag != `"1"` || !strings.Contains(body, `"custom":true`) ||
		!strings.Contains(body, `"name":"national","allowed":false`) {
		t.Fatalf("PUT: %d %s %s", st, tag, body)
	}
	if st, _, body = send("DELETE", `"0"`, "", admin); st != 409 {
		t.Errorf("stale DELETE: %d %s", st, body)
	}
	st, tag, body = send("DELETE", `"1"`, "", admin)
	if st != 200 || tag != `"2"` || !strings.Contains(body, `"custom":false`) ||
		!strings.Contains(body, `"name":"national","allowed":true`) {
		t.Errorf("DELETE: %d %s %s", st, tag, body)
	}
}

// sendWith serves one request with the cookie and headers given as name,
// value pairs; a body is JSON.
func (p *portal) sendWith(method, target, body string, c *http.Cookie,
	hdr ...string) *httptest.ResponseRecorder {
	p.tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(c)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return rec
}
