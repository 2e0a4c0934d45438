package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

const dndPath = "/ucmuser/api/v1/dnd"

func TestDNDAPIVersionsAndValidation(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")

	res := ann.get(dndPath)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` || string(res.Body) !=
		`{"enabled":false,"option":"ringerOff","incomingCallAlert":"disable",`+
			`"version":0}`+"\n" {
		t.Fatalf("fresh GET: %d ETag %q %q", res.StatusCode, res.Header.Get("ETag"),
			res.Body)
	}
	on := `{"enabled":true}`
	for _, c := range []struct {
		name, ifMatch, body string
		status              int
		code                string
	}{
		{"no If-Match is 428", "-", on, 428, "precondition_required"},
		{"a version from the future is 409", `"3"`, on, 409, "version_conflict"},
		{"an unknown option is 400", `"0"`, `{"option":"ringerLow"}`, 400, "bad_request"},
		{"the profile option is 400", `"0"`, `{"option":2}`, 400, "bad_request"},
		{"an unknown alert is 400", `"0"`, `{"incomingCallAlert":"ring"}`, 400,
			"bad_request"},
		{"enabled as text is 400", `"0"`, `{"enabled":"yes"}`, 400, "bad_request"},
		{"an unknown member is 400", `"0"`, `{"dnd":true}`, 400, "bad_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(dndPath, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
		})
	}
	if got := ann.get(dndPath); got.Header.Get("ETag") != `"0"` {
		t.Fatalf("a refused PATCH changed the setting: %s", got.Body)
	}

	res = ann.patch(dndPath, `"0"`, `{"enabled":true,"option":"callReject",`+
		`"incomingCallAlert":"beepOnly"}`)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` ||
		!strings.Contains(string(res.Body), `"option":"callReject"`) {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	// Absent members stay; null returns a member to its default.
	res = ann.patch(dndPath, `"1"`, `{"incomingCallAlert":null}`)
	if res.StatusCode != 200 || string(res.Body) != `{"enabled":true,`+
		`"option":"callReject","incomingCallAlert":"disable","version":2}`+"\n" {
		t.Errorf("null alert: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(dndPath, `"1"`, `{"enabled":false}`); res.StatusCode != 409 {
		t.Errorf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
	// The setting is ann's alone.
	if res = ben.get(dndPath); !strings.Contains(string(res.Body), `"enabled":false`) ||
		res.Header.Get("ETag") != `"0"` {
		t.Errorf("ben sees %s", res.Body)
	}
}

func TestDNDPageAndGate(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/dnd")
	if page.StatusCode != 200 || !strings.Contains(string(page.Body),
		`name="version" value="0"`) || !strings.Contains(string(
		ann.get("/ucmuser/phones").Body), `href="/ucmuser/dnd"`) {
		t.Fatalf("page: %d %s", page.StatusCode, page.Body)
	}
	form := url.Values{"version": {"0"}, "enabled": {"on"}, "option": {"callReject"},
		"alert": {"flashOnly"}}
	post := func() response {
		return ann.do("POST", "/ucmuser/dnd", "application/x-www-form-urlencoded",
			form.Encode())
	}
	res := ann.followSaved(post())
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "has been saved") ||
		!strings.Contains(string(res.Body), `value="flashOnly" selected`) {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	if res = post(); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	form.Set("version", "1")
	form.Set("alert", "loud")
	if res = post(); res.StatusCode != 400 {
		t.Errorf("unknown alert by form: %d", res.StatusCode)
	}

	s.setParam(params.KeyShowDoNotDisturb, "false")
	for _, res := range []response{ann.get(dndPath),
		ann.patch(dndPath, `"1"`, `{"enabled":false}`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowDoNotDisturb) {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get("/ucmuser/dnd"); res.StatusCode != 403 {
		t.Errorf("hidden page: %d", res.StatusCode)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="/ucmuser/dnd"`) {
		t.Error("navigation still offers the hidden page")
	}
}
