package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// contactSite is a service with alice (phone SEPALICE) and bob (SEPBOB),
// both signed in.
type contactSite struct {
	*fixture
	alice, bob *selfcare.Principal
}

func newContactSite(tb testing.TB, cfg selfcare.Config) *contactSite {
	tb.Helper()
	f := newFixture(tb, cfg)
	for _, u := range []struct{ id, ext string }{{"alice", "4021"}, {"bob", "4031"}} {
		f.addUser(selfcare.User{ID: u.id}, testPassword, testPIN,
			[]string{acl.GroupStandardCCMEndUsers}, u.ext)
	}
	s := &contactSite{fixture: f}
	_, s.alice = f.login("alice", testPassword)
	_, s.bob = f.login("bob", testPassword)
	return s
}

// contactFields returns the fields a validation error names.
func contactFields(err error) []string {
	var ve *selfcare.ValidationError
	var out []string
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestCreateContact(t *testing.T) {
	mobile := func(n string) []selfcare.ContactMethod {
		return []selfcare.ContactMethod{{Type: selfcare.ContactMobile, Number: n}}
	}
	cases := []struct {
		name   string
		c      selfcare.Contact
		is     error
		fields []string
	}{
		{"a full contact is saved", selfcare.Contact{FirstName: "Ann", LastName: "Ames",
			Nickname: "A", Company: "Acme", Email: "ann.ames+work@mail.example.com",
			Methods: []selfcare.ContactMethod{{Type: selfcare.ContactWork, Number: "4021"},
				{Type: selfcare.ContactMobile, Number: "+41791234567"},
				{Type: selfcare.ContactOther, Number: "95551234,,1234#"},
				{Type: selfcare.ContactHome, Number: "ann@example.com"}}}, nil, nil},
		{"a company alone is a name", selfcare.Contact{Company: "Bank"}, nil, nil},
		{"an international number is saved: no policy applies",
			selfcare.Contact{LastName: "Abroad", Methods: mobile("9011441632960961")},
			nil, nil},
		{"no name at all is refused", selfcare.Contact{Nickname: "  ",
			Methods: mobile("4021")}, selfcare.ErrInvalid, []string{"firstName"}},
		{"every bad field is named", selfcare.Contact{
			FirstName: strings.Repeat("é", 65), LastName: "a\u202eb", Nickname: "x\ny",
			Company: "\x1b[31m", Email: "no-at-sign",
			Methods: []selfcare.ContactMethod{{Type: 0, Number: "4021"},
				{Type: selfcare.ContactHome, Number: "408 555 0100"},
				{Type: selfcare.ContactWork, Number: ""}}},
			selfcare.ErrInvalid, []string{"firstName", "lastName", "nickname", "company",
				"email", "methods[0].type", "methods[1].number", "methods[2].number"}},
		{"too many numbers are refused", selfcare.Contact{FirstName: "Ann",
			Methods: []selfcare.ContactMethod{{1, "1"}, {1, "2"}, {1, "3"}, {1, "4"},
				{1, "5"}, {1, "6"}}}, selfcare.ErrInvalid, []string{"methods"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newContactSite(t, selfcare.Config{})
			got, err := s.svc.CreateContact(s.ctx, s.alice, "SEPALICE", c.c, testAddr)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			if d := cmp.Diff(c.fields, contactFields(err)); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			list, lerr := s.svc.Contacts(s.ctx, s.alice, "SEPALICE")
			if lerr != nil {
				t.Fatal(lerr)
			}
			e := s.lastAudit(selfcare.ActionContacts)
			if c.is != nil {
				if len(list) != 0 || e.Outcome != selfcare.OutcomeDenied {
					t.Errorf("refused contact stored %+v, audited %+v", list, e)
				}
				return
			}
			want := c.c
			want.ID, want.Device, want.Version = got.ID, "SEPALICE", 1
			if d := cmp.Diff([]selfcare.Contact{want}, list); d != "" {
				t.Errorf("stored (-want +got):\n%s", d)
			}
			if len(got.ID) != 16 || strings.Trim(got.ID, "0123456789abcdef") != "" {
				t.Errorf("ID %q is not 16 hexadecimal digits", got.ID)
			}
			if e.Outcome != selfcare.OutcomeOK || !strings.Contains(e.Target, got.ID) ||
				!strings.HasPrefix(e.Detail, "created: ") {
				t.Errorf("audited %+v", e)
			}
		})
	}
}

func TestEmailAddresses(t *testing.T) {
	for _, c := range []struct {
		email string
		ok    bool
	}{
		{"ann@example.com", true},
		{"a.b-c_d+tag@sub.example.org", true},
		{"O'Brien@example.ie", true},
		{"@example.com", false},
		{"ann@", false},
		{"ann@@example.com", false},
		{"ann@exa mple.com", false},
		{".ann@example.com", false},
		{"an..n@example.com", false},
		{"ann.@example.com", false},
		{"\"ann\"@example.com", false},
		{"ann@[192.0.2.1]", false},
		{"ännä@example.com", false},
		{strings.Repeat("a", 65) + "@example.com", false},
		{"ann@" + strings.Repeat("a", 64) + ".com", false},
	} {
		name := "accepts " + c.email
		if !c.ok {
			name = "refuses " + c.email
		}
		t.Run(name, func(t *testing.T) {
			s := newContactSite(t, selfcare.Config{})
			_, err := s.svc.CreateContact(s.ctx, s.alice, "SEPALICE",
				selfcare.Contact{FirstName: "Ann", Email: c.email}, testAddr)
			if got := err == nil; got != c.ok {
				t.Errorf("err %v, want accepted=%v", err, c.ok)
			}
		})
	}
}

func TestUpdateContactMergesAndChecksVersions(t *testing.T) {
	s := newContactSite(t, selfcare.Config{})
	c, err := s.svc.CreateContact(s.ctx, s.alice, "SEPALICE", selfcare.Contact{
		FirstName: "Ann", LastName: "Ames", Email: "ann@example.com",
		Methods: []selfcare.ContactMethod{{Type: selfcare.ContactWork,
			Number: "4021"}}}, testAddr)
	if err != nil {
		t.Fatal(err)
	}

	// Absent stays, null empties, a value sets.
	got, err := s.svc.UpdateContact(s.ctx, s.alice, "SEPALICE", c.ID,
		selfcare.ContactPatch{LastName: selfcare.Set("Smith"),
			Email: selfcare.Null[string]()}, 1, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.LastName, want.Email, want.Version = "Smith", "", 2
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("patched (-want +got):\n%s", d)
	}
	if e := s.lastAudit(selfcare.ActionContacts); e.Outcome != selfcare.OutcomeOK ||
		!strings.Contains(e.Detail, "last=Ames") || !strings.Contains(e.Detail,
		"last=Smith") {
		t.Errorf("audited %+v", e)
	}

	// A patch that changes nothing keeps the version.
	same, err := s.svc.UpdateContact(s.ctx, s.alice, "SEPALICE", c.ID,
		selfcare.ContactPatch{FirstName: selfcare.Set("Ann")}, 2, testAddr)
	if err != nil || same.Version != 2 {
		t.Errorf("no-op patch: %+v, %v", same, err)
	}

	refusals := []struct {
		name    string
		patch   selfcare.ContactPatch
		ifMatch int64
		is      error
	}{
		{"a stale version is a conflict", selfcare.ContactPatch{
			FirstName: selfcare.Set("X")}, 1, selfcare.ErrVersionConflict},
		{"emptying every name is invalid", selfcare.ContactPatch{
			FirstName: selfcare.Null[string](), LastName: selfcare.Set("")}, 2,
			selfcare.ErrInvalid},
		{"a bad number is invalid", selfcare.ContactPatch{
			Methods: selfcare.Set([]selfcare.ContactMethod{{Type: selfcare.ContactHome,
				Number: "12ab"}})}, 2, selfcare.ErrInvalid},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			_, err := s.svc.UpdateContact(s.ctx, s.alice, "SEPALICE", c.ID, r.patch,
				r.ifMatch, testAddr)
			if !errors.Is(err, r.is) {
				t.Fatalf("err %v, want %v", err, r.is)
			}
			stored, err := s.svc.Contact(s.ctx, s.alice, "SEPALICE", c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, stored); d != "" {
				t.Errorf("a refused patch changed the contact (-want +got):\n%s", d)
			}
			if e := s.lastAudit(selfcare.ActionContacts); e.Outcome !=
				selfcare.OutcomeDenied {
				t.Errorf("refusal audited as %+v", e)
			}
		})
	}

	// Methods are replaced whole; null removes them all.
	got, err = s.svc.UpdateContact(s.ctx, s.alice, "SEPALICE", c.ID,
		selfcare.ContactPatch{Methods: selfcare.Null[[]selfcare.ContactMethod]()}, 2,
		testAddr)
	if err != nil || len(got.Methods) != 0 || got.Version != 3 {
		t.Errorf("null methods: %+v, %v", got, err)
	}

	if err := s.svc.DeleteContact(s.ctx, s.alice, "SEPALICE", c.ID, 2,
		testAddr); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Errorf("stale delete: %v", err)
	}
	if err := s.svc.DeleteContact(s.ctx, s.alice, "SEPALICE", c.ID, 3,
		testAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Contact(s.ctx, s.alice, "SEPALICE",
		c.ID); !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("deleted contact: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionContacts); !strings.HasPrefix(e.Detail,
		"deleted: first=Ann") {
		t.Errorf("delete audited as %+v", e)
	}
}

func TestContactsOfAnotherUserAreNotFound(t *testing.T) {
	s := newContactSite(t, selfcare.Config{})
	bobs, err := s.svc.CreateContact(s.ctx, s.bob, "SEPBOB",
		selfcare.Contact{FirstName: "Bob's friend"}, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := s.svc.CreateContact(s.ctx, s.alice, "SEPALICE",
		selfcare.Contact{FirstName: "Alice's friend"}, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	patch := selfcare.ContactPatch{FirstName: selfcare.Set("Mallory")}
	for _, c := range []struct{ name, device, id string }{
		{"bob's phone", "SEPBOB", bobs.ID},
		{"a phone that does not exist", "SEPNONE", bobs.ID},
		{"bob's contact through alice's phone", "SEPALICE", bobs.ID},
		{"a malformed ID", "SEPALICE", "../" + mine.ID},
	} {
		t.Run(c.name+" is not found", func(t *testing.T) {
			_, err := s.svc.Contact(s.ctx, s.alice, c.device, c.id)
			if !errors.Is(err, selfcare.ErrNotFound) {
				t.Errorf("Contact: %v", err)
			}
			_, err = s.svc.UpdateContact(s.ctx, s.alice, c.device, c.id, patch, 1,
				testAddr)
			if !errors.Is(err, selfcare.ErrNotFound) {
				t.Errorf("UpdateContact: %v", err)
			}
			if e := s.lastAudit(selfcare.ActionContacts); e.Actor != "alice" ||
				e.Outcome != selfcare.OutcomeDenied {
				t.Errorf("refusal audited as %+v", e)
			}
			err = s.svc.DeleteContact(s.ctx, s.alice, c.device, c.id, 1, testAddr)
			if !errors.Is(err, selfcare.ErrNotFound) {
				t.Errorf("DeleteContact: %v", err)
			}
		})
	}
	if _, err := s.svc.Contacts(s.ctx, s.alice, "SEPBOB"); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("listing bob's phone: %v", err)
	}
	if _, err := s.svc.CreateContact(s.ctx, s.alice, "SEPBOB",
		selfcare.Contact{FirstName: "Planted"}, testAddr); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("creating on bob's phone: %v", err)
	}
	got, err := s.svc.Contacts(s.ctx, s.bob, "SEPBOB")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]selfcare.Contact{bobs}, got); d != "" {
		t.Errorf("bob's contacts changed (-want +got):\n%s", d)
	}
}

func TestContactLimitAndGate(t *testing.T) {
	s := newContactSite(t, selfcare.Config{MaxContactsPerPhone: 2})
	if got := s.svc.ContactLimit(); got != 2 {
		t.Errorf("ContactLimit = %d", got)
	}
	if got := newContactSite(t, selfcare.Config{}).svc.ContactLimit(); got !=
		selfcare.DefaultMaxContactsPerPhone {
		t.Errorf("default ContactLimit = %d", got)
	}
	for i, name := range []string{"Zed", "ann", "Bea"} {
		_, err := s.svc.CreateContact(s.ctx, s.alice, "SEPALICE",
			selfcare.Contact{FirstName: name}, testAddr)
		if i < 2 && err != nil || i == 2 && !errors.Is(err, selfcare.ErrContactLimit) {
			t.Errorf("contact %d: %v", i, err)
		}
	}
	list, err := s.svc.Contacts(s.ctx, s.alice, "SEPALICE")
	if err != nil || len(list) != 2 || list[0].FirstName != "ann" {
		t.Errorf("list %+v, %v; want 2, ordered by name without case", list, err)
	}
	if e := s.lastAudit(selfcare.ActionContacts); e.Outcome != selfcare.OutcomeDenied ||
		!strings.Contains(e.Detail, "limit of 2") {
		t.Errorf("limit audited as %+v", e)
	}

	if _, err := s.svc.SetParam(s.ctx, selfcare.LocalCaller(""),
		params.KeyShowPhoneContacts, "false"); err != nil {
		t.Fatal(err)
	}
	var ge *params.GateError
	if _, err := s.svc.Contacts(s.ctx, s.alice, "SEPALICE"); !errors.As(err, &ge) {
		t.Errorf("hidden list: %v", err)
	}
	if _, err := s.svc.UpdateContact(s.ctx, s.alice, "SEPALICE", list[0].ID,
		selfcare.ContactPatch{}, 1, testAddr); !errors.As(err, &ge) {
		t.Errorf("hidden update: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionContacts); e.Outcome != selfcare.OutcomeDenied ||
		!strings.Contains(e.Detail, params.KeyShowPhoneContacts) {
		t.Errorf("gate audited as %+v", e)
	}
}

func TestContactMethodTypeText(t *testing.T) {
	for _, typ := range selfcare.ContactMethodTypes() {
		b, err := typ.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back selfcare.ContactMethodType
		if err := back.UnmarshalText(b); err != nil || back != typ {
			t.Errorf("%s: read back %v, %v", b, back, err)
		}
	}
	var typ selfcare.ContactMethodType
	if err := typ.UnmarshalText([]byte("fax")); !errors.Is(err, selfcare.ErrInvalid) {
		t.Errorf("fax: %v", err)
	}
	if _, err := selfcare.ContactMethodType(9).MarshalText(); err == nil {
		t.Error("type 9 marshalled")
	}
}
