package selfcare_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

const (
	model8845 = "Cisco 8845"
	macA      = "001B54AABBCC"
	macB      = "001B54DDEEFF"
	phoneAddr = "198.51.100.20"
)

// activationKey is a fixed key: these tests are about the service.
var activationKey = bytes.Repeat([]byte{7}, onboarding.KeySize)

// auditSwitch is a memstore whose audit trail can be made to fail.
type auditSwitch struct {
	*memstore.Store
	down atomic.Bool
}

var errAuditDown = errors.New("audit trail down")

func (s *auditSwitch) AppendAudit(ctx context.Context, e selfcare.AuditEvent) error {
	if s.down.Load() {
		return errAuditDown
	}
	return s.Store.AppendAudit(ctx, e)
}

// activationFixture is a service with device activation on a memstore,
// with alice (extension 40855) and bob as end users.
type activationFixture struct {
	*fixture
	audit *auditSwitch
	admin *selfcare.DeviceAdmin
}

func newActivationFixture(tb testing.TB, reg onboarding.Config) *activationFixture {
	tb.Helper()
	return newActivationFixtureOn(tb, memstore.New(), &clock{t: start}, reg)
}

// newActivationFixtureOn builds a fixture on store, so that two services
// can share one store as two portal processes share a database.
func newActivationFixtureOn(tb testing.TB, store *memstore.Store, clk *clock,
	reg onboarding.Config) *activationFixture {
	tb.Helper()
	sealer, err := onboarding.NewSealer(activationKey)
	if err != nil {
		tb.Fatal(err)
	}
	a := &activationFixture{audit: &auditSwitch{Store: store}}
	f := &fixture{tb: tb, ctx: context.Background(), store: store, clock: clk}
	f.svc = selfcare.New(a.audit, selfcare.Config{Now: clk.Now, Hash: cheapHash,
		Onboarding: selfcare.OnboardingConfig{
			Store:    store.Onboarding(),
			Sealer:   sealer,
			Registry: reg,
		}})
	if err := f.svc.Directory().EnsureStandard(f.ctx); err != nil {
		tb.Fatal(err)
	}
	a.fixture = f
	if a.admin, err = f.svc.DeviceAdmin(selfcare.LocalCaller("")); err != nil {
		tb.Fatal(err)
	}
	if _, err := store.User(f.ctx, testUser); err != nil {
		f.addAlice()
		f.addUser(selfcare.User{ID: "bob"}, testPassword, testPIN,
			[]string{acl.GroupStandardCCMEndUsers})
	}
	return a
}

// setShow sets Show Phones Ready to Activate as an administrator would.
func (a *activationFixture) setShow(tb testing.TB, value string) {
	tb.Helper()
	_, err := a.svc.SetParam(a.ctx, selfcare.LocalCaller(""),
		params.KeyShowPhonesReadyToActivate, value)
	if err != nil {
		tb.Fatalf("SetParam: %v", err)
	}
}

// provision adds a phone for owner that requires activation: with mac, or
// dummy-named when mac is empty.
func (a *activationFixture) provision(owner, mac string) onboarding.Device {
	a.tb.Helper()
	d, err := a.admin.Provision(a.ctx, onboarding.Provision{MAC: mac, Model: model8845,
		Owner: owner}, true)
	if err != nil {
		a.tb.Fatalf("Provision(%q, %q): %v", owner, mac, err)
	}
	return d
}

// codeOf returns the code that p sees for device.
func (a *activationFixture) codeOf(p *selfcare.Principal, device string) string {
	a.tb.Helper()
	rc, err := a.svc.ActivationCode(a.ctx, p, device, testAddr)
	if err != nil {
		a.tb.Fatalf("ActivationCode(%q): %v", device, err)
	}
	return rc.Code.Grouped()
}

// redeem tries a code as a phone.
func (a *activationFixture) redeem(mac, model, code string) (onboarding.Device, error) {
	return a.svc.RedeemActivationCode(a.ctx, onboarding.Attempt{MAC: mac, Model: model,
		Code: onboarding.Plaintext(code), Source: phoneAddr})
}

// phoneNames lists the names of the user's phones on My Phones.
func (a *activationFixture) phoneNames(p *selfcare.Principal) []string {
	a.tb.Helper()
	ds, err := a.svc.Phones(a.ctx, p)
	if err != nil {
		a.tb.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	return names
}

func TestReadyToActivate(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	mine := a.provision(testUser, "")
	bobs := a.provision("bob", macB)
	_, alice := a.login(testUser, testPassword)
	_, bob := a.login("bob", testPassword)

	t.Run("the owner sees the code in groups of four, and the view is audited",
		func(t *testing.T) {
			list, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
			if err != nil {
				t.Fatal(err)
			}
			rcs := list.Phones
			if len(rcs) != 1 || rcs[0].Device != mine.Name {
				t.Fatalf("ReadyToActivate = %+v, want %s only", rcs, mine.Name)
			}
			g := rcs[0].Code.Grouped()
			if len(g) != 19 || strings.Count(g, "-") != 3 {
				t.Errorf("code shown as %q, want four groups of four digits", g)
			}
			e := a.lastAudit(onboarding.ActionView)
			if e.Actor != testUser || e.Target != mine.Name || e.RemoteAddr != testAddr ||
				strings.Contains(e.Detail, rcs[0].Code.Reveal()) {
				t.Errorf("view event %+v", e)
			}
		})
	t.Run("another user's code is not found, like a phone that does not exist",
		func(t *testing.T) {
			for _, name := range []string{bobs.Name, "SEP001B54000000"} {
				_, err := a.svc.ActivationCode(a.ctx, alice, name, testAddr)
				if !errors.Is(err, onboarding.ErrNotFound) {
					t.Errorf("ActivationCode(%s) as alice: %v, want ErrNotFound", name, err)
				}
			}
			list, err := a.svc.ReadyToActivate(a.ctx, bob, testAddr)
			if err != nil || len(list.Phones) != 1 || list.Phones[0].Device != bobs.Name {
				t.Errorf("bob sees %+v, %v; want only his phone", list, err)
			}
		})
	t.Run("the gate hides codes at once and names the parameter", func(t *testing.T) {
		a.setShow(t, "false")
		_, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
		var ge *params.GateError
		if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowPhonesReadyToActivate ||
			!errors.Is(err, params.ErrFeatureHidden) {
			t.Errorf("ReadyToActivate while hidden: %v, want the gate error", err)
		}
		_, err = a.svc.ActivationCode(a.ctx, alice, mine.Name, testAddr)
		if !errors.Is(err, params.ErrFeatureHidden) {
			t.Errorf("ActivationCode while hidden: %v, want the gate error", err)
		}
		if e := a.lastAudit(onboarding.ActionView); e.Outcome != selfcare.OutcomeDenied {
			t.Errorf("the refused view was not audited: %+v", e)
		}
		a.setShow(t, "true")
		if _, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr); err != nil {
			t.Errorf("ReadyToActivate after showing again: %v", err)
		}
	})
	t.Run("no code is shown when the view cannot be audited", func(t *testing.T) {
		a.audit.down.Store(true)
		defer a.audit.down.Store(false)
		list, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
		if !errors.Is(err, errAuditDown) || list.Phones != nil {
			t.Errorf("ReadyToActivate = %d codes, %v; want the audit error",
				len(list.Phones), err)
		}
		rc, err := a.svc.ActivationCode(a.ctx, alice, mine.Name, testAddr)
		if !errors.Is(err, errAuditDown) || rc.Code != "" {
			t.Errorf("ActivationCode = %v; want the audit error", err)
		}
	})
	t.Run("nobody without a session sees anything", func(t *testing.T) {
		_, err := a.svc.ReadyToActivate(a.ctx, nil, testAddr)
		if !errors.Is(err, selfcare.ErrUnauthenticated) {
			t.Errorf("ReadyToActivate(nil): %v", err)
		}
	})
}

func TestReadyToActivateViews(t *testing.T) {
	t.Run("an expired code shows as expired, without its code", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, macA)
		_, alice := a.login(testUser, testPassword)
		a.clock.Advance(onboarding.DefaultTTL)
		list, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Phones) != 1 || list.Phones[0].Device != d.Name ||
			list.Phones[0].State != onboarding.StateExpired || list.Phones[0].Code != "" {
			t.Errorf("after expiry ReadyToActivate = %+v, want %s expired, no code",
				list.Phones, d.Name)
		}
	})
	t.Run("a view shows a bounded number of phones and counts the rest",
		func(t *testing.T) {
			a := newActivationFixture(t, onboarding.Config{MaxShown: 2})
			for i := range 5 {
				a.provision(testUser, fmt.Sprintf("001B54AA%04X", i+1))
			}
			_, alice := a.login(testUser, testPassword)
			before := len(a.audits(onboarding.ActionView))
			list, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
			if err != nil || len(list.Phones) != 2 || list.More != 3 {
				t.Fatalf("ReadyToActivate = %d phones and %d more, %v; want 2 and 3",
					len(list.Phones), list.More, err)
			}
			if n := len(a.audits(onboarding.ActionView)) - before; n != 2 {
				t.Errorf("%d view events, want one per code shown, 2", n)
			}
		})
}

// audits returns the audit events of action, newest first.
func (a *activationFixture) audits(action string) []selfcare.AuditEvent {
	a.tb.Helper()
	es, err := a.svc.Audit(a.ctx, selfcare.AuditFilter{Action: action})
	if err != nil {
		a.tb.Fatal(err)
	}
	return es
}

func TestRedeemActivationCode(t *testing.T) {
	t.Run("a dummy-named phone is bound to its model and renamed", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, "")
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, d.Name)

		if _, err := a.redeem(macA, "Cisco 7841", code); !errors.Is(err,
			onboarding.ErrRedeemFailed) {
			t.Fatalf("another model: %v, want ErrRedeemFailed", err)
		}
		got, err := a.redeem(macA, model8845, code)
		if err != nil {
			t.Fatalf("the right model: %v", err)
		}
		if got.Name != "SEP"+macA || !got.Activated {
			t.Errorf("activated %+v, want SEP%s", got, macA)
		}
		if names := a.phoneNames(alice); !contains(names, "SEP"+macA) ||
			contains(names, d.Name) {
			t.Errorf("My Phones lists %v after activation", names)
		}
		if _, err := a.redeem(macA, model8845, code); err == nil {
			t.Error("the code worked twice")
		}
		e := a.lastAudit(onboarding.ActionRedeem)
		if e.Outcome != selfcare.OutcomeFailed || e.RemoteAddr != phoneAddr || e.Actor != "" {
			t.Errorf("last redemption event %+v", e)
		}
	})
	t.Run("a phone provisioned with its MAC is bound to it", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, macA)
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, d.Name)
		if _, err := a.redeem(macB, model8845, code); err == nil {
			t.Fatal("another MAC activated the phone")
		}
		if got, err := a.redeem(macA, model8845, code); err != nil || got.Name != d.Name {
			t.Fatalf("the right MAC: %+v, %v", got, err)
		}
	})
	t.Run("an expired code fails", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, macA)
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, d.Name)
		a.clock.Advance(onboarding.DefaultTTL)
		if _, err := a.redeem(macA, model8845, code); err == nil {
			t.Fatal("an expired code worked")
		}
	})
	t.Run("the attempt limit releases the code", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{MaxFailures: 3})
		d := a.provision(testUser, macA)
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, d.Name)
		for range 3 {
			if _, err := a.redeem(macA, model8845, "0000-0000-0000-0000"); err == nil {
				t.Fatal("a wrong code worked")
			}
		}
		if _, err := a.redeem(macA, model8845, code); err == nil {
			t.Fatal("the code worked after the attempt limit")
		}
		list, err := a.svc.ReadyToActivate(a.ctx, alice, testAddr)
		if err != nil || len(list.Phones) != 0 {
			t.Errorf("after the limit alice sees %d codes, %v; want none",
				len(list.Phones), err)
		}
		rc, err := a.admin.ReplaceCode(a.ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.redeem(macA, model8845, rc.Code.Grouped()); err != nil {
			t.Errorf("the replacement code: %v", err)
		}
	})
	t.Run("replace and release stop the old code", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, macA)
		_, alice := a.login(testUser, testPassword)
		old := a.codeOf(alice, d.Name)
		next, err := a.admin.ReplaceCode(a.ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if a.codeOf(alice, d.Name) != next.Code.Grouped() {
			t.Error("alice does not see the replacement")
		}
		if _, err := a.redeem(macA, model8845, old); err == nil {
			t.Error("the replaced code worked")
		}
		if err := a.admin.ReleaseCode(a.ctx, d.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := a.redeem(macA, model8845, next.Code.Grouped()); err == nil {
			t.Error("the released code worked")
		}
		if err := a.admin.ReleaseCode(a.ctx, d.Name); !errors.Is(err,
			onboarding.ErrNotFound) {
			t.Errorf("releasing again: %v, want ErrNotFound", err)
		}
		issued, err := a.admin.IssueCode(a.ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.admin.IssueCode(a.ctx, d.Name); !errors.Is(err,
			onboarding.ErrExists) {
			t.Errorf("issuing over an outstanding code: %v, want ErrExists", err)
		}
		if _, err := a.redeem(macA, model8845, issued.Code.Reveal()); err != nil {
			t.Errorf("the new code: %v", err)
		}
	})
	t.Run("source limits hold across services sharing a store", func(t *testing.T) {
		cfg := onboarding.Config{SourceLimit: 3}
		store, clk := memstore.New(), &clock{t: start}
		one := newActivationFixtureOn(t, store, clk, cfg)
		two := newActivationFixtureOn(t, store, clk, cfg)
		d := one.provision(testUser, macA)
		_, alice := one.login(testUser, testPassword)
		code := one.codeOf(alice, d.Name)
		for range 3 {
			if _, err := one.redeem(macB, model8845, code); err == nil {
				t.Fatal("another MAC worked")
			}
		}
		if _, err := two.redeem(macA, model8845, code); err == nil {
			t.Fatal("the other service let a throttled source through")
		}
		f, err := store.Failures(one.ctx, "onboarding:source:"+phoneAddr)
		if err != nil || f.Count < 4 {
			t.Errorf("shared counter %+v, %v; want 4 failures", f, err)
		}
	})
	t.Run("concurrent redemptions of one code succeed once", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		d := a.provision(testUser, "")
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, d.Name)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				mac := []string{macA, macB}[i%2]
				if _, err := a.redeem(mac, model8845, code); err == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d redemptions succeeded, want 1", wins.Load())
		}
	})
	t.Run("a service without activation refuses alike", func(t *testing.T) {
		f := newFixture(t, selfcare.Config{})
		_, err := f.svc.RedeemActivationCode(f.ctx, onboarding.Attempt{MAC: macA,
			Model: model8845, Code: "1234567812345678"})
		if !errors.Is(err, onboarding.ErrRedeemFailed) {
			t.Errorf("RedeemActivationCode: %v, want ErrRedeemFailed", err)
		}
		if _, err := f.svc.DeviceAdmin(selfcare.LocalCaller("")); !errors.Is(err,
			selfcare.ErrActivationOff) {
			t.Errorf("DeviceAdmin: %v, want ErrActivationOff", err)
		}
	})
}

func TestDeviceAdminPrivileges(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	d := a.provision(testUser, macA)
	a.addUser(selfcare.User{ID: "pat"}, testPassword, testPIN,
		[]string{acl.GroupStandardCCMEndUsers, acl.GroupStandardCCMPhoneAdministration})
	a.addUser(selfcare.User{ID: "ro"}, testPassword, testPIN,
		[]string{acl.GroupStandardCCMEndUsers, acl.GroupStandardCCMReadOnly})
	_, alice := a.login(testUser, testPassword)
	_, pat := a.login("pat", testPassword)
	_, ro := a.login("ro", testPassword)

	ops := []struct {
		name string
		op   func(*selfcare.DeviceAdmin) error
	}{
		{"list", func(da *selfcare.DeviceAdmin) error {
			_, err := da.Devices(a.ctx)
			return err
		}},
		{"replace", func(da *selfcare.DeviceAdmin) error {
			_, err := da.ReplaceCode(a.ctx, d.Name)
			return err
		}},
		{"export", func(da *selfcare.DeviceAdmin) error {
			_, err := da.ExportCodes(a.ctx)
			return err
		}},
		{"provision", func(da *selfcare.DeviceAdmin) error {
			_, err := da.Provision(a.ctx, onboarding.Provision{Model: model8845,
				Owner: "bob"}, true)
			return err
		}},
	}
	tests := []struct {
		who  string
		p    *selfcare.Principal
		want []bool // per op: allowed
	}{
		{"an end user may do nothing", alice, []bool{false, false, false, false}},
		{"read only may list", ro, []bool{true, false, false, false}},
		{"phone administration may do everything", pat, []bool{true, true, true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.who, func(t *testing.T) {
			da, err := a.svc.DeviceAdmin(selfcare.AdminCaller(tc.p, testAddr))
			if err != nil {
				t.Fatal(err)
			}
			for i, op := range ops {
				err := op.op(da)
				if tc.want[i] && err != nil || !tc.want[i] && !errors.Is(err,
					selfcare.ErrForbidden) {
					t.Errorf("%s: %v, want allowed=%t", op.name, err, tc.want[i])
				}
			}
		})
	}
	denied, err := a.svc.Audit(a.ctx, selfcare.AuditFilter{Actor: "ro",
		Action: onboarding.ActionReplace})
	if err != nil || len(denied) != 1 || denied[0].Outcome != selfcare.OutcomeDenied ||
		denied[0].Target != d.Name {
		t.Errorf("ro's refused replace in the audit trail: %+v, %v", denied, err)
	}
	if e := a.lastAudit(onboarding.ActionExport); e.Actor != "pat" {
		t.Errorf("export event %+v, want actor pat", e)
	}
	nobody, err := a.svc.DeviceAdmin(selfcare.Caller{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nobody.Devices(a.ctx); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("Devices for nobody: %v, want ErrUnauthenticated", err)
	}
}

func TestProvision(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	t.Run("an unknown owner is a field error", func(t *testing.T) {
		_, err := a.admin.Provision(a.ctx, onboarding.Provision{Model: model8845,
			Owner: "nobody"}, false)
		var ve *selfcare.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "owner" {
			t.Errorf("Provision: %v, want a field error for owner", err)
		}
	})
	t.Run("a bad MAC is a field error", func(t *testing.T) {
		_, err := a.admin.Provision(a.ctx, onboarding.Provision{MAC: "not a mac",
			Model: model8845, Owner: testUser}, false)
		if !errors.Is(err, selfcare.ErrInvalid) {
			t.Errorf("Provision: %v, want ErrInvalid", err)
		}
	})
	t.Run("a taken name exists", func(t *testing.T) {
		a.provision(testUser, macB)
		_, err := a.admin.Provision(a.ctx, onboarding.Provision{MAC: macB,
			Model: model8845, Owner: testUser}, false)
		if !errors.Is(err, onboarding.ErrExists) {
			t.Errorf("Provision: %v, want ErrExists", err)
		}
	})
	t.Run("a model other than the portal's record of the phone is refused",
		func(t *testing.T) {
			const name = "SEP001B54777777"
			pd := selfcare.Device{Name: name, Owner: testUser, Model: "Cisco 7841"}
			if err := a.svc.PutDevice(a.ctx, "", pd); err != nil {
				t.Fatal(err)
			}
			_, err := a.admin.Provision(a.ctx, onboarding.Provision{MAC: name[3:],
				Model: model8845, Owner: testUser}, true)
			var ve *selfcare.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != "model" ||
				!strings.Contains(ve.Fields[0].Message, "Cisco 7841") {
				t.Errorf("Provision as another model: %v, want a field error on model "+
					"naming the portal's", err)
			}
			sts, err := a.admin.Devices(a.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				if st.Name == name {
					t.Errorf("the refused phone is known to activation: %+v", st)
				}
			}
			// The store refuses it too, for a record that changed meanwhile.
			err = a.store.Onboarding().CreateDevice(a.ctx, onboarding.Device{Name: name,
				Model: model8845, Owner: testUser, MAC: name[3:]})
			if !errors.Is(err, selfcare.ErrModelConflict) {
				t.Errorf("CreateDevice as another model: %v, want ErrModelConflict", err)
			}

			// Models compare without regard to case, as phones report them.
			d, err := a.admin.Provision(a.ctx, onboarding.Provision{MAC: name[3:],
				Model: "cisco 7841", Owner: testUser}, true)
			if err != nil {
				t.Fatalf("Provision as the same model in lower case: %v", err)
			}
			_, alice := a.login(testUser, testPassword)
			if _, err := a.redeem(name[3:], "CISCO 7841", a.codeOf(alice, d.Name)); err != nil {
				t.Errorf("redeeming with the model in upper case: %v", err)
			}
		})
	t.Run("requiring activation enrolls a phone the portal knows", func(t *testing.T) {
		err := a.admin.RequireActivation(a.ctx, "SEP001B54123456")
		if !errors.Is(err, onboarding.ErrNotFound) {
			t.Errorf("RequireActivation of an unknown phone: %v, want ErrNotFound", err)
		}
		// addAlice gave alice SEPALICEMARTIN, which is no MAC; give her one.
		pd := selfcare.Device{Name: "SEP" + macA, Owner: testUser, Model: model8845,
			Lines: []selfcare.Line{{Index: 1, Extension: "40855"}}}
		if err := a.svc.PutDevice(a.ctx, "", pd); err != nil {
			t.Fatal(err)
		}
		if err := a.admin.RequireActivation(a.ctx, pd.Name); err != nil {
			t.Fatal(err)
		}
		_, alice := a.login(testUser, testPassword)
		code := a.codeOf(alice, pd.Name)
		if _, err := a.redeem(macA, model8845, code); err != nil {
			t.Fatalf("redeeming the enrolled phone's code: %v", err)
		}
		got, err := a.store.Device(a.ctx, pd.Name)
		if err != nil || !cmp.Equal(got.Lines, pd.Lines) {
			t.Errorf("portal record %+v, %v; want its lines kept", got, err)
		}
		err = a.admin.RequireActivation(a.ctx, "SEPALICEMARTIN")
		if !errors.Is(err, selfcare.ErrInvalid) {
			t.Errorf("RequireActivation of a phone without a MAC name: %v", err)
		}
	})
}

func TestImport(t *testing.T) {
	t.Run("good rows are provisioned together", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		csv := "Name,Model,Owner,MAC,Require Activation\n" +
			",Cisco 8845,alice.martin,00:1b:54:aa:bb:cc,true\n" +
			",Cisco 7841,bob,,yes\n" +
			"BAT0123456789AB,Cisco 7841,bob,,\n"
		ds, err := a.admin.Import(a.ctx, strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 3 || ds[0].Name != "SEP"+macA || !ds[0].RequiresActivation ||
			!ds[1].Dummy || !ds[1].RequiresActivation || ds[2].Name != "BAT0123456789AB" ||
			ds[2].RequiresActivation {
			t.Errorf("imported %+v", ds)
		}
		rcs, err := a.admin.ExportCodes(a.ctx)
		if err != nil || len(rcs) != 2 {
			t.Errorf("export after import: %d codes, %v; want 2", len(rcs), err)
		}
		if e := a.lastAudit(selfcare.ActionDeviceImport); e.Outcome != selfcare.OutcomeOK {
			t.Errorf("import event %+v", e)
		}
		if e := a.lastAudit(onboarding.ActionProvision); e.Actor != "cli" {
			t.Errorf("provision events were not written after the commit: %+v", e)
		}
	})
	t.Run("one bad row writes nothing and every bad row is named", func(t *testing.T) {
		a := newActivationFixture(t, onboarding.Config{})
		csv := "model,owner,mac,requireActivation\n" +
			"Cisco 8845,alice.martin,001B54AABBCC,true\n" + // line 2: good
			"Cisco 8845,nobody,,true\n" + // line 3: unknown owner
			"Cisco 8845,bob,zz:zz,false\n" + // line 4: bad MAC
			"Cisco 8845,bob,001B54AABBCC,false\n" + // line 5: taken by line 2
			",bob,,\n" // line 6: no model
		_, err := a.admin.Import(a.ctx, strings.NewReader(csv))
		var ve *selfcare.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Import: %v, want a *ValidationError", err)
		}
		var lines []string
		for _, f := range ve.Fields {
			lines = append(lines, f.Field)
		}
		want := []string{"line 3", "line 4", "line 5", "line 6"}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("bad rows (-want +got):\n%s\n%v", diff, err)
		}
		ds, err := a.admin.Devices(a.ctx)
		if err != nil || len(ds) != 0 {
			t.Errorf("after a refused import: %d devices, %v; want none", len(ds), err)
		}
		if _, err := a.store.Device(a.ctx, "SEP"+macA); !errors.Is(err,
			selfcare.ErrNotFound) {
			t.Errorf("the good row's portal record: %v, want ErrNotFound", err)
		}
		if e := a.lastAudit(selfcare.ActionDeviceImport); e.Outcome != selfcare.OutcomeFailed {
			t.Errorf("import event %+v", e)
		}
	})
	t.Run("a bad flag hides no other bad row, and extra fields are refused",
		func(t *testing.T) {
			a := newActivationFixture(t, onboarding.Config{})
			csv := "model,owner,mac,requireActivation\n" +
				"Cisco 8845,bob,001B54000001,maybe\n" + // line 2: bad flag
				"Cisco 8845,nobody,001B54000002,true\n" + // line 3: unknown owner
				"Cisco 8845,bob,001B54000003,true,extra\n" + // line 4: a fifth field
				"Cisco 8845,bob,001B54000004,true\n" + // line 5: good
				"Cisco 8845,nobody,zz,perhaps\n" + // line 6: three problems
				"Cisco 8845,bob,001B54000005,false,\n" // line 7: an empty fifth field
			_, err := a.admin.Import(a.ctx, strings.NewReader(csv))
			var ve *selfcare.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Import: %v, want a *ValidationError", err)
			}
			got := map[string]string{}
			var lines []string
			for _, f := range ve.Fields {
				got[f.Field] = f.Message
				lines = append(lines, f.Field)
			}
			want := []string{"line 2", "line 3", "line 4", "line 6", "line 7"}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("bad rows (-want +got):\n%s\n%v", diff, err)
			}
			for line, words := range map[string][]string{
				"line 2": {"requireActivation"},
				"line 3": {"nobody"},
				"line 4": {"5 fields", "4 columns"},
				"line 6": {"requireActivation", "nobody", "mac"},
				"line 7": {"5 fields"},
			} {
				for _, w := range words {
					if !strings.Contains(got[line], w) {
						t.Errorf("%s: %q lacks %q", line, got[line], w)
					}
				}
			}
			if ds, err := a.admin.Devices(a.ctx); err != nil || len(ds) != 0 {
				t.Errorf("after a refused import: %d devices, %v; want none", len(ds), err)
			}
		})
	t.Run("a row naming a phone the portal has as another model is bad",
		func(t *testing.T) {
			a := newActivationFixture(t, onboarding.Config{})
			pd := selfcare.Device{Name: "SEP001B54000001", Owner: "bob", Model: "Cisco 7841"}
			if err := a.svc.PutDevice(a.ctx, "", pd); err != nil {
				t.Fatal(err)
			}
			_, err := a.admin.Import(a.ctx, strings.NewReader("model,owner,mac\n"+
				"Cisco 8845,bob,001B54000001\n"))
			var ve *selfcare.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "line 2" ||
				!strings.Contains(ve.Fields[0].Message, "Cisco 7841") {
				t.Errorf("Import: %v, want line 2 naming the portal's model", err)
			}
		})
	for _, tc := range []struct{ name, csv, field string }{
		{"an empty file is refused", "", "line 1"},
		{"a header without owner is refused", "model,mac\nCisco 8845,\n", "line 1"},
		{"an unknown column is refused", "model,owner,colour\nx,y,z\n", "line 1"},
		{"a header alone is refused", "model,owner\n", "line 2"},
		{"a bad flag is refused", "model,owner,requireActivation\nCisco 8845,bob,maybe\n",
			"line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newActivationFixture(t, onboarding.Config{})
			_, err := a.admin.Import(a.ctx, strings.NewReader(tc.csv))
			var ve *selfcare.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
				t.Errorf("Import: %v, want a field error on %s", err, tc.field)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestExportCodesTo(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	a.provision(testUser, macA)
	errDisk := errors.New("no such folder")

	err := a.admin.ExportCodesTo(a.ctx, func([]onboarding.ReadyCode) error { return errDisk })
	if !errors.Is(err, errDisk) {
		t.Errorf("ExportCodesTo with a failing delivery: %v, want its error", err)
	}
	if e := a.lastAudit(onboarding.ActionExport); e.Outcome != selfcare.OutcomeFailed ||
		!strings.Contains(e.Detail, "no such folder") {
		t.Errorf("a failed export audited as %+v, want failed with the cause", e)
	}

	var n int
	err = a.admin.ExportCodesTo(a.ctx, func(rcs []onboarding.ReadyCode) error {
		n = len(rcs)
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("ExportCodesTo: %d codes, %v; want 1", n, err)
	}
	if e := a.lastAudit(onboarding.ActionExport); e.Outcome != selfcare.OutcomeOK {
		t.Errorf("a delivered export audited as %+v, want ok", e)
	}

	a.audit.down.Store(true)
	defer a.audit.down.Store(false)
	err = a.admin.ExportCodesTo(a.ctx, func([]onboarding.ReadyCode) error { return nil })
	if !errors.Is(err, errAuditDown) {
		t.Errorf("ExportCodesTo whose event is lost: %v, want the audit error", err)
	}
}

func TestDiscardActivationKey(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	d := a.provision(testUser, macA)
	ob := a.store.Onboarding()
	sealer, err := onboarding.NewSealer(activationKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := onboarding.VerifyKey(a.ctx, ob, sealer, start); err != nil {
		t.Fatal(err)
	}
	_, alice := a.login(testUser, testPassword)
	code := a.codeOf(alice, d.Name)

	// Only who may update activation codes may throw them away.
	_, err = a.svc.DiscardActivationKey(a.ctx, selfcare.AdminCaller(alice, testAddr), ob)
	if !errors.Is(err, selfcare.ErrForbidden) {
		t.Errorf("DiscardActivationKey by an end user: %v, want ErrForbidden", err)
	}

	names, err := a.svc.DiscardActivationKey(a.ctx, selfcare.LocalCaller(""), ob)
	if err != nil || len(names) != 1 || names[0] != d.Name {
		t.Fatalf("DiscardActivationKey = %v, %v; want %s", names, err, d.Name)
	}
	if e := a.lastAudit(selfcare.ActionKeyDiscard); e.Outcome != selfcare.OutcomeOK ||
		!strings.Contains(e.Detail, d.Name) || e.Actor != "cli" {
		t.Errorf("discard audited as %+v", e)
	}
	if _, err := a.redeem(macA, model8845, code); err == nil {
		t.Error("a code of the discarded key still works")
	}
	if _, err := ob.KeyCheck(a.ctx); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("KeyCheck after the discard: %v, want ErrNotFound", err)
	}
	other, err := onboarding.NewSealer(bytes.Repeat([]byte{9}, onboarding.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if err := onboarding.VerifyKey(a.ctx, ob, other, start); err != nil {
		t.Errorf("a new key after the discard: %v", err)
	}
}

func TestOwnerSeesCodes(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	a.addUser(selfcare.User{ID: "norole"}, testPassword, testPIN, nil)
	a.addUser(selfcare.User{ID: "gone"}, testPassword, testPIN,
		[]string{acl.GroupStandardCCMEndUsers})
	if err := a.svc.SetUserDisabled(a.ctx, "", "gone", true); err != nil {
		t.Fatal(err)
	}
	check := func(owner string, want bool, why string) {
		t.Helper()
		sees, got, err := a.admin.OwnerSeesCodes(a.ctx, owner)
		if err != nil || sees != want || !strings.Contains(got, why) {
			t.Errorf("OwnerSeesCodes(%s) = %t, %q, %v; want %t, %q", owner, sees, got, err,
				want, why)
		}
	}
	check(testUser, true, "")
	check("norole", false, "Self Care")
	check("gone", false, "disabled")
	check("nobody", false, "no user")
	a.setShow(t, "false")
	check(testUser, false, "Show Phones Ready to Activate")
}

// TestAdminActivationEventsSayWhereTheyCameFrom: the registry's events of
// an administrator's request carry the request's address.
func TestAdminActivationEventsSayWhereTheyCameFrom(t *testing.T) {
	a := newActivationFixture(t, onboarding.Config{})
	da, err := a.svc.DeviceAdmin(selfcare.LocalCaller("ops").From("198.51.100.7"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := da.Provision(a.ctx, onboarding.Provision{Model: model8845, Owner: testUser},
		true)
	if err != nil {
		t.Fatal(err)
	}
	events, err := a.svc.Audit(a.ctx, selfcare.AuditFilter{Subject: dev.Name})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("no audit events for the provisioned device")
	}
	for _, e := range events {
		if e.RemoteAddr != "198.51.100.7" {
			t.Errorf("%s: RemoteAddr %q, want the administrator's address", e.Action,
				e.RemoteAddr)
		}
	}
}
