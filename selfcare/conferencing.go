package selfcare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ucselfcare/portal/params"
)

// Conference Now belongs to the user, as in the reference's UDS resource
// /user/{id}/conferencing: one switch and one numeric access code that
// the attendees type before they join the user's meeting. The store keys
// it by user and keeps one version for it.
//
// The access code is a secret shared with the attendees, not a personal
// credential: the owner must be able to read it back to pass it on, so it
// is stored as typed, shown only to its owner, and masked in the audit
// trail. Because it has no lockout of its own, the rules that make a code
// easy to guess (see [Service.UpdateConferencing]) always apply.

// The reference says only that the access code is numeric; the bounds are
// chosen here and documented in the README. Three digits is the shortest
// code that can avoid repeats and runs; ten keeps it something a caller
// can type from an invitation without losing their place, and is longer
// than any extension, so that a code need never look like one.
const (
	// MinAccessCodeLength is the fewest digits of an access code.
	MinAccessCodeLength = 3
	// MaxAccessCodeLength is the most digits of an access code.
	MaxAccessCodeLength = 10
)

// FieldAccessCode and FieldConferenceNow name the fields of Conference
// Now in a [ValidationError].
const (
	FieldAccessCode    = "accessCode"
	FieldConferenceNow = "enabled"
)

// ErrConferencingOff means the service's store keeps no Conference Now
// settings.
var ErrConferencingOff = fmt.Errorf("selfcare: the store keeps no Conference Now: %w",
	errors.ErrUnsupported)

// ActionConferencing is the audit action of [Service.UpdateConferencing].
const ActionConferencing = "conferencing.change"

// Conferencing is a user's Conference Now setting.
type Conferencing struct {
	UserID string
	// Enabled lets callers start the user's meeting with the access code.
	Enabled bool
	// AccessCode is the attendees' code, digits only; "" for none.
	AccessCode string
	// Version counts the saves: 0 for a user who never saved, one more
	// with every save.
	Version int64
}

// DefaultConferencing returns the setting of a user who never saved one:
// off, with no access code.
func DefaultConferencing(userID string) Conferencing {
	return Conferencing{UserID: userID}
}

// String describes the setting for the audit trail and logs. It never
// shows the access code, only whether there is one.
func (c Conferencing) String() string {
	state := "off"
	if c.Enabled {
		state = "on"
	}
	if c.AccessCode == "" {
		return state + ", no access code"
	}
	return state + ", access code set"
}

// GoString is String, so that %#v in a log cannot print the code either.
func (c Conferencing) GoString() string { return "selfcare.Conferencing{" + c.String() + "}" }

// ConferencingPatch is a partial update in the manner of a JSON merge
// patch: an absent field stays as it is, a null one returns to its
// default (off; no access code).
type ConferencingPatch struct {
	Enabled    PatchField[bool]
	AccessCode PatchField[string]
}

// Apply returns c changed by the patch. The version is left alone.
func (p ConferencingPatch) Apply(c Conferencing) Conferencing {
	c.Enabled = p.Enabled.apply(c.Enabled)
	c.AccessCode = p.AccessCode.apply(c.AccessCode)
	return c
}

// ConferencingStore keeps Conference Now by user. memstore and sqlstore
// implement it; the service uses it when its [Store] does.
type ConferencingStore interface {
	// Conferencing returns the setting of the user; a user with nothing
	// stored reads as [DefaultConferencing] at Version 0, not ErrNotFound.
	// It returns only storage errors.
	Conferencing(ctx context.Context, userID string) (Conferencing, error)
	// UpdateConferencing stores c, in one transaction, when the stored
	// version (0 when nothing is stored) is c.Version, and returns what it
	// stored, whose Version is c.Version+1. It returns ErrVersionConflict,
	// wrapped, when the version differs, and writes nothing then.
	UpdateConferencing(ctx context.Context, c Conferencing) (Conferencing, error)
}

// conferencingReady runs the checks every Conference Now operation
// shares.
func (s *Service) conferencingReady(ctx context.Context, p *Principal) (
	ConferencingStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeatureConferencing); err != nil {
		return nil, err
	}
	cs, ok := s.store.(ConferencingStore)
	if !ok {
		return nil, ErrConferencingOff
	}
	return cs, nil
}

// Conferencing returns the principal's Conference Now setting, access
// code included, since its owner passes it on to attendees. It returns a
// [*params.GateError] while Show Conferencing hides it, and the errors
// of [Service.Phones].
func (s *Service) Conferencing(ctx context.Context, p *Principal) (Conferencing, error) {
	cs, err := s.conferencingReady(ctx, p)
	if err != nil {
		return Conferencing{}, err
	}
	c, err := cs.Conferencing(ctx, p.User.ID)
	if err != nil {
		return Conferencing{}, fmt.Errorf("selfcare: conferencing: %w", err)
	}
	return c, nil
}

// UpdateConferencing applies patch to the principal's Conference Now
// setting when ifMatch is its current version, and returns what is stored
// now.
//
// It returns, in the order it checks: the errors of
// [Service.Conferencing]; an error matching [ErrInvalid] that is a
// [*ValidationError] naming "accessCode" for a code that is not
// [MinAccessCodeLength] to [MaxAccessCodeLength] ASCII digits or is easy
// to guess (the trivial-PIN rules: a digit more than twice in a row,
// fewer than 3 different digits, a run such as 1234 or 9876, a repeated
// group such as 123123, a straight line on the keypad, the user's
// extension or its reverse, the user's name spelled on the keypad), or
// "enabled" when Conference Now
// would be on without a code; and ErrVersionConflict when ifMatch is not
// the current version. Every change and every refusal is audited, with
// the code masked.
func (s *Service) UpdateConferencing(ctx context.Context, p *Principal,
	patch ConferencingPatch, ifMatch int64, remoteAddr string) (Conferencing, error) {
	if err := s.ready(p); err != nil {
		return Conferencing{}, err
	}
	if err := s.gate(ctx, p, params.FeatureConferencing, ActionConferencing,
		remoteAddr); err != nil {
		return Conferencing{}, err
	}
	cs, err := s.conferencingReady(ctx, p)
	if err != nil {
		return Conferencing{}, err
	}
	deny := func(err error, detail string) (Conferencing, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionConferencing,
			Target: "user " + p.User.ID, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return Conferencing{}, err
	}
	cur, err := cs.Conferencing(ctx, p.User.ID)
	if err != nil {
		return Conferencing{}, fmt.Errorf("selfcare: conferencing: %w", err)
	}
	next := patch.Apply(cur)

	// The extensions feed one rule only; a code is refused for the rest
	// even if they cannot be read.
	var exts []string
	if patch.AccessCode.Present && next.AccessCode != "" {
		if exts, err = s.extensions(ctx, p.User.ID); err != nil {
			return Conferencing{}, fmt.Errorf("selfcare: conferencing: %w", err)
		}
	}
	v := &ValidationError{}
	if patch.AccessCode.Present && next.AccessCode != "" {
		for _, msg := range accessCodeProblems(p.User, next.AccessCode, exts) {
			v.add(FieldAccessCode, msg)
		}
	}
	if next.Enabled && next.AccessCode == "" {
		v.add(FieldConferenceNow, "Set an access code before you turn Conference "+
			"Now on, so that only the people you invite can join.")
	}
	if err := v.err(); err != nil {
		// The refused code itself never reaches the trail.
		return deny(err, describeConferencingRefusal(v))
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: conferencing: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	if next == cur {
		return cur, nil
	}
	saved, err := cs.UpdateConferencing(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: conferencing: %w", err),
			fmt.Sprintf("stale version %d: %s -> %s", ifMatch, cur,
				describeConferencingChange(cur, next)))
	case err != nil:
		return Conferencing{}, fmt.Errorf("selfcare: conferencing: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionConferencing,
		Target: "user " + p.User.ID, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("%s -> %s (version %d)", cur,
			describeConferencingChange(cur, saved), saved.Version),
		RemoteAddr: remoteAddr})
	return saved, nil
}

// describeConferencingChange describes next for the trail, saying that
// the code changed without showing either code.
func describeConferencingChange(cur, next Conferencing) string {
	d := next.String()
	if cur.AccessCode != "" && next.AccessCode != "" && cur.AccessCode != next.AccessCode {
		d = strings.TrimSuffix(d, " set") + " changed"
	}
	return d
}

// describeConferencingRefusal lists the refused fields for the trail;
// the messages name rules, never the code.
func describeConferencingRefusal(v *ValidationError) string {
	parts := make([]string, 0, len(v.Fields))
	for _, f := range v.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return "refused: " + strings.Join(parts, "; ")
}

// Messages of the access code rules.
const (
	msgCodeDigits   = "Use the digits 0-9 only."
	msgCodeRepeat   = "The access code must not repeat a digit more than twice in a row."
	msgCodeDistinct = "The access code must use at least 3 different digits."
	msgCodeRun      = "The access code must not be a run of consecutive digits " +
		"such as 1234 or 9876."
	msgCodeGroup = "The access code must not repeat a group of digits, such as " +
		"123123."
	msgCodeExtension = "The access code must not contain your extension or your " +
		"extension reversed."
	msgCodeKeypad = "The access code must not be a straight line on the keypad, " +
		"such as 2580 or 159."
	msgCodeName = "The access code must not spell your name on the keypad."
)

// accessCodeProblems returns a sentence for every rule that code breaks:
// the trivial-PIN rules of [trivialPIN], each worded for an access code.
func accessCodeProblems(u User, code string, exts []string) []string {
	if code == "" || strings.ContainsFunc(code, func(r rune) bool {
		return r < '0' || r > '9'
	}) {
		return []string{msgCodeDigits}
	}
	if len(code) < MinAccessCodeLength || len(code) > MaxAccessCodeLength {
		return []string{fmt.Sprintf("Use %d to %d digits.", MinAccessCodeLength,
			MaxAccessCodeLength)}
	}
	var out []string
	if maxRun(code) > 2 {
		out = append(out, msgCodeRepeat)
	}
	if distinct(code) < 3 {
		out = append(out, msgCodeDistinct)
	}
	if straight([]rune(code), true) {
		out = append(out, msgCodeRun)
	}
	if repeatedGroup(code) {
		out = append(out, msgCodeGroup)
	}
	if keypadWalk(code) {
		out = append(out, msgCodeKeypad)
	}
	if slices.ContainsFunc(exts, func(e string) bool { return holdsExtension(code, e) }) {
		out = append(out, msgCodeExtension)
	}
	if spellsName(u, code) {
		out = append(out, msgCodeName)
	}
	return out
}
