package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

func TestUpdateConferencing(t *testing.T) {
	set, null := selfcare.Set[string], selfcare.Null[string]
	on := selfcare.Set(true)
	cases := []struct {
		name   string
		patch  selfcare.ConferencingPatch
		want   selfcare.Conferencing // when saved
		fields []string              // when refused
	}{
		// What is saved, and that leading zeros stay.
		{"a code alone is saved with Conference Now off",
			selfcare.ConferencingPatch{AccessCode: set("0472")},
			selfcare.Conferencing{AccessCode: "0472"}, nil},
		{"on with a good code is saved", selfcare.ConferencingPatch{Enabled: on,
			AccessCode: set("5271940")},
			selfcare.Conferencing{Enabled: true, AccessCode: "5271940"}, nil},
		{"three digits are enough", selfcare.ConferencingPatch{AccessCode: set("502")},
			selfcare.Conferencing{AccessCode: "502"}, nil},
		{"ten digits are allowed", selfcare.ConferencingPatch{
			AccessCode: set("5027194836")},
			selfcare.Conferencing{AccessCode: "5027194836"}, nil},

		// Form and length.
		{"two digits are too few", selfcare.ConferencingPatch{AccessCode: set("50")},
			selfcare.Conferencing{}, []string{"accessCode"}},
		{"eleven digits are too many", selfcare.ConferencingPatch{
			AccessCode: set("50271948361")}, selfcare.Conferencing{},
			[]string{"accessCode"}},
		{"letters are refused", selfcare.ConferencingPatch{AccessCode: set("50a71")},
			selfcare.Conferencing{}, []string{"accessCode"}},
		{"digits of another script are refused", selfcare.ConferencingPatch{
			AccessCode: set("5٠271")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"a space is refused", selfcare.ConferencingPatch{AccessCode: set("502 719")},
			selfcare.Conferencing{}, []string{"accessCode"}},

		// The trivial-PIN rules, one each.
		{"a digit three times in a row is refused", selfcare.ConferencingPatch{
			AccessCode: set("5000719")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"a run is refused", selfcare.ConferencingPatch{AccessCode: set("34567")},
			selfcare.Conferencing{}, []string{"accessCode"}},
		{"a falling run is refused", selfcare.ConferencingPatch{AccessCode: set("6543")},
			selfcare.Conferencing{}, []string{"accessCode"}},
		{"a repeated group is refused", selfcare.ConferencingPatch{
			AccessCode: set("503503")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"two different digits are refused", selfcare.ConferencingPatch{
			AccessCode: set("5005")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"a keypad column is refused", selfcare.ConferencingPatch{
			AccessCode: set("963")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"the user's extension is refused", selfcare.ConferencingPatch{
			AccessCode: set("940219")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"the extension reversed is refused", selfcare.ConferencingPatch{
			AccessCode: set("1204")}, selfcare.Conferencing{}, []string{"accessCode"}},
		{"the name on the keypad is refused", selfcare.ConferencingPatch{
			AccessCode: set("25423")}, selfcare.Conferencing{}, []string{"accessCode"}},

		// On needs a code.
		{"on without a code is refused", selfcare.ConferencingPatch{Enabled: on},
			selfcare.Conferencing{}, []string{"enabled"}},
		{"on with the code set to null is refused", selfcare.ConferencingPatch{
			Enabled: on, AccessCode: null()}, selfcare.Conferencing{},
			[]string{"enabled"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			got, err := s.svc.UpdateConferencing(s.ctx, s.alice, c.patch, 0, testAddr)
			var fields []string
			var ve *selfcare.ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					fields = append(fields, f.Field)
				}
			}
			if d := cmp.Diff(c.fields, fields); d != "" {
				t.Fatalf("refused fields (-want +got):\n%s\nerr %v", d, err)
			}
			stored, rerr := s.svc.Conferencing(s.ctx, s.alice)
			if rerr != nil {
				t.Fatal(rerr)
			}
			e := s.lastAudit(selfcare.ActionConferencing)
			if c.fields != nil {
				if !errors.Is(err, selfcare.ErrInvalid) || stored.Version != 0 {
					t.Errorf("err %v; stored %+v", err, stored)
				}
				if e.Outcome != selfcare.OutcomeDenied {
					t.Errorf("refusal audited as %+v", e)
				}
			} else {
				want := c.want
				want.UserID, want.Version = "alice", 1
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("saved (-want +got):\n%s", d)
				}
				if d := cmp.Diff(want, stored); d != "" {
					t.Errorf("stored (-want +got):\n%s", d)
				}
				if e.Outcome != selfcare.OutcomeOK || e.RemoteAddr != testAddr {
					t.Errorf("change audited as %+v", e)
				}
			}
			if code := c.patch.AccessCode.Value; code != "" &&
				strings.Contains(e.Detail, code) {
				t.Errorf("the audit trail shows the code: %q", e.Detail)
			}
		})
	}
}

func TestUpdateConferencingPatchesAndVersions(t *testing.T) {
	s := newForwardSite(t)
	up := func(p selfcare.ConferencingPatch, v int64) (selfcare.Conferencing, error) {
		return s.svc.UpdateConferencing(s.ctx, s.alice, p, v, testAddr)
	}
	if _, err := up(selfcare.ConferencingPatch{Enabled: selfcare.Set(true),
		AccessCode: selfcare.Set("52719")}, 0); err != nil {
		t.Fatal(err)
	}

	// Toggling one field keeps the other.
	off, err := up(selfcare.ConferencingPatch{Enabled: selfcare.Set(false)}, 1)
	if err != nil || off.AccessCode != "52719" || off.Enabled || off.Version != 2 {
		t.Fatalf("off: %+v %v", off, err)
	}
	// A stale version changes nothing and is audited.
	if _, err := up(selfcare.ConferencingPatch{AccessCode: selfcare.Set("80413")},
		1); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Fatalf("stale: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionConferencing); e.Outcome != selfcare.OutcomeDenied ||
		!strings.Contains(e.Detail, "stale version 1, stored 2") {
		t.Errorf("stale write audited as %+v", e)
	}
	// Null returns the code to none; the change is audited without codes.
	cleared, err := up(selfcare.ConferencingPatch{AccessCode: selfcare.Null[string]()}, 2)
	if err != nil || cleared.AccessCode != "" || cleared.Version != 3 {
		t.Fatalf("null: %+v %v", cleared, err)
	}
	e := s.lastAudit(selfcare.ActionConferencing)
	if e.Detail != "off, access code set -> off, no access code (version 3)" {
		t.Errorf("audit detail %q", e.Detail)
	}
	// Saving what is stored saves nothing.
	same, err := up(selfcare.ConferencingPatch{Enabled: selfcare.Set(false)}, 3)
	if err != nil || same.Version != 3 {
		t.Errorf("no-op: %+v %v", same, err)
	}
	// The setting is alice's alone.
	if b, err := s.svc.Conferencing(s.ctx, s.bob); err != nil ||
		b != selfcare.DefaultConferencing("bob") {
		t.Errorf("bob reads %+v %v", b, err)
	}
}

func TestConferencingChangedCodeIsAuditedAsChanged(t *testing.T) {
	s := newForwardSite(t)
	if _, err := s.svc.UpdateConferencing(s.ctx, s.alice, selfcare.ConferencingPatch{
		AccessCode: selfcare.Set("52719")}, 0, testAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.UpdateConferencing(s.ctx, s.alice, selfcare.ConferencingPatch{
		AccessCode: selfcare.Set("80413")}, 1, testAddr); err != nil {
		t.Fatal(err)
	}
	e := s.lastAudit(selfcare.ActionConferencing)
	if e.Detail != "off, access code set -> off, access code changed (version 2)" {
		t.Errorf("audit detail %q", e.Detail)
	}
}

func TestConferencingGate(t *testing.T) {
	s := newForwardSite(t)
	s.setParam(params.KeyShowConferencing, "false")
	_, err := s.svc.Conferencing(s.ctx, s.alice)
	var ge *params.GateError
	if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowConferencing {
		t.Errorf("hidden read: %v", err)
	}
	_, err = s.svc.UpdateConferencing(s.ctx, s.alice, selfcare.ConferencingPatch{
		AccessCode: selfcare.Set("52719")}, 0, testAddr)
	if !errors.Is(err, params.ErrFeatureHidden) {
		t.Errorf("hidden write: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionConferencing); e.Outcome != selfcare.OutcomeDenied {
		t.Errorf("hidden write audited as %+v", e)
	}
	if _, err := s.svc.Conferencing(s.ctx, nil); !errors.Is(err,
		selfcare.ErrUnauthenticated) {
		t.Errorf("no principal: %v", err)
	}
}

func TestConferencingStringNeverShowsTheCode(t *testing.T) {
	c := selfcare.Conferencing{UserID: "alice", Enabled: true, AccessCode: "52719"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "52719") {
			t.Errorf("%q shows the code", s)
		}
	}
}

// BenchmarkUpdateConferencing changes the access code, rules and audit
// included, on the memory store.
func BenchmarkUpdateConferencing(b *testing.B) {
	s := newForwardSite(b)
	codes := []string{"52719", "80413"}
	var version int64
	for b.Loop() {
		c, err := s.svc.UpdateConferencing(s.ctx, s.alice, selfcare.ConferencingPatch{
			AccessCode: selfcare.Set(codes[version%2])}, version, testAddr)
		if err != nil {
			b.Fatal(err)
		}
		version = c.Version
	}
}
