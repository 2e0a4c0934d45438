package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testPhoneServices checks [selfcare.PhoneServiceStore]. The choices it
// pins where the contract leaves room:
//
//   - The catalogue comes back ordered by ID, every field and parameter
//     as added, parameters in their order.
//   - A new subscription is at Version 1; each update adds one; values come
//     back as a map, never nil.
//   - A stale update or unsubscribe changes nothing and matches
//     selfcare.ErrVersionConflict; a missing subscription is ErrNotFound.
//   - Removing a subscribed service without cascade changes nothing;
//     with cascade, every phone's subscription to it goes, and only those.
func testPhoneServices(t *testing.T, open Opener) {
	t.Run("CatalogueKeepsEveryFieldOrderedByID", func(t *testing.T) {
		ctx, s := freshServices(t, open)
		wantDiff(t, "empty", ok(s.PhoneServices(ctx))(t), []selfcare.PhoneService(nil))
		a, b := agentService(), plainService("directory")
		must(t, s.AddPhoneService(ctx, b))
		must(t, s.AddPhoneService(ctx, a))
		wantErr(t, "same ID again", s.AddPhoneService(ctx, plainService("directory")),
			selfcare.ErrExists)
		wantDiff(t, "catalogue", ok(s.PhoneServices(ctx))(t),
			[]selfcare.PhoneService{a, b})
		wantDiff(t, "one", ok(s.PhoneService(ctx, "agent"))(t), a)
		_, err := s.PhoneService(ctx, "nothing")
		wantErr(t, "unknown service", err, selfcare.ErrNotFound)
	})

	t.Run("SubscriptionsHaveTheirOwnVersions", func(t *testing.T) {
		ctx, s := freshServices(t, open)
		must(t, s.AddPhoneService(ctx, agentService()))
		must(t, s.AddPhoneService(ctx, plainService("directory")))
		sub := selfcare.ServiceSubscription{Device: "SEPA", ServiceID: "agent",
			Values: map[string]string{"agentId": "1234", "password": "s3cret"}}
		got := ok(s.Subscribe(ctx, sub))(t)
		sub.Version = 1
		wantDiff(t, "subscribed", got, sub)
		_, err := s.Subscribe(ctx, sub)
		wantErr(t, "twice", err, selfcare.ErrSubscribed)
		_, err = s.Subscribe(ctx, selfcare.ServiceSubscription{Device: "SEPA",
			ServiceID: "nothing"})
		wantErr(t, "unknown service", err, selfcare.ErrNotFound)
		dir := ok(s.Subscribe(ctx, selfcare.ServiceSubscription{Device: "SEPA",
			ServiceID: "directory"}))(t)
		wantDiff(t, "no values", dir, selfcare.ServiceSubscription{Device: "SEPA",
			ServiceID: "directory", Values: map[string]string{}, Version: 1})

		next := sub
		next.Values = map[string]string{"agentId": "5678", "password": "s3cret"}
		want := next
		want.Version = 2
		wantDiff(t, "updated", ok(s.UpdateSubscription(ctx, next))(t), want)
		wantDiff(t, "read back", ok(s.Subscription(ctx, "SEPA", "agent"))(t), want)
		wantDiff(t, "directory untouched", ok(s.Subscription(ctx, "SEPA",
			"directory"))(t), dir)

		for _, v := range []int64{1, 3} {
			stale := next
			stale.Version = v
			stale.Values = map[string]string{"agentId": "9"}
			_, err := s.UpdateSubscription(ctx, stale)
			wantErr(t, "stale update", err, selfcare.ErrVersionConflict)
			wantErr(t, "stale unsubscribe", s.Unsubscribe(ctx, "SEPA", "agent", v),
				selfcare.ErrVersionConflict)
		}
		wantDiff(t, "after stale writes", ok(s.Subscription(ctx, "SEPA", "agent"))(t),
			want)
		wantDiff(t, "list", ok(s.Subscriptions(ctx, "SEPA"))(t),
			[]selfcare.ServiceSubscription{want, dir})
		wantDiff(t, "other phone", ok(s.Subscriptions(ctx, "SEPB"))(t),
			[]selfcare.ServiceSubscription(nil))

		must(t, s.Unsubscribe(ctx, "SEPA", "agent", 2))
		_, err = s.Subscription(ctx, "SEPA", "agent")
		wantErr(t, "after unsubscribe", err, selfcare.ErrNotFound)
		wantErr(t, "unsubscribe again", s.Unsubscribe(ctx, "SEPA", "agent", 2),
			selfcare.ErrNotFound)
		_, err = s.UpdateSubscription(ctx, next)
		wantErr(t, "update of none", err, selfcare.ErrNotFound)
	})

	t.Run("RemovingASubscribedServiceIsRefusedUnlessCascaded", func(t *testing.T) {
		ctx, s := freshServices(t, open)
		must(t, s.AddPhoneService(ctx, agentService()))
		must(t, s.AddPhoneService(ctx, plainService("directory")))
		for _, dev := range []string{"SEPA", "SEPB"} {
			ok(s.Subscribe(ctx, selfcare.ServiceSubscription{Device: dev,
				ServiceID: "agent", Values: map[string]string{"agentId": "1"}}))(t)
		}
		dir := ok(s.Subscribe(ctx, selfcare.ServiceSubscription{Device: "SEPA",
			ServiceID: "directory"}))(t)

		_, err := s.RemovePhoneService(ctx, "agent", false)
		wantErr(t, "subscribed", err, selfcare.ErrServiceInUse)
		if got := ok(s.Subscriptions(ctx, "SEPB"))(t); len(got) != 1 {
			t.Fatalf("a refused removal took subscriptions: %+v", got)
		}
		ok(s.PhoneService(ctx, "agent"))(t)

		if n := ok(s.RemovePhoneService(ctx, "agent", true))(t); n != 2 {
			t.Errorf("cascade removed %d subscriptions, want 2", n)
		}
		_, err = s.PhoneService(ctx, "agent")
		wantErr(t, "removed service", err, selfcare.ErrNotFound)
		wantDiff(t, "SEPA keeps the other service", ok(s.Subscriptions(ctx, "SEPA"))(t),
			[]selfcare.ServiceSubscription{dir})
		wantDiff(t, "SEPB has none", ok(s.Subscriptions(ctx, "SEPB"))(t),
			[]selfcare.ServiceSubscription(nil))
		_, err = s.RemovePhoneService(ctx, "agent", true)
		wantErr(t, "unknown", err, selfcare.ErrNotFound)
		if n := ok(s.RemovePhoneService(ctx, "directory", true))(t); n != 1 {
			t.Errorf("removed %d, want 1", n)
		}
		must(t, s.AddPhoneService(ctx, agentService()))
		if got := ok(s.Subscriptions(ctx, "SEPA"))(t); len(got) != 0 {
			t.Errorf("a service added again found old subscriptions: %+v", got)
		}
	})

	t.Run("ConcurrentWritesOfOneVersionOneWins", func(t *testing.T) {
		ctx, s := freshServices(t, open)
		must(t, s.AddPhoneService(ctx, agentService()))
		const n = 8
		var (
			wg                   sync.WaitGroup
			mu                   sync.Mutex
			subscribed, refused  int
			updated, stale       int
			subscribeErr, updErr error
		)
		for range n {
			wg.Go(func() {
				_, err := s.Subscribe(ctx, selfcare.ServiceSubscription{Device: "SEPA",
					ServiceID: "agent", Values: map[string]string{"agentId": "1"}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					subscribed++
				case errors.Is(err, selfcare.ErrSubscribed):
					refused++
				default:
					subscribeErr = err
				}
			})
		}
		wg.Wait()
		for i := range n {
			wg.Go(func() {
				_, err := s.UpdateSubscription(ctx, selfcare.ServiceSubscription{
					Device: "SEPA", ServiceID: "agent", Version: 1,
					Values: map[string]string{"agentId": string(rune('a' + i))}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					updated++
				case errors.Is(err, selfcare.ErrVersionConflict):
					stale++
				default:
					updErr = err
				}
			})
		}
		wg.Wait()
		got := ok(s.Subscription(ctx, "SEPA", "agent"))(t)
		if subscribed != 1 || refused != n-1 || subscribeErr != nil || updated != 1 ||
			stale != n-1 || updErr != nil || got.Version != 2 {
			t.Errorf("subscribe %d/%d (%v), update %d/%d (%v), stored %+v; want one "+
				"winner each", subscribed, refused, subscribeErr, updated, stale, updErr, got)
		}
	})
}

// agentService is a catalogue entry with every field set.
func agentService() selfcare.PhoneService {
	return selfcare.PhoneService{ID: "agent", Name: "Agent sign-in",
		Description: "Contact centre agents", Kind: selfcare.PhoneServiceExternal,
		URL: "https://agents.example.com/phone",
		Params: []selfcare.ServiceParam{
			{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 10,
				Kind: selfcare.ServiceParamDigits, Default: "0"},
			{Name: "password", DisplayName: "Password", Required: true, MaxLength: 64,
				Secret: true},
		}}
}

// plainService is a service without parameters.
func plainService(id string) selfcare.PhoneService {
	return selfcare.PhoneService{ID: id, Name: "Service " + id,
		URL: "http://cucm.example.com/" + id}
}

// freshServices opens a store that must also keep phone services.
func freshServices(t *testing.T, open Opener) (context.Context,
	selfcare.PhoneServiceStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	ps, ok := s.(selfcare.PhoneServiceStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.PhoneServiceStore", s)
	}
	return ctx, ps
}
