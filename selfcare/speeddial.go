package selfcare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
)

// Speed dials belong to a phone, not to a line or a user: the reference
// sets them per phone, and a phone's list is saved whole, with one version
// for the list, so that two browsers editing the same phone cannot
// interleave their entries. A user may touch only the speed dials of their
// own phones; another user's phone answers exactly as a missing one.

// The limits the reference leaves open are chosen here and documented in
// the README: positions run from 1 to [MaxSpeedDialPosition], which covers
// the abbreviated dials a phone offers once its line buttons are full, and
// a label has at most [MaxSpeedDialLabel] characters, what a phone's line
// key can show without scrolling.
const (
	// MaxSpeedDialPosition is the highest speed dial position.
	MaxSpeedDialPosition = 99
	// MaxSpeedDialLabel bounds a label, in characters.
	MaxSpeedDialLabel = 32
)

// ErrSpeedDialsOff means the service's store keeps no speed dials.
var ErrSpeedDialsOff = fmt.Errorf("selfcare: the store keeps no speed dials: %w",
	errors.ErrUnsupported)

// ErrPositionTaken means two speed dials of one phone name the same
// position. It matches [ErrExists], so the API answers 409.
var ErrPositionTaken = fmt.Errorf("selfcare: speed dial position is taken: %w",
	ErrExists)

// ActionSpeedDials is the audit action of [Service.UpdateSpeedDials].
const ActionSpeedDials = "speeddials.change"

// SpeedDial is one speed dial of a phone.
type SpeedDial struct {
	// Position is the button or abbreviated-dial number, from 1.
	Position int
	// Destination is a number, with pauses and digits after commas, or a
	// directory URI, as [ParseDestination] accepted it for a speed dial.
	Destination string
	// Label is what the phone shows instead of the number; "" for none.
	Label string
}

// String describes the entry for the audit trail.
func (d SpeedDial) String() string {
	if d.Label == "" {
		return fmt.Sprintf("%d=%s", d.Position, d.Destination)
	}
	return fmt.Sprintf("%d=%s (%s)", d.Position, d.Destination, d.Label)
}

// SpeedDials is the speed dial list of one phone.
type SpeedDials struct {
	// Device is the phone's name.
	Device string
	// Entries are ordered by position.
	Entries []SpeedDial
	// Version counts the saves: 0 for a phone whose list was never
	// saved, one more with every save.
	Version int64
}

// SpeedDialStore keeps speed dials by phone. memstore and sqlstore
// implement it; the service uses it when its [Store] does.
type SpeedDialStore interface {
	// SpeedDials returns the list of the phone named device. A phone with
	// nothing stored has no entries and Version 0; this is not
	// ErrNotFound. It returns only storage errors.
	SpeedDials(ctx context.Context, device string) (SpeedDials, error)
	// UpdateSpeedDials replaces the list of l.Device, in one transaction,
	// when the stored version (0 when nothing is stored) is l.Version,
	// and returns what it stored, whose Version is l.Version+1. It returns
	// ErrVersionConflict, wrapped, when the version differs, and writes
	// nothing then. The caller has checked the entries.
	UpdateSpeedDials(ctx context.Context, l SpeedDials) (SpeedDials, error)
}

// speedDialStore returns the store's speed dials, or ErrSpeedDialsOff.
func (s *Service) speedDialStore() (SpeedDialStore, error) {
	ss, ok := s.store.(SpeedDialStore)
	if !ok {
		return nil, ErrSpeedDialsOff
	}
	return ss, nil
}

// speedDialsReady runs the checks every speed dial operation shares: the
// principal, the gate, the store, and that the phone is the principal's.
func (s *Service) speedDialsReady(ctx context.Context, p *Principal, device string) (
	SpeedDialStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeatureSpeedDials); err != nil {
		return nil, err
	}
	ss, err := s.speedDialStore()
	if err != nil {
		return nil, err
	}
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("selfcare: speed dials: %w", err)
	}
	if !slices.ContainsFunc(ds, func(d Device) bool { return d.Name == device }) {
		return nil, fmt.Errorf("selfcare: speed dials: phone %q: %w",
			displayLine(device), ErrNotFound)
	}
	return ss, nil
}

// SpeedDials returns the speed dials of device, one of the principal's
// phones. It returns ErrNotFound, as for a phone that does not exist, when
// the phone is not the principal's; a [*params.GateError] while Show Speed
// Dial Settings hides speed dials; and the errors of [Service.Phones].
func (s *Service) SpeedDials(ctx context.Context, p *Principal, device string) (
	SpeedDials, error) {
	ss, err := s.speedDialsReady(ctx, p, device)
	if err != nil {
		return SpeedDials{}, err
	}
	l, err := ss.SpeedDials(ctx, device)
	if err != nil {
		return SpeedDials{}, fmt.Errorf("selfcare: speed dials: %w", err)
	}
	return l, nil
}

// UpdateSpeedDials replaces the speed dials of device, one of the
// principal's phones, with entries when ifMatch is the list's current
// version, and returns what is stored now, ordered by position.
//
// It returns, in the order it checks: the errors of [Service.SpeedDials];
// ErrPositionTaken when two entries share a position; an error matching
// [ErrInvalid] that is a [*ValidationError] with one field per problem,
// named "speedDials[i].position", ".destination" or ".label" (i counts
// from 0 in the order given): a position outside 1..[MaxSpeedDialPosition],
// a destination that [ParseDestination] or the destination policy
// refuses, a label that is too long or holds control or format
// characters, or a missing label where [Destination.NeedsLabel]; and
// ErrVersionConflict when ifMatch is not the current version. Every change
// and every refusal after the ownership check is audited, old and new.
func (s *Service) UpdateSpeedDials(ctx context.Context, p *Principal, device string,
	entries []SpeedDial, ifMatch int64, remoteAddr string) (SpeedDials, error) {
	if err := s.ready(p); err != nil {
		return SpeedDials{}, err
	}
	if err := s.gate(ctx, p, params.FeatureSpeedDials, ActionSpeedDials,
		remoteAddr); err != nil {
		return SpeedDials{}, err
	}
	ss, err := s.speedDialsReady(ctx, p, device)
	if err != nil {
		return SpeedDials{}, err
	}
	target := "phone " + device
	deny := func(err error, detail string) (SpeedDials, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionSpeedDials,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return SpeedDials{}, err
	}
	if err := s.checkSpeedDials(entries); err != nil {
		return deny(err, auditReason(err))
	}
	next := SpeedDials{Device: device, Version: ifMatch, Entries: slices.Clone(entries)}
	slices.SortFunc(next.Entries, func(a, b SpeedDial) int { return a.Position - b.Position })

	cur, err := ss.SpeedDials(ctx, device)
	if err != nil {
		return SpeedDials{}, fmt.Errorf("selfcare: speed dials: %w", err)
	}
	if cur.Version == ifMatch && slices.Equal(cur.Entries, next.Entries) {
		return cur, nil
	}
	saved, err := ss.UpdateSpeedDials(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: speed dials: phone %q: %w",
			displayLine(device), err), fmt.Sprintf("stale version %d, stored %d",
			ifMatch, cur.Version))
	case err != nil:
		return SpeedDials{}, fmt.Errorf("selfcare: speed dials: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionSpeedDials, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s -> %s (version %d)",
			describeSpeedDials(cur.Entries), describeSpeedDials(saved.Entries),
			saved.Version), RemoteAddr: remoteAddr})
	return saved, nil
}

// checkSpeedDials checks every entry and reports every problem at once.
func (s *Service) checkSpeedDials(entries []SpeedDial) error {
	checker, err := s.destinations()
	if err != nil {
		return err
	}
	v := &ValidationError{}
	seen := map[int]bool{}
	taken := false
	for i, e := range entries {
		field := fmt.Sprintf("speedDials[%d].", i)
		switch {
		case e.Position < 1 || e.Position > MaxSpeedDialPosition:
			v.add(field+"position", fmt.Sprintf("Choose a position from 1 to %d.",
				MaxSpeedDialPosition))
		case seen[e.Position]:
			// The later entry is the one to move: the first keeps its place.
			v.add(field+"position", fmt.Sprintf("Position %d is used twice.",
				e.Position))
			taken = true
		}
		seen[e.Position] = true
		d, err := ParseDestination(e.Destination, DestinationSpeedDial)
		if err == nil {
			err = checker.Check(d)
		}
		var de *DestinationError
		switch {
		case errors.As(err, &de):
			v.add(field+"destination", de.Message)
		case err != nil:
			return err
		}
		if msg := labelProblem(e.Label, err == nil && d.NeedsLabel()); msg != "" {
			v.add(field+"label", msg)
		}
	}
	if taken {
		// Still a conflict (409), now naming every entry to move.
		return fmt.Errorf("selfcare: speed dials: %w: %w", ErrPositionTaken, v)
	}
	return v.err()
}

// labelProblem returns why a label is refused, or "".
func labelProblem(label string, required bool) string {
	switch {
	case blankText(label) && required:
		return "Enter a label: the number sends codes after a pause, and the " +
			"phone would show them otherwise."
	case !utf8.ValidString(label):
		return "The label is not valid text."
	case utf8.RuneCountInString(label) > MaxSpeedDialLabel:
		return fmt.Sprintf("Use at most %d characters for the label.", MaxSpeedDialLabel)
	case strings.ContainsFunc(label, invisibleRune):
		return "The label holds a control or invisible character."
	case edgeBlank(label):
		return "Remove the spaces at the start or end of the label."
	}
	return ""
}

// describeSpeedDials lists entries for the audit trail.
func describeSpeedDials(entries []SpeedDial) string {
	if len(entries) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(entries))
	for _, e := range entries {
		parts = append(parts, e.String())
	}
	return strings.Join(parts, ", ")
}
