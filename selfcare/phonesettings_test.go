package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// newPhoneSite is the forwarding site with an administrator's description
// on alice's phone.
func newPhoneSite(tb testing.TB) *forwardSite {
	tb.Helper()
	s := newForwardSite(tb)
	s.putDevice("SEPALICE", "alice", "Front desk")
	return s
}

// putDevice puts the phone as an administrator would, with one line.
func (s *forwardSite) putDevice(name, owner, adminDescription string) {
	s.tb.Helper()
	err := s.svc.PutDevice(s.ctx, "", selfcare.Device{Name: name, Owner: owner,
		Model: "Cisco 8841", AdminDescription: adminDescription,
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}})
	if err != nil {
		s.tb.Fatalf("PutDevice: %v", err)
	}
}

func TestUpdatePhone(t *testing.T) {
	str := selfcare.Set[string]
	cases := []struct {
		name   string
		patch  selfcare.PhoneSettingsPatch
		is     error
		fields []string
		// desc and source are what the phone shows afterwards; locale its
		// stored display language.
		desc, source, locale string
	}{
		{"the user's description overrides the administrator's",
			selfcare.PhoneSettingsPatch{Description: str("My desk")}, nil, nil,
			"My desk", selfcare.SourceUser, ""},
		{"an installed display language is kept",
			selfcare.PhoneSettingsPatch{PhoneLocale: str("fr_FR")}, nil, nil,
			"Front desk", selfcare.SourceAdmin, "fr_FR"},
		{"50 characters are enough",
			selfcare.PhoneSettingsPatch{Description: str(strings.Repeat("é", 50))}, nil,
			nil, strings.Repeat("é", 50), selfcare.SourceUser, ""},
		{"51 characters are refused",
			selfcare.PhoneSettingsPatch{Description: str(strings.Repeat("x", 51))},
			selfcare.ErrInvalid, []string{"description"}, "Front desk",
			selfcare.SourceAdmin, ""},
		{"a line break is refused",
			selfcare.PhoneSettingsPatch{Description: str("a\nb")}, selfcare.ErrInvalid,
			[]string{"description"}, "Front desk", selfcare.SourceAdmin, ""},
		{"a bidi override is refused",
			selfcare.PhoneSettingsPatch{Description: str("a\u202eb")},
			selfcare.ErrInvalid, []string{"description"}, "Front desk",
			selfcare.SourceAdmin, ""},
		{"spaces alone are refused",
			selfcare.PhoneSettingsPatch{Description: str("   ")}, selfcare.ErrInvalid,
			[]string{"description"}, "Front desk", selfcare.SourceAdmin, ""},
		{"a language that is not installed is refused, with a bad description",
			selfcare.PhoneSettingsPatch{Description: str("\x1b[2J"),
				PhoneLocale: str("xx_XX")}, selfcare.ErrInvalid,
			[]string{"description", "phoneLocale"}, "Front desk", selfcare.SourceAdmin, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newPhoneSite(t)
			got, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE", c.patch, 0, testAddr)
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
			stored, rerr := s.svc.Phone(s.ctx, s.alice, "SEPALICE")
			if rerr != nil {
				t.Fatal(rerr)
			}
			if desc, src := stored.Description(); desc != c.desc || src != c.source ||
				stored.Settings.PhoneLocale != c.locale {
				t.Errorf("stored %q (%s) locale %q, want %q (%s) %q", desc, src,
					stored.Settings.PhoneLocale, c.desc, c.source, c.locale)
			}
			wantVersion := int64(1)
			outcome := selfcare.OutcomeOK
			if c.is != nil {
				wantVersion, outcome = 0, selfcare.OutcomeDenied
			} else if got.Settings.Version != 1 {
				t.Errorf("returned version %d, want 1", got.Settings.Version)
			}
			if stored.Settings.Version != wantVersion {
				t.Errorf("stored version %d, want %d", stored.Settings.Version, wantVersion)
			}
			e := s.lastAudit(selfcare.ActionPhoneSettings)
			if e.Outcome != outcome || e.Target != "phone SEPALICE" || e.Actor != "alice" ||
				e.RemoteAddr != testAddr {
				t.Errorf("audit %+v, want %s", e, outcome)
			}
		})
	}
}

func TestUpdatePhoneMergesAndGuards(t *testing.T) {
	s := newPhoneSite(t)
	set := selfcare.Set[string]
	if _, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE", selfcare.PhoneSettingsPatch{
		Description: set("My desk"), PhoneLocale: set("de_DE")}, 0, testAddr); err != nil {
		t.Fatal(err)
	}

	t.Run("an absent field stays and null gives the administrator's back", func(t *testing.T) {
		got, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE",
			selfcare.PhoneSettingsPatch{Description: selfcare.Null[string]()}, 1, testAddr)
		if err != nil {
			t.Fatal(err)
		}
		desc, src := got.Description()
		loc, lsrc := got.PhoneLocale()
		if desc != "Front desk" || src != selfcare.SourceAdmin || loc != "de_DE" ||
			lsrc != selfcare.SourcePhone || got.Settings.Version != 2 {
			t.Errorf("got %q (%s), %q (%s), version %d", desc, src, loc, lsrc,
				got.Settings.Version)
		}
		if !strings.Contains(s.lastAudit(selfcare.ActionPhoneSettings).Detail,
			`description="My desk" phoneLocale="de_DE" -> description="" phoneLocale="de_DE"`) {
			t.Errorf("audit %q lacks old and new", s.lastAudit(
				selfcare.ActionPhoneSettings).Detail)
		}
	})

	t.Run("a stale version is a conflict and changes nothing", func(t *testing.T) {
		_, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE",
			selfcare.PhoneSettingsPatch{Description: set("Lost")}, 1, testAddr)
		if !errors.Is(err, selfcare.ErrVersionConflict) {
			t.Fatalf("err %v", err)
		}
		if got, _ := s.svc.Phone(s.ctx, s.alice, "SEPALICE"); got.Settings.Version != 2 {
			t.Errorf("version %d after a conflict", got.Settings.Version)
		}
	})

	t.Run("another user's phone is not found, as a missing one", func(t *testing.T) {
		for _, dev := range []string{"SEPALICE", "SEPNOBODY"} {
			_, rerr := s.svc.Phone(s.ctx, s.bob, dev)
			_, uerr := s.svc.UpdatePhone(s.ctx, s.bob, dev,
				selfcare.PhoneSettingsPatch{Description: set("Bob's now")}, 2, testAddr)
			if !errors.Is(rerr, selfcare.ErrNotFound) || !errors.Is(uerr,
				selfcare.ErrNotFound) {
				t.Errorf("%s: read %v, update %v", dev, rerr, uerr)
			}
		}
		if got, _ := s.svc.Phone(s.ctx, s.alice, "SEPALICE"); got.Settings.Version != 2 {
			t.Errorf("bob changed alice's phone: %+v", got.Settings)
		}
	})

	t.Run("the display language is refused while the parameter hides it", func(t *testing.T) {
		s.setParam(params.KeyShowPhoneLocale, "false")
		defer s.setParam(params.KeyShowPhoneLocale, "true")
		_, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE",
			selfcare.PhoneSettingsPatch{PhoneLocale: set("fr_FR")}, 2, testAddr)
		var ge *params.GateError
		if !errors.As(err, &ge) || !strings.Contains(err.Error(),
			params.KeyShowPhoneLocale) {
			t.Fatalf("err %v, want a gate error naming the parameter", err)
		}
		got, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE",
			selfcare.PhoneSettingsPatch{Description: set("Still mine")}, 2, testAddr)
		if err != nil || got.Settings.PhoneLocale != "" {
			t.Errorf("description while hidden: %v, locale %q shown", err,
				got.Settings.PhoneLocale)
		}
	})
}

func TestPhoneDescriptionAndOwnerChanges(t *testing.T) {
	s := newPhoneSite(t)
	if _, err := s.svc.UpdatePhone(s.ctx, s.alice, "SEPALICE", selfcare.PhoneSettingsPatch{
		Description: selfcare.Set("Alice's desk")}, 0, testAddr); err != nil {
		t.Fatal(err)
	}
	shown := func(p *selfcare.Principal) string {
		t.Helper()
		ds, err := s.svc.Phones(s.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Name == "SEPALICE" {
				return d.Description + "|" + d.AdminDescription
			}
		}
		return "none"
	}

	s.putDevice("SEPALICE", "alice", "Renamed by admin")
	if got := shown(s.alice); got != "Alice's desk|Renamed by admin" {
		t.Errorf("after the administrator's put: %q", got)
	}
	s.putDevice("SEPALICE", "bob", "Spare")
	if got := shown(s.bob); got != "|Spare" {
		t.Errorf("the new owner sees %q", got)
	}
	got, err := s.svc.Phone(s.ctx, s.bob, "SEPALICE")
	if err != nil || got.Settings.Version != 0 || got.Settings.Description != "" {
		t.Errorf("the new owner's settings: %+v, %v", got.Settings, err)
	}
	if shown(s.alice) != "none" {
		t.Error("the former owner still has the phone")
	}
}

func TestUpdateLanguage(t *testing.T) {
	s := newForwardSite(t)
	cur, err := s.svc.Language(s.ctx, s.alice)
	if err != nil || cur.Locale != selfcare.DefaultLocale || cur.Version != 0 {
		t.Fatalf("fresh: %+v %v", cur, err)
	}
	cases := []struct {
		name    string
		locale  selfcare.PatchField[string]
		ifMatch int64
		is      error
		want    string
	}{
		{"an installed locale is saved", selfcare.Set("fr_FR"), 0, nil, "fr_FR"},
		{"a locale not installed is refused", selfcare.Set("de_CH"), 1,
			selfcare.ErrInvalid, "fr_FR"},
		{"a stale version is a conflict", selfcare.Set("de_DE"), 0,
			selfcare.ErrVersionConflict, "fr_FR"},
		{"null returns to the first installed locale", selfcare.Null[string](), 1, nil,
			"en_US"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.svc.UpdateLanguage(s.ctx, s.alice, c.locale, c.ifMatch, testAddr)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			got, err := s.svc.Language(s.ctx, s.alice)
			if err != nil || got.Locale != c.want {
				t.Errorf("stored %+v %v, want %s", got, err, c.want)
			}
			outcome := selfcare.OutcomeOK
			if c.is != nil {
				outcome = selfcare.OutcomeDenied
			}
			if e := s.lastAudit(selfcare.ActionLanguage); e.Outcome != outcome ||
				e.Target != "user alice" {
				t.Errorf("audit %+v, want %s", e, outcome)
			}
		})
	}
	if bob, _ := s.svc.Language(s.ctx, s.bob); bob.Locale != selfcare.DefaultLocale {
		t.Errorf("bob's language changed to %s", bob.Locale)
	}
}

func TestInstalledLocales(t *testing.T) {
	for _, c := range []struct {
		name   string
		list   []string
		fields []string
	}{
		{"the defaults pass", selfcare.DefaultInstalledLocales, nil},
		{"a numeric region passes", []string{"es_419"}, nil},
		{"an empty list is refused", nil, []string{"installedLocales"}},
		{"a bad name and a repeat are named", []string{"en_US", "EN-us", "en_US"},
			[]string{"installedLocales[1]", "installedLocales[2]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fields []string
			var ve *selfcare.ValidationError
			if err := selfcare.CheckInstalledLocales(c.list); errors.As(err, &ve) {
				for _, f := range ve.Fields {
					fields = append(fields, f.Field)
				}
			}
			if d := cmp.Diff(c.fields, fields); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
		})
	}

	t.Run("a bad list in Config gives the defaults", func(t *testing.T) {
		f := newFixture(t, selfcare.Config{InstalledLocales: []string{"fr_FR", "fr-FR"}})
		if got := f.svc.InstalledLocales(); len(got) != len(selfcare.DefaultInstalledLocales) ||
			got[0].Code != "en_US" || got[0].Name != "English (United States)" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("a good list in Config is kept in order", func(t *testing.T) {
		f := newFixture(t, selfcare.Config{InstalledLocales: []string{"fr_CA", "xh_ZA"}})
		want := []selfcare.Locale{{Code: "fr_CA", Name: "French (Canada)"},
			{Code: "xh_ZA", Name: "xh_ZA"}}
		if d := cmp.Diff(want, f.svc.InstalledLocales()); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}
