package selfcare

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
)

// Device activation is package onboarding put to work in the portal: the
// [onboarding.Registry] keeps its devices and codes in the portal's store,
// counts failed redemptions in the store's failure counters (so that every
// process sharing the store enforces one limit), and writes its events to
// the portal's audit trail, failing closed: a code whose view cannot be
// audited is not shown.

// ErrActivationOff means that the service was built without device
// activation: [OnboardingConfig] lacked a store or a sealer.
var ErrActivationOff = errors.New("selfcare: device activation is not configured")

// ErrModelConflict means that the portal already has a phone of that name
// recorded as another model. Device activation binds codes to the model,
// so the two records must agree; models compare without regard to case,
// as phones report them.
var ErrModelConflict = errors.New("selfcare: the portal has this phone as another model")

// ActionKeyDiscard is the audit action of [Service.DiscardActivationKey].
const ActionKeyDiscard = "activation.key.discard"

// OnboardingStore keeps the devices awaiting activation and their codes
// beside the portal's own devices, so that [onboarding.Store.SpendCode]
// can rename both in one transaction, and the check value of the
// activation key that seals the codes. memstore and sqlstore provide one
// through their Onboarding method.
//
// Its CreateDevice creates the portal's record of the device too, unless
// one exists: that one must have the same owner, or the name is taken
// ([onboarding.ErrExists]), and the same model but for case, or it
// returns [ErrModelConflict].
type OnboardingStore interface {
	onboarding.Store
	onboarding.KeyStore
	// Batch runs fn with a Store whose changes are committed together when
	// fn returns nil, and dropped when it returns an error, which Batch
	// then returns. Other writers may wait while fn runs, so fn must not
	// write through any other store, nor read through one that the batch
	// locks (the memory store holds its lock throughout).
	Batch(ctx context.Context, fn func(onboarding.Store) error) error
}

// FailureUndoer is implemented by a [FailureStore] that can take back a
// counted failure. Device activation counts each redemption as a failure
// before checking it, so that concurrent guesses cannot overrun a limit,
// and gives the count back when the code was right.
type FailureUndoer interface {
	// UndoFailure takes back one failure of key, never going below zero;
	// an unknown key is not an error.
	UndoFailure(ctx context.Context, key string) error
}

// OnboardingConfig configures device activation in a [Service]. Without a
// Store and a Sealer the service offers none, and its activation methods
// return [ErrActivationOff]. The enterprise parameter Show Phones Ready to
// Activate gates what users see, and the service parameter Activation Time
// to Live (Hours) gives new codes their life, both read from the
// parameters in force (see package params).
type OnboardingConfig struct {
	// Store keeps devices and codes, usually the Onboarding() of the
	// service's own store.
	Store OnboardingStore
	// Sealer seals codes under the site's activation key.
	Sealer *onboarding.Sealer
	// Registry tunes the registry: MaxFailures and the source and
	// site-wide limits. Its Now and Logger default to the service's, and
	// its TTL to the parameter. Its Auditor is always the service's audit
	// trail, and its Counter the store's failure counters when the store
	// is a [FailureUndoer].
	Registry onboarding.Config
}

// activation is the service's device activation; nil when not configured.
type activation struct {
	store  OnboardingStore
	sealer *onboarding.Sealer
	// cfg builds the registry, and the short-lived ones of batches.
	cfg onboarding.Config
	reg *onboarding.Registry
}

// newActivation wires device activation into s, or returns nil.
func (s *Service) newActivation(c OnboardingConfig) *activation {
	if c.Store == nil || c.Sealer == nil {
		return nil
	}
	a := &activation{store: c.Store, sealer: c.Sealer, cfg: c.Registry}
	if a.cfg.TTL == nil {
		// Read at each issue, so that a change applies to the next code.
		a.cfg.TTL = func() time.Duration { return s.params.cache.Values().ActivationTTL() }
	}
	if a.cfg.Now == nil {
		a.cfg.Now = s.now
	}
	if a.cfg.Logger == nil {
		a.cfg.Logger = s.log
	}
	a.cfg.Auditor = activationAuditor{s}
	a.cfg.Counter = nil
	if u, ok := s.store.(FailureUndoer); ok {
		a.cfg.Counter = failureCounter{s.store, u}
	} else {
		s.log.Warn("selfcare: the store cannot undo failures; activation limits " +
			"count in this process only")
	}
	a.reg = onboarding.New(a.store, a.sealer, a.cfg)
	return a
}

// activationAuditor writes the registry's events to the audit trail and,
// unlike [Service.audit], reports a failed write, so that the registry
// does not disclose a code whose view was not recorded.
type activationAuditor struct{ s *Service }

func (a activationAuditor) Audit(ctx context.Context, e onboarding.Event) error {
	if e.Source == "" {
		e.Source, _ = ctx.Value(sourceKey{}).(string)
	}
	return a.s.store.AppendAudit(ctx, auditEventOf(e))
}

// auditEventOf maps a registry event onto the audit trail. A phone has no
// actor; it is known by its source address.
func auditEventOf(e onboarding.Event) AuditEvent {
	return AuditEvent{Time: e.Time, Actor: clean(e.Actor), Action: e.Action,
		Target: clean(e.Device), Outcome: e.Outcome, Detail: clean(e.Detail),
		RemoteAddr: clean(e.Source)}
}

// failureCounter adapts the store's failure counters to the registry, so
// that source and site-wide limits hold across processes. The store
// restarts a window only after it has fully passed, one instant later than
// onboarding's own counter; the limits are unchanged by that.
type failureCounter struct {
	store FailureStore
	undo  FailureUndoer
}

func (c failureCounter) AddFailure(ctx context.Context, key string, now time.Time,
	window time.Duration) (int, error) {
	f, err := c.store.AddFailure(ctx, key, now, window)
	return f.Count, err
}

func (c failureCounter) UndoFailure(ctx context.Context, key string) error {
	return c.undo.UndoFailure(ctx, key)
}

// ActivationEnabled reports whether the service was built with device
// activation.
func (s *Service) ActivationEnabled() bool { return s.activation != nil }

// ActivationStats returns the redemption counters of this process.
func (s *Service) ActivationStats() onboarding.Stats {
	if s.activation == nil {
		return onboarding.Stats{}
	}
	return s.activation.reg.Stats()
}

// activationGate refuses a user's view of activation codes while Show
// Phones Ready to Activate is false, with the gate error of package
// params, which names the parameter; the refusal is audited.
func (s *Service) activationGate(ctx context.Context, p *Principal,
	remoteAddr string) error {
	if err := s.ready(p); err != nil {
		return err
	}
	if s.activation == nil {
		return ErrActivationOff
	}
	return s.gate(ctx, p, params.FeaturePhonesReadyToActivate, onboarding.ActionView,
		remoteAddr)
}

// ReadyToActivate returns one view of the caller's phones that are ready
// to activate, ordered by device name: each with its code, or marked
// expired without one; at most the registry's MaxShown phones
// (onboarding.DefaultMaxShown), the others counted in More. Each code
// shown is audited as viewed from remoteAddr, and none is shown when that
// fails. It returns ErrUnauthenticated, ErrPasswordChangeRequired,
// [ErrActivationOff], or a [*params.GateError] (matching
// [params.ErrFeatureHidden]) while Show Phones Ready to Activate is false;
// the parameters are those that [Service.Authenticate] loaded for the
// request.
func (s *Service) ReadyToActivate(ctx context.Context, p *Principal, remoteAddr string) (
	onboarding.ReadyList, error) {
	if err := s.activationGate(ctx, p, remoteAddr); err != nil {
		return onboarding.ReadyList{}, fmt.Errorf("selfcare: phones ready to activate: %w",
			err)
	}
	list, err := s.activation.reg.ReadyToActivate(ctx, p.User.ID, remoteAddr)
	if err != nil {
		return onboarding.ReadyList{}, fmt.Errorf("selfcare: phones ready to activate: %w",
			err)
	}
	return list, nil
}

// ActivationCode returns the code of one of the caller's phones ready to
// activate, as for its QR image; the view is audited. It fails like
// [Service.ReadyToActivate], and with [onboarding.ErrNotFound] alike for a
// device that does not exist, is another user's, or has no outstanding
// code, so that nobody can probe for other users' phones.
func (s *Service) ActivationCode(ctx context.Context, p *Principal, device,
	remoteAddr string) (onboarding.ReadyCode, error) {
	if err := s.activationGate(ctx, p, remoteAddr); err != nil {
		return onboarding.ReadyCode{}, fmt.Errorf("selfcare: activation code: %w", err)
	}
	rc, err := s.activation.reg.ShowCode(ctx, p.User.ID, device, remoteAddr)
	if err != nil {
		return onboarding.ReadyCode{}, fmt.Errorf("selfcare: activation code: %w", err)
	}
	return rc, nil
}

// RedeemActivationCode activates the phone that sends a code, as
// [onboarding.Registry.Redeem] describes: the phone has no session, and
// a.Source is its network address, which failures count against. Every
// failure, a service without activation included, is
// [onboarding.ErrRedeemFailed]; the cause is in the audit trail. Show
// Phones Ready to Activate does not apply: it decides what the portal
// shows users, not whether phones may activate.
func (s *Service) RedeemActivationCode(ctx context.Context, a onboarding.Attempt) (
	onboarding.Device, error) {
	if s.activation == nil {
		return onboarding.Device{}, onboarding.ErrRedeemFailed
	}
	return s.activation.reg.Redeem(ctx, a)
}

// maxDiscardDetail bounds the device names an audit event of
// [Service.DiscardActivationKey] lists.
const maxDiscardDetail = 8

// DiscardActivationKey forgets the activation key of st, usually the
// Onboarding() of the service's store, for a site whose key is lost or was
// replaced: every outstanding code is released, since nobody can open it
// any more, and the key's check value is deleted, so that the next start
// of the portal records a new key. The devices still require activation;
// their codes must be issued again. It returns their names. It needs
// update access to activation codes, and works whether or not the service
// has device activation, since a service refuses to start with the wrong
// key. It is audited, as failed too.
func (s *Service) DiscardActivationKey(ctx context.Context, c Caller,
	st onboarding.KeyStore) ([]string, error) {
	const op = "selfcare: discard the activation key"
	err := s.authorize(ctx, c, acl.ResourceActivationCodes, acl.Update, ActionKeyDiscard, "")
	if err != nil {
		return nil, err
	}
	e := AuditEvent{Actor: actorOrCLI(c.actor), Action: ActionKeyDiscard,
		RemoteAddr: clean(c.addr)}
	names, err := st.DiscardKey(ctx, s.now())
	if err != nil {
		e.Outcome, e.Detail = OutcomeFailed, clean(err.Error())
		s.audit(ctx, e)
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	e.Outcome = OutcomeOK
	e.Detail = fmt.Sprintf("%d outstanding codes released", len(names))
	if len(names) > 0 {
		e.Detail += ": " + strings.Join(names[:min(len(names), maxDiscardDetail)], ", ")
		if len(names) > maxDiscardDetail {
			e.Detail += fmt.Sprintf(" and %d more", len(names)-maxDiscardDetail)
		}
	}
	s.audit(ctx, e)
	s.log.Warn("selfcare: activation key discarded; issue the released codes again",
		"released", len(names))
	return names, nil
}
