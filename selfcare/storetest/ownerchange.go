package storetest

import (
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testOwnerChange checks that a phone given to another user brings none of
// what its first owner set on it, in every kind of per-phone data the
// store keeps, and that a change that keeps the owner keeps it all.
func testOwnerChange(t *testing.T, open Opener) {
	ctx, s := fresh(t, open)
	sd, okSD := s.(selfcare.SpeedDialStore)
	ps, okPS := s.(selfcare.PhoneSettingsStore)
	svc, okSvc := s.(selfcare.PhoneServiceStore)
	cs, okCS := s.(selfcare.ContactStore)
	if !okSD || !okPS || !okSvc || !okCS {
		t.Fatalf("%T lacks one of the per-phone stores", s)
	}
	createUsers(t, ctx, s, "alice", "bob")
	phone := selfcare.Device{Name: "SEPA", Owner: "alice",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}
	must(t, s.PutDevice(ctx, phone))

	_, err := sd.UpdateSpeedDials(ctx, selfcare.SpeedDials{Device: "SEPA",
		Entries: []selfcare.SpeedDial{{Position: 1, Destination: "4031", Label: "Desk"}}})
	must(t, err)
	_, err = ps.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
		Owner: "alice", Description: "Alice's desk"})
	must(t, err)
	must(t, svc.AddPhoneService(ctx, selfcare.PhoneService{ID: "agent", Name: "Agent",
		URL: "http://127.0.0.1/agent"}))
	_, err = svc.Subscribe(ctx, selfcare.ServiceSubscription{Device: "SEPA",
		ServiceID: "agent", Values: map[string]string{"pw": "alice-secret"}})
	must(t, err)
	_, err = cs.CreateContact(ctx, "alice", selfcare.Contact{ID: "00000000000000a1",
		Device: "SEPA", FirstName: "Ann"}, 10)
	must(t, err)

	// What each store reads for owner: the number of speed dials,
	// subscriptions and contacts, and the description.
	type seen struct {
		SpeedDials, Subscriptions, Contacts int
		Description                         string
	}
	read := func(owner string) seen {
		t.Helper()
		l, err := sd.SpeedDials(ctx, "SEPA")
		must(t, err)
		p, err := ps.PhoneSettings(ctx, "SEPA", owner)
		must(t, err)
		subs, err := svc.Subscriptions(ctx, "SEPA")
		must(t, err)
		c, err := cs.Contacts(ctx, owner, "SEPA")
		must(t, err)
		return seen{len(l.Entries), len(subs), len(c), p.Description}
	}

	phone.AdminDescription = "Reception"
	must(t, s.PutDevice(ctx, phone))
	wantDiff(t, "after a change that keeps the owner", read("alice"),
		seen{1, 1, 1, "Alice's desk"})

	phone.Owner = "bob"
	must(t, s.PutDevice(ctx, phone))
	wantDiff(t, "the new owner's view", read("bob"), seen{})

	// Given straight back, the phone is a fresh one for its first owner
	// too: what went to bob's phone is not kept for later.
	phone.Owner = "alice"
	must(t, s.PutDevice(ctx, phone))
	wantDiff(t, "the first owner's view after the phone came back", read("alice"), seen{})
}

// testLineDirectory checks HasLine: a number on a line of any phone is
// found, one that no phone has (any more) is not.
func testLineDirectory(t *testing.T, open Opener) {
	ctx, s := fresh(t, open)
	ld, ok := s.(selfcare.LineDirectory)
	if !ok {
		t.Fatalf("%T is not a selfcare.LineDirectory", s)
	}
	createUsers(t, ctx, s, "alice")
	phone := selfcare.Device{Name: "SEPA", Owner: "alice", Lines: []selfcare.Line{
		{Index: 1, Extension: "4021"}, {Index: 2, Extension: "4022"}}}
	must(t, s.PutDevice(ctx, phone))
	has := func(ext string) bool {
		t.Helper()
		ok, err := ld.HasLine(ctx, ext)
		must(t, err)
		return ok
	}
	if !has("4021") || !has("4022") || has("4023") || has("402") {
		t.Errorf("HasLine 4021 %v, 4022 %v, 4023 %v, 402 %v; want true, true, false, false",
			has("4021"), has("4022"), has("4023"), has("402"))
	}
	phone.Lines = phone.Lines[:1]
	must(t, s.PutDevice(ctx, phone))
	if has("4022") {
		t.Error("HasLine 4022 after the line was removed: true")
	}
}
