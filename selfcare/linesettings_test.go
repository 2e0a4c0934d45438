package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// newLineSite is a forward site with every part of the line settings
// shown: ring settings and line labels are hidden by default.
func newLineSite(tb testing.TB) *forwardSite {
	tb.Helper()
	s := newForwardSite(tb)
	s.setParam(params.KeyShowRingSettings, "true")
	s.setParam(params.KeyShowLineLabels, "true")
	return s
}

func TestUpdateLineSettings(t *testing.T) {
	cases := []struct {
		name   string
		hide   string // a parameter set to false first
		patch  selfcare.LineSettingsPatch
		is     error
		fields []string
		want   func(*selfcare.LineSettings) // the change to the defaults
	}{
		{name: "every part is saved when shown", patch: selfcare.LineSettingsPatch{
			RingIdle: selfcare.Set(selfcare.RingFlashOnly), RingOnCall: selfcare.Set(
				selfcare.RingBeepOnly), Label: selfcare.Set("Sales"),
			MWIVisual:      selfcare.Set(selfcare.MWILightOnly),
			MWIAudible:     selfcare.Set(selfcare.MWIAudibleOn),
			LogMissedCalls: selfcare.Set(false)},
			want: func(l *selfcare.LineSettings) {
				l.RingIdle, l.RingOnCall, l.Label = selfcare.RingFlashOnly,
					selfcare.RingBeepOnly, "Sales"
				l.MWIVisual, l.MWIAudible = selfcare.MWILightOnly, selfcare.MWIAudibleOn
				l.LogMissedCalls = false
			}},
		{name: "one field changes only itself", patch: selfcare.LineSettingsPatch{
			MWIAudible: selfcare.Set(selfcare.MWIAudibleOff)},
			want: func(l *selfcare.LineSettings) { l.MWIAudible = selfcare.MWIAudibleOff }},
		{name: "a hidden part refuses the whole patch", hide: params.KeyShowLineLabels,
			patch: selfcare.LineSettingsPatch{RingIdle: selfcare.Set(selfcare.RingRing),
				Label: selfcare.Set("Sales")}, is: params.ErrFeatureHidden},
		{name: "hidden ring settings refuse a ring change",
			hide: params.KeyShowRingSettings, patch: selfcare.LineSettingsPatch{
				RingOnCall: selfcare.Null[selfcare.RingSetting]()},
			is: params.ErrFeatureHidden},
		{name: "hidden call history refuses logging",
			hide:  params.KeyShowCallHistory,
			patch: selfcare.LineSettingsPatch{LogMissedCalls: selfcare.Set(false)},
			is:    params.ErrFeatureHidden},
		{name: "hidden message waiting refuses the prompt",
			hide: params.KeyShowMessageWaiting, patch: selfcare.LineSettingsPatch{
				MWIVisual: selfcare.Set(selfcare.MWINone)}, is: params.ErrFeatureHidden},
		{name: "a hidden part not touched is no obstacle",
			hide: params.KeyShowCallHistory, patch: selfcare.LineSettingsPatch{
				Label: selfcare.Set("Desk")},
			want: func(l *selfcare.LineSettings) { l.Label = "Desk" }},
		{name: "every bad value is named", patch: selfcare.LineSettingsPatch{
			RingIdle:   selfcare.Set(selfcare.RingSetting(6)),
			RingOnCall: selfcare.Set(selfcare.RingSetting(9)),
			MWIVisual:  selfcare.Set(selfcare.MWIVisual(5)),
			MWIAudible: selfcare.Set(selfcare.MWIAudible(3)),
			Label:      selfcare.Set(strings.Repeat("é", selfcare.MaxLineLabel+1))},
			is: selfcare.ErrInvalid, fields: []string{"notOnACallRingPreference",
				"onACallRingPreference", "messageWaitingVisualAlertPreference",
				"messageWaitingAudibleAlertPreference", "label"}},
		{name: "a label with a line break is refused", patch: selfcare.LineSettingsPatch{
			Label: selfcare.Set("Sales\r\nINJECT")}, is: selfcare.ErrInvalid,
			fields: []string{"label"}},
		{name: "a label with a bidi override is refused",
			patch: selfcare.LineSettingsPatch{Label: selfcare.Set("a\u202eb")},
			is:    selfcare.ErrInvalid, fields: []string{"label"}},
		{name: "a blank label is refused", patch: selfcare.LineSettingsPatch{
			Label: selfcare.Set("   ")}, is: selfcare.ErrInvalid, fields: []string{"label"}},
		{name: "a label of the longest length is saved", patch: selfcare.LineSettingsPatch{
			Label: selfcare.Set(strings.Repeat("é", selfcare.MaxLineLabel))},
			want: func(l *selfcare.LineSettings) {
				l.Label = strings.Repeat("é", selfcare.MaxLineLabel)
			}},
		{name: "administrator fields are refused with the rest",
			patch: selfcare.LineSettingsPatch{Label: selfcare.Set("Sales"),
				AdminFields: []string{"extension", "adminLabel"}},
			is: selfcare.ErrInvalid, fields: []string{"extension", "adminLabel"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newLineSite(t)
			if c.hide != "" {
				s.setParam(c.hide, "false")
			}
			got, err := s.svc.UpdateLineSettings(s.ctx, s.alice, "SEPALICE", 2, c.patch,
				0, testAddr)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			var ve *selfcare.ValidationError
			var fields []string
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					fields = append(fields, f.Field)
				}
			}
			if d := cmp.Diff(c.fields, fields); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			stored, err := s.store.LineSettings(s.ctx, "SEPALICE", 2)
			if err != nil {
				t.Fatal(err)
			}
			if c.is != nil {
				if stored.Version != 0 {
					t.Errorf("refused patch stored: %+v", stored)
				}
				if e := s.lastAudit(selfcare.ActionLineSettings); e.Outcome !=
					selfcare.OutcomeDenied || e.RemoteAddr != testAddr {
					t.Errorf("refusal audited as %+v", e)
				}
				return
			}
			want := selfcare.DefaultLineSettings("SEPALICE", 2)
			want.Owner, want.Extension, want.Version = "alice", "4022", 1
			c.want(&want)
			if d := cmp.Diff(want, stored); d != "" {
				t.Errorf("stored (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, got.Settings); d != "" {
				t.Errorf("returned (-want +got):\n%s", d)
			}
			if e := s.lastAudit(selfcare.ActionLineSettings); e.Outcome !=
				selfcare.OutcomeOK || !strings.Contains(e.Detail, "(version 1)") ||
				e.Target != "phone SEPALICE line 2" {
				t.Errorf("change audited as %+v", e)
			}
		})
	}
}

func TestUpdateLineSettingsVersionsAndNull(t *testing.T) {
	s := newLineSite(t)
	set := selfcare.LineSettingsPatch{Label: selfcare.Set("Sales"),
		LogMissedCalls: selfcare.Set(false), RingIdle: selfcare.Set(selfcare.RingOnce)}
	steps := []struct {
		name    string
		patch   selfcare.LineSettingsPatch
		ifMatch int64
		is      error
		version int64
		label   string
		logs    bool
	}{
		{"the first save takes version 1", set, 0, nil, 1, "Sales", false},
		{"the same values keep the version", set, 1, nil, 1, "Sales", false},
		{"a stale version is a conflict", selfcare.LineSettingsPatch{
			Label: selfcare.Set("Late")}, 0, selfcare.ErrVersionConflict, 1, "Sales",
			false},
		{"null returns to the defaults", selfcare.LineSettingsPatch{
			Label: selfcare.Null[string](), LogMissedCalls: selfcare.Null[bool]()}, 1,
			nil, 2, "", true},
		{"an empty label is none", selfcare.LineSettingsPatch{
			Label: selfcare.Set("")}, 2, nil, 2, "", true},
	}
	for _, st := range steps {
		got, err := s.svc.UpdateLineSettings(s.ctx, s.alice, "SEPALICE", 1, st.patch,
			st.ifMatch, testAddr)
		if !errors.Is(err, st.is) {
			t.Fatalf("%s: err %v, want %v", st.name, err, st.is)
		}
		cur, rerr := s.svc.LineAppearance(s.ctx, s.alice, "SEPALICE", 1)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err == nil && got != cur {
			t.Errorf("%s: returned %+v, stored %+v", st.name, got, cur)
		}
		l := cur.Settings
		if l.Version != st.version || l.Label != st.label || l.LogMissedCalls != st.logs ||
			l.RingIdle != selfcare.RingOnce {
			t.Errorf("%s: stored %+v", st.name, l)
		}
	}
}

func TestLineSettingsOfAnotherUsersPhoneAreNotFound(t *testing.T) {
	s := newLineSite(t)
	label := selfcare.LineSettingsPatch{Label: selfcare.Set("Mine")}
	if _, err := s.svc.UpdateLineSettings(s.ctx, s.bob, "SEPBOB", 1, label, 0,
		""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		device string
		index  int
	}{{"SEPBOB", 1}, {"SEPBOB", 2}, {"SEPNOBODY", 1}, {"SEPALICE", 3}, {"SEPALICE", 0}} {
		if _, err := s.svc.LineAppearance(s.ctx, s.alice, c.device, c.index); !errors.Is(
			err, selfcare.ErrNotFound) {
			t.Errorf("read %s/%d: %v, want ErrNotFound", c.device, c.index, err)
		}
		_, err := s.svc.UpdateLineSettings(s.ctx, s.alice, c.device, c.index, label, 1,
			testAddr)
		if !errors.Is(err, selfcare.ErrNotFound) {
			t.Errorf("update %s/%d: %v, want ErrNotFound", c.device, c.index, err)
		}
		if e := s.lastAudit(selfcare.ActionLineSettings); e.Actor != "alice" ||
			e.Outcome != selfcare.OutcomeDenied {
			t.Errorf("probe audited as %+v", e)
		}
	}
	if _, err := s.svc.LineAppearances(s.ctx, s.alice, "SEPBOB"); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("list of bob's phone: %v", err)
	}
	got, err := s.svc.LineAppearance(s.ctx, s.bob, "SEPBOB", 1)
	if err != nil || got.Settings.Label != "Mine" || got.Settings.Version != 1 {
		t.Errorf("bob's line: %+v %v", got, err)
	}
}

func TestLineSettingsDoNotFollowThePhoneToANewOwner(t *testing.T) {
	s := newLineSite(t)
	patch := selfcare.LineSettingsPatch{Label: selfcare.Set("Alice's"),
		MWIVisual: selfcare.Set(selfcare.MWINone)}
	if _, err := s.svc.UpdateLineSettings(s.ctx, s.alice, "SEPALICE", 1, patch, 0,
		""); err != nil {
		t.Fatal(err)
	}
	put := func(owner string, lines ...selfcare.Line) {
		t.Helper()
		if err := s.svc.PutDevice(s.ctx, "", selfcare.Device{Name: "SEPALICE",
			Owner: owner, Lines: lines}); err != nil {
			t.Fatal(err)
		}
	}

	// Another number on the button: the settings were for 4021.
	put("alice", selfcare.Line{Index: 1, Extension: "4029"})
	got, err := s.svc.LineAppearance(s.ctx, s.alice, "SEPALICE", 1)
	want := selfcare.DefaultLineSettings("SEPALICE", 1)
	want.Owner, want.Extension, want.Version = "alice", "4029", 1
	if err != nil || got.Settings != want {
		t.Errorf("new number: %+v %v, want %+v", got.Settings, err, want)
	}

	// The number back, but the phone now bob's: still nothing of alice's.
	put("bob", selfcare.Line{Index: 1, Extension: "4021", Label: "Admin's"})
	list, err := s.svc.LineAppearances(s.ctx, s.bob, "SEPALICE")
	want.Owner, want.Extension = "bob", "4021"
	if err != nil || len(list) != 1 || list[0].Settings != want ||
		list[0].ShownLabel() != "Admin's" {
		t.Fatalf("bob's list: %+v %v", list, err)
	}
	if _, err := s.svc.LineAppearance(s.ctx, s.alice, "SEPALICE", 1); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("alice still reads her old phone: %v", err)
	}

	// Bob saves against the version he read; an old ETag of alice's
	// (version 0) never matches again.
	mine := selfcare.LineSettingsPatch{LogMissedCalls: selfcare.Set(false)}
	if _, err := s.svc.UpdateLineSettings(s.ctx, s.bob, "SEPALICE", 1, mine, 0,
		""); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Errorf("version 0: %v", err)
	}
	saved, err := s.svc.UpdateLineSettings(s.ctx, s.bob, "SEPALICE", 1, mine, 1, "")
	if err != nil || saved.Settings.Label != "" || saved.Settings.MWIVisual !=
		selfcare.MWIUseSystemPolicy || saved.Settings.Owner != "bob" ||
		saved.Settings.Version != 2 || saved.ShownLabel() != "Admin's" {
		t.Errorf("bob's save: %+v %v", saved, err)
	}
}

func TestLineSettingsGates(t *testing.T) {
	s := newForwardSite(t) // ring settings and labels hidden: the defaults
	if got := s.svc.VisibleLineSections(s.ctx, s.alice); !cmp.Equal(got,
		[]selfcare.LineSection{selfcare.LineMessageWaiting, selfcare.LineCallHistory}) {
		t.Errorf("visible by default: %v", got)
	}
	s.setParam(params.KeyShowMessageWaiting, "false")
	s.setParam(params.KeyShowCallHistory, "false")
	var ge *params.GateError
	if _, err := s.svc.LineAppearances(s.ctx, s.alice, "SEPALICE"); !errors.As(err, &ge) ||
		ge.ParamKey != params.KeyShowRingSettings {
		t.Errorf("all hidden, list: %v", err)
	}
	_, err := s.svc.UpdateLineSettings(s.ctx, s.alice, "SEPALICE", 1,
		selfcare.LineSettingsPatch{}, 0, "")
	if !errors.Is(err, params.ErrFeatureHidden) {
		t.Errorf("all hidden, empty patch: %v", err)
	}
}

func TestLineSettingNamesRoundTrip(t *testing.T) {
	for r := range selfcare.RingSetting(6) {
		b, err := r.MarshalText()
		var back selfcare.RingSetting
		if err != nil || back.UnmarshalText(b) != nil || back != r {
			t.Errorf("ring %d: %q %v -> %d", r, b, err, back)
		}
	}
	for _, bad := range []string{"", "Ring", "6", "loud"} {
		var r selfcare.RingSetting
		if err := r.UnmarshalText([]byte(bad)); !errors.Is(err, selfcare.ErrInvalid) {
			t.Errorf("ring %q: %v", bad, err)
		}
	}
	if _, err := selfcare.MWIVisual(5).MarshalText(); !errors.Is(err, selfcare.ErrInvalid) {
		t.Errorf("visual 5: %v", err)
	}
	var a selfcare.MWIAudible
	if err := a.UnmarshalText([]byte("default")); err != nil ||
		a != selfcare.MWIAudibleDefault {
		t.Errorf("audible default: %d %v", a, err)
	}
}
