package onboarding_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
)

// A whole life of codes, with every kind of failure, writes no code to the
// log or to the audit trail.
func TestCodesNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewJSONHandler(&logs, opts),
		slog.NewTextHandler(&logs, opts)))
	f := newFixture(t, onboarding.Config{Logger: logger, SourceLimit: 8})
	ctx := context.Background()

	mac := f.provision(t, "alice", model8845, macAlice)
	dummy := f.provision(t, "alice", "Cisco 7841", "")
	other := f.provision(t, "bob", model8845, macBob)
	var codes []onboarding.Plaintext
	remember := func(rc onboarding.ReadyCode, err error) onboarding.ReadyCode {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, rc.Code)
		return rc
	}
	remember(f.reg.Issue(ctx, "admin", mac.Name))
	rcMAC := remember(f.reg.Replace(ctx, "admin", mac.Name))
	rcDummy := remember(f.reg.Issue(ctx, "admin", dummy.Name))
	rcOther := remember(f.reg.Issue(ctx, "admin", other.Name))
	if _, err := f.reg.ReadyToActivate(ctx, "alice", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	rows, err := f.reg.Export(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	// A careless caller logs what it got; the codes stay masked.
	logger.Info("export", "rows", rows, "first", rows[0])

	attempts := []onboarding.Attempt{
		{MAC: macAlice, Model: model8845, Code: codes[0], Source: "a"},              // replaced
		{MAC: macAlice, Model: model8845, Code: rcOther.Code, Source: "a"},          // bob's
		{MAC: macAlice, Model: model8845, Code: rcMAC.Code + "x", Source: "a"},      // malformed
		{MAC: macAlice, Model: "Cisco 7841", Code: rcMAC.Code, Source: "a"},         // wrong model
		{MAC: "0050569A0B0C", Model: model8845, Code: rcDummy.Code, Source: "b"},    // wrong model
		{MAC: "junk", Model: model8845, Code: rcMAC.Code, Source: "b"},              // bad MAC
		{MAC: macAlice, Model: model8845, Code: rcMAC.Code, Source: "c"},            // success
		{MAC: macAlice, Model: model8845, Code: rcMAC.Code, Source: "c"},            // used
		{MAC: "0050569A0B0C", Model: "Cisco 7841", Code: rcDummy.Code, Source: "d"}, // success
	}
	for range 10 { // past the attempt limit, then throttled
		attempts = append(attempts, onboarding.Attempt{MAC: macBob, Model: model8845,
			Code: onboarding.Plaintext(wrongCode(rcOther.Code)), Source: "e"})
	}
	for _, a := range attempts {
		f.reg.Redeem(ctx, a)
	}
	if st := f.reg.Stats(); st.Activations != 2 || st.Released != 1 || st.Throttled == 0 {
		t.Fatalf("the flow did not go as planned: %+v", st)
	}

	var trail strings.Builder
	for _, e := range f.audit.take() {
		fmt.Fprintf(&trail, "%+v\n", e)
	}
	for name, out := range map[string]string{"log": logs.String(), "audit": trail.String()} {
		if len(out) < 500 {
			t.Fatalf("the %s is nearly empty; is it captured?\n%s", name, out)
		}
		for _, c := range codes {
			s := c.Reveal()
			for _, leak := range []string{s, c.Grouped(), s[:8], s[8:]} {
				if strings.Contains(out, leak) {
					t.Errorf("the %s contains code digits %q", name, leak)
				}
			}
		}
	}
}
