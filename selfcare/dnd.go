package selfcare

import (
	"context"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/params"
)

// Do Not Disturb belongs to the user: the reference turns it on and off
// for all of the user's phones at once, so the store keys it by user and
// keeps one version for it. Option 2 of the reference, "use the common
// phone profile setting", is an administrator's choice and not offered.

// ErrDNDOff means the service's store keeps no Do Not Disturb settings.
var ErrDNDOff = fmt.Errorf("selfcare: the store keeps no Do Not Disturb: %w",
	errors.ErrUnsupported)

// ActionDND is the audit action of [Service.UpdateDoNotDisturb].
const ActionDND = "dnd.change"

// DNDOption is what the phone does with a call while Do Not Disturb is on;
// its values are the reference's.
type DNDOption uint8

// The options a user may choose.
const (
	// DNDRingerOff silences the ringer but shows the call, which the user
	// can still answer. It is the default.
	DNDRingerOff DNDOption = 0
	// DNDCallReject shows nothing of the call.
	DNDCallReject DNDOption = 1
)

var dndOptionNames = map[DNDOption]string{DNDRingerOff: "ringerOff",
	DNDCallReject: "callReject"}

// String returns the option's name in the API, such as "ringerOff".
func (o DNDOption) String() string { return enumString(dndOptionNames, o, "DNDOption") }

// MarshalText returns the name; an unknown option is an error.
func (o DNDOption) MarshalText() ([]byte, error) {
	return enumMarshal(dndOptionNames, o, "Do Not Disturb option")
}

// UnmarshalText reads a name that MarshalText returns.
func (o *DNDOption) UnmarshalText(b []byte) error {
	return enumUnmarshal(dndOptionNames, o, b, "Do Not Disturb option")
}

// DNDAlert is how the phone announces a call while Do Not Disturb is on;
// its values are the reference's.
type DNDAlert uint8

// The alerts a user may choose.
const (
	// DNDAlertDisable gives no alert. It is the default.
	DNDAlertDisable DNDAlert = 1
	// DNDAlertFlashOnly flashes the phone's light.
	DNDAlertFlashOnly DNDAlert = 2
	// DNDAlertBeepOnly beeps once.
	DNDAlertBeepOnly DNDAlert = 5
)

var dndAlertNames = map[DNDAlert]string{DNDAlertDisable: "disable",
	DNDAlertFlashOnly: "flashOnly", DNDAlertBeepOnly: "beepOnly"}

// String returns the alert's name in the API, such as "flashOnly".
func (a DNDAlert) String() string { return enumString(dndAlertNames, a, "DNDAlert") }

// MarshalText returns the name; an unknown alert is an error.
func (a DNDAlert) MarshalText() ([]byte, error) {
	return enumMarshal(dndAlertNames, a, "Do Not Disturb alert")
}

// UnmarshalText reads a name that MarshalText returns.
func (a *DNDAlert) UnmarshalText(b []byte) error {
	return enumUnmarshal(dndAlertNames, a, b, "Do Not Disturb alert")
}

// DoNotDisturb is a user's Do Not Disturb setting.
type DoNotDisturb struct {
	UserID  string
	Enabled bool
	Option  DNDOption
	Alert   DNDAlert
	// Version counts the saves: 0 for a user who never saved, one more
	// with every save.
	Version int64
}

// DefaultDoNotDisturb returns the setting of a user who never saved one:
// off, Ringer Off, no alert.
func DefaultDoNotDisturb(userID string) DoNotDisturb {
	return DoNotDisturb{UserID: userID, Option: DNDRingerOff, Alert: DNDAlertDisable}
}

// String describes the setting for the audit trail.
func (d DoNotDisturb) String() string {
	state := "off"
	if d.Enabled {
		state = "on"
	}
	return fmt.Sprintf("%s, %s, alert %s", state, d.Option, d.Alert)
}

// DNDPatch is a partial update in the manner of a JSON merge patch: an
// absent field stays as it is, a null one returns to its default.
type DNDPatch struct {
	Enabled PatchField[bool]
	Option  PatchField[DNDOption]
	Alert   PatchField[DNDAlert]
}

// Apply returns d changed by the patch. The version is left alone.
func (p DNDPatch) Apply(d DoNotDisturb) DoNotDisturb {
	def := DefaultDoNotDisturb(d.UserID)
	d.Enabled = p.Enabled.apply(d.Enabled)
	if p.Option.Null {
		d.Option = def.Option
	} else {
		d.Option = p.Option.apply(d.Option)
	}
	if p.Alert.Null {
		d.Alert = def.Alert
	} else {
		d.Alert = p.Alert.apply(d.Alert)
	}
	return d
}

// DNDStore keeps Do Not Disturb by user. memstore and sqlstore implement
// it; the service uses it when its [Store] does.
type DNDStore interface {
	// DoNotDisturb returns the setting of the user; a user with nothing
	// stored reads as [DefaultDoNotDisturb] at Version 0, not ErrNotFound.
	// It returns only storage errors.
	DoNotDisturb(ctx context.Context, userID string) (DoNotDisturb, error)
	// UpdateDoNotDisturb stores d, in one transaction, when the stored
	// version (0 when nothing is stored) is d.Version, and returns what it
	// stored, whose Version is d.Version+1. It returns ErrVersionConflict,
	// wrapped, when the version differs, and writes nothing then.
	UpdateDoNotDisturb(ctx context.Context, d DoNotDisturb) (DoNotDisturb, error)
}

// dndReady runs the checks every Do Not Disturb operation shares.
func (s *Service) dndReady(ctx context.Context, p *Principal) (DNDStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeatureDoNotDisturb); err != nil {
		return nil, err
	}
	ds, ok := s.store.(DNDStore)
	if !ok {
		return nil, ErrDNDOff
	}
	return ds, nil
}

// DoNotDisturb returns the principal's Do Not Disturb setting. It returns
// a [*params.GateError] while Show Do Not Disturb hides it, and the
// errors of [Service.Phones].
func (s *Service) DoNotDisturb(ctx context.Context, p *Principal) (DoNotDisturb, error) {
	ds, err := s.dndReady(ctx, p)
	if err != nil {
		return DoNotDisturb{}, err
	}
	d, err := ds.DoNotDisturb(ctx, p.User.ID)
	if err != nil {
		return DoNotDisturb{}, fmt.Errorf("selfcare: do not disturb: %w", err)
	}
	return d, nil
}

// UpdateDoNotDisturb applies patch to the principal's setting, for all of
// their phones, when ifMatch is its current version, and returns what is
// stored now.
//
// It returns, in the order it checks: the errors of
// [Service.DoNotDisturb]; an error matching [ErrInvalid] that is a
// [*ValidationError] naming "option" or "incomingCallAlert" when the patch
// sets a value that is not one of the constants; and ErrVersionConflict
// when ifMatch is not the current version. Every change and every refusal
// is audited with the old and new setting.
func (s *Service) UpdateDoNotDisturb(ctx context.Context, p *Principal, patch DNDPatch,
	ifMatch int64, remoteAddr string) (DoNotDisturb, error) {
	if err := s.ready(p); err != nil {
		return DoNotDisturb{}, err
	}
	if err := s.gate(ctx, p, params.FeatureDoNotDisturb, ActionDND,
		remoteAddr); err != nil {
		return DoNotDisturb{}, err
	}
	ds, err := s.dndReady(ctx, p)
	if err != nil {
		return DoNotDisturb{}, err
	}
	deny := func(err error, detail string) (DoNotDisturb, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionDND,
			Target: "user " + p.User.ID, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return DoNotDisturb{}, err
	}
	cur, err := ds.DoNotDisturb(ctx, p.User.ID)
	if err != nil {
		return DoNotDisturb{}, fmt.Errorf("selfcare: do not disturb: %w", err)
	}
	next := patch.Apply(cur)
	v := &ValidationError{}
	if _, ok := dndOptionNames[next.Option]; !ok {
		v.add("option", "Choose Ringer Off or Call Reject.")
	}
	if _, ok := dndAlertNames[next.Alert]; !ok {
		v.add("incomingCallAlert", "Choose Disable, Flash Only or Beep Only.")
	}
	if err := v.err(); err != nil {
		return deny(err, auditReason(err))
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: do not disturb: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	if next == cur {
		return cur, nil
	}
	saved, err := ds.UpdateDoNotDisturb(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: do not disturb: %w", err),
			fmt.Sprintf("%s -> %s: %s", cur, next, auditReason(err)))
	case err != nil:
		return DoNotDisturb{}, fmt.Errorf("selfcare: do not disturb: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionDND,
		Target: "user " + p.User.ID, Outcome: OutcomeOK,
		Detail:     fmt.Sprintf("%s -> %s (version %d)", cur, saved, saved.Version),
		RemoteAddr: remoteAddr})
	return saved, nil
}
