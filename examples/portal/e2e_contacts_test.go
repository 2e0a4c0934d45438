package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// TestEndToEndPhoneContacts manages the contacts of the demo user's desk
// phone through the API of a real portal on SQLite, hides them from the
// command line, and then gives the phone to another user and back through
// a second store on the same file: the contacts do not survive that.
func TestEndToEndPhoneContacts(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const (
		desk = "SEP00A1B2C3D401"
		path = "/ucmuser/api/v1/phones/" + desk + "/contacts"
	)
	list := func() []map[string]any {
		t.Helper()
		st, body := dana.do("GET", path, nil, nil)
		expect(t, "list", st, http.StatusOK, body)
		var v struct{ Contacts []map[string]any }
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		return v.Contacts
	}

	// The demo data has one contact on the desk phone.
	if got := list(); len(got) != 1 || got[0]["lastName"] != "Support" {
		t.Fatalf("demo contacts: %v", got)
	}
	st, body := dana.do("POST", path, map[string]any{"firstName": "Ada",
		"lastName": "Lovelace", "methods": []map[string]string{
			{"type": "mobile", "number": "+447700900123"}}}, nil)
	expect(t, "create", st, http.StatusCreated, body)
	var c struct {
		ID      string
		Version int64
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Version != 1 {
		t.Fatalf("created %s: %v", body, err)
	}
	item := path + "/" + c.ID
	patch := func(ifMatch string, body map[string]any) (int, string) {
		t.Helper()
		return dana.do("PATCH", item, body, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": ifMatch})
	}
	st, body = patch(`"1"`, map[string]any{"nickname": "Countess", "lastName": nil})
	expect(t, "patch", st, http.StatusOK, body)
	if !strings.Contains(body, `"lastName":""`) || !strings.Contains(body,
		`"nickname":"Countess"`) || !strings.Contains(body, `"version":2`) {
		t.Errorf("patched %s", body)
	}
	st, body = patch(`"1"`, map[string]any{"nickname": "Ada"})
	expect(t, "stale patch", st, http.StatusConflict, body)
	if got := list(); len(got) != 2 {
		t.Errorf("stored %v", got)
	}

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/contacts"`) {
		t.Error("navigation lacks Phone Contacts")
	}
	runCLI(t, s.dir, "param", "set", params.KeyShowPhoneContacts, "false")
	for _, res := range []func() (int, string){
		func() (int, string) { return dana.do("GET", path, nil, nil) },
		func() (int, string) { return patch(`"2"`, map[string]any{"nickname": "x"}) },
	} {
		if st, body := res(); st != http.StatusForbidden ||
			errorCode(body) != "feature_hidden" {
			t.Errorf("hidden: %d %s", st, body)
		}
	}
	if st, _ := dana.do("GET", "/ucmuser/contacts", nil, nil); st != http.StatusForbidden {
		t.Errorf("hidden page: %d", st)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/contacts"`) {
		t.Error("navigation still offers Phone Contacts")
	}
	runCLI(t, s.dir, "param", "reset", params.KeyShowPhoneContacts)

	out := runCLI(t, s.dir, "audit", "-action", selfcare.ActionContacts, "-n", "10")
	for _, want := range []string{"created: first=Ada, last=Lovelace, mobile=+447700900123",
		"stale version 1, stored 2", params.KeyShowPhoneContacts} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}

	// A second store on the same file, as another process would, gives the
	// phone away and back; the contacts go
	// with the first change of owner.
	ctx := t.Context()
	st2, err := sqlstore.Open(ctx, filepath.Join(s.dir, dbFile), sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	d, err := st2.Device(ctx, desk)
	if err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"demo.admin", s.user.id} {
		d.Owner = owner
		if err := st2.PutDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if got := list(); len(got) != 0 {
		t.Errorf("contacts survived a change of owner: %v", got)
	}
}
