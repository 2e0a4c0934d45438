package selfcare_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// forwardSite is a fixture with three end users: alice (4021 and 4022),
// bob (4031) and carol (4041), each signed in.
type forwardSite struct {
	*fixture
	alice, bob, carol *selfcare.Principal
}

func newForwardSite(tb testing.TB) *forwardSite {
	tb.Helper()
	return newForwardSiteWith(tb, selfcare.Config{})
}

// newForwardSiteWith is newForwardSite with a service built from cfg.
func newForwardSiteWith(tb testing.TB, cfg selfcare.Config) *forwardSite {
	tb.Helper()
	f := newFixture(tb, cfg)
	users := []struct {
		id   string
		exts []string
	}{{"alice", []string{"4021", "4022"}}, {"bob", []string{"4031"}},
		{"carol", []string{"4041"}}}
	for _, u := range users {
		f.addUser(selfcare.User{ID: u.id}, testPassword, testPIN,
			[]string{acl.GroupStandardCCMEndUsers}, u.exts...)
	}
	s := &forwardSite{fixture: f}
	_, s.alice = f.login("alice", testPassword)
	_, s.bob = f.login("bob", testPassword)
	_, s.carol = f.login("carol", testPassword)
	return s
}

// setParam sets a parameter as an administrator would.
func (s *forwardSite) setParam(key, value string) {
	s.tb.Helper()
	if _, err := s.svc.SetParam(s.ctx, selfcare.LocalCaller(""), key, value); err != nil {
		s.tb.Fatalf("SetParam(%s, %s): %v", key, value, err)
	}
}

// read returns the forwarding of ext as p sees it, failing on an error.
func (s *forwardSite) read(p *selfcare.Principal, ext string) selfcare.CallForwarding {
	s.tb.Helper()
	f, err := s.svc.CallForwarding(s.ctx, p, ext)
	if err != nil {
		s.tb.Fatalf("CallForwarding(%s): %v", ext, err)
	}
	return f
}

// update applies patch against the current version and returns the error.
func (s *forwardSite) update(p *selfcare.Principal, ext string,
	patch selfcare.ForwardingPatch) (selfcare.CallForwarding, error) {
	s.tb.Helper()
	cur, err := s.svc.CallForwarding(s.ctx, p, ext)
	if err != nil {
		return selfcare.CallForwarding{}, err
	}
	return s.svc.UpdateCallForwarding(s.ctx, p, ext, patch, cur.Version, testAddr)
}

// mustUpdate is update that fails the test on an error.
func (s *forwardSite) mustUpdate(p *selfcare.Principal, ext string,
	patch selfcare.ForwardingPatch) selfcare.CallForwarding {
	s.tb.Helper()
	f, err := s.update(p, ext, patch)
	if err != nil {
		s.tb.Fatalf("update %s: %v", ext, err)
	}
	return f
}

// setRule returns a patch that sets one rule whole.
func setRule(k params.ForwardKind, voicemail bool, dest string) selfcare.ForwardingPatch {
	var p selfcare.ForwardingPatch
	p.Rules[k] = selfcare.Set(selfcare.ForwardRulePatch{
		Voicemail: selfcare.Set(voicemail), Destination: selfcare.Set(dest)})
	return p
}

// cfa returns a patch that forwards all calls to dest.
func cfa(dest string) selfcare.ForwardingPatch {
	return setRule(params.ForwardAllCalls, false, dest)
}

func TestCallForwardingOwnership(t *testing.T) {
	s := newForwardSite(t)
	s.mustUpdate(s.bob, "4031", cfa("4041"))
	before := s.read(s.bob, "4031")

	for _, c := range []struct{ name, ext string }{
		{"another user's line is not found", "4031"},
		{"a number on nobody's phone is not found", "4999"},
		{"an empty number is not found", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.svc.CallForwarding(s.ctx, s.alice, c.ext)
			if !errors.Is(err, selfcare.ErrNotFound) {
				t.Errorf("read: %v, want ErrNotFound", err)
			}
			for _, version := range []int64{0, before.Version} {
				_, err = s.svc.UpdateCallForwarding(s.ctx, s.alice, c.ext, cfa("4021"),
					version, testAddr)
				if !errors.Is(err, selfcare.ErrNotFound) {
					t.Errorf("update at version %d: %v, want ErrNotFound", version, err)
				}
			}
		})
	}
	if d := cmp.Diff(before, s.read(s.bob, "4031")); d != "" {
		t.Errorf("bob's forwarding changed (-before +after):\n%s", d)
	}
}

func TestCallForwardingGate(t *testing.T) {
	busy := setRule(params.ForwardBusyInternal, true, "")
	cases := []struct {
		name, value    string
		readOK, cfaOK  bool
		rulesOK        bool
		wantParamShown string
	}{
		{"show all offers every rule", params.ShowAllSettings, true, true, true, ""},
		{"CFA only refuses the busy and no-answer rules", params.ShowOnlyCFA,
			true, true, false, "Show Only Call Forward All"},
		{"hide all refuses reading and every rule", params.HideAllSettings,
			false, false, false, "Hide All Settings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			s.setParam(params.KeyShowCallForwarding, c.value)

			check := func(what string, err error, ok bool) {
				t.Helper()
				var ge *params.GateError
				switch {
				case ok && err != nil:
					t.Errorf("%s: %v, want it offered", what, err)
				case !ok && !errors.As(err, &ge):
					t.Errorf("%s: %v, want a gate error", what, err)
				case !ok && (ge.ParamKey != params.KeyShowCallForwarding ||
					ge.Value != c.wantParamShown):
					t.Errorf("%s: gate names %s = %q, want %s = %q", what, ge.ParamKey,
						ge.Value, params.KeyShowCallForwarding, c.wantParamShown)
				}
			}
			_, err := s.svc.CallForwarding(s.ctx, s.alice, "4021")
			check("read", err, c.readOK)
			_, err = s.svc.UpdateCallForwarding(s.ctx, s.alice, "4021", cfa("4031"), 0,
				testAddr)
			check("call forward all", err, c.cfaOK)
			v := int64(0)
			if c.cfaOK {
				v = 1
			}
			_, err = s.svc.UpdateCallForwarding(s.ctx, s.alice, "4021", busy, v, testAddr)
			check("busy internal", err, c.rulesOK)
			if !c.rulesOK && c.readOK {
				got := s.read(s.alice, "4021")
				if got.Rules[params.ForwardBusyInternal] != (selfcare.ForwardRule{}) {
					t.Errorf("refused rule was stored: %+v", got)
				}
			}
		})
	}
}

func TestCallForwardingDestinationRefusals(t *testing.T) {
	cases := []struct {
		name  string
		kind  params.ForwardKind
		dest  string
		code  string
		class string
	}{
		{"an international number is refused", params.ForwardAllCalls,
			"9011441632960961", selfcare.DestErrClass, selfcare.ClassInternational},
		{"an international number with + is refused", params.ForwardAllCalls,
			"+441632960961", selfcare.DestErrClass, selfcare.ClassInternational},
		{"an emergency number is refused", params.ForwardNoAnswerExternal,
			"911", selfcare.DestErrClass, selfcare.ClassEmergency},
		{"a premium number is refused", params.ForwardBusyExternal,
			"919005551234", selfcare.DestErrClass, selfcare.ClassPremium},
		{"separators are refused, not stripped", params.ForwardAllCalls,
			"408-555-0100", selfcare.DestErrSeparators, ""},
		{"letters are refused", params.ForwardBusyInternal,
			"call me", selfcare.DestErrCharacters, ""},
		{"forwarding a line to itself is refused", params.ForwardAllCalls,
			"4021", selfcare.DestErrSelf, ""},
		{"busy to itself is refused too", params.ForwardBusyInternal,
			"4021", selfcare.DestErrSelf, ""},
		{"a destination behind voicemail is still checked", params.ForwardAllCalls,
			"911", selfcare.DestErrClass, selfcare.ClassEmergency},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			voicemail := strings.Contains(c.name, "voicemail")
			_, err := s.update(s.alice, "4021", setRule(c.kind, voicemail, c.dest))
			var de *selfcare.DestinationError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a destination error", err)
			}
			if de.Code != c.code || de.Class != c.class || de.Message == "" {
				t.Errorf("refusal %s/%s %q, want %s/%s", de.Code, de.Class, de.Message,
					c.code, c.class)
			}
			var ve *selfcare.ValidationError
			field := selfcare.ForwardRuleName(c.kind) + ".destination"
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != field {
				t.Errorf("validation error %v, want one field %s", ve, field)
			}
			if !errors.Is(err, selfcare.ErrInvalid) {
				t.Errorf("%v does not match ErrInvalid", err)
			}
			if got := s.read(s.alice, "4021"); got.Version != 0 {
				t.Errorf("refused save stored %+v", got)
			}
			if e := s.lastAudit(selfcare.ActionForwarding); e.Outcome != selfcare.OutcomeDenied ||
				!strings.Contains(e.Detail, c.dest) {
				t.Errorf("audit %+v, want the denied destination", e)
			}
		})
	}
}

func TestCallForwardingAcceptsAllowedDestinations(t *testing.T) {
	for _, dest := range []string{"4031", "914085550100", "+14085550100", "*4031"} {
		t.Run(dest+" is stored as typed", func(t *testing.T) {
			s := newForwardSite(t)
			got := s.mustUpdate(s.alice, "4021", cfa(dest))
			if r := got.Rules[params.ForwardAllCalls]; r.Destination != dest || r.Voicemail {
				t.Errorf("stored %+v", r)
			}
		})
	}
}

func TestCallForwardingLoops(t *testing.T) {
	t.Run("a loop between two users' lines is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.mustUpdate(s.bob, "4031", cfa("4021"))
		_, err := s.update(s.alice, "4021", cfa("4031"))
		var de *selfcare.DestinationError
		if !errors.As(err, &de) || de.Code != selfcare.DestErrLoop {
			t.Fatalf("error %v, want a loop", err)
		}
		if d := cmp.Diff([]string{"4021", "4031", "4021"}, de.Path); d != "" {
			t.Errorf("path (-want +got):\n%s", d)
		}
		if got := s.read(s.alice, "4021"); got.Version != 0 {
			t.Errorf("refused loop stored %+v", got)
		}
	})

	t.Run("a chain over the hop count is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.setParam(params.KeyForwardMaxHop, "2")
		s.mustUpdate(s.bob, "4031", cfa("4041"))
		s.mustUpdate(s.carol, "4041", cfa("914085550100"))
		_, err := s.update(s.alice, "4021", cfa("4031"))
		var de *selfcare.DestinationError
		if !errors.As(err, &de) || de.Code != selfcare.DestErrHops || de.Max != 2 {
			t.Fatalf("error %v, want a chain over 2 hops", err)
		}
		// One hop less is fine.
		s.mustUpdate(s.alice, "4021", cfa("4041"))
	})

	t.Run("voicemail wins, so a kept number closes no loop until unticked",
		func(t *testing.T) {
			s := newForwardSite(t)
			s.mustUpdate(s.bob, "4031", cfa("4021"))
			got := s.mustUpdate(s.alice, "4021",
				setRule(params.ForwardAllCalls, true, "4031"))
			r := got.Rules[params.ForwardAllCalls]
			if !r.Voicemail || r.Destination != "4031" || r.Target() != "" {
				t.Fatalf("stored %+v, want voicemail with 4031 kept and inactive", r)
			}
			// Bob's line may now forward on to alice's: her calls go to
			// voicemail, so there is no loop.
			var untick selfcare.ForwardingPatch
			untick.Rules[params.ForwardAllCalls] = selfcare.Set(selfcare.ForwardRulePatch{
				Voicemail: selfcare.Set(false)})
			_, err := s.update(s.alice, "4021", untick)
			var de *selfcare.DestinationError
			if !errors.As(err, &de) || de.Code != selfcare.DestErrLoop {
				t.Errorf("unticking voicemail: %v, want the loop refused", err)
			}
		})
}

func TestCallForwardingPartialUpdates(t *testing.T) {
	s := newForwardSite(t)
	s.mustUpdate(s.alice, "4021", cfa("4031"))
	s.mustUpdate(s.alice, "4021", setRule(params.ForwardBusyInternal, true, ""))
	got := s.mustUpdate(s.alice, "4021", setRule(params.ForwardNoAnswerExternal, false,
		"914085550100"))

	want := selfcare.CallForwarding{Extension: "4021", Version: 3}
	want.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: "4031"}
	want.Rules[params.ForwardBusyInternal] = selfcare.ForwardRule{Voicemail: true}
	want.Rules[params.ForwardNoAnswerExternal] = selfcare.ForwardRule{
		Destination: "914085550100"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("toggling one rule changed another (-want +got):\n%s", d)
	}

	// A null destination clears it alone; a null rule turns it off.
	var p selfcare.ForwardingPatch
	p.Rules[params.ForwardAllCalls] = selfcare.Set(selfcare.ForwardRulePatch{
		Destination: selfcare.Null[string]()})
	p.Rules[params.ForwardBusyInternal] = selfcare.Null[selfcare.ForwardRulePatch]()
	got = s.mustUpdate(s.alice, "4021", p)
	want.Version = 4
	want.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{}
	want.Rules[params.ForwardBusyInternal] = selfcare.ForwardRule{}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("null fields (-want +got):\n%s", d)
	}

	// A patch that changes nothing stores nothing.
	if got = s.mustUpdate(s.alice, "4021", selfcare.ForwardingPatch{}); got.Version != 4 {
		t.Errorf("empty patch moved the version to %d", got.Version)
	}

	// The other line of the same user is its own resource.
	if other := s.read(s.alice, "4022"); other.Version != 0 {
		t.Errorf("line 4022 changed: %+v", other)
	}

	e := s.lastAudit(selfcare.ActionForwarding)
	for _, want := range []string{"callForwardAll: 4031 -> off",
		"busyInternal: voicemail -> off", "version 4"} {
		if !strings.Contains(e.Detail, want) {
			t.Errorf("audit detail %q lacks %q", e.Detail, want)
		}
	}
	if e.Actor != "alice" || e.Target != "line 4021" || e.RemoteAddr != testAddr {
		t.Errorf("audit %+v", e)
	}
}

func TestCallForwardingSharedExtension(t *testing.T) {
	s := newForwardSite(t)
	// A second phone of alice's shows 4021 too: one number, one forward.
	err := s.svc.PutDevice(s.ctx, "", selfcare.Device{Name: "SEPALICEHOME",
		Owner: "alice", Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}})
	if err != nil {
		t.Fatal(err)
	}
	s.mustUpdate(s.alice, "4021", cfa("4031"))
	lines, err := s.svc.ForwardingLines(s.ctx, s.alice)
	if err != nil {
		t.Fatal(err)
	}
	var exts []string
	for _, l := range lines {
		exts = append(exts, l.Extension)
	}
	if d := cmp.Diff([]string{"4021", "4022"}, exts); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if lines[0].Rules[params.ForwardAllCalls].Destination != "4031" {
		t.Errorf("shared line reads %+v", lines[0])
	}
}

func TestCallForwardingVersionConflict(t *testing.T) {
	t.Run("a stale version is refused and changes nothing", func(t *testing.T) {
		s := newForwardSite(t)
		first := s.mustUpdate(s.alice, "4021", cfa("4031"))
		_, err := s.svc.UpdateCallForwarding(s.ctx, s.alice, "4021", cfa("4041"), 0,
			testAddr)
		if !errors.Is(err, selfcare.ErrVersionConflict) {
			t.Fatalf("error %v, want ErrVersionConflict", err)
		}
		if d := cmp.Diff(first, s.read(s.alice, "4021")); d != "" {
			t.Errorf("stale update changed (-before +after):\n%s", d)
		}
	})

	t.Run("of concurrent updates one wins and no change is lost", func(t *testing.T) {
		s := newForwardSite(t)
		patches := []selfcare.ForwardingPatch{
			cfa("4031"),
			setRule(params.ForwardBusyInternal, true, ""),
			setRule(params.ForwardBusyExternal, false, "914085550100"),
			setRule(params.ForwardNoAnswerInternal, true, ""),
			setRule(params.ForwardNoAnswerExternal, false, "4041"),
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			won       int
			conflicts []selfcare.ForwardingPatch
		)
		for _, p := range patches {
			wg.Go(func() {
				_, err := s.svc.UpdateCallForwarding(s.ctx, s.alice, "4021", p, 0,
					testAddr)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, selfcare.ErrVersionConflict):
					conflicts = append(conflicts, p)
				default:
					t.Errorf("update: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 || len(conflicts) != len(patches)-1 {
			t.Fatalf("%d won, %d conflicted; want 1 and %d", won, len(conflicts),
				len(patches)-1)
		}
		// Each loser reads again and retries: every change lands.
		for _, p := range conflicts {
			s.mustUpdate(s.alice, "4021", p)
		}
		got := s.read(s.alice, "4021")
		want := selfcare.CallForwarding{Extension: "4021", Version: int64(len(patches))}
		for _, p := range patches {
			want = p.Apply(want)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("a change was lost (-want +got):\n%s", d)
		}
	})
}
