package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

func TestUpdateSpeedDials(t *testing.T) {
	bank := selfcare.SpeedDial{Position: 1, Destination: "95551234,1234,5678#",
		Label: "Bank"}
	ben := selfcare.SpeedDial{Position: 2, Destination: "4031"}
	cases := []struct {
		name    string
		entries []selfcare.SpeedDial
		is      error
		fields  []string
	}{
		{"a good list is saved", []selfcare.SpeedDial{ben, bank}, nil, nil},
		{"a repeated position is taken", []selfcare.SpeedDial{bank,
			{Position: 1, Destination: "4031"}}, selfcare.ErrPositionTaken,
			[]string{"speedDials[1].position"}},
		{"every bad field is named", []selfcare.SpeedDial{
			{Position: 0, Destination: "4031"},
			{Position: 3, Destination: "95551234,1234"},
			{Position: 4, Destination: "9011441632960961"},
			{Position: 5, Destination: "4031", Label: strings.Repeat("x", 33)},
			{Position: 6, Destination: "4031", Label: "a\u200bb"},
		}, selfcare.ErrInvalid, []string{"speedDials[0].position",
			"speedDials[1].label", "speedDials[2].destination", "speedDials[3].label",
			"speedDials[4].label"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			got, err := s.svc.UpdateSpeedDials(s.ctx, s.alice, "SEPALICE", c.entries, 0,
				"192.0.2.1")
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
			stored, rerr := s.svc.SpeedDials(s.ctx, s.alice, "SEPALICE")
			if rerr != nil {
				t.Fatal(rerr)
			}
			if c.is != nil {
				if stored.Version != 0 {
					t.Errorf("refused list stored: %+v", stored)
				}
				if e := s.lastAudit(selfcare.ActionSpeedDials); e.Outcome !=
					selfcare.OutcomeDenied {
					t.Errorf("refusal audited as %+v", e)
				}
				return
			}
			if got.Version != 1 || stored.Version != 1 ||
				len(got.Entries) != len(c.entries) {
				t.Errorf("saved %+v, stored %+v", got, stored)
			}
			if len(c.entries) == 2 && got.Entries[0] != bank {
				t.Errorf("entries not ordered by position: %+v", got.Entries)
			}
		})
	}
}

func TestUpdateSpeedDialsWithoutAChangeKeepsTheVersion(t *testing.T) {
	s := newForwardSite(t)
	one := []selfcare.SpeedDial{{Position: 2, Destination: "4031"}}
	steps := []struct {
		entries       []selfcare.SpeedDial
		ifMatch, want int64
	}{
		{nil, 0, 0}, // the same as a list never saved
		{one, 0, 1},
		{one, 1, 1},
	}
	for i, st := range steps {
		got, err := s.svc.UpdateSpeedDials(s.ctx, s.alice, "SEPALICE", st.entries,
			st.ifMatch, "")
		if err != nil || got.Version != st.want {
			t.Errorf("save %d: version %d %v, want %d", i, got.Version, err, st.want)
		}
	}
}

func TestSpeedDialsOfAnotherUsersPhoneAreNotFound(t *testing.T) {
	s := newForwardSite(t)
	for _, dev := range []string{"SEPBOB", "SEPNOBODY"} {
		if _, err := s.svc.SpeedDials(s.ctx, s.alice, dev); !errors.Is(err,
			selfcare.ErrNotFound) {
			t.Errorf("read %s: %v, want ErrNotFound", dev, err)
		}
		_, err := s.svc.UpdateSpeedDials(s.ctx, s.alice, dev, nil, 0, "192.0.2.1")
		if !errors.Is(err, selfcare.ErrNotFound) {
			t.Errorf("update %s: %v, want ErrNotFound", dev, err)
		}
	}
	s.setParam(params.KeyShowSpeedDials, "false")
	if _, err := s.svc.SpeedDials(s.ctx, s.alice, "SEPALICE"); !errors.Is(err,
		params.ErrFeatureHidden) {
		t.Errorf("hidden: %v", err)
	}
}

func TestUpdateDoNotDisturb(t *testing.T) {
	s := newForwardSite(t)
	on := selfcare.DNDPatch{Enabled: selfcare.Set(true),
		Alert: selfcare.Set(selfcare.DNDAlertFlashOnly)}
	got, err := s.svc.UpdateDoNotDisturb(s.ctx, s.alice, on, 0, "192.0.2.1")
	want := selfcare.DoNotDisturb{UserID: "alice", Enabled: true,
		Option: selfcare.DNDRingerOff, Alert: selfcare.DNDAlertFlashOnly, Version: 1}
	if err != nil || got != want {
		t.Fatalf("turn on: %+v %v, want %+v", got, err, want)
	}
	if e := s.lastAudit(selfcare.ActionDND); !strings.Contains(e.Detail,
		"off, ringerOff, alert disable -> on, ringerOff, alert flashOnly") {
		t.Errorf("audit %+v", e)
	}
	if _, err := s.svc.UpdateDoNotDisturb(s.ctx, s.alice, on, 0, ""); !errors.Is(err,
		selfcare.ErrVersionConflict) {
		t.Errorf("stale: %v", err)
	}
	bad := selfcare.DNDPatch{Option: selfcare.Set(selfcare.DNDOption(2)),
		Alert: selfcare.Set(selfcare.DNDAlert(3))}
	_, err = s.svc.UpdateDoNotDisturb(s.ctx, s.alice, bad, 1, "")
	var ve *selfcare.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Errorf("values outside the constants: %v", err)
	}
	if d, _ := s.svc.DoNotDisturb(s.ctx, s.bob); d.Enabled || d.Version != 0 {
		t.Errorf("bob's setting changed: %+v", d)
	}
}
