package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testContacts checks [selfcare.ContactStore]. The choices it pins where
// the contract leaves room:
//
//   - Contacts come back ordered by ID, numbers in the order saved; a
//     contact without numbers may have a nil Methods.
//   - A phone that does not exist and a phone of another owner answer
//     alike, with selfcare.ErrNotFound, for reads and for writes.
//   - The limit counts the phone's contacts only; a full phone refuses
//     with selfcare.ErrContactLimit and keeps what it had.
//   - A phone given to another owner has no contacts for them, and the
//     old owner can no longer reach the old ones.
func testContacts(t *testing.T, open Opener) {
	ann := selfcare.Contact{ID: "00000000000000a1", Device: "SEPA", FirstName: "Ann",
		LastName: "Ames", Nickname: "A", Company: "Acme", Email: "ann@example.com",
		Methods: []selfcare.ContactMethod{{Type: selfcare.ContactMobile,
			Number: "+41791234567"}, {Type: selfcare.ContactWork, Number: "4021"}}}
	ben := selfcare.Contact{ID: "00000000000000b2", Device: "SEPA", Company: "Bank"}

	t.Run("NewPhoneHasNoContacts", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		wantDiff(t, "Contacts", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{})
	})

	t.Run("CreateReadUpdateDeleteRoundTrip", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		wantA := ann
		wantA.Version = 1
		wantDiff(t, "created", ok(s.CreateContact(ctx, "alice", ben, 10))(t),
			withVersion(ben, 1))
		wantDiff(t, "created", ok(s.CreateContact(ctx, "alice", ann, 10))(t), wantA)
		wantDiff(t, "read", ok(s.Contact(ctx, "alice", "SEPA", ann.ID))(t), wantA)
		wantDiff(t, "list", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{wantA, withVersion(ben, 1)})
		wantDiff(t, "other phone", ok(s.Contacts(ctx, "alice", "SEPB"))(t),
			[]selfcare.Contact{})

		next := wantA
		next.FirstName, next.Email = "Anne", ""
		next.Methods = []selfcare.ContactMethod{{Type: selfcare.ContactHome,
			Number: "name@example.com"}}
		wantDiff(t, "updated", ok(s.UpdateContact(ctx, "alice", next))(t),
			withVersion(next, 2))
		wantDiff(t, "read back", ok(s.Contact(ctx, "alice", "SEPA", ann.ID))(t),
			withVersion(next, 2))

		next.Methods = nil
		next.Version = 2
		wantDiff(t, "numbers removed", ok(s.UpdateContact(ctx, "alice", next))(t),
			withVersion(next, 3))
		wantDiff(t, "read back", ok(s.Contact(ctx, "alice", "SEPA", ann.ID))(t),
			withVersion(next, 3))

		must(t, s.DeleteContact(ctx, "alice", "SEPA", ann.ID, 3))
		_, err := s.Contact(ctx, "alice", "SEPA", ann.ID)
		wantErr(t, "deleted", err, selfcare.ErrNotFound)
		wantDiff(t, "left", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{withVersion(ben, 1)})
	})

	t.Run("StaleVersionsAndMissingContactsChangeNothing", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		first := ok(s.CreateContact(ctx, "alice", ann, 10))(t)
		for _, v := range []int64{0, 2} {
			stale := ann
			stale.Version, stale.FirstName = v, "X"
			_, err := s.UpdateContact(ctx, "alice", stale)
			wantErr(t, "stale update", err, selfcare.ErrVersionConflict)
			wantErr(t, "stale delete", s.DeleteContact(ctx, "alice", "SEPA", ann.ID, v),
				selfcare.ErrVersionConflict)
		}
		missing := ben
		missing.Version = 1
		_, err := s.UpdateContact(ctx, "alice", missing)
		wantErr(t, "update of a missing contact", err, selfcare.ErrNotFound)
		wantErr(t, "delete of a missing contact",
			s.DeleteContact(ctx, "alice", "SEPA", ben.ID, 1), selfcare.ErrNotFound)
		_, err = s.CreateContact(ctx, "alice", ann, 10)
		wantErr(t, "the same ID twice", err, selfcare.ErrExists)
		wantDiff(t, "stored", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{first})
	})

	t.Run("AnotherOwnersPhoneIsNotFound", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		first := ok(s.CreateContact(ctx, "alice", ann, 10))(t)
		for _, owner := range []string{"bob", "nobody"} {
			_, err := s.Contacts(ctx, owner, "SEPA")
			wantErr(t, owner+" lists", err, selfcare.ErrNotFound)
			_, err = s.Contact(ctx, owner, "SEPA", ann.ID)
			wantErr(t, owner+" reads", err, selfcare.ErrNotFound)
			_, err = s.CreateContact(ctx, owner, ben, 10)
			wantErr(t, owner+" creates", err, selfcare.ErrNotFound)
			_, err = s.UpdateContact(ctx, owner, withVersion(ann, 1))
			wantErr(t, owner+" updates", err, selfcare.ErrNotFound)
			wantErr(t, owner+" deletes", s.DeleteContact(ctx, owner, "SEPA", ann.ID, 1),
				selfcare.ErrNotFound)
		}
		_, err := s.Contacts(ctx, "alice", "SEPNONE")
		wantErr(t, "a phone that does not exist", err, selfcare.ErrNotFound)
		// Bob's phone does not hold alice's contact under its ID.
		_, err = s.Contact(ctx, "bob", "SEPBOB", ann.ID)
		wantErr(t, "another phone's contact", err, selfcare.ErrNotFound)
		wantDiff(t, "alice's contacts", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{first})
	})

	t.Run("FullPhoneRefusesAndKeepsItsContacts", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		ok(s.CreateContact(ctx, "alice", ann, 1))(t)
		_, err := s.CreateContact(ctx, "alice", ben, 1)
		wantErr(t, "over the limit", err, selfcare.ErrContactLimit)
		if got := ok(s.Contacts(ctx, "alice", "SEPA"))(t); len(got) != 1 {
			t.Errorf("stored %+v, want only the first", got)
		}
		// Another phone counts for itself.
		other := ben
		other.Device = "SEPB"
		ok(s.CreateContact(ctx, "alice", other, 1))(t)
	})

	t.Run("NewOwnerGetsNoContacts", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		ok(s.CreateContact(ctx, "alice", ann, 10))(t)
		must(t, s.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "bob"}))

		wantDiff(t, "bob's list", ok(s.Contacts(ctx, "bob", "SEPA"))(t),
			[]selfcare.Contact{})
		_, err := s.Contact(ctx, "bob", "SEPA", ann.ID)
		wantErr(t, "bob reads alice's contact", err, selfcare.ErrNotFound)
		_, err = s.UpdateContact(ctx, "bob", withVersion(ann, 1))
		wantErr(t, "bob updates alice's contact", err, selfcare.ErrNotFound)
		wantErr(t, "bob deletes alice's contact",
			s.DeleteContact(ctx, "bob", "SEPA", ann.ID, 1), selfcare.ErrNotFound)
		_, err = s.Contacts(ctx, "alice", "SEPA")
		wantErr(t, "alice lists", err, selfcare.ErrNotFound)

		// Bob's own list starts empty and counts from nothing, even if
		// he draws the ID alice's contact had.
		mine := withVersion(ann, 0)
		mine.FirstName = "Bob's"
		wantDiff(t, "bob adds", ok(s.CreateContact(ctx, "bob", mine, 1))(t),
			withVersion(mine, 1))
		wantDiff(t, "bob's list", ok(s.Contacts(ctx, "bob", "SEPA"))(t),
			[]selfcare.Contact{withVersion(mine, 1)})

		// Given back, the phone does not restore alice's contacts: bob's
		// went with the second change of owner.
		must(t, s.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "alice"}))
		wantDiff(t, "alice's list", ok(s.Contacts(ctx, "alice", "SEPA"))(t),
			[]selfcare.Contact{})
	})

	t.Run("ConcurrentUpdatesOfOneVersionOneWins", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		ok(s.CreateContact(ctx, "alice", ann, 10))(t)
		const n = 8
		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			won, stale int
		)
		for i := range n {
			wg.Go(func() {
				c := withVersion(ann, 1)
				c.Nickname = string(rune('a' + i))
				_, err := s.UpdateContact(ctx, "alice", c)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, selfcare.ErrVersionConflict):
					stale++
				default:
					t.Errorf("update %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		got := ok(s.Contact(ctx, "alice", "SEPA", ann.ID))(t)
		if won != 1 || stale != n-1 || got.Version != 2 {
			t.Errorf("%d won, %d stale, stored %+v; want one winner", won, stale, got)
		}
	})

	t.Run("ConcurrentCreatesStopAtTheLimit", func(t *testing.T) {
		ctx, s := freshContacts(t, open)
		const n, limit = 8, 3
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := ben
				c.ID = "00000000000000c" + string(rune('0'+i))
				_, err := s.CreateContact(ctx, "alice", c, limit)
				if err != nil && !errors.Is(err, selfcare.ErrContactLimit) {
					t.Errorf("create %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if got := ok(s.Contacts(ctx, "alice", "SEPA"))(t); len(got) != limit {
			t.Errorf("%d contacts stored, want the limit %d", len(got), limit)
		}
	})
}

// contactStore is a store that keeps contacts.
type contactStore interface {
	selfcare.Store
	selfcare.ContactStore
}

// withVersion returns c at version v.
func withVersion(c selfcare.Contact, v int64) selfcare.Contact {
	c.Version = v
	return c
}

// freshContacts opens a store that must also keep contacts, with users
// alice and bob, alice's phones SEPA and SEPB and bob's phone SEPBOB.
func freshContacts(t *testing.T, open Opener) (context.Context, contactStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	cs, ok := s.(contactStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.ContactStore", s)
	}
	createUsers(t, ctx, s, "alice", "bob")
	for _, d := range []selfcare.Device{{Name: "SEPA", Owner: "alice"},
		{Name: "SEPB", Owner: "alice"}, {Name: "SEPBOB", Owner: "bob"}} {
		must(t, s.PutDevice(ctx, d))
	}
	return ctx, cs
}
