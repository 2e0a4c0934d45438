package onboarding_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/onboarding"
)

const (
	model8845 = "Cisco 8845"
	macAlice  = "001B54AABBCC"
	macBob    = "001B54DDEEFF"
)

// Short names for the provisioning table.
type (
	prov = onboarding.Provision
	dev  = onboarding.Device
)

func TestProvisionDevice(t *testing.T) {
	at := newClock().Now()
	nameBytes := []byte{0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}
	otherBytes := []byte{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa}
	tests := []struct {
		name    string
		rand    io.Reader
		before  []prov
		p       prov
		want    dev
		wantErr error
	}{
		{
			name: "a MAC gives the SEP name",
			p:    prov{MAC: "00:1b:54:aa:bb:cc", Model: model8845, Owner: "alice"},
			want: dev{Name: "SEP" + macAlice, Model: model8845, Owner: "alice",
				MAC: macAlice, ProvisionedAt: at},
		},
		{
			name: "a matching SEP name is accepted",
			p: prov{MAC: macAlice, Name: "SEP" + macAlice, Model: model8845,
				Owner: "alice"},
			want: dev{Name: "SEP" + macAlice, Model: model8845, Owner: "alice",
				MAC: macAlice, ProvisionedAt: at},
		},
		{
			name: "no MAC gives a dummy name drawn from the random source",
			rand: bytes.NewReader(nameBytes),
			p:    prov{Model: " Cisco 7841 ", Owner: "alice"},
			want: dev{Name: "BAT0A1B2C3D4E5F", Model: "Cisco 7841",
				Owner: "alice", Dummy: true, ProvisionedAt: at},
		},
		{
			name: "a taken dummy name is drawn again",
			rand: bytes.NewReader(append(append(bytes.Clone(nameBytes), nameBytes...),
				otherBytes...)),
			before: []prov{{Model: model8845, Owner: "bob"}},
			p:      prov{Model: model8845, Owner: "alice"},
			want: dev{Name: "BATFFEEDDCCBBAA", Model: model8845, Owner: "alice",
				Dummy: true, ProvisionedAt: at},
		},
		{
			name: "a given dummy name is kept",
			p:    prov{Name: "BAT0123456789AB", Model: model8845, Owner: "alice"},
			want: dev{Name: "BAT0123456789AB", Model: model8845, Owner: "alice",
				Dummy: true, ProvisionedAt: at},
		},
		{
			name:    "a taken MAC is refused",
			before:  []prov{{MAC: macAlice, Model: model8845, Owner: "bob"}},
			p:       prov{MAC: macAlice, Model: model8845, Owner: "alice"},
			wantErr: onboarding.ErrExists,
		},
		{
			name:    "a taken dummy name given is refused",
			before:  []prov{{Name: "BAT0123456789AB", Model: model8845, Owner: "bob"}},
			p:       prov{Name: "BAT0123456789AB", Model: model8845, Owner: "alice"},
			wantErr: onboarding.ErrExists,
		},
		{
			name: "a name that does not match the MAC is refused",
			p: prov{MAC: macAlice, Name: "SEP" + macBob, Model: model8845,
				Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a SEP name without a MAC is refused",
			p:       prov{Name: "SEP" + macAlice, Model: model8845, Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a lower-case dummy name is refused",
			p:       prov{Name: "BAT0123456789ab", Model: model8845, Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a malformed MAC is refused",
			p:       prov{MAC: "00:1b:54:aa:bb", Model: model8845, Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a missing model is refused",
			p:       prov{MAC: macAlice, Model: "  ", Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a model with a line break is refused",
			p:       prov{MAC: macAlice, Model: "8845\nforged", Owner: "alice"},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "a missing owner is refused",
			p:       prov{MAC: macAlice, Model: model8845},
			wantErr: onboarding.ErrInvalid,
		},
		{
			name:    "an owner with a control character is refused",
			p:       prov{MAC: macAlice, Model: model8845, Owner: "al\x00ice"},
			wantErr: onboarding.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, onboarding.Config{Rand: tt.rand})
			ctx := context.Background()
			for _, p := range tt.before {
				if _, err := f.reg.ProvisionDevice(ctx, "admin", p); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			f.audit.take()

			got, err := f.reg.ProvisionDevice(ctx, "admin", tt.p)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ProvisionDevice: err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if es := f.audit.take(); len(es) != 0 {
					t.Errorf("a refused provision was audited as done:%s", describe(es))
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("device (-want +got):\n%s", diff)
			}
			stored, err := f.reg.Device(ctx, got.Name)
			if diff := cmp.Diff(tt.want, stored); err != nil || diff != "" {
				t.Errorf("stored device: %v (-want +got):\n%s", err, diff)
			}
			es := f.audit.take()
			if len(es) != 1 || es[0].Action != onboarding.ActionProvision ||
				es[0].Device != got.Name || es[0].Actor != "admin" {
				t.Errorf("audit:%s", describe(es))
			}
		})
	}
}

// ownerStore ignores the owner when listing codes, as a broken store
// might.
type ownerStore struct{ *memStore }

func (s ownerStore) OutstandingCodes(ctx context.Context, _ string) (
	[]onboarding.DeviceCode, error) {
	return s.memStore.OutstandingCodes(ctx, "")
}

func (s ownerStore) FirstOutstandingCodes(ctx context.Context, _ string, n int) (
	[]onboarding.DeviceCode, int, error) {
	return s.memStore.FirstOutstandingCodes(ctx, "", n)
}

func TestReadyToActivate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, onboarding.Config{})
	aliceMAC := f.provision(t, "alice", model8845, macAlice)
	aliceDummy := f.provision(t, "alice", "Cisco 7841", "")
	bobs := f.provision(t, "bob", model8845, macBob)
	f.provision(t, "alice", model8845, "001B54000001") // no code: not ready
	codes := map[string]onboarding.ReadyCode{}
	for _, d := range []onboarding.Device{aliceMAC, aliceDummy, bobs} {
		codes[d.Name] = f.issue(t, d.Name)
	}
	f.audit.take()

	list := func(t *testing.T, r *onboarding.Registry, user string) []string {
		t.Helper()
		list, err := r.ReadyToActivate(ctx, user, "198.51.100.7")
		if err != nil {
			t.Fatalf("ReadyToActivate(%q): %v", user, err)
		}
		var names []string
		for _, rc := range list.Phones {
			if rc.State != onboarding.StateOutstanding {
				continue
			}
			want := codes[rc.Device]
			if rc.Code != want.Code || !rc.ExpiresAt.Equal(want.ExpiresAt) || rc.Owner != user {
				t.Errorf("%s: code or expiry differs from the one issued, or owner %q",
					rc.Device, rc.Owner)
			}
			names = append(names, rc.Device)
		}
		return names
	}

	t.Run("a user sees their own codes and each view is audited", func(t *testing.T) {
		got := list(t, f.reg, "alice")
		want := []string{aliceDummy.Name, aliceMAC.Name} // BAT… sorts before SEP…
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("alice's phones (-want +got):\n%s", diff)
		}
		es := f.audit.take()
		if len(es) != 2 {
			t.Fatalf("%d events, want one view per code:%s", len(es), describe(es))
		}
		for i, e := range es {
			if e.Action != onboarding.ActionView || e.Actor != "alice" ||
				e.Device != want[i] || e.Source != "198.51.100.7" {
				t.Errorf("event %d: %+v", i, e)
			}
		}
	})
	t.Run("another user's code is not listed", func(t *testing.T) {
		if got := list(t, f.reg, "bob"); !cmp.Equal(got, []string{bobs.Name}) {
			t.Errorf("bob sees %v", got)
		}
		if got := list(t, f.reg, "mallory"); len(got) != 0 {
			t.Errorf("mallory sees %v", got)
		}
	})
	t.Run("a store that ignores the owner still shows only the user's codes",
		func(t *testing.T) {
			r := onboarding.New(ownerStore{f.store}, f.sealer,
				onboarding.Config{Now: f.clock.Now})
			if got := list(t, r, "bob"); !cmp.Equal(got, []string{bobs.Name}) {
				t.Errorf("bob sees %v", got)
			}
		})
	t.Run("an empty user ID is refused rather than listing everyone", func(t *testing.T) {
		list, err := f.reg.ReadyToActivate(ctx, "", "")
		if !errors.Is(err, onboarding.ErrInvalid) || list.Phones != nil {
			t.Errorf("ReadyToActivate(\"\") = %d codes, %v; want ErrInvalid",
				len(list.Phones), err)
		}
	})
	t.Run("nothing is shown when the view cannot be audited", func(t *testing.T) {
		f.audit.fail = errAuditDown
		defer func() { f.audit.fail = nil }()
		list, err := f.reg.ReadyToActivate(ctx, "alice", "")
		if !errors.Is(err, errAuditDown) || list.Phones != nil {
			t.Errorf("ReadyToActivate = %d codes, %v; want the audit error",
				len(list.Phones), err)
		}
	})
	t.Run("a released code is not listed, an expired one is listed without its code",
		func(t *testing.T) {
			if err := f.reg.Release(ctx, "admin", aliceMAC.Name); err != nil {
				t.Fatal(err)
			}
			if got := list(t, f.reg, "alice"); !cmp.Equal(got, []string{aliceDummy.Name}) {
				t.Errorf("after release alice sees %v", got)
			}
			f.audit.take()
			f.clock.Advance(onboarding.DefaultTTL)
			got, err := f.reg.ReadyToActivate(ctx, "alice", "")
			if err != nil {
				t.Fatal(err)
			}
			want := onboarding.ReadyList{Phones: []onboarding.ReadyCode{{
				Device: aliceDummy.Name, Model: aliceDummy.Model, Owner: "alice",
				State: onboarding.StateExpired, IssuedAt: codes[aliceDummy.Name].IssuedAt,
				ExpiresAt: codes[aliceDummy.Name].ExpiresAt}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after expiry (-want +got):\n%s", diff)
			}
			if es := f.audit.take(); len(es) != 0 {
				t.Errorf("an expired code, which is not shown, was audited as viewed:%s",
					describe(es))
			}
		})
}

func TestReadyToActivateShowsABoundedView(t *testing.T) {
	ctx := context.Background()
	const shown, total = 3, 7
	f := newFixture(t, onboarding.Config{MaxShown: shown})
	var names []string
	for i := range total {
		d := f.provision(t, "alice", model8845, fmt.Sprintf("001B5400%04X", i+1))
		f.issue(t, d.Name)
		names = append(names, d.Name)
	}
	f.audit.take()

	list, err := f.reg.ReadyToActivate(ctx, "alice", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rc := range list.Phones {
		got = append(got, rc.Device)
	}
	if diff := cmp.Diff(names[:shown], got); diff != "" || list.More != total-shown {
		t.Errorf("view shows (-want +got):\n%s\nand %d more, want %d", diff, list.More,
			total-shown)
	}
	es := f.audit.take()
	if len(es) != shown {
		t.Fatalf("%d view events, want one per code shown (%d):%s", len(es), shown,
			describe(es))
	}
	for i, e := range es {
		if e.Device != names[i] || e.Action != onboarding.ActionView {
			t.Errorf("event %d: %+v, want a view of %s", i, e, names[i])
		}
	}

	// The default bound applies to a registry configured without one.
	f = newFixture(t, onboarding.Config{})
	for i := range onboarding.DefaultMaxShown + 1 {
		d := f.provision(t, "alice", model8845, fmt.Sprintf("001B5400%04X", i+1))
		f.issue(t, d.Name)
	}
	list, err = f.reg.ReadyToActivate(ctx, "alice", "")
	if err != nil || len(list.Phones) != onboarding.DefaultMaxShown || list.More != 1 {
		t.Errorf("default view: %d phones and %d more, %v; want %d and 1",
			len(list.Phones), list.More, err, onboarding.DefaultMaxShown)
	}
}

func TestIssueReplaceRelease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, onboarding.Config{})
	d := f.provision(t, "alice", model8845, macAlice)

	first := f.issue(t, d.Name)
	if _, err := f.reg.Issue(ctx, "admin", d.Name); !errors.Is(err, onboarding.ErrExists) {
		t.Errorf("Issue over an outstanding code: err = %v, want ErrExists", err)
	}
	if _, err := f.reg.Issue(ctx, "admin", "SEP001B54000009"); !errors.Is(err,
		onboarding.ErrNotFound) {
		t.Errorf("Issue for an unknown device: err = %v, want ErrNotFound", err)
	}
	got, err := f.reg.Device(ctx, d.Name)
	if err != nil || !got.RequiresActivation {
		t.Errorf("after Issue the device does not require activation: %+v, %v", got, err)
	}

	second, err := f.reg.Replace(ctx, "admin", d.Name)
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if second.Code == first.Code {
		t.Fatal("Replace gave the same code")
	}
	if _, err := f.redeem(macAlice, model8845, first.Code.Reveal(), "a"); err == nil {
		t.Error("the replaced code still redeems")
	}

	if err := f.reg.Release(ctx, "admin", d.Name); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if s := f.state(t, d.Name); s != onboarding.StateReleased {
		t.Errorf("state after Release = %s", s)
	}
	if err := f.reg.Release(ctx, "admin", d.Name); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("second Release: err = %v, want ErrNotFound", err)
	}
	if _, err := f.redeem(macAlice, model8845, second.Code.Reveal(), "a"); err == nil {
		t.Error("the released code still redeems")
	}
	c, _ := f.reg.Code(ctx, d.Name)
	if c.Sealed != nil {
		t.Error("a released code keeps its seal")
	}

	third := f.issue(t, d.Name)
	if _, err := f.redeem(macAlice, model8845, third.Code.Reveal(), "a"); err != nil {
		t.Errorf("the code issued after release: %v", err)
	}

	want := []string{
		onboarding.ActionProvision, onboarding.ActionIssue, onboarding.ActionReplace,
		onboarding.ActionRedeem, onboarding.ActionRelease, onboarding.ActionRedeem,
		onboarding.ActionIssue, onboarding.ActionRedeem,
	}
	var actions []string
	for _, e := range f.audit.take() {
		actions = append(actions, e.Action)
	}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audited actions (-want +got):\n%s", diff)
	}
}

func TestRequireActivation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, onboarding.Config{})
	d := f.provision(t, "alice", model8845, "")

	if err := f.reg.RequireActivation(ctx, "admin", d.Name); err != nil {
		t.Fatalf("RequireActivation: %v", err)
	}
	c1, err := f.reg.Code(ctx, d.Name)
	if err != nil || c1.StateAt(f.clock.Now()) != onboarding.StateOutstanding {
		t.Fatalf("no outstanding code after RequireActivation: %v", err)
	}
	if err := f.reg.RequireActivation(ctx, "admin", d.Name); err != nil {
		t.Fatalf("RequireActivation again: %v", err)
	}
	c2, _ := f.reg.Code(ctx, d.Name)
	if !bytes.Equal(c1.Verifier, c2.Verifier) {
		t.Error("RequireActivation replaced an outstanding code")
	}
	f.clock.Advance(onboarding.DefaultTTL)
	if err := f.reg.RequireActivation(ctx, "admin", d.Name); err != nil {
		t.Fatalf("RequireActivation after expiry: %v", err)
	}
	c3, _ := f.reg.Code(ctx, d.Name)
	if bytes.Equal(c1.Verifier, c3.Verifier) ||
		c3.StateAt(f.clock.Now()) != onboarding.StateOutstanding {
		t.Error("RequireActivation did not issue a new code for an expired one")
	}
	if err := f.reg.RequireActivation(ctx, "admin", "BAT000000000000"); !errors.Is(err,
		onboarding.ErrNotFound) {
		t.Errorf("RequireActivation of an unknown device: err = %v", err)
	}
}

// An administrator sees an issued code only if the issue was audited.
func TestIssueWithoutAuditDisclosesNothing(t *testing.T) {
	f := newFixture(t, onboarding.Config{})
	d := f.provision(t, "alice", model8845, macAlice)
	f.audit.fail = errAuditDown
	rc, err := f.reg.Issue(context.Background(), "admin", d.Name)
	if !errors.Is(err, errAuditDown) || rc.Code != "" {
		t.Errorf("Issue = %q, %v; want no code and the audit error", rc.Code.Reveal(), err)
	}
}

func TestTTLAppliesAtOnce(t *testing.T) {
	var hours atomic.Int64
	ttl := func() time.Duration { return time.Duration(hours.Load()) * time.Hour }
	f := newFixture(t, onboarding.Config{TTL: ttl})
	tests := []struct {
		name  string
		hours int64
		want  time.Duration
	}{
		{"an unset parameter means 168 hours", 0, 168 * time.Hour},
		{"a changed parameter applies to the next code", 24, 24 * time.Hour},
		{"a negative value means the default", -5, 168 * time.Hour},
		{"a long time to live is kept", 720, 720 * time.Hour},
	}
	d := f.provision(t, "alice", model8845, macAlice)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hours.Store(tt.hours)
			rc, err := f.reg.Replace(context.Background(), "admin", d.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got := rc.ExpiresAt.Sub(rc.IssuedAt); got != tt.want {
				t.Errorf("time to live %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, onboarding.Config{})
	a := f.provision(t, "alice", model8845, macAlice)
	b := f.provision(t, "=HYPERLINK(\"x\")", "Cisco 7841", macBob)
	c := f.provision(t, "carol", model8845, "001B54000001")
	ra, rb := f.issue(t, a.Name), f.issue(t, b.Name)
	f.issue(t, c.Name)
	if err := f.reg.Release(ctx, "admin", c.Name); err != nil {
		t.Fatal(err)
	}
	f.audit.take()

	rows, err := f.reg.Export(ctx, "admin")
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if diff := cmp.Diff([]onboarding.ReadyCode{ra, rb}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	es := f.audit.take()
	if len(es) != 1 || es[0].Action != onboarding.ActionExport ||
		es[0].Detail != "2 outstanding codes" {
		t.Errorf("audit:%s", describe(es))
	}

	var out bytes.Buffer
	if err := onboarding.WriteCSV(&out, rows); err != nil {
		t.Fatal(err)
	}
	exp := ra.ExpiresAt.UTC().Format(time.RFC3339)
	want := "device,model,owner,activation code,expires\n" +
		a.Name + "," + model8845 + ",alice," + ra.Code.Grouped() + "," + exp + "\n" +
		b.Name + ",Cisco 7841,\"'=HYPERLINK(\"\"x\"\")\"," + rb.Code.Grouped() + "," + exp + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}

	f.audit.fail = errAuditDown
	if rows, err := f.reg.Export(ctx, "admin"); !errors.Is(err, errAuditDown) || rows != nil {
		t.Errorf("Export without audit = %d rows, %v; want the audit error", len(rows), err)
	}
}

func TestExportTo(t *testing.T) {
	ctx := context.Background()
	errDisk := errors.New("disk full")
	tests := []struct {
		name        string
		deliver     error
		auditDown   bool
		wantErr     error
		wantOutcome string // of the one export event; "" for none
		wantDetail  string
	}{
		{"a delivered export is audited as done", nil, false, nil,
			onboarding.OutcomeOK, "1 outstanding codes"},
		{"a failed delivery is audited as failed, with its cause", errDisk, false, errDisk,
			onboarding.OutcomeFailed, "1 outstanding codes, not delivered: disk full"},
		{"a delivery whose event is lost fails, for the caller to take it back", nil,
			true, errAuditDown, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, onboarding.Config{})
			d := f.provision(t, "alice", model8845, macAlice)
			rc := f.issue(t, d.Name)
			f.audit.take()
			if tt.auditDown {
				f.audit.fail = errAuditDown
			}

			var got []onboarding.ReadyCode
			err := f.reg.ExportTo(ctx, "admin", func(rows []onboarding.ReadyCode) error {
				// Nothing is audited before the delivery is over.
				if es := f.audit.take(); len(es) != 0 {
					t.Errorf("audited before delivery:%s", describe(es))
				}
				got = rows
				return tt.deliver
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("ExportTo: %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff([]onboarding.ReadyCode{rc}, got); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			es := f.audit.take()
			switch {
			case tt.wantOutcome == "" && len(es) != 0:
				t.Errorf("audit:%s, want nothing", describe(es))
			case tt.wantOutcome != "" && (len(es) != 1 || es[0].Action !=
				onboarding.ActionExport || es[0].Outcome != tt.wantOutcome ||
				es[0].Detail != tt.wantDetail):
				t.Errorf("audit:%s, want one %s event %q", describe(es), tt.wantOutcome,
					tt.wantDetail)
			}
		})
	}
}

// The defaults keep the chance of guessing a code during its life below
// 2^-32, with the numbers of the package documentation.
func TestOdds(t *testing.T) {
	target := math.Ldexp(1, -32)
	tests := []struct {
		name             string
		cfg              onboarding.Config
		wantModelGuesses int64
		wantBelow        bool
	}{
		{"the defaults are below 2^-32", onboarding.Config{}, 169000, true},
		{"a ceiling of 10 an hour is far below", onboarding.Config{GlobalLimit: 10}, 1690,
			true},
		{"a time to live of 2,400 hours is too long for the default ceiling",
			onboarding.Config{TTL: func() time.Duration { return 2400 * time.Hour }},
			2401000, false},
		{"no ceiling bounds nothing", onboarding.Config{GlobalLimit: onboarding.NoLimit},
			math.MaxInt64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newFixture(t, tt.cfg).reg.Odds()
			if o.MACGuesses != 5 || o.MACBound != 5e-16 || o.MACBound >= target {
				t.Errorf("MAC-bound: %d guesses, %g", o.MACGuesses, o.MACBound)
			}
			if o.ModelGuesses != tt.wantModelGuesses {
				t.Errorf("model-bound guesses %d, want %d", o.ModelGuesses,
					tt.wantModelGuesses)
			}
			if below := o.ModelBound < target; below != tt.wantBelow {
				t.Errorf("model-bound %g (2^%.1f), below 2^-32 = %v, want %v", o.ModelBound,
					math.Log2(o.ModelBound), below, tt.wantBelow)
			}
		})
	}
}

func TestNewPanicsWithoutStoreOrSealer(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "store and a sealer") {
			t.Errorf("recover() = %v", r)
		}
	}()
	onboarding.New(nil, nil, onboarding.Config{})
}
