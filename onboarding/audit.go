package onboarding

import (
	"context"
	"time"
)

// Auditor records what happens to devices and codes; the portal adapts it
// to its audit trail.
type Auditor interface {
	// Audit records one event. An error means that the event was not
	// recorded: the [Registry] then refuses to disclose the code the event
	// was about, and for other events logs the error and goes on.
	Audit(ctx context.Context, e Event) error
}

// Event is one entry for the audit trail. It never holds a code.
type Event struct {
	Time time.Time
	// Actor is the user or administrator; empty for a phone, and for the
	// registry itself when it releases a code after failed attempts.
	Actor string
	// Action is one of the Action constants.
	Action string
	// Device is the device name, when one is known.
	Device string
	// Outcome is OutcomeOK or OutcomeFailed.
	Outcome string
	// Detail is the change or the real cause of a failure, in words.
	Detail string
	// Source is the network address of the request, when known.
	Source string
}

// Audit actions.
const (
	ActionProvision = "device.provision"
	ActionIssue     = "activation.code.issue"
	ActionReplace   = "activation.code.replace"
	ActionRelease   = "activation.code.release"
	// ActionView is written once per code each time a user is shown it.
	ActionView   = "activation.code.view"
	ActionExport = "activation.code.export"
	ActionRedeem = "activation.code.redeem"
)

// Audit outcomes, spelled as the portal's audit trail spells them.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
)

// noAudit is the Auditor of a Registry configured without one.
type noAudit struct{}

func (noAudit) Audit(context.Context, Event) error { return nil }
