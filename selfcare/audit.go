package selfcare

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Audit outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

// Audit actions written by the service. Every change and every
// authentication event has one.
const (
	ActionLogin           = "login"
	ActionLoginFailed     = "login.failed"
	ActionLogout          = "logout"
	ActionSessionEnded    = "session.ended"
	ActionPasswordChange  = "password.change"
	ActionPasswordRehash  = "password.rehash"
	ActionPINChange       = "pin.change"
	ActionUserCreate      = "user.create"
	ActionUserPassword    = "user.password.set"
	ActionUserPIN         = "user.pin.set"
	ActionUserDisable     = "user.disable"
	ActionUserEnable      = "user.enable"
	ActionUserUnlock      = "user.unlock"
	ActionGroupMemberAdd  = "group.member.add"
	ActionGroupMemberDrop = "group.member.remove"
	ActionDevicePut       = "device.put"
)

// actorCLI names the command line in the audit trail when no actor is given.
const actorCLI = "cli"

// Audit returns audit events matching f, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	es, err := s.store.Audit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("selfcare: audit: %w", err)
	}
	return es, nil
}

// audit appends one event. Its callers never pass a secret in any field;
// free-text fields that come from a request are cleaned first.
//
// A failed append is logged at Error level and does not change the outcome
// of the operation: the change has already happened, and refusing a
// logged-in user because the audit table is full would turn a storage
// problem into an outage.
// TODO(audit): offer a fail-closed mode for sites that require it.
func (s *Service) audit(ctx context.Context, e AuditEvent) {
	e.Time = s.now()
	e.Actor = clean(e.Actor)
	e.Target = clean(e.Target)
	e.RemoteAddr = clean(e.RemoteAddr)
	e.Detail = clean(e.Detail)
	// The request may be ending; the event must still be written.
	ctx = context.WithoutCancel(ctx)
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("selfcare: audit write failed", "action", e.Action,
			"target", e.Target, "err", err)
	}
}

// maxAuditField bounds each text field, so that a client sending a huge user
// ID cannot bloat the trail.
const maxAuditField = 256

// clean makes request-supplied text safe for the audit trail and for logs:
// valid UTF-8, no control characters (no forged line breaks), bounded length.
func clean(s string) string {
	if len(s) <= maxAuditField && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n == maxAuditField {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// actorOrCLI names the administrator of an operation.
func actorOrCLI(actor string) string {
	if actor == "" {
		return actorCLI
	}
	return actor
}
