package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// ukPolicy is the README's example policy for a site in the United
// Kingdom, with international numbers allowed for forwards only.
func ukPolicy() selfcare.DestinationPolicy {
	return selfcare.DestinationPolicy{
		Site: selfcare.DestinationSite{CountryCode: "44", AccessCode: "9",
			InternationalPrefix: "00", NationalPrefix: "0", ExtensionLengths: []int{4},
			URIDomains: []string{"example.co.uk"}},
		Classes: []selfcare.DestinationClass{
			{Name: "emergency", Patterns: []string{"999", "112", "112!", "9999", "9999!",
				"9112", "9112!"}},
			{Name: "premium", Patterns: []string{"909!", "9118!"}},
			{Name: "international", Allowed: true, Patterns: []string{"900!"},
				Kinds: []selfcare.DestinationKind{fwd}},
			{Name: "internal", Allowed: true, Patterns: []string{"[1-8]XXX", "*XXXX",
				"@example.co.uk", "@*.example.co.uk"}},
			{Name: "national", Allowed: true, Patterns: []string{"90[1-9]XXXXXX!"}},
		},
	}
}

// useUKPolicy makes ukPolicy the policy in force.
func (s *forwardSite) useUKPolicy() {
	s.tb.Helper()
	if _, err := s.svc.SetDestinationPolicy(s.ctx, selfcare.LocalCaller(""), ukPolicy(),
		0); err != nil {
		s.tb.Fatalf("SetDestinationPolicy: %v", err)
	}
}

// wantCode fails unless err is a DestinationError with code.
func wantCode(tb testing.TB, what string, err error, code string) *selfcare.DestinationError {
	tb.Helper()
	var de *selfcare.DestinationError
	if !errors.As(err, &de) || de.Code != code {
		tb.Fatalf("%s: %v, want a %s refusal", what, err, code)
	}
	return de
}

func TestURIWithANumberTypedWithSeparatorsIsRefused(t *testing.T) {
	checker, err := ukPolicy().Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in   string
		kind       selfcare.DestinationKind
		suggestion string
	}{
		{"dashes in an emergency number are refused", "9-9-9@example.co.uk", fwd,
			"999@example.co.uk"},
		{"dots in an emergency number are refused", "9.9.9@example.co.uk", fwd,
			"999@example.co.uk"},
		{"dots in a premium number are refused", "909.123.4567@example.co.uk", fwd,
			"9091234567@example.co.uk"},
		{"dashes in an international speed dial are refused",
			"90-033-142685300@example.co.uk", speed, "90033142685300@example.co.uk"},
		{"underscores and an inner + are refused", "+44_20+7946@gw.example.com", speed,
			"+44207946@gw.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := selfcare.ParseDestination(tt.in, tt.kind)
			de := wantCode(t, tt.in, err, selfcare.DestErrSeparators)
			if de.Suggestion != tt.suggestion || !strings.Contains(de.Message, "digits only") {
				t.Errorf("suggestion %q, message %q", de.Suggestion, de.Message)
			}
			// The policy refuses the hand-built form as well.
			d := selfcare.Destination{Kind: tt.kind, URI: tt.in}
			if err := checker.Check(d); err == nil {
				t.Errorf("Check(%s) accepted", tt.in)
			}
		})
	}
	for _, ok := range []string{"jo.smith@example.co.uk", "2001@example.co.uk",
		"jo-2001@example.co.uk"} {
		d, err := selfcare.ParseDestination(ok, fwd)
		if err == nil {
			err = checker.Check(d)
		}
		if err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	d, _ := selfcare.ParseDestination("999@example.co.uk", fwd)
	wantCode(t, "999@example.co.uk", checker.Check(d), selfcare.DestErrClass)
}

func TestForwardHopsCountTheChainIntoTheSavedLine(t *testing.T) {
	table := chain("3001", "3002", "3003")
	err := selfcare.CheckForwardChain("3003", "3004", table, 2)
	de := wantCode(t, "3003 to 3004", err, selfcare.DestErrHops)
	if d := cmp.Diff([]string{"3001", "3002", "3003", "3004"}, de.Path); d != "" {
		t.Errorf("path (-want +got):\n%s", d)
	}
	if err := selfcare.CheckForwardChain("3002", "3004", chain("3001", "3002", "3003"),
		2); err != nil {
		t.Errorf("replacing 3002's own forward: %v", err)
	}

	// The tester's order: each save adds a forward at the end of the chain.
	s := newForwardSite(t)
	s.setParam(params.KeyForwardMaxHop, "2")
	s.mustUpdate(s.alice, "4021", cfa("4022"))
	s.mustUpdate(s.alice, "4022", cfa("4031"))
	_, err = s.update(s.bob, "4031", cfa("4041"))
	de = wantCode(t, "the third forward", err, selfcare.DestErrHops)
	if d := cmp.Diff([]string{"4021", "4022", "4031", "4041"}, de.Path); d != "" {
		t.Errorf("path (-want +got):\n%s", d)
	}
}

func TestForwardChecksKnowEverySpellingOfALine(t *testing.T) {
	t.Run("a loop through directory URIs is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.useUKPolicy()
		s.mustUpdate(s.alice, "4021", cfa("4031@example.co.uk"))
		_, err := s.update(s.bob, "4031", cfa("4021@Example.co.uk"))
		wantCode(t, "4031 back to 4021", err, selfcare.DestErrLoop)
	})
	t.Run("a forward to the line's own URI is refused", func(t *testing.T) {
		s := newForwardSite(t)
		s.useUKPolicy()
		_, err := s.update(s.alice, "4021", cfa("4021@example.co.uk"))
		wantCode(t, "4021 to itself", err, selfcare.DestErrSelf)
		_, err = s.update(s.alice, "4022", setRule(params.ForwardBusyInternal, false,
			"4022@sub.example.co.uk"))
		wantCode(t, "busy to itself", err, selfcare.DestErrSelf)
	})

	// dave's line is stored as +14155550123, as the command line takes it.
	daveSite := func(t *testing.T) (*forwardSite, *selfcare.Principal) {
		s := newForwardSite(t)
		s.addUser(selfcare.User{ID: "dave"}, testPassword, testPIN,
			[]string{acl.GroupStandardCCMEndUsers}, "+14155550123")
		_, dave := s.login("dave", testPassword)
		return s, dave
	}
	t.Run("a forward to the line dialled is refused", func(t *testing.T) {
		s, dave := daveSite(t)
		_, err := s.update(dave, "+14155550123", cfa("914155550123"))
		wantCode(t, "+14155550123 to itself", err, selfcare.DestErrSelf)
	})
	t.Run("a loop through the line dialled is refused", func(t *testing.T) {
		s, dave := daveSite(t)
		s.mustUpdate(s.alice, "4021", cfa("914155550123"))
		_, err := s.update(dave, "+14155550123", cfa("4021"))
		wantCode(t, "+14155550123 to 4021", err, selfcare.DestErrLoop)
	})
	t.Run("the line dialled is no additional phone", func(t *testing.T) {
		s, _ := daveSite(t)
		for _, n := range []string{"914155550123", "+14155550123"} {
			if msg := s.rdRefusal(s.alice, n); !strings.Contains(msg,
				"line of this directory") {
				t.Errorf("%s refused with %q", n, msg)
			}
		}
	})
	t.Run("the user's own line dialled is no additional phone", func(t *testing.T) {
		s, dave := daveSite(t)
		if msg := s.rdRefusal(dave, "914155550123"); !strings.Contains(msg,
			"one of your own lines") {
			t.Errorf("refused with %q", msg)
		}
	})
}

func TestPutDeviceRefusesNumbersThePolicyKeepsFromLines(t *testing.T) {
	s := newForwardSite(t)
	for _, ext := range []string{"911", "919005550100", "9011441632960961", "0"} {
		err := s.svc.PutDevice(s.ctx, "", selfcare.Device{Name: "SEPX", Owner: "bob",
			Lines: []selfcare.Line{{Index: 1, Extension: ext}}})
		var ve *selfcare.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "destination class") {
			t.Errorf("line %s: %v, want a refusal naming its class", ext, err)
		}
	}
	if err := s.svc.PutDevice(s.ctx, "", selfcare.Device{Name: "SEPX", Owner: "bob",
		Lines: []selfcare.Line{{Index: 1, Extension: "+14155550123"}}}); err != nil {
		t.Errorf("a national number as a line: %v", err)
	}
}

func TestDestinationPolicyTakesOnePatternForDifferentKinds(t *testing.T) {
	p := ukPolicy()
	p.Classes = append(p.Classes[:3:3], append([]selfcare.DestinationClass{{
		Name: "international speed dials", Allowed: false, Patterns: []string{"900!"},
		Kinds: []selfcare.DestinationKind{speed}}}, p.Classes[3:]...)...)
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// BenchmarkCheckForwardChainWideDirectory measures the chain check where
// 2000 lines forward, 1000 of them to the saved line: the cost of finding
// the chains that end at it.
func BenchmarkCheckForwardChainWideDirectory(b *testing.B) {
	t := selfcare.ForwardTable{Forwards: map[string]string{}}
	for i, ext := range lines(2000) {
		t.Forwards[ext] = "4000"
		if i%2 == 1 {
			t.Forwards[ext] = "914085550100"
		}
	}
	for b.Loop() {
		_ = selfcare.CheckForwardChain("4000", "4001", t, 12)
	}
}
