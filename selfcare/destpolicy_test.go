package selfcare_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// aliceSEP is the phone that addAlice gives alice.martin.
const aliceSEP = "SEPALICEMARTIN"

// withNational returns the default policy with national numbers allowed
// or refused.
func withNational(allowed bool) selfcare.DestinationPolicy {
	p := selfcare.DefaultDestinationPolicy()
	for i := range p.Classes {
		if p.Classes[i].Name == selfcare.ClassNational {
			p.Classes[i].Allowed = allowed
			p.Classes[i].Message = "National numbers are not allowed here."
		}
	}
	return p
}

func TestDestinationPolicyChangeAppliesInAnotherServiceAtItsNextRequest(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	super := f.admin(superUser)

	// A second service on the same store stands for a second process.
	other := selfcare.New(f.store, selfcare.Config{Now: f.clock.Now, Hash: cheapHash})
	tok, _, err := other.Login(f.ctx, testUser, testPassword, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	save := func(version int64) error {
		t.Helper()
		p, err := other.Authenticate(f.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.UpdateSpeedDials(f.ctx, p, aliceSEP, []selfcare.SpeedDial{
			{Position: 1, Destination: "914085550100"}}, version, testAddr)
		return err
	}
	if err := save(0); err != nil {
		t.Fatalf("a national number under the default policy: %v", err)
	}

	cur, err := f.svc.DestinationPolicy(f.ctx, super)
	if err != nil || cur.Custom || cur.Version != 0 {
		t.Fatalf("policy before any change: %+v %v", cur, err)
	}
	saved, err := f.svc.SetDestinationPolicy(f.ctx, super, withNational(false), 0)
	if err != nil || !saved.Custom || saved.Version != 1 {
		t.Fatalf("SetDestinationPolicy: %+v %v", saved, err)
	}
	e := f.lastAudit(selfcare.ActionDestPolicySet)
	if e.Outcome != selfcare.OutcomeOK || e.Actor != superUser || !strings.Contains(e.Detail,
		"version 0 -> 1: custom policy set; class national allowed true -> false") {
		t.Errorf("change audited as %+v", e)
	}

	err = save(1)
	var ve *selfcare.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 ||
		ve.Fields[0].Field != "speedDials[0].destination" ||
		ve.Fields[0].Message != "National numbers are not allowed here." {
		t.Fatalf("the other service after the change: %v", err)
	}

	// A reset brings the default back, there too, and keeps counting.
	reset, err := f.svc.ResetDestinationPolicy(f.ctx, super, 1)
	if err != nil || reset.Custom || reset.Version != 2 ||
		!cmp.Equal(reset.Policy, selfcare.DefaultDestinationPolicy()) {
		t.Fatalf("reset: %+v %v", reset, err)
	}
	if err := save(1); err != nil {
		t.Errorf("after the reset: %v", err)
	}
}

func TestSetDestinationPolicyRefusals(t *testing.T) {
	bad := selfcare.DefaultDestinationPolicy()
	bad.Classes[0].Patterns = []string{"9[1-"}
	bad.Site.CountryCode = "0"
	cases := []struct {
		name    string
		caller  func(f *paramFixture) selfcare.Caller
		policy  selfcare.DestinationPolicy
		ifMatch int64
		is      error
		fields  []string
	}{
		{"an invalid policy names every bad field", (*paramFixture).superCaller, bad, 1,
			selfcare.ErrInvalid, []string{"site.countryCode", "classes[0].patterns[0]"}},
		{"a stale version is a conflict", (*paramFixture).superCaller, withNational(true),
			0, selfcare.ErrVersionConflict, nil},
		{"a version from the future is a conflict", (*paramFixture).superCaller,
			withNational(true), 2, selfcare.ErrVersionConflict, nil},
		{"a read-only administrator is forbidden", func(f *paramFixture) selfcare.Caller {
			return f.admin(readOnlyUser)
		}, withNational(true), 1, selfcare.ErrForbidden, nil},
		{"an end user is forbidden", func(f *paramFixture) selfcare.Caller {
			_, p := f.login(testUser, testPassword)
			return selfcare.AdminCaller(p, testAddr)
		}, withNational(true), 1, selfcare.ErrForbidden, nil},
		{"nobody is unauthenticated", func(*paramFixture) selfcare.Caller {
			return selfcare.Caller{}
		}, withNational(true), 1, selfcare.ErrUnauthenticated, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newParamFixture(t, selfcare.Config{})
			before, err := f.svc.SetDestinationPolicy(f.ctx, f.superCaller(),
				withNational(false), 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.SetDestinationPolicy(f.ctx, c.caller(f), c.policy, c.ifMatch)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			var fields []string
			var ve *selfcare.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Fields {
					fields = append(fields, fe.Field)
				}
			}
			if d := cmp.Diff(c.fields, fields); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			after, err := f.svc.DestinationPolicy(f.ctx, f.superCaller())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(before, after); d != "" {
				t.Errorf("a refused change changed the policy (-before +after):\n%s", d)
			}
			if c.is != selfcare.ErrUnauthenticated {
				if e := f.lastAudit(selfcare.ActionDestPolicySet); e.Outcome !=
					selfcare.OutcomeDenied {
					t.Errorf("refusal audited as %+v", e)
				}
			}
		})
	}
}

func (f *paramFixture) superCaller() selfcare.Caller { return f.admin(superUser) }

func TestDestinationPolicyReadNeedsReadAccess(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	if _, err := f.svc.DestinationPolicy(f.ctx, f.admin(readOnlyUser)); err != nil {
		t.Errorf("read-only administrator: %v", err)
	}
	_, p := f.login(testUser, testPassword)
	if _, err := f.svc.DestinationPolicy(f.ctx, selfcare.AdminCaller(p,
		testAddr)); !errors.Is(err, selfcare.ErrForbidden) {
		t.Errorf("end user: %v", err)
	}
}

// bareStore hides every optional interface of the memstore.
type bareStore struct{ selfcare.Store }

func TestDestinationPolicyWithoutAStoreForItIsTheFixedDefault(t *testing.T) {
	svc := selfcare.New(bareStore{memstore.New()}, selfcare.Config{})
	c := selfcare.LocalCaller("")
	if _, err := svc.DestinationPolicy(t.Context(), c); !errors.Is(err,
		selfcare.ErrDestinationPolicyFixed) {
		t.Errorf("read: %v", err)
	}
	if _, err := svc.SetDestinationPolicy(t.Context(), c, withNational(true), 0); !errors.Is(
		err, selfcare.ErrDestinationPolicyFixed) {
		t.Errorf("set: %v", err)
	}
}

func TestDescribeDestinationPolicyChange(t *testing.T) {
	def := selfcare.ConfiguredDestinationPolicy{Policy: selfcare.DefaultDestinationPolicy()}
	custom := func(edit func(p *selfcare.DestinationPolicy)) selfcare.ConfiguredDestinationPolicy {
		p := selfcare.DefaultDestinationPolicy()
		edit(&p)
		return selfcare.ConfiguredDestinationPolicy{Policy: p, Custom: true}
	}
	cases := []struct {
		name      string
		old, next selfcare.ConfiguredDestinationPolicy
		want      string
	}{
		{"nothing changed", def, def, "no change"},
		{"the same policy made custom", def, custom(func(*selfcare.DestinationPolicy) {}),
			"custom policy set"},
		{"a site field", custom(func(*selfcare.DestinationPolicy) {}),
			custom(func(p *selfcare.DestinationPolicy) { p.Site.AccessCode = "8" }),
			`site.accessCode "9" -> "8"`},
		{"a class removed and one added", def, custom(func(p *selfcare.DestinationPolicy) {
			p.Classes[0].Name = "urgent"
		}), "custom policy set; class urgent added (allowed false, 10 patterns); " +
			"class emergency removed"},
		{"a class moved and its patterns changed", def,
			custom(func(p *selfcare.DestinationPolicy) {
				p.Classes[0], p.Classes[1] = p.Classes[1], p.Classes[0]
				p.Classes[0].Patterns = slices.Concat(p.Classes[0].Patterns, []string{"000"})
			}), "custom policy set; class premium position 2 -> 1, patterns changed " +
				"(8 -> 9); class emergency position 1 -> 2"},
		{"back to the default", custom(func(*selfcare.DestinationPolicy) {}), def,
			"back to the default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := selfcare.DescribeDestinationPolicyChange(c.old, c.next); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// BenchmarkSpeedDialsUnderStoredPolicy saves a speed dial under an
// administrator's stored policy, re-authenticating first as a request
// does: the policy lookup costs one comparison of generations while the
// policy stays the same.
func BenchmarkSpeedDialsUnderStoredPolicy(b *testing.B) {
	f := newParamFixture(b, selfcare.Config{})
	if _, err := f.svc.SetDestinationPolicy(f.ctx, f.superCaller(), withNational(true),
		0); err != nil {
		b.Fatal(err)
	}
	tok, _, err := f.svc.Login(f.ctx, testUser, testPassword, testAddr)
	if err != nil {
		b.Fatal(err)
	}
	dests := []string{"914085550100", "4021"}
	var version int64
	for b.Loop() {
		p, err := f.svc.Authenticate(f.ctx, tok)
		if err != nil {
			b.Fatal(err)
		}
		l, err := f.svc.UpdateSpeedDials(f.ctx, p, aliceSEP, []selfcare.SpeedDial{
			{Position: 1, Destination: dests[version%2]}}, version, testAddr)
		if err != nil {
			b.Fatal(err)
		}
		version = l.Version
	}
}
