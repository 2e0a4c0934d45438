package selfcare_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// local is the command line's caller.
var local = selfcare.LocalCaller("")

// paramStores opens each store kind the service runs on.
var paramStores = []struct {
	name string
	open func(testing.TB) selfcare.Store
}{
	{"memstore", func(testing.TB) selfcare.Store { return memstore.New() }},
	{"sqlstore", func(tb testing.TB) selfcare.Store {
		dir := tb.TempDir()
		s, err := sqlstore.Open(tb.Context(), filepath.Join(dir, "portal.db"), sqlstore.Config{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}},
}

// badValue returns a value that d refuses.
func badValue(tb testing.TB, d params.Definition) string {
	tb.Helper()
	switch d.Kind {
	case params.KindBool:
		return "maybe"
	case params.KindEnum:
		return "no-such-option"
	case params.KindInt:
		return strconv.Itoa(d.Max + 1)
	case params.KindDuration:
		return params.FormatDuration(d.MaxDuration + time.Minute)
	case params.KindServer:
		return "no-such-server"
	case params.KindString:
		return strings.Repeat("x", d.MaxLen+1)
	}
	tb.Fatalf("%s: no bad value for kind %v", d.Key, d.Kind)
	return ""
}

// TestDefinitionTableThroughService walks every parameter through the
// service on both stores: its default can be set and reads back set, a bad
// value is refused with an error that names the parameter and leaves the
// stored value alone, and a reset brings back "not set".
func TestDefinitionTableThroughService(t *testing.T) {
	for _, st := range paramStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			svc := selfcare.New(st.open(t), selfcare.Config{Hash: cheapHash})
			for _, d := range params.Definitions() {
				if _, err := svc.SetParam(ctx, local, d.Key, d.Default); err != nil {
					t.Fatalf("%s: set default: %v", d.Key, err)
				}
				got, err := svc.Param(ctx, local, d.Key)
				if err != nil || !got.Set || got.Value != d.Default || got.Stored != d.Default {
					t.Errorf("%s: after setting the default: %+v, %v", d.Key, got, err)
				}

				bad := badValue(t, d)
				_, err = svc.SetParam(ctx, local, d.Key, bad)
				var ve *params.ValidationError
				if !errors.As(err, &ve) || ve.Key != d.Key ||
					!strings.Contains(err.Error(), d.DisplayName) {
					t.Errorf("%s: set %q: %v, want a ValidationError naming it", d.Key, bad, err)
				}
				if got, _ := svc.Param(ctx, local, d.Key); got.Value != d.Default {
					t.Errorf("%s: refused value changed it to %q", d.Key, got.Value)
				}

				if _, err := svc.ResetParam(ctx, local, d.Key); err != nil {
					t.Fatalf("%s: reset: %v", d.Key, err)
				}
				if got, _ := svc.Param(ctx, local, d.Key); got.Set {
					t.Errorf("%s: still set after a reset", d.Key)
				}
			}
			// Setting the intra-cluster time turned enforcement on, which
			// its own reset then took back.
			if _, err := svc.SetParam(ctx, local, "NoSuchParameter", "1"); !errors.Is(err,
				params.ErrUnknown) {
				t.Errorf("unknown key: %v, want params.ErrUnknown", err)
			}
		})
	}
}

// paramFixture adds to the standard fixture an administrator of each kind
// that the standard groups make.
type paramFixture struct {
	*fixture
}

const (
	adminPassword = "Lantern-quiet-77"
	superUser     = "ada.super"    // Standard CCM Super Users: everything
	readOnlyUser  = "rob.readonly" // Standard CCM Read Only: reads
	maintUser     = "max.maint"    // Server Maintenance: parameters, not profiles
)

func newParamFixture(tb testing.TB, cfg selfcare.Config) *paramFixture {
	tb.Helper()
	f := &paramFixture{newFixture(tb, cfg)}
	f.addAlice()
	for id, group := range map[string]string{
		superUser:    acl.GroupStandardCCMSuperUsers,
		readOnlyUser: acl.GroupStandardCCMReadOnly,
		maintUser:    acl.GroupStandardCCMServerMaintenance,
	} {
		// Administrators need no PIN.
		f.addUser(selfcare.User{ID: id, FirstName: "Admin"}, adminPassword, "",
			[]string{group})
	}
	return f
}

// admin signs in an administrator and returns their caller.
func (f *paramFixture) admin(id string) selfcare.Caller {
	f.tb.Helper()
	tok, _, err := f.svc.AdminLogin(f.ctx, id, adminPassword, testAddr)
	if err != nil {
		f.tb.Fatalf("AdminLogin(%s): %v", id, err)
	}
	p, err := f.svc.AuthenticateAdmin(f.ctx, tok)
	if err != nil {
		f.tb.Fatalf("AuthenticateAdmin(%s): %v", id, err)
	}
	return selfcare.AdminCaller(p, testAddr)
}

// set sets a parameter as the command line would.
func (f *paramFixture) set(key, value string) {
	f.tb.Helper()
	if _, err := f.svc.SetParam(f.ctx, local, key, value); err != nil {
		f.tb.Fatalf("SetParam(%s, %s): %v", key, value, err)
	}
}

func TestAdminLoginNeedsAdministrationAccess(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})

	// An administrator without the End Users role has no Self Care, but an
	// administration session; the end user the reverse.
	if _, _, err := f.svc.Login(f.ctx, superUser, adminPassword, testAddr); !errors.Is(err,
		selfcare.ErrLoginFailed) {
		t.Errorf("portal Login of a super user: %v, want ErrLoginFailed", err)
	}
	tok, _, err := f.svc.AdminLogin(f.ctx, superUser, adminPassword, testAddr)
	if err != nil {
		t.Fatalf("AdminLogin of a super user: %v", err)
	}
	if e := f.lastAudit(selfcare.ActionLogin); e.Detail != "administration" {
		t.Errorf("admin login audited with detail %q", e.Detail)
	}
	if _, _, err := f.svc.AdminLogin(f.ctx, testUser, testPassword, testAddr); !errors.Is(err,
		selfcare.ErrLoginFailed) {
		t.Errorf("AdminLogin of an end user: %v, want ErrLoginFailed", err)
	}
	if e := f.lastAudit(selfcare.ActionLoginFailed); e.Detail != "no administration access" {
		t.Errorf("refused admin login audited as %q", e.Detail)
	}

	// The administration token opens no Self Care session for a user
	// without the role, and that misuse ends it.
	if _, err := f.svc.AuthenticateAdmin(f.ctx, tok); err != nil {
		t.Fatalf("AuthenticateAdmin: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("Authenticate with an admin token: %v, want ErrUnauthenticated", err)
	}
	if f.sessionStored(tok) {
		t.Error("the admin session survived its use as a Self Care session")
	}
}

func TestAdminOperationsFollowGrants(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	_, p := f.login(testUser, testPassword)
	endUser := selfcare.AdminCaller(p, testAddr)
	super, readOnly, maint := f.admin(superUser), f.admin(readOnlyUser), f.admin(maintUser)
	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}

	type op func(selfcare.Caller) error
	list := func(c selfcare.Caller) error { _, err := f.svc.Params(f.ctx, c); return err }
	get := func(c selfcare.Caller) error {
		_, err := f.svc.Param(f.ctx, c, params.KeyShowChangePIN)
		return err
	}
	set := func(key string) op {
		return func(c selfcare.Caller) error {
			_, err := f.svc.SetParam(f.ctx, c, key, "false")
			return err
		}
	}
	putProfile := func(c selfcare.Caller) error {
		_, err := f.svc.PutProfile(f.ctx, c, prof)
		return err
	}
	listProfiles := func(c selfcare.Caller) error {
		_, err := f.svc.Profiles(f.ctx, c)
		return err
	}
	addServer := func(c selfcare.Caller) error {
		return f.svc.PutServer(f.ctx, c, params.Server{Name: "cucm-pub", Publisher: true})
	}
	tests := []struct {
		name   string
		caller selfcare.Caller
		do     op
		want   error
	}{
		// Nobody.
		{"zero caller cannot list", selfcare.Caller{}, list, selfcare.ErrUnauthenticated},
		{"zero caller cannot set", selfcare.Caller{}, set(params.KeyShowChangePIN),
			selfcare.ErrUnauthenticated},

		// An end user has no administration rights at all.
		{"end user cannot list", endUser, list, selfcare.ErrForbidden},
		{"end user cannot read one", endUser, get, selfcare.ErrForbidden},
		{"end user cannot set", endUser, set(params.KeyShowChangePIN), selfcare.ErrForbidden},
		{"end user cannot list profiles", endUser, listProfiles, selfcare.ErrForbidden},

		// Read only reads.
		{"read only lists", readOnly, list, nil},
		{"read only reads one", readOnly, get, nil},
		{"read only lists profiles", readOnly, listProfiles, nil},
		{"read only cannot set", readOnly, set(params.KeyShowChangePIN),
			selfcare.ErrForbidden},
		{"read only cannot put a profile", readOnly, putProfile, selfcare.ErrForbidden},
		{"read only cannot add a server", readOnly, addServer, selfcare.ErrForbidden},

		// Server maintenance holds the parameters but not the profiles.
		{"maintenance sets an enterprise parameter", maint,
			set(params.KeyShowChangePIN), nil},
		{"maintenance sets a service parameter", maint,
			set(params.KeyEnforceIntraClusterLoginTime), nil},
		{"maintenance cannot put a profile", maint, putProfile, selfcare.ErrForbidden},

		// Super users do everything; the command line too.
		{"super user puts a profile", super, putProfile, nil},
		{"super user adds a server", super, addServer, nil},
		{"command line sets", local, set(params.KeyShowRingSettings), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(tt.caller)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}

	// Refusals of signed-in callers are on the trail.
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Actor: testUser, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, e := range es {
		if e.Outcome == selfcare.OutcomeDenied && strings.Contains(e.Detail, "access to") {
			denied++
		}
	}
	if denied != 4 {
		t.Errorf("%d refusals of the end user audited, want 4", denied)
	}
}

func TestSetParamAuditsOldAndNewValues(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	super := f.admin(superUser)

	plan, err := f.svc.SetParam(f.ctx, super, params.KeyIntraClusterLoginTime, "004:30")
	if err != nil {
		t.Fatal(err)
	}
	want := []params.Change{
		{Key: params.KeyIntraClusterLoginTime, Old: "8:00", New: "4:30"},
		{Key: params.KeyEnforceIntraClusterLoginTime, Old: "false", New: "true",
			Implied: true},
	}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Action: selfcare.ActionParamSet})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, strings.Join([]string{e.Actor, e.Target, e.Detail, e.RemoteAddr,
			e.Outcome}, " | "))
	}
	wantTrail := []string{
		superUser + " | " + params.KeyEnforceIntraClusterLoginTime +
			` | "false" -> "true" (implied by ` + params.KeyIntraClusterLoginTime + `) | ` +
			testAddr + " | ok",
		superUser + " | " + params.KeyIntraClusterLoginTime + ` | "8:00" -> "4:30" | ` +
			testAddr + " | ok",
	}
	if diff := cmp.Diff(wantTrail, got); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}

	// A refused value is on the trail too, with the reason.
	if _, err := f.svc.SetParam(f.ctx, super, params.KeyIntraClusterLoginTime,
		"1:5"); err == nil {
		t.Fatal("1:5 accepted")
	}
	if e := f.lastAudit(selfcare.ActionParamSet); e.Outcome != selfcare.OutcomeFailed ||
		!strings.Contains(e.Detail, "Intra-cluster Maximum Login Time") {
		t.Errorf("refusal audited as %+v", e)
	}
}

func TestGatesRefuseHiddenFeatures(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	_, p := f.login(testUser, testPassword)

	f.set(params.KeyShowChangePIN, "false")
	err := f.svc.ChangePIN(f.ctx, p, "not even checked", "80417263", testAddr)
	var ge *params.GateError
	if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowChangePIN ||
		!errors.Is(err, params.ErrFeatureHidden) {
		t.Fatalf("ChangePIN while hidden: %v, want a GateError naming ShowChangePin", err)
	}
	if e := f.lastAudit(selfcare.ActionPINChange); e.Outcome != selfcare.OutcomeDenied ||
		!strings.Contains(e.Detail, "Show Change PIN") {
		t.Errorf("refusal audited as %+v", e)
	}
	// The gate comes before the password check: nothing was counted.
	for range 3 {
		_ = f.svc.ChangePIN(f.ctx, p, "wrong", "80417263", testAddr)
	}
	f.set(params.KeyShowChangePIN, "true")
	if err := f.svc.ChangePIN(f.ctx, p, testPassword, "80417263", testAddr); err != nil {
		t.Fatalf("ChangePIN once shown again: %v", err)
	}

	f.set(params.KeyShowChangePassword, "false")
	err = f.svc.ChangePassword(f.ctx, p, testPassword, "Blue-river-01", testAddr)
	if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowChangePassword {
		t.Fatalf("ChangePassword while hidden: %v, want a GateError", err)
	}
	if err := f.svc.CheckFeature(f.ctx, p, params.FeatureChangePassword); err == nil {
		t.Error("CheckFeature offers a hidden password change")
	}
}

func TestMustChangePasswordPassesTheGate(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	f.set(params.KeyShowChangePassword, "false")
	if err := f.svc.SetUserPassword(f.ctx, "", testUser, "Temporary-pw-42", true); err != nil {
		t.Fatal(err)
	}
	_, p := f.login(testUser, "Temporary-pw-42")
	if err := f.svc.CheckFeature(f.ctx, p, params.FeatureChangePassword); err != nil {
		t.Errorf("CheckFeature: %v, want offered to a user who must change it", err)
	}
	err := f.svc.ChangePassword(f.ctx, p, "Temporary-pw-42", "Blue-river-01", testAddr)
	if err != nil {
		t.Fatalf("ChangePassword of a user who must: %v", err)
	}
	// Done once, the gate holds again.
	_, p = f.login(testUser, "Blue-river-01")
	err = f.svc.ChangePassword(f.ctx, p, "Blue-river-01", "Blue-river-02", testAddr)
	if !errors.Is(err, params.ErrFeatureHidden) {
		t.Errorf("second change: %v, want ErrFeatureHidden", err)
	}
}

func TestCredentialPolicyFollowsParameters(t *testing.T) {
	t.Run("raised threshold allows more failures", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyFailedLogonThreshold, "5")
		f.wrong(testUser, 4)
		f.login(testUser, testPassword)
	})
	t.Run("threshold 0 never locks", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyFailedLogonThreshold, "0")
		f.wrong(testUser, 10)
		f.login(testUser, testPassword)
	})
	t.Run("lockout 0 waits for an administrator", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyLockoutDuration, "0")
		f.wrong(testUser, 3)
		f.clock.Advance(48 * time.Hour)
		if _, _, err := f.svc.Login(f.ctx, testUser, testPassword, testAddr); err == nil {
			t.Fatal("logged in two days into a lockout until unlocked")
		}
		if err := f.svc.Unlock(f.ctx, "", testUser); err != nil {
			t.Fatal(err)
		}
		f.login(testUser, testPassword)
	})
	t.Run("minimum password length applies to changes", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyMinPasswordLength, "16")
		_, p := f.login(testUser, testPassword)
		err := f.svc.ChangePassword(f.ctx, p, testPassword, "Blue-river-01", testAddr)
		want := expect(selfcare.FieldNewPassword,
			"The password must be at least 16 characters long.")
		if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
			t.Errorf("field errors (-want +got):\n%s", diff)
		}
		if got := f.svc.Policy().MinPasswordLength; got != 16 {
			t.Errorf("Policy().MinPasswordLength = %d", got)
		}
	})
	t.Run("a pinned field yields to a set parameter", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{Policy: selfcare.CredentialPolicy{
			MinPINLength: 4}})
		_, p := f.login(testUser, testPassword)
		if err := f.svc.ChangePIN(f.ctx, p, testPassword, "4093", testAddr); err != nil {
			t.Fatalf("4-digit PIN under the pinned minimum: %v", err)
		}
		f.set(params.KeyMinPINLength, "6")
		err := f.svc.ChangePIN(f.ctx, p, testPassword, "4193", testAddr)
		want := expect(selfcare.FieldNewPIN, "The PIN must be at least 6 digits long.")
		if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
			t.Errorf("field errors (-want +got):\n%s", diff)
		}
	})
	t.Run("history counts the current password", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyCredentialHistory, "2")
		_, p := f.login(testUser, testPassword)
		for _, next := range []string{"Blue-river-01", "Blue-river-02"} {
			cur := testPassword
			if next == "Blue-river-02" {
				cur = "Blue-river-01"
			}
			if err := f.svc.ChangePassword(f.ctx, p, cur, next, testAddr); err != nil {
				t.Fatal(err)
			}
		}
		err := f.svc.ChangePassword(f.ctx, p, "Blue-river-02", "Blue-river-01", testAddr)
		if !errors.Is(err, selfcare.ErrInvalid) {
			t.Errorf("the previous password: %v, want refused", err)
		}
		err = f.svc.ChangePassword(f.ctx, p, "Blue-river-02", testPassword, testAddr)
		if err != nil {
			t.Errorf("the third latest password under a history of 2: %v", err)
		}
	})
	t.Run("expired password must be changed", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		f.set(params.KeyCredentialExpiry, "1")
		f.set(params.KeyShowChangePassword, "false")
		f.clock.Advance(25 * time.Hour)
		_, p := f.login(testUser, testPassword)
		if !p.MustChangePassword() {
			t.Fatal("a password older than the expiry needs no change")
		}
		if _, err := f.svc.Phones(f.ctx, p); !errors.Is(err,
			selfcare.ErrPasswordChangeRequired) {
			t.Errorf("Phones with an expired password: %v", err)
		}
		err := f.svc.ChangePassword(f.ctx, p, testPassword, "Blue-river-01", testAddr)
		if err != nil {
			t.Fatalf("changing an expired password while the page is hidden: %v", err)
		}
		if _, p = f.login(testUser, "Blue-river-01"); p.MustChangePassword() {
			t.Error("the new password is expired too")
		}
	})
	t.Run("another process changes the policy", func(t *testing.T) {
		f := newParamFixture(t, selfcare.Config{})
		other := selfcare.New(f.store, selfcare.Config{Hash: cheapHash})
		if _, err := other.SetParam(f.ctx, local, params.KeyFailedLogonThreshold,
			"1"); err != nil {
			t.Fatal(err)
		}
		f.wrong(testUser, 1)
		if _, _, err := f.svc.Login(f.ctx, testUser, testPassword, testAddr); err == nil {
			t.Error("one failure did not lock under the other process's threshold of 1")
		}
	})
}

func TestOverlapPolicyParameter(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	dir := f.svc.Directory()

	// One role updates the enterprise parameters, another only reads them;
	// a user in both groups holds update under Maximum, read under Minimum.
	upd, err := dir.CreateRole(f.ctx, "Param Editors",
		[]acl.Privilege{{Resource: acl.ResourceEnterpriseParameters, Access: acl.Update}})
	if err != nil {
		t.Fatal(err)
	}
	read, err := dir.CreateRole(f.ctx, "Param Readers",
		[]acl.Privilege{{Resource: acl.ResourceEnterpriseParameters, Access: acl.Read}})
	if err != nil {
		t.Fatal(err)
	}
	g1, err := dir.CreateGroup(f.ctx, "Editors", 1,
		[]string{upd.ID, acl.RoleStandardCCMAdminUsers})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := dir.CreateGroup(f.ctx, "Readers", 1, []string{read.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.addUser(selfcare.User{ID: "ed"}, adminPassword, "", []string{g1.ID, g2.ID})

	setPIN := func() error {
		_, err := f.svc.SetParam(f.ctx, f.admin("ed"), params.KeyShowChangePIN, "false")
		return err
	}
	if err := setPIN(); err != nil {
		t.Fatalf("under Maximum: %v", err)
	}

	// Another process switches to Minimum; this one follows at once.
	other := selfcare.New(f.store, selfcare.Config{Hash: cheapHash})
	if _, err := other.SetParam(f.ctx, local, params.KeyOverlapPolicy, "Minimum"); err != nil {
		t.Fatal(err)
	}
	if err := setPIN(); !errors.Is(err, selfcare.ErrForbidden) {
		t.Fatalf("under Minimum: %v, want ErrForbidden", err)
	}
	if got := f.svc.Resolver().Policy(); got != acl.Minimum {
		t.Errorf("resolver policy %v, want minimum", got)
	}
	if _, err := other.ResetParam(f.ctx, local, params.KeyOverlapPolicy); err != nil {
		t.Fatal(err)
	}
	if err := setPIN(); err != nil {
		t.Errorf("after the reset: %v", err)
	}
}

func TestEMLoginTime(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	hot := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, err := f.svc.PutProfile(f.ctx, local, hot); err != nil {
		t.Fatal(err)
	}
	f.set(params.KeyIntraClusterLoginTime, "4:00") // enforcement follows
	custom := params.EMLoginChoice{Mode: params.EMCustom, Max: 10*time.Hour + 30*time.Minute}
	lim := func(d time.Duration) params.LoginLimit { return params.LoginLimit(d) }
	system := func(em selfcare.EMLogin) selfcare.EMLogin {
		em.SystemIntra, em.SystemInter = lim(4*time.Hour), lim(8*time.Hour)
		return em
	}

	// Without a profile, nothing is offered: the system limits apply.
	_, p := f.login(testUser, testPassword)
	got, err := f.svc.EMLoginTime(f.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := system(selfcare.EMLogin{Intra: lim(4 * time.Hour), Inter: lim(8 * time.Hour)})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("without a profile (-want +got):\n%s", diff)
	}
	_, err = f.svc.SetEMLoginTime(f.ctx, p, custom, 0, testAddr)
	var ge *params.GateError
	if !errors.As(err, &ge) || ge.ParamKey != params.ProfileOptionEMLoginTime {
		t.Fatalf("SetEMLoginTime without the profile option: %v, want a GateError", err)
	}

	// With the profile, the user's choice overrides both limits.
	if err := f.svc.AssignProfile(f.ctx, local, testUser, hot.Name); err != nil {
		t.Fatal(err)
	}
	_, p = f.login(testUser, testPassword)
	got, err = f.svc.SetEMLoginTime(f.ctx, p, custom, 0, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	want = system(selfcare.EMLogin{Choice: custom, Allowed: true, Profile: hot.Name,
		Intra: lim(custom.Max), Inter: lim(custom.Max), Version: 1})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom choice (-want +got):\n%s", diff)
	}
	if e := f.lastAudit(selfcare.ActionEMLoginTime); e.Detail != `"default" -> "10:30"` {
		t.Errorf("audited as %q", e.Detail)
	}
	_, err = f.svc.SetEMLoginTime(f.ctx, p, params.EMLoginChoice{Mode: params.EMCustom,
		Max: 169 * time.Hour}, 1, testAddr)
	if !errors.Is(err, params.ErrInvalid) {
		t.Errorf("169:00: %v, want params.ErrInvalid", err)
	}
	// A second tab that read version 0 does not overwrite the choice.
	_, err = f.svc.SetEMLoginTime(f.ctx, p, params.EMLoginChoice{Mode: params.EMNoMaximum},
		0, testAddr)
	if !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Errorf("stale version: %v, want ErrVersionConflict", err)
	}

	// The profile stops allowing it: the choice stays but does not apply.
	hot.AllowEMMaxLoginTime = false
	if _, err := f.svc.PutProfile(f.ctx, local, hot); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.EMLoginTime(f.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want = system(selfcare.EMLogin{Choice: custom, Profile: hot.Name,
		Intra: lim(4 * time.Hour), Inter: lim(8 * time.Hour), Version: 1})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile no longer allows (-want +got):\n%s", diff)
	}

	// A profile in use cannot go.
	if err := f.svc.DeleteProfile(f.ctx, local, hot.Name); !errors.Is(err,
		params.ErrInUse) {
		t.Errorf("DeleteProfile in use: %v, want params.ErrInUse", err)
	}
	if err := f.svc.AssignProfile(f.ctx, local, testUser, "Nope"); !errors.Is(err,
		params.ErrNotFound) {
		t.Errorf("assigning an unknown profile: %v", err)
	}
	if err := f.svc.AssignProfile(f.ctx, local, "nobody", hot.Name); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("assigning to an unknown user: %v", err)
	}
}

func TestServersAndDefaultServer(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	if _, err := f.svc.DefaultServer(f.ctx); !errors.Is(err, params.ErrNotFound) {
		t.Errorf("DefaultServer of no cluster: %v, want params.ErrNotFound", err)
	}
	sub := params.Server{Name: "cucm-sub.example.com"}
	if err := f.svc.PutServer(f.ctx, local, sub); !errors.Is(err, params.ErrInvalid) {
		t.Errorf("a subscriber first: %v, want refused", err)
	}
	pub := params.Server{Name: "cucm-pub.example.com", Publisher: true}
	for _, srv := range []params.Server{pub, sub} {
		if err := f.svc.PutServer(f.ctx, local, srv); err != nil {
			t.Fatal(err)
		}
	}

	server := func() string {
		t.Helper()
		srv, err := f.svc.DefaultServer(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return srv.Name
	}
	if got := server(); got != pub.Name {
		t.Errorf("DefaultServer with None = %s, want the publisher", got)
	}
	f.set(params.KeyDefaultServer, "CUCM-SUB.example.com")
	if got := server(); got != sub.Name {
		t.Errorf("DefaultServer = %s, want %s", got, sub.Name)
	}
	if err := f.svc.RemoveServer(f.ctx, local, sub.Name); !errors.Is(err, params.ErrInUse) {
		t.Errorf("removing the default server: %v, want params.ErrInUse", err)
	}
	if err := f.svc.SetPublisher(f.ctx, local, sub.Name); err != nil {
		t.Fatal(err)
	}
	servers, err := f.svc.Servers(f.ctx, local)
	if err != nil {
		t.Fatal(err)
	}
	wantServers := []params.Server{{Name: pub.Name}, {Name: sub.Name, Publisher: true}}
	if diff := cmp.Diff(wantServers, servers); diff != "" {
		t.Errorf("servers after moving the publisher (-want +got):\n%s", diff)
	}
	if _, err := f.svc.ResetParam(f.ctx, local, params.KeyDefaultServer); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveServer(f.ctx, local, sub.Name); !errors.Is(err, params.ErrInUse) {
		t.Errorf("removing the publisher of two: %v, want params.ErrInUse", err)
	}
	for _, name := range []string{pub.Name, sub.Name} {
		if err := f.svc.RemoveServer(f.ctx, local, name); err != nil {
			t.Errorf("removing %s: %v", name, err)
		}
	}
	if err := f.svc.RemoveServer(f.ctx, local, "nope"); !errors.Is(err, params.ErrNotFound) {
		t.Errorf("removing an unknown server: %v", err)
	}
}

// plainStore is a Store that keeps no parameters.
type plainStore struct{ selfcare.Store }

func TestStoreWithoutParametersUsesDefaults(t *testing.T) {
	svc := selfcare.New(plainStore{memstore.New()}, selfcare.Config{Hash: cheapHash})
	ctx := t.Context()
	got, err := svc.Param(ctx, local, params.KeyShowChangePIN)
	if err != nil || got.Value != "true" || got.Set {
		t.Errorf("Param = %+v, %v; want the default", got, err)
	}
	if _, err := svc.SetParam(ctx, local, params.KeyShowChangePIN, "false"); !errors.Is(err,
		errors.ErrUnsupported) {
		t.Errorf("SetParam: %v, want errors.ErrUnsupported", err)
	}
}

// sharedStores opens, for each store kind, two handles on the same data,
// as two portal processes have them: one memstore shared, or two sqlstore
// handles on one file.
var sharedStores = []struct {
	name string
	open func(testing.TB) (a, b selfcare.Store)
}{
	{"memstore", func(testing.TB) (selfcare.Store, selfcare.Store) {
		s := memstore.New()
		return s, s
	}},
	{"sqlstore", func(tb testing.TB) (selfcare.Store, selfcare.Store) {
		path := filepath.Join(tb.TempDir(), "portal.db")
		open := func() selfcare.Store {
			s, err := sqlstore.Open(tb.Context(), path, sqlstore.Config{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return s
		}
		return open(), open()
	}},
}

// storedParams loads what the store holds, as a fresh process would see
// it; the error lists stored values that do not validate.
func storedParams(tb testing.TB, s selfcare.Store) (params.Values, params.Cluster, error) {
	tb.Helper()
	ps := s.(selfcare.ParamStore)
	servers, err := ps.Servers(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	cl, err := params.NewCluster(servers...)
	if err != nil {
		tb.Fatalf("stored servers: %v", err)
	}
	raw, err := ps.ParamValues(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	v, err := params.NewValues(raw, cl)
	return v, cl, err
}

// TestConcurrentSetAndRemoveNeverOrphanTheDefaultServer has one process
// set Self Care Portal Default Server to a server while another removes
// that server, at the same moment, many times over: whichever wins, the
// stored parameter never names a server that is gone.
func TestConcurrentSetAndRemoveNeverOrphanTheDefaultServer(t *testing.T) {
	const rounds = 50
	pub := params.Server{Name: "cucm-pub.example.com", Publisher: true}
	sub := params.Server{Name: "cucm-sub.example.com"}
	for _, st := range sharedStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			a, b := st.open(t)
			setter := selfcare.New(a, selfcare.Config{Hash: cheapHash})
			remover := selfcare.New(b, selfcare.Config{Hash: cheapHash})
			if err := setter.PutServer(ctx, local, pub); err != nil {
				t.Fatal(err)
			}
			outcomes := map[string]int{}
			for round := range rounds {
				// Each round starts from both servers and the parameter at None.
				if err := setter.PutServer(ctx, local, sub); err != nil {
					t.Fatal(err)
				}
				if _, err := setter.ResetParam(ctx, local, params.KeyDefaultServer); err != nil {
					t.Fatal(err)
				}

				var setErr, removeErr error
				var wg sync.WaitGroup
				start := make(chan struct{})
				wg.Go(func() {
					<-start
					_, setErr = setter.SetParam(ctx, local, params.KeyDefaultServer, sub.Name)
				})
				wg.Go(func() {
					<-start
					removeErr = remover.RemoveServer(ctx, local, sub.Name)
				})
				close(start)
				wg.Wait()

				v, cl, err := storedParams(t, a)
				if err != nil {
					t.Fatalf("round %d: the stored parameter names a missing server "+
						"(set: %v; remove: %v): %v", round, setErr, removeErr, err)
				}
				_, subThere := cl.Server(sub.Name)
				named := v.DefaultServerName() == sub.Name
				switch {
				case setErr == nil && removeErr == nil:
					t.Fatalf("round %d: both the set and the removal succeeded", round)
				case setErr != nil && !errors.Is(setErr, params.ErrInvalid) &&
					!errors.Is(setErr, params.ErrConflict):
					t.Fatalf("round %d: set: %v", round, setErr)
				case removeErr != nil && !errors.Is(removeErr, params.ErrInUse) &&
					!errors.Is(removeErr, params.ErrConflict):
					t.Fatalf("round %d: remove: %v", round, removeErr)
				case named != (setErr == nil) || subThere != (removeErr != nil):
					t.Fatalf("round %d: named %t, server there %t after set %v, remove %v",
						round, named, subThere, setErr, removeErr)
				}
				outcomes[fmt.Sprintf("set ok %t, remove ok %t", setErr == nil,
					removeErr == nil)]++
			}
			t.Logf("outcomes of %d rounds: %v", rounds, outcomes)
		})
	}
}

// TestConcurrentSetsAuditTheValuesTheyReplaced sets one parameter from
// two processes at once, to a different value each time: the old values
// on the trail are the ones each change replaced, so that they chain from
// the default to the value stored.
func TestConcurrentSetsAuditTheValuesTheyReplaced(t *testing.T) {
	const writers = 8
	key := params.KeyActivationTTL
	for _, st := range sharedStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			a, b := st.open(t)
			svcs := []*selfcare.Service{
				selfcare.New(a, selfcare.Config{Hash: cheapHash}),
				selfcare.New(b, selfcare.Config{Hash: cheapHash}),
			}
			errs := make([]error, writers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range writers {
				wg.Go(func() {
					<-start
					_, errs[i] = svcs[i%2].SetParam(ctx, local, key, strconv.Itoa(i+1))
				})
			}
			close(start)
			wg.Wait()
			done := 0
			for i, err := range errs {
				switch {
				case err == nil:
					done++
				case !errors.Is(err, params.ErrConflict):
					t.Errorf("writer %d: %v", i, err)
				}
			}
			if done == 0 {
				t.Fatal("no writer got through")
			}

			es, err := svcs[0].Audit(ctx, selfcare.AuditFilter{Action: selfcare.ActionParamSet,
				Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			replaced := map[string]string{} // old value -> new value
			for _, e := range es {
				if e.Target != key || e.Outcome != selfcare.OutcomeOK {
					continue
				}
				var old, next string
				if _, err := fmt.Sscanf(e.Detail, "%q -> %q", &old, &next); err != nil {
					t.Fatalf("detail %q: %v", e.Detail, err)
				}
				if other, dup := replaced[old]; dup {
					t.Errorf("two changes replaced %q: with %q and %q", old, other, next)
				}
				replaced[old] = next
			}
			if len(replaced) != done {
				t.Errorf("%d changes audited for %d that were made: %v", len(replaced),
					done, replaced)
			}
			v, _, err := storedParams(t, a)
			if err != nil {
				t.Fatal(err)
			}
			cur := "168"
			for range len(replaced) {
				next, ok := replaced[cur]
				if !ok {
					t.Fatalf("the trail breaks after %q: %v", cur, replaced)
				}
				cur = next
			}
			if cur != v.Value(key) {
				t.Errorf("the trail ends at %q, the store holds %q", cur, v.Value(key))
			}
		})
	}
}

// conflictStore refuses every write of parameters and servers as planned
// at a stale generation, as a store does while other processes keep
// changing them.
type conflictStore struct {
	*memstore.Store
	writes atomic.Int32
}

func (s *conflictStore) UpdateParams(context.Context, uint64, []params.Change) error {
	s.writes.Add(1)
	return fmt.Errorf("update parameters: %w", params.ErrConflict)
}

func (s *conflictStore) SetServers(context.Context, uint64, []params.Server) error {
	s.writes.Add(1)
	return fmt.Errorf("set servers: %w", params.ErrConflict)
}

func TestEndlessConflictsGiveUpAfterAFewAttempts(t *testing.T) {
	store := &conflictStore{Store: memstore.New()}
	svc := selfcare.New(store, selfcare.Config{Hash: cheapHash})
	ctx := t.Context()

	_, err := svc.SetParam(ctx, local, params.KeyShowChangePIN, "false")
	if !errors.Is(err, params.ErrConflict) || !strings.Contains(err.Error(), "try again") {
		t.Errorf("SetParam: %v, want params.ErrConflict saying to try again", err)
	}
	if n := store.writes.Load(); n < 2 || n > 20 {
		t.Errorf("SetParam tried %d writes, want a few retries", n)
	}
	store.writes.Store(0)
	err = svc.PutServer(ctx, local, params.Server{Name: "cucm-pub", Publisher: true})
	if !errors.Is(err, params.ErrConflict) {
		t.Errorf("PutServer: %v, want params.ErrConflict", err)
	}
	if n := store.writes.Load(); n < 2 || n > 20 {
		t.Errorf("PutServer tried %d writes, want a few retries", n)
	}
	// Nothing that was not stored is on the trail as done.
	es, err := svc.Audit(ctx, selfcare.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Outcome == selfcare.OutcomeOK {
			t.Errorf("audited as done: %+v", e)
		}
	}
}

// TestServerNamesIgnoreLetterCase pins the one rule for server names:
// compared without regard to case, stored as first given, a name in other
// case changes nothing, and the parameter takes the stored spelling.
func TestServerNamesIgnoreLetterCase(t *testing.T) {
	for _, st := range paramStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			svc := selfcare.New(st.open(t), selfcare.Config{Hash: cheapHash})
			mixed := params.Server{Name: "Mixed.example.com", Publisher: true}
			sub := params.Server{Name: "cucm-sub.example.com"}
			for _, srv := range []params.Server{mixed, sub} {
				if err := svc.PutServer(ctx, local, srv); err != nil {
					t.Fatal(err)
				}
			}
			plan, err := svc.SetParam(ctx, local, params.KeyDefaultServer, "MIXED.EXAMPLE.COM")
			if err != nil || plan[0].New != mixed.Name {
				t.Fatalf("SetParam in other case = %v, %v; want the stored spelling", plan, err)
			}
			trail := func() int {
				t.Helper()
				es, err := svc.Audit(ctx, selfcare.AuditFilter{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				return len(es)
			}
			before := trail()

			// The same server in other case: no rename, no change, no entry.
			if err := svc.PutServer(ctx, local, params.Server{Name: "mixed.example.com",
				Publisher: true}); err != nil {
				t.Fatalf("PutServer in other case: %v", err)
			}
			servers, err := svc.Servers(ctx, local)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]params.Server{mixed, sub}, servers); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
			got, err := svc.Param(ctx, local, params.KeyDefaultServer)
			if err != nil || got.Value != mixed.Name || got.Err != nil {
				t.Errorf("parameter after the no-op: %+v, %v", got, err)
			}
			if n := trail(); n != before {
				t.Errorf("a change of letter case only added %d audit entries", n-before)
			}

			// Promotion and removal find servers in any case.
			if err := svc.SetPublisher(ctx, local, "CUCM-SUB.EXAMPLE.COM"); err != nil {
				t.Fatal(err)
			}
			if e := trailOf(t, svc).last(selfcare.ActionServerPut); e.Target != sub.Name {
				t.Errorf("audited promotion of %q, want the stored spelling", e.Target)
			}
			err = svc.RemoveServer(ctx, local, "mixed.EXAMPLE.com")
			var iu *params.InUseError
			if !errors.As(err, &iu) || iu.ParamKey != params.KeyDefaultServer {
				t.Errorf("removing the default server in other case: %v", err)
			}
		})
	}
}

// auditReader reads a service's trail.
type auditReader struct {
	tb  testing.TB
	svc *selfcare.Service
}

func trailOf(tb testing.TB, svc *selfcare.Service) auditReader {
	return auditReader{tb, svc}
}

// last returns the latest entry of action.
func (r auditReader) last(action string) selfcare.AuditEvent {
	r.tb.Helper()
	es, err := r.svc.Audit(r.tb.Context(), selfcare.AuditFilter{Action: action, Limit: 1})
	if err != nil || len(es) == 0 {
		r.tb.Fatalf("no %s on the trail: %v", action, err)
	}
	return es[0]
}

func TestProfileNamesAreUniqueIgnoringCase(t *testing.T) {
	for _, st := range paramStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			svc := selfcare.New(st.open(t), selfcare.Config{Hash: cheapHash})
			hot := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
			if _, err := svc.PutProfile(ctx, local, hot); err != nil {
				t.Fatal(err)
			}
			_, err := svc.PutProfile(ctx, local, params.UserProfile{Name: "hot desk"})
			var ve *params.ValidationError
			if !errors.As(err, &ve) || ve.Key != "Name" ||
				!strings.Contains(ve.Message(), `"Hot Desk"`) {
				t.Errorf("hot desk beside Hot Desk: %v, want refused naming Hot Desk", err)
			}
			// Replacing it under its own name still works.
			hot.Description = "Shared desks"
			if created, err := svc.PutProfile(ctx, local, hot); err != nil || created {
				t.Errorf("replacing Hot Desk: created %t, %v", created, err)
			}
			// Names that would look like another are refused.
			for _, name := range []string{"Hot\u202eDesk", "Hot\u200bDesk", "\ufeffHot"} {
				_, err := svc.PutProfile(ctx, local, params.UserProfile{Name: name})
				if !errors.Is(err, params.ErrInvalid) {
					t.Errorf("%q: %v, want refused", name, err)
				}
			}
			ps, err := svc.Profiles(ctx, local)
			if err != nil || len(ps) != 1 {
				t.Errorf("profiles: %v, %v; want Hot Desk only", ps, err)
			}
		})
	}
}

// TestParamErrorsSayItOnce checks that each layer wraps an error once:
// the refusal names what is missing once, and "not found" never repeats.
func TestParamErrorsSayItOnce(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	tests := []struct {
		name   string
		err    error
		target error
		says   string
	}{
		{"unknown server", f.svc.RemoveServer(f.ctx, local, "nope"), params.ErrNotFound,
			`selfcare: params: There is no server "nope".`},
		{"unknown publisher", f.svc.SetPublisher(f.ctx, local, "nope"), params.ErrNotFound,
			`selfcare: params: There is no server "nope".`},
		{"unknown profile", f.svc.DeleteProfile(f.ctx, local, "Nope"), params.ErrNotFound,
			`selfcare: params: There is no user profile "Nope".`},
		{"unknown profile assigned", f.svc.AssignProfile(f.ctx, local, testUser, "Nope"),
			params.ErrNotFound, `selfcare: params: There is no user profile "Nope".`},
		{"unknown parameter", func() error {
			_, err := f.svc.SetParam(f.ctx, local, "NoSuchThing", "1")
			return err
		}(), params.ErrUnknown,
			`selfcare: params: No parameter has the key or display name "NoSuchThing".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.target) || tt.err.Error() != tt.says {
				t.Errorf("got  %v\nwant %s", tt.err, tt.says)
			}
		})
	}
}

func TestParamsAreNamedByKeyOrDisplayNameInAnyCase(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	for _, name := range []string{"showchangepin", "Show Change PIN", "SHOW CHANGE PIN"} {
		st, err := f.svc.Param(f.ctx, local, name)
		if err != nil || st.Key != params.KeyShowChangePIN {
			t.Errorf("Param(%q) = %s, %v", name, st.Key, err)
		}
	}
	plan, err := f.svc.SetParam(f.ctx, local, "show change pin", "False")
	if err != nil || plan[0].Key != params.KeyShowChangePIN || plan[0].New != "false" {
		t.Fatalf("SetParam by display name = %v, %v", plan, err)
	}
	if e := f.lastAudit(selfcare.ActionParamSet); e.Target != params.KeyShowChangePIN {
		t.Errorf("audited under %q, want the key", e.Target)
	}
	plan, err = f.svc.ResetParam(f.ctx, local, "SHOWCHANGEPIN")
	if err != nil || len(plan) != 1 || plan[0].Key != params.KeyShowChangePIN {
		t.Errorf("ResetParam by key in other case = %v, %v", plan, err)
	}
}

func TestLocalCallerSaysWhereItRuns(t *testing.T) {
	f := newParamFixture(t, selfcare.Config{})
	cli := selfcare.LocalCaller("").From("cli ada@host1 pid 4242")
	if _, err := f.svc.SetParam(f.ctx, cli, params.KeyShowRingSettings, "true"); err != nil {
		t.Fatal(err)
	}
	e := f.lastAudit(selfcare.ActionParamSet)
	if e.Actor != "cli" || e.RemoteAddr != "cli ada@host1 pid 4242" {
		t.Errorf("audited as %q from %q", e.Actor, e.RemoteAddr)
	}
}
