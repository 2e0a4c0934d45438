package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ucselfcare/portal/selfcare"
)

// event returns a complete audit event.
func event(actor, action string, t time.Time) selfcare.AuditEvent {
	return selfcare.AuditEvent{
		Time: t, Actor: actor, Action: action, Target: "SEP0011223344AA",
		Outcome: "ok", Detail: "description changed", RemoteAddr: "198.51.100.4:443",
	}
}

// ids returns the IDs of events, to compare orderings compactly.
func ids(events []selfcare.AuditEvent) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func testAudit(t *testing.T, open Opener) {
	t.Run("AppendAssignsIncreasingIDs", func(t *testing.T) {
		ctx, s := fresh(t, open)
		in := []selfcare.AuditEvent{
			event("alice", "login", base),
			event("", "login.failed", at(time.Second)),
			event("bob", "password.change", at(2*time.Second)),
		}
		for _, e := range in {
			e.ID = 999 // the store, not the caller, numbers events
			must(t, s.AppendAudit(ctx, e))
		}

		got := ok(s.Audit(ctx, selfcare.AuditFilter{}))(t)
		if len(got) != len(in) {
			t.Fatalf("Audit returned %d events, want %d", len(got), len(in))
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID >= got[i-1].ID {
				t.Errorf("IDs %v do not decrease newest first", ids(got))
			}
		}
		wantDiff(t, "events", got, []selfcare.AuditEvent{in[2], in[1], in[0]},
			cmpopts.IgnoreFields(selfcare.AuditEvent{}, "ID"))
	})

	t.Run("NewestFirstByTimeThenID", func(t *testing.T) {
		ctx, s := fresh(t, open)
		// Appended out of time order, with two events at the same instant.
		for _, e := range []selfcare.AuditEvent{
			event("a", "x", at(2*time.Second)), // ID 1
			event("a", "x", base),              // ID 2
			event("a", "x", at(3*time.Second)), // ID 3
			event("a", "x", at(2*time.Second)), // ID 4
		} {
			must(t, s.AppendAudit(ctx, e))
		}
		got := ok(s.Audit(ctx, selfcare.AuditFilter{}))(t)
		first := slices.Min(ids(got)) // IDs need not start at 1
		want := []int64{first + 2, first + 3, first, first + 1}
		wantDiff(t, "order of IDs", ids(got), want)
	})

	t.Run("FilterSelects", func(t *testing.T) {
		ctx, s := fresh(t, open)
		failed := event("", "login.failed", at(3*time.Minute))
		failed.Target = "alice" // a refused login has no actor
		all := []selfcare.AuditEvent{
			event("alice", "login", base),
			event("bob", "login", at(time.Minute)),
			event("alice", "password.change", at(2*time.Minute)),
			failed,
			event("alice", "login", at(4*time.Minute)),
		}
		for _, e := range all {
			must(t, s.AppendAudit(ctx, e))
		}
		pick := func(idx ...int) []selfcare.AuditEvent {
			var out []selfcare.AuditEvent
			for _, i := range idx {
				out = append(out, all[i])
			}
			return out
		}

		cases := []struct {
			name string
			f    selfcare.AuditFilter
			want []selfcare.AuditEvent
		}{
			{"everything", selfcare.AuditFilter{}, pick(4, 3, 2, 1, 0)},
			{"by actor", selfcare.AuditFilter{Actor: "alice"}, pick(4, 2, 0)},
			{"by subject: actor or target", selfcare.AuditFilter{Subject: "alice"},
				pick(4, 3, 2, 0)},
			{"by subject and action", selfcare.AuditFilter{Subject: "alice",
				Action: "login.failed"}, pick(3)},
			{"by action", selfcare.AuditFilter{Action: "login"}, pick(4, 1, 0)},
			{"since is inclusive", selfcare.AuditFilter{Since: at(2 * time.Minute)},
				pick(4, 3, 2)},
			{"actor and action", selfcare.AuditFilter{Actor: "alice", Action: "login"},
				pick(4, 0)},
			{"all three", selfcare.AuditFilter{
				Actor: "alice", Action: "login", Since: at(time.Second)}, pick(4)},
			{"limit keeps newest", selfcare.AuditFilter{Limit: 2}, pick(4, 3)},
			{"nothing matches", selfcare.AuditFilter{Actor: "mallory"}, nil},
		}
		for _, c := range cases {
			got := ok(s.Audit(ctx, c.f))(t)
			wantDiff(t, c.name, got, c.want,
				cmpopts.IgnoreFields(selfcare.AuditEvent{}, "ID"))
		}
	})

	t.Run("LimitDefaultsTo100", func(t *testing.T) {
		ctx, s := fresh(t, open)
		for i := range 105 {
			e := event("alice", "login", at(time.Duration(i)*time.Second))
			e.Detail = fmt.Sprint("event ", i)
			must(t, s.AppendAudit(ctx, e))
		}
		got := ok(s.Audit(ctx, selfcare.AuditFilter{}))(t)
		if len(got) != 100 {
			t.Fatalf("Audit returned %d events, want 100", len(got))
		}
		if got[0].Detail != "event 104" || got[99].Detail != "event 5" {
			t.Errorf("Audit returned %q .. %q, want event 104 .. event 5",
				got[0].Detail, got[99].Detail)
		}
		if n := len(ok(s.Audit(ctx, selfcare.AuditFilter{Limit: 105}))(t)); n != 105 {
			t.Errorf("Audit with Limit 105 returned %d events", n)
		}
	})
}
