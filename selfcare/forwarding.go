package selfcare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ucselfcare/portal/params"
)

// Call forwarding belongs to a directory number, not to a phone: the
// reference sets it per line, and a line that appears on two of a user's
// phones with the same extension rings and forwards as one. So the store
// keys it by extension, and every phone showing the line sees the same
// forward. A user may touch the forwarding of an extension only while it
// is on one of their own phones.
//
// Voicemail wins over a number, as in the reference: a rule with
// Voicemail set sends calls to voicemail and its Destination, which is
// kept, is inactive until voicemail is unticked. A kept destination passed
// the checks when it was saved; it is checked again whenever its rule
// changes, and the loop check runs whenever the number Call Forward All
// sends calls to changes.

// BUG(forwarding): The destination policy is [DefaultDestinationPolicy]
// (a North American site); administrators cannot configure it yet.

// ErrVersionConflict means an update named a version of a resource that is
// no longer the stored one: someone else changed it since the caller read
// it. Nothing was changed.
var ErrVersionConflict = errors.New("selfcare: changed by someone else since it was read")

// ErrForwardingOff means the service's store keeps no call forwarding.
var ErrForwardingOff = fmt.Errorf("selfcare: the store keeps no call forwarding: %w",
	errors.ErrUnsupported)

// ActionForwarding is the audit action of [Service.UpdateCallForwarding].
const ActionForwarding = "forwarding.change"

// forwardKinds lists the forward kinds in the order the portal shows them;
// [CallForwarding.Rules] is indexed by them.
var forwardKinds = [...]params.ForwardKind{
	params.ForwardAllCalls,
	params.ForwardBusyInternal,
	params.ForwardBusyExternal,
	params.ForwardNoAnswerInternal,
	params.ForwardNoAnswerExternal,
}

// forwardRuleNames are the names of the rules in the API and in field
// errors, by kind.
var forwardRuleNames = [...]string{
	params.ForwardAllCalls:         "callForwardAll",
	params.ForwardBusyInternal:     "busyInternal",
	params.ForwardBusyExternal:     "busyExternal",
	params.ForwardNoAnswerInternal: "noAnswerInternal",
	params.ForwardNoAnswerExternal: "noAnswerExternal",
}

// ForwardKinds returns the forward kinds in the order the portal shows
// them.
func ForwardKinds() []params.ForwardKind { return slices.Clone(forwardKinds[:]) }

// ForwardRuleName returns the name of a rule as the API and field errors
// spell it, such as "callForwardAll" or "busyInternal"; "" for an unknown
// kind.
func ForwardRuleName(k params.ForwardKind) string {
	if int(k) >= len(forwardRuleNames) {
		return ""
	}
	return forwardRuleNames[k]
}

// ForwardRule is one forwarding rule of a line.
type ForwardRule struct {
	// Voicemail sends the calls to voicemail; it wins over Destination.
	Voicemail bool
	// Destination is a number or directory URI as [ParseDestination]
	// accepted it; "" for none.
	Destination string
}

// Target returns the number or URI that the rule sends calls to: "" when
// the rule is off or sends them to voicemail.
func (r ForwardRule) Target() string {
	if r.Voicemail {
		return ""
	}
	return r.Destination
}

// String describes the rule for the audit trail.
func (r ForwardRule) String() string {
	switch {
	case r.Voicemail && r.Destination != "":
		return "voicemail (kept " + r.Destination + ")"
	case r.Voicemail:
		return "voicemail"
	case r.Destination != "":
		return r.Destination
	}
	return "off"
}

// CallForwarding is the forwarding of one directory number.
type CallForwarding struct {
	// Extension is the directory number.
	Extension string
	// Rules holds one rule per [params.ForwardKind], indexed by it.
	Rules [len(forwardKinds)]ForwardRule
	// Version counts the changes: 0 for a number whose forwarding was
	// never saved, one more with every save.
	Version int64
}

// Rule returns the rule of kind k; an unknown kind is off.
func (f CallForwarding) Rule(k params.ForwardKind) ForwardRule {
	if int(k) >= len(f.Rules) {
		return ForwardRule{}
	}
	return f.Rules[k]
}

// PatchField is one member of a partial update: absent (the zero value,
// which leaves the setting alone), null (which returns it to its
// default), or a value.
type PatchField[T any] struct {
	Present bool
	Null    bool
	Value   T
}

// Set returns a field that sets v.
func Set[T any](v T) PatchField[T] { return PatchField[T]{Present: true, Value: v} }

// Null returns a field that returns the setting to its default.
func Null[T any]() PatchField[T] { return PatchField[T]{Present: true, Null: true} }

// apply returns cur changed by f.
func (f PatchField[T]) apply(cur T) T {
	switch {
	case !f.Present:
		return cur
	case f.Null:
		var zero T
		return zero
	}
	return f.Value
}

// ForwardRulePatch changes one rule; its absent fields stay as they are.
type ForwardRulePatch struct {
	Voicemail   PatchField[bool]
	Destination PatchField[string]
}

// ForwardingPatch is a partial update of a line's forwarding, in the
// manner of a JSON merge patch: a rule that is absent stays as it is, a
// null rule is turned off (no voicemail, no destination), and a rule with
// a value has its present fields changed.
type ForwardingPatch struct {
	// Rules is indexed by [params.ForwardKind].
	Rules [len(forwardKinds)]PatchField[ForwardRulePatch]
}

// Apply returns f changed by the patch. The version is left alone.
func (p ForwardingPatch) Apply(f CallForwarding) CallForwarding {
	for i, rp := range p.Rules {
		switch {
		case !rp.Present:
		case rp.Null:
			f.Rules[i] = ForwardRule{}
		default:
			f.Rules[i].Voicemail = rp.Value.Voicemail.apply(f.Rules[i].Voicemail)
			f.Rules[i].Destination = rp.Value.Destination.apply(f.Rules[i].Destination)
		}
	}
	return f
}

// ForwardingStore keeps call forwarding by directory number. memstore and
// sqlstore implement it; the service uses it when its [Store] does.
type ForwardingStore interface {
	// LineForwarding returns the forwarding of the directory number ext.
	// A number with nothing stored has every rule off and Version 0: the
	// store does not know which numbers the directory has, so this is not
	// ErrNotFound. It returns only storage errors.
	LineForwarding(ctx context.Context, ext string) (CallForwarding, error)
	// UpdateLineForwarding replaces the rules of f.Extension, in one
	// transaction, when the stored version (0 when nothing is stored) is
	// f.Version, and returns what it stored, whose Version is f.Version+1.
	// Before writing it calls check, unless nil, with the Call Forward All
	// targets of every stored number as they are before the change
	// (ForwardTable.Forwards; rules set to voicemail are left out). Running
	// check inside the transaction means two saves cannot close a loop
	// together. It returns ErrVersionConflict, wrapped, when the version
	// differs, and check's error, wrapped, when check fails; either way it
	// writes nothing.
	UpdateLineForwarding(ctx context.Context, f CallForwarding,
		check func(ForwardTable) error) (CallForwarding, error)
}

// OwnedForwardingStore is a [ForwardingStore] that can check a line's
// owner and read its forwarding in one round trip. It is optional:
// [Service.CallForwarding] uses it when the store has it, and reads the
// user's phones and then the line otherwise.
type OwnedForwardingStore interface {
	// OwnedLineForwarding returns what LineForwarding returns for ext
	// when a device owned by userID has a line with ext, and ErrNotFound
	// otherwise, both as they are at one instant.
	OwnedLineForwarding(ctx context.Context, userID, ext string) (CallForwarding, error)
}

// forwardingStore returns the store's call forwarding, or ErrForwardingOff.
func (s *Service) forwardingStore() (ForwardingStore, error) {
	fs, ok := s.store.(ForwardingStore)
	if !ok {
		return nil, ErrForwardingOff
	}
	return fs, nil
}

// ForwardingLines returns the forwarding of every directory number on the
// principal's phones, once per number, in the order the phones (by name)
// and their lines show them. It returns a [*params.GateError] while Show
// Call Forwarding hides forwarding, and the errors of [Service.Phones].
func (s *Service) ForwardingLines(ctx context.Context, p *Principal) ([]CallForwarding,
	error) {
	fs, exts, err := s.forwardingReady(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]CallForwarding, 0, len(exts))
	for _, ext := range exts {
		f, err := fs.LineForwarding(ctx, ext)
		if err != nil {
			return nil, fmt.Errorf("selfcare: call forwarding: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

// CallForwarding returns the forwarding of ext, a directory number on one
// of the principal's phones. It returns ErrNotFound, as for a number that
// does not exist, when no phone of the principal has the number; a
// [*params.GateError] while Show Call Forwarding hides forwarding; and the
// errors of [Service.Phones].
func (s *Service) CallForwarding(ctx context.Context, p *Principal, ext string) (
	CallForwarding, error) {
	if os, ok := s.store.(OwnedForwardingStore); ok {
		if err := s.ready(p); err != nil {
			return CallForwarding{}, err
		}
		if err := s.CheckFeature(ctx, p, params.FeatureCallForwardAll); err != nil {
			return CallForwarding{}, err
		}
		f, err := os.OwnedLineForwarding(ctx, p.User.ID, ext)
		switch {
		case errors.Is(err, ErrNotFound):
			return CallForwarding{}, fmt.Errorf("selfcare: call forwarding: line %s: %w",
				displayLine(ext), ErrNotFound)
		case err != nil:
			return CallForwarding{}, fmt.Errorf("selfcare: call forwarding: %w", err)
		}
		return f, nil
	}
	fs, err := s.forwardingLine(ctx, p, ext)
	if err != nil {
		return CallForwarding{}, err
	}
	f, err := fs.LineForwarding(ctx, ext)
	if err != nil {
		return CallForwarding{}, fmt.Errorf("selfcare: call forwarding: %w", err)
	}
	return f, nil
}

// forwardingReady runs the checks every forwarding operation shares and
// returns the store and the principal's directory numbers.
func (s *Service) forwardingReady(ctx context.Context, p *Principal) (ForwardingStore,
	[]string, error) {
	if err := s.ready(p); err != nil {
		return nil, nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeatureCallForwardAll); err != nil {
		return nil, nil, err
	}
	fs, err := s.forwardingStore()
	if err != nil {
		return nil, nil, err
	}
	exts, err := s.userExtensions(ctx, p.User.ID)
	if err != nil {
		return nil, nil, err
	}
	return fs, exts, nil
}

// forwardingLine is forwardingReady for one number, which must be on one
// of the principal's phones: otherwise ErrNotFound, as for a number that
// does not exist.
func (s *Service) forwardingLine(ctx context.Context, p *Principal, ext string) (
	ForwardingStore, error) {
	fs, exts, err := s.forwardingReady(ctx, p)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(exts, ext) {
		return nil, fmt.Errorf("selfcare: call forwarding: line %s: %w",
			displayLine(ext), ErrNotFound)
	}
	return fs, nil
}

// userExtensions returns the directory numbers on a user's phones, each
// once, in the order of the phones and their lines.
func (s *Service) userExtensions(ctx context.Context, userID string) ([]string, error) {
	ds, err := s.store.UserDevices(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("selfcare: call forwarding: %w", err)
	}
	var exts []string
	for _, d := range ds {
		for _, l := range d.Lines {
			if l.Extension != "" && !slices.Contains(exts, l.Extension) {
				exts = append(exts, l.Extension)
			}
		}
	}
	return exts, nil
}

// UpdateCallForwarding applies patch to the forwarding of ext, a directory
// number on one of the principal's phones, when ifMatch is its current
// version, and returns what is stored now. Rules the patch leaves as they
// are stay untouched, even ones the parameters hide today.
//
// It returns, in the order it checks: the errors of [Service.Phones]; a
// [*params.GateError] when Show Call Forwarding hides forwarding, or when
// it shows Call Forward All only and the patch changes a busy or no-answer
// rule; ErrNotFound when no phone of the principal has the number;
// ErrVersionConflict when ifMatch is not the current version; and an error
// matching [ErrInvalid] that is both a [*ValidationError], with one field
// per refused destination (such as "callForwardAll.destination"), and the
// first refusal's [*DestinationError]: bad grammar, a destination class
// that is not allowed, a forward to the line itself, a loop, or a chain
// longer than Forward Maximum Hop Count. Every change and every refusal
// after the ownership check is audited with the old and new rules.
func (s *Service) UpdateCallForwarding(ctx context.Context, p *Principal, ext string,
	patch ForwardingPatch, ifMatch int64, remoteAddr string) (CallForwarding, error) {
	if err := s.ready(p); err != nil {
		return CallForwarding{}, err
	}
	target := "line " + ext
	if err := s.gate(ctx, p, params.FeatureCallForwardAll, ActionForwarding,
		remoteAddr); err != nil {
		return CallForwarding{}, err
	}
	fs, err := s.forwardingLine(ctx, p, ext)
	if err != nil {
		return CallForwarding{}, err
	}
	deny := func(err error, detail string) (CallForwarding, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionForwarding,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return CallForwarding{}, err
	}

	// The version is compared here to refuse early and compared again by
	// the store, in the transaction, which is what makes it safe.
	cur, err := fs.LineForwarding(ctx, ext)
	if err != nil {
		return CallForwarding{}, fmt.Errorf("selfcare: call forwarding: %w", err)
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: call forwarding: line %s: %w",
			displayLine(ext), ErrVersionConflict), fmt.Sprintf("stale version %d, "+
			"stored %d", ifMatch, cur.Version))
	}
	next := patch.Apply(cur)
	next.Extension = ext

	// Only the rules that change meet the gate and the checks, so that a
	// rule hidden or refused since it was saved does not block the others.
	feats := s.Features(ctx, p)
	var changed []params.ForwardKind
	for _, k := range forwardKinds {
		if next.Rules[k] == cur.Rules[k] {
			continue
		}
		if err := feats.CheckForward(k); err != nil {
			return deny(err, ForwardRuleName(k)+": "+auditReason(err))
		}
		changed = append(changed, k)
	}
	if len(changed) == 0 {
		return cur, nil
	}
	if err := s.checkForwardRules(ext, next, changed); err != nil {
		return deny(err, describeForwardChange(cur, next, changed)+": "+auditReason(err))
	}

	// The loop check needs every line's Call Forward All target as stored
	// when the save happens, so it runs inside the store's transaction.
	var check func(ForwardTable) error
	newCFA := next.Rules[params.ForwardAllCalls].Target()
	if newCFA != "" && newCFA != cur.Rules[params.ForwardAllCalls].Target() {
		maxHops := s.params.cache.Values().ForwardMaxHops()
		checker, err := s.destinationChecker()
		if err != nil {
			return CallForwarding{}, err
		}
		check = func(t ForwardTable) error {
			// Lines and targets compare as the site dials them, so that
			// +14155550123 and 914155550123 are one line.
			g := checker.site.lineGraph(t, ext)
			if err := CheckForwardChain(ext, newCFA, g, maxHops); err != nil {
				return forwardRefusal(params.ForwardAllCalls, err)
			}
			return nil
		}
	}
	saved, err := fs.UpdateLineForwarding(ctx, next, check)
	var de *DestinationError
	switch {
	case errors.As(err, &de), errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: call forwarding: line %s: %w",
			displayLine(ext), err), describeForwardChange(cur, next, changed)+": "+
			auditReason(err))
	case err != nil:
		return CallForwarding{}, fmt.Errorf("selfcare: call forwarding: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionForwarding, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s (version %d)",
			describeForwardChange(cur, saved, changed), saved.Version),
		RemoteAddr: remoteAddr})
	return saved, nil
}

// checkForwardRules checks the destinations of the changed rules: the
// grammar, the destination classes, and that no rule forwards the line to
// itself. A destination kept behind voicemail is checked too, since
// unticking voicemail makes it active without another look at it.
func (s *Service) checkForwardRules(ext string, next CallForwarding,
	changed []params.ForwardKind) error {
	checker, err := s.destinationChecker()
	if err != nil {
		return err
	}
	v := &ValidationError{}
	var first error
	for _, k := range changed {
		dest := next.Rules[k].Destination
		if dest == "" {
			continue
		}
		d, err := ParseDestination(dest, DestinationForward)
		if err == nil {
			err = checker.Check(d)
		}
		if err == nil {
			// Only the line itself, in any spelling the policy dials as
			// it; the loop check of Call Forward All follows the other
			// lines in the store's transaction.
			self := checker.site.lineGraph(ForwardTable{}, ext)
			err = CheckForwardChain(ext, dest, self, 0)
		}
		var de *DestinationError
		if errors.As(err, &de) {
			v.add(ForwardRuleName(k)+".destination", de.Message)
			if first == nil {
				first = de
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	if first == nil {
		return nil
	}
	return errors.Join(v, first)
}

// destinationChecker returns the compiled destination policy.
// TODO(forwarding): take the policy from the administrator's
// configuration instead of the default.
func (s *Service) destinationChecker() (*DestinationChecker, error) {
	return s.destinations()
}

// forwardRefusal turns a destination refusal of the rule of kind k into
// the error that [Service.UpdateCallForwarding] returns.
func forwardRefusal(k params.ForwardKind, err error) error {
	var de *DestinationError
	if !errors.As(err, &de) {
		return err
	}
	v := &ValidationError{}
	v.add(ForwardRuleName(k)+".destination", de.Message)
	return errors.Join(v, de)
}

// describeForwardChange lists the changed rules, old and new, for the
// audit trail.
func describeForwardChange(cur, next CallForwarding, changed []params.ForwardKind) string {
	parts := make([]string, 0, len(changed))
	for _, k := range changed {
		parts = append(parts, fmt.Sprintf("%s: %s -> %s", ForwardRuleName(k),
			cur.Rules[k], next.Rules[k]))
	}
	return strings.Join(parts, "; ")
}
