package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// errorMessage returns the message of an error answer.
func errorMessage(tb testing.TB, body []byte) string {
	tb.Helper()
	var e struct{ Error struct{ Message string } }
	if err := json.Unmarshal(body, &e); err != nil {
		tb.Fatalf("error body %q is not JSON: %v", body, err)
	}
	return e.Error.Message
}

// A class the administrator refuses must not become allowed through a
// second member that differs from "allowed" only in case, nor through a
// repeated one: encoding/json would keep the last.
func TestDestinationPolicyWithAmbiguousMembersIsRefused(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	admin := p.signInAdmin()
	raw, err := json.Marshal(selfcare.DefaultDestinationPolicy())
	if err != nil {
		t.Fatal(err)
	}
	refused := `"name":"emergency","allowed":false`
	if !strings.Contains(string(raw), refused) {
		t.Fatalf("the default policy no longer refuses emergency numbers: %s", raw)
	}
	for _, c := range []struct{ name, from, to, message string }{
		{"a case variant of allowed is refused naming it", refused,
			refused + `,"Allowed":true`,
			"classes[0].Allowed is not a member; did you mean allowed?"},
		{"allowed twice is refused naming it", refused, refused + `,"allowed":true`,
			"classes[0].allowed appears twice"},
		{"a case variant of the site is refused naming it", `"site":{`, `"Site":{`,
			"Site is not a member; did you mean site?"},
		{"null for allowed is refused naming it", refused,
			`"name":"emergency","allowed":null`, "classes[0].allowed must not be null"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(string(raw), c.from, c.to, 1)
			rec := p.sendWith("PUT", destPolicyPath, body, admin, "If-Match", `"0"`)
			if rec.Code != 400 || !strings.Contains(errorMessage(t, rec.Body.Bytes()),
				c.message) {
				t.Fatalf("%d %s, want 400 saying %q", rec.Code, rec.Body, c.message)
			}
		})
	}
	rec := p.sendWith("GET", destPolicyPath, "", admin)
	if rec.Header().Get("ETag") != `"0"` || !strings.Contains(rec.Body.String(), refused) {
		t.Fatalf("a refused PUT changed the policy: %s %s", rec.Header().Get("ETag"),
			rec.Body)
	}
}

// Speed dial entries are held to their members at every depth, not only
// at the top of the body.
func TestSpeedDialEntryMembersAreExact(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	for _, c := range []struct{ name, body, message string }{
		{"a case variant inside an entry is refused naming it",
			`{"speedDials":[{"position":3,"destination":"2001","Destination":"2002"}]}`,
			"speedDials[0].Destination is not a member; did you mean destination?"},
		{"an unknown member inside an entry is refused naming it",
			`{"speedDials":[{"position":3,"destination":"2001","foo":1}]}`,
			"speedDials[0].foo is not a member"},
		{"a read-only member inside an entry is refused naming it",
			`{"speedDials":[{"position":3,"destination":"2001","version":9}]}`,
			"speedDials[0].version is not a member"},
		{"a member twice inside an entry is refused naming it",
			`{"speedDials":[{"position":1,"destination":"2001"},` +
				`{"position":3,"position":4,"destination":"2001"}]}`,
			"speedDials[1].position appears twice"},
		{"null for a position is refused naming it",
			`{"speedDials":[{"position":null,"destination":"2001"}]}`,
			"speedDials[0].position must not be null"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.put(sdPath, `"0"`, c.body)
			if res.StatusCode != 400 || !strings.Contains(errorMessage(t, res.Body),
				c.message) {
				t.Fatalf("%d %s, want 400 saying %q", res.StatusCode, res.Body, c.message)
			}
		})
	}
	if res := ann.get(sdPath); !strings.Contains(string(res.Body), `"speedDials":[]`) {
		t.Fatalf("a refused PUT changed the list: %s", res.Body)
	}
}

// A phone service parameter sent twice is refused, in a new subscription
// and in a merge patch alike, rather than the second silently winning.
func TestServiceParameterTwiceIsRefused(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	if res := ann.post(annServices, agentBody); res.StatusCode != 201 {
		t.Fatalf("subscribe: %d %s", res.StatusCode, res.Body)
	}
	res := ann.patch(annAgent, `"1"`, `{"parameters":{"agentId":"1","agentId":"2"}}`)
	if want := "parameters.agentId appears twice"; res.StatusCode != 400 ||
		!strings.Contains(errorMessage(t, res.Body), want) {
		t.Fatalf("PATCH: %d %s, want 400 saying %q", res.StatusCode, res.Body, want)
	}
	if res := ann.get(annAgent); res.Header.Get("ETag") != `"1"` ||
		!strings.Contains(string(res.Body), `"agentId":"4711"`) {
		t.Fatalf("a refused PATCH changed the subscription: %s", res.Body)
	}

	if res := ann.del(annAgent, `"1"`); res.StatusCode != 204 {
		t.Fatalf("unsubscribe: %d %s", res.StatusCode, res.Body)
	}
	res = ann.post(annServices, `{"serviceId":"agent","parameters":{"agentId":"1",`+
		`"password":"p","agentId":"2"}}`)
	if want := "parameters.agentId appears twice"; res.StatusCode != 400 ||
		!strings.Contains(errorMessage(t, res.Body), want) {
		t.Fatalf("POST: %d %s, want 400 saying %q", res.StatusCode, res.Body, want)
	}
}

// Merge patches and the lists inside bodies are held to their members at
// every depth too, while null keeps its meaning where a member may be
// cleared.
func TestNestedMembersAreExactInEveryBody(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	patch := func(path, body string) response {
		return ann.patch(path, `"0"`, body)
	}
	post := func(path, body string) response {
		return ann.do("POST", path, "application/json", body)
	}
	for _, c := range []struct {
		name, path string
		send       func(path, body string) response
		body, want string
	}{
		{"a case variant inside a forwarding rule is refused", fwdPath, patch,
			`{"callForwardAll":{"Destination":"4031"}}`,
			"callForwardAll.Destination is not a member; did you mean destination?"},
		{"a member twice inside a forwarding rule is refused", fwdPath, patch,
			`{"callForwardAll":{"destination":"4031","destination":"4032"}}`,
			"callForwardAll.destination appears twice"},
		{"a case variant of a rule is refused", fwdPath, patch, `{"CallForwardAll":null}`,
			"CallForwardAll is not a member; did you mean callForwardAll?"},
		{"a string for voicemail is refused", fwdPath, patch,
			`{"callForwardAll":{"voicemail":"yes"}}`,
			"callForwardAll.voicemail must be true, false or null"},
		{"a case variant inside a contact method is refused", annContacts, post,
			`{"firstName":"A","methods":[{"type":"work","number":"1","Number":"2"}]}`,
			"methods[0].Number is not a member; did you mean number?"},
		{"a member twice inside a contact method is refused", annContacts, post,
			`{"firstName":"A","methods":[{"type":"work","type":"home","number":"1"}]}`,
			"methods[0].type appears twice"},
		{"a case variant inside a schedule row is refused", rdPath, post,
			`{"number":"+14085550101","schedule":[{"day":1,"start":"08:00",` +
				`"end":"17:00","Day":2}]}`,
			"schedule[0].Day is not a member; did you mean day?"},
		{"a member twice inside a schedule row is refused", rdPath, post,
			`{"number":"+14085550101","schedule":[{"day":1,"day":2}]}`,
			"schedule[0].day appears twice"},
		{"a case variant of parameters is refused", annServices, post,
			`{"serviceId":"agent","Parameters":{}}`,
			"Parameters is not a member; did you mean parameters?"},
		{"a member twice at the top is refused", annContacts, post,
			`{"firstName":"A","firstName":"B"}`, "firstName appears twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := c.send(c.path, c.body)
			if res.StatusCode != 400 || errCode(t, res) != "bad_request" ||
				!strings.Contains(errorMessage(t, res.Body), c.want) {
				t.Fatalf("%d %s, want 400 saying %q", res.StatusCode, res.Body, c.want)
			}
		})
	}

	// Null where a member may be cleared still means clear.
	if res := patch(fwdPath, `{"callForwardAll":{"voicemail":true,"destination":null},`+
		`"busyInternal":null}`); res.StatusCode != 200 {
		t.Errorf("null in a forwarding patch: %d %s", res.StatusCode, res.Body)
	}
	res := post(annContacts, `{"firstName":"A","nickname":null,"methods":null}`)
	if res.StatusCode != 201 {
		t.Errorf("null in a new contact: %d %s", res.StatusCode, res.Body)
	}
}
