package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// rdRefusal creates a remote destination with number for p and returns
// the message of the refusal's number field, failing unless it is refused
// with one.
func (s *forwardSite) rdRefusal(p *selfcare.Principal, number string) string {
	s.tb.Helper()
	_, err := s.svc.CreateRemoteDestination(s.ctx, p, selfcare.RemoteDestinationPatch{
		Number: selfcare.Set(number)}, "192.0.2.1")
	var ve *selfcare.ValidationError
	if !errors.As(err, &ve) {
		s.tb.Fatalf("CreateRemoteDestination(%s) = %v, want a validation error", number, err)
	}
	for _, f := range ve.Fields {
		if f.Field == "number" {
			return f.Message
		}
	}
	s.tb.Fatalf("CreateRemoteDestination(%s): fields %v lack number", number, ve.Fields)
	return ""
}

func TestRemoteDestinationRefusesDirectoryLines(t *testing.T) {
	for _, c := range []struct {
		name, number, want string
	}{
		{"another user's line is refused", "4031",
			"4031 is a line of this directory; additional phones are numbers outside it"},
		{"an internal extension no phone has is refused", "4099",
			"4099 is a line of this directory"},
		{"the user's own line keeps its message", "4022",
			"4022 is one of your own lines"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			msg := s.rdRefusal(s.alice, c.number)
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q lacks %q", msg, c.want)
			}
			e := s.lastAudit(selfcare.ActionRemoteDestinationCreate)
			if e.Outcome != selfcare.OutcomeDenied || !strings.Contains(e.Detail, c.want) {
				t.Errorf("audit %s %q", e.Outcome, e.Detail)
			}
		})
	}

	t.Run("an outside number is accepted", func(t *testing.T) {
		s := newForwardSite(t)
		if d := s.rdCreate(s.alice, rdNumber); d.Number != rdNumber {
			t.Errorf("stored %q", d.Number)
		}
	})

	t.Run("a line is refused even when the policy has no internal class", func(t *testing.T) {
		s := newForwardSite(t)
		site := selfcare.DefaultDestinationPolicy().Site
		p := selfcare.DestinationPolicy{Site: site, Classes: []selfcare.DestinationClass{
			{Name: "everything", Allowed: true, Patterns: []string{"!"}}}}
		if _, err := s.svc.SetDestinationPolicy(s.ctx, selfcare.LocalCaller(""), p,
			0); err != nil {
			t.Fatal(err)
		}
		if msg := s.rdRefusal(s.alice, "4031"); !strings.Contains(msg,
			"4031 is a line of this directory") {
			t.Errorf("message %q", msg)
		}
		// No phone has 4099, and this policy knows no internal numbers.
		if d := s.rdCreate(s.alice, "4099"); d.Number != "4099" {
			t.Errorf("stored %q", d.Number)
		}
	})
}

// TestForwardLoopThroughRemoteDestinationCannotClose is the tester's
// loop: bob adds alice's line 4021 as an additional phone, alice forwards
// 4021 to bob's 4031, so a call to 4031 rings 4021, which forwards to
// 4031. Whichever save comes first, the remote destination is refused.
func TestForwardLoopThroughRemoteDestinationCannotClose(t *testing.T) {
	checkRefused := func(t *testing.T, s *forwardSite) {
		t.Helper()
		if msg := s.rdRefusal(s.bob, "4021"); !strings.Contains(msg,
			"4021 is a line of this directory; additional phones are numbers outside it") {
			t.Errorf("message %q", msg)
		}
		ds, _, err := s.svc.RemoteDestinations(s.ctx, s.bob)
		if err != nil || len(ds) != 0 {
			t.Errorf("bob's remote destinations %v, %v", ds, err)
		}
	}

	t.Run("remote destination first is refused", func(t *testing.T) {
		s := newForwardSite(t)
		checkRefused(t, s)
		s.mustUpdate(s.alice, "4021", cfa("4031"))
	})
	t.Run("forward first then remote destination is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.mustUpdate(s.alice, "4021", cfa("4031"))
		checkRefused(t, s)
	})
	t.Run("changing an outside number to a line is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.mustUpdate(s.alice, "4021", cfa("4031"))
		d := s.rdCreate(s.bob, rdNumber)
		_, err := s.svc.UpdateRemoteDestination(s.ctx, s.bob, d.ID,
			selfcare.RemoteDestinationPatch{Number: selfcare.Set("4021")}, d.Version,
			"192.0.2.1")
		var ve *selfcare.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(),
			"4021 is a line of this directory") {
			t.Fatalf("UpdateRemoteDestination to 4021 = %v", err)
		}
		if got, _ := s.svc.RemoteDestination(s.ctx, s.bob, d.ID); got.Number != rdNumber {
			t.Errorf("stored number %q", got.Number)
		}
	})
}

// checkOneLineDetail fails unless the audit detail is one line of the
// person's sentences: no line break, no replacement character where one
// was, no Go error prefix, and want in it.
func checkOneLineDetail(tb testing.TB, e selfcare.AuditEvent, want string) {
	tb.Helper()
	if e.Outcome != selfcare.OutcomeDenied {
		tb.Errorf("outcome %s, want denied", e.Outcome)
	}
	if strings.ContainsAny(e.Detail, "\r\n\uFFFD") ||
		strings.Contains(e.Detail, "selfcare:") ||
		strings.Contains(e.Detail, "invalid destination (") {
		tb.Errorf("detail is not one clean line: %q", e.Detail)
	}
	if !strings.Contains(e.Detail, want) {
		tb.Errorf("detail %q lacks %q", e.Detail, want)
	}
}

func TestRefusalAuditDetailsAreOneLine(t *testing.T) {
	t.Run("a forward to a refused class", func(t *testing.T) {
		s := newForwardSite(t)
		if _, err := s.update(s.alice, "4021", cfa("9011441632960961")); err == nil {
			t.Fatal("an international forward was accepted")
		}
		checkOneLineDetail(t, s.lastAudit(selfcare.ActionForwarding),
			"callForwardAll.destination: International numbers are not allowed.")
	})
	t.Run("a forward that closes a loop", func(t *testing.T) {
		s := newForwardSite(t)
		s.mustUpdate(s.bob, "4031", cfa("4021"))
		if _, err := s.update(s.alice, "4021", cfa("4031")); err == nil {
			t.Fatal("a loop was accepted")
		}
		checkOneLineDetail(t, s.lastAudit(selfcare.ActionForwarding),
			"This forward would make a loop: 4021 → 4031 → 4021.")
	})
	t.Run("a busy forward refused by its class", func(t *testing.T) {
		s := newForwardSite(t)
		if _, err := s.update(s.alice, "4021", setRule(params.ForwardBusyInternal, false,
			"911")); err == nil {
			t.Fatal("a forward to 911 was accepted")
		}
		checkOneLineDetail(t, s.lastAudit(selfcare.ActionForwarding),
			"Emergency numbers cannot be a destination")
	})
	t.Run("a remote destination refused by its class", func(t *testing.T) {
		s := newForwardSite(t)
		s.rdRefusal(s.alice, "91900555010")
		checkOneLineDetail(t, s.lastAudit(selfcare.ActionRemoteDestinationCreate),
			"number: Premium-rate numbers are not allowed.")
	})
	t.Run("a speed dial refused by its class", func(t *testing.T) {
		s := newForwardSite(t)
		_, err := s.svc.UpdateSpeedDials(s.ctx, s.alice, "SEPALICE",
			[]selfcare.SpeedDial{{Position: 1, Destination: "91900555010"}}, 0, "192.0.2.1")
		if err == nil {
			t.Fatal("a premium speed dial was accepted")
		}
		checkOneLineDetail(t, s.lastAudit(selfcare.ActionSpeedDials),
			"Premium-rate numbers are not allowed.")
	})
}
