package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// contactsFixture opens a store with alice's phone SEPA holding n
// contacts with two numbers each, and user bob.
func contactsFixture(tb testing.TB, n int) *sqlstore.Store {
	tb.Helper()
	s := open(tb, filepath.Join(tb.TempDir(), "contacts.db"))
	ctx := tb.Context()
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, selfcare.User{ID: u}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "alice"}); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		c := selfcare.Contact{ID: fmt.Sprintf("%016x", i), Device: "SEPA",
			FirstName: "First", LastName: fmt.Sprint("Last ", i),
			Methods: []selfcare.ContactMethod{{Type: selfcare.ContactWork, Number: "4021"},
				{Type: selfcare.ContactMobile, Number: "+41791234567"}}}
		if _, err := s.CreateContact(ctx, "alice", c, n); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// TestContactsGoWithTheOwner checks what the in-memory store does not
// promise: the trigger deletes the contacts at the change of owner, so a
// phone given away and straight back, with no read in between, has none.
func TestContactsGoWithTheOwner(t *testing.T) {
	s := contactsFixture(t, 3)
	ctx := t.Context()
	for _, owner := range []string{"bob", "alice"} {
		if err := s.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: owner}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Contacts(ctx, "alice", "SEPA")
	if err != nil || len(got) != 0 {
		t.Errorf("after a change of owner and back: %+v, %v", got, err)
	}

	// Keeping the owner, as an administrator's edit of the description
	// does, keeps the contacts.
	s = contactsFixture(t, 3)
	if err := s.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "alice",
		Description: "Desk"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Contacts(ctx, "alice", "SEPA"); err != nil || len(got) != 3 {
		t.Errorf("after an edit that kept the owner: %d contacts, %v", len(got), err)
	}
}

func BenchmarkContactsList(b *testing.B) {
	s := contactsFixture(b, selfcare.DefaultMaxContactsPerPhone)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		list, err := s.Contacts(ctx, "alice", "SEPA")
		if err != nil || len(list) != selfcare.DefaultMaxContactsPerPhone {
			b.Fatalf("%d contacts, %v", len(list), err)
		}
	}
}

func BenchmarkContactUpdate(b *testing.B) {
	s := contactsFixture(b, selfcare.DefaultMaxContactsPerPhone)
	ctx := b.Context()
	c, err := s.Contact(ctx, "alice", "SEPA", fmt.Sprintf("%016x", 7))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c, err = s.UpdateContact(ctx, "alice", c); err != nil {
			b.Fatal(err)
		}
	}
}
