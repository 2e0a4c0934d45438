package onboarding_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
)

func TestShowCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, onboarding.Config{})
	alices := f.provision(t, "alice", model8845, macAlice)
	bobs := f.provision(t, "bob", model8845, macBob)
	idle := f.provision(t, "alice", model8845, "001B54000001") // no code
	issued := f.issue(t, alices.Name)
	f.issue(t, bobs.Name)
	f.audit.take()

	t.Run("the owner sees the code and the view is audited", func(t *testing.T) {
		rc, err := f.reg.ShowCode(ctx, "alice", alices.Name, "198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Code != issued.Code || rc.Device != alices.Name ||
			!rc.ExpiresAt.Equal(issued.ExpiresAt) {
			t.Errorf("ShowCode = %+v, want the code issued for %s", rc, alices.Name)
		}
		es := f.audit.take()
		if len(es) != 1 || es[0].Action != onboarding.ActionView || es[0].Actor != "alice" ||
			es[0].Device != alices.Name || es[0].Source != "198.51.100.7" {
			t.Errorf("events:%s", describe(es))
		}
	})

	// Each of these must look like a phone that does not exist.
	for _, c := range []struct{ name, user, device string }{
		{"another user's phone is not found", "alice", bobs.Name},
		{"an unknown phone is not found", "alice", "SEP001B54999999"},
		{"a phone without a code is not found", "alice", idle.Name},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc, err := f.reg.ShowCode(ctx, c.user, c.device, "")
			if !errors.Is(err, onboarding.ErrNotFound) || rc.Code != "" {
				t.Errorf("ShowCode = %q, %v; want ErrNotFound", rc.Code.Reveal(), err)
			}
			if es := f.audit.take(); len(es) != 0 {
				t.Errorf("a refusal audited a view:%s", describe(es))
			}
		})
	}

	t.Run("nothing is shown when the view cannot be audited", func(t *testing.T) {
		f.audit.fail = errAuditDown
		defer func() { f.audit.fail = nil }()
		rc, err := f.reg.ShowCode(ctx, "alice", alices.Name, "")
		if !errors.Is(err, errAuditDown) || rc.Code != "" {
			t.Errorf("ShowCode = %q, %v; want the audit error", rc.Code.Reveal(), err)
		}
	})
	t.Run("an expired code is not found", func(t *testing.T) {
		f.clock.Advance(onboarding.DefaultTTL)
		_, err := f.reg.ShowCode(ctx, "alice", alices.Name, "")
		if !errors.Is(err, onboarding.ErrNotFound) {
			t.Errorf("ShowCode after expiry: %v, want ErrNotFound", err)
		}
	})
	t.Run("an empty user ID is invalid", func(t *testing.T) {
		_, err := f.reg.ShowCode(ctx, "", alices.Name, "")
		if !errors.Is(err, onboarding.ErrInvalid) {
			t.Errorf("ShowCode(\"\"): %v, want ErrInvalid", err)
		}
	})
}
