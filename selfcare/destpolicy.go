package selfcare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ucselfcare/portal/acl"
)

// This file makes the destination policy the administrator's: it lives in
// the store, an administrator changes it through the service under a
// version, and every process sharing the store applies a change at its
// next request.
//
// It rides on the store's one generation, the counter that already tells
// every process when parameters or access control moved: a store advances
// it in the transaction that saves a policy, each request's
// authentication reads it (see syncCaches), and the compiled checker is
// kept labelled with the generation it was loaded at. A request that sees
// another generation loads the policy again; one that sees the same one
// costs nothing more.

// ErrDestinationPolicyFixed means the service's store keeps no
// destination policy, so [DefaultDestinationPolicy] applies and cannot be
// changed.
var ErrDestinationPolicyFixed = fmt.Errorf("selfcare: the store keeps no "+
	"destination policy: %w", errors.ErrUnsupported)

// Audit actions of the destination policy.
const (
	ActionDestPolicySet   = "destpolicy.set"
	ActionDestPolicyReset = "destpolicy.reset"
)

// destPolicyLoadTimeout bounds loading the policy from the store. The
// checker's callers hold no context (see Service.destinations), so the
// load gets a deadline of its own.
const destPolicyLoadTimeout = 10 * time.Second

// ConfiguredDestinationPolicy is the destination policy in force and its
// version, as an administrator reads and changes it.
type ConfiguredDestinationPolicy struct {
	// Policy is the policy; while Custom is false it is
	// [DefaultDestinationPolicy].
	Policy DestinationPolicy
	// Custom reports that an administrator set the policy; false means
	// that none is stored and the default applies.
	Custom bool
	// Version counts the changes: 0 while none was ever made, one more
	// with every change, resets included, so that a version is never
	// reused.
	Version int64
}

// DestinationPolicyStore keeps the administrator's destination policy.
// memstore and sqlstore implement it; the service uses it when its
// [Store] does.
type DestinationPolicyStore interface {
	// DestinationPolicy returns what is stored. With nothing stored it
	// returns Custom false at Version 0; after a reset, Custom false at
	// the reset's version. Policy is the zero value whenever Custom is
	// false. It returns only storage errors, and an error when a stored
	// policy cannot be read back.
	DestinationPolicy(ctx context.Context) (ConfiguredDestinationPolicy, error)
	// SetDestinationPolicy stores p.Policy, or with p.Custom false stores
	// that no policy is set, when the stored version (0 when nothing was
	// ever stored) is p.Version, and returns what it stored, whose
	// Version is p.Version+1. It advances the store's generation (see
	// [ParamStore]) in the same transaction, so that every process
	// reloads. It returns ErrVersionConflict, wrapped, when the version
	// differs, and writes nothing then. The caller has validated the
	// policy.
	SetDestinationPolicy(ctx context.Context, p ConfiguredDestinationPolicy) (
		ConfiguredDestinationPolicy, error)
}

// destPolicyCache is the compiled policy of one generation.
type destPolicyCache struct {
	gen     uint64
	checker *DestinationChecker
	err     error
}

// destinationSource returns what Service.destinations calls: the checker
// of the policy in force. With a store that keeps no policy it compiles
// the default once.
func (s *Service) destinationSource() func() (*DestinationChecker, error) {
	ps, ok := s.store.(DestinationPolicyStore)
	if !ok {
		return sync.OnceValues(DefaultDestinationPolicy().Compile)
	}
	var (
		cur atomic.Pointer[destPolicyCache]
		// mu makes concurrent requests of a new generation load once.
		mu sync.Mutex
	)
	return func() (*DestinationChecker, error) {
		// TODO(destpolicy): take the request's context once the speed dial
		// and forwarding checks pass one down.
		ctx, cancel := context.WithTimeout(context.Background(), destPolicyLoadTimeout)
		defer cancel()
		gen, err := s.policyGeneration(ctx)
		if err != nil {
			return nil, fmt.Errorf("selfcare: destination policy: %w", err)
		}
		if c := cur.Load(); c != nil && c.gen == gen {
			return c.checker, c.err
		}
		mu.Lock()
		defer mu.Unlock()
		if c := cur.Load(); c != nil && c.gen == gen {
			return c.checker, c.err
		}

		// The policy is read after the generation, so it is at least as
		// new as the label it gets.
		stored, err := ps.DestinationPolicy(ctx)
		if err != nil {
			// Not kept: the next request tries again.
			return nil, fmt.Errorf("selfcare: destination policy: %w", err)
		}
		c := &destPolicyCache{gen: gen}
		if !stored.Custom {
			stored.Policy = DefaultDestinationPolicy()
		}
		c.checker, c.err = stored.Policy.Compile()
		if c.err != nil {
			// Saved policies were compiled first, so only another version
			// of the portal or a hand-edited database gets here; every
			// destination is refused until an administrator fixes it.
			s.log.Error("selfcare: the stored destination policy is not valid; "+
				"every destination is refused", "version", stored.Version, "err", c.err)
			c.err = fmt.Errorf("%w: %v", ErrBadDestinationPolicy, c.err)
		}
		cur.Store(c)
		return c.checker, c.err
	}
}

// policyGeneration returns the store's generation as this request sees
// it: the one its authentication loaded the parameters at when the
// parameters follow the store's generation, and otherwise a fresh read.
func (s *Service) policyGeneration(ctx context.Context) (uint64, error) {
	if s.params.sharedGen {
		if snap := s.params.cache.Snapshot(); snap.Loaded {
			return snap.Generation, nil
		}
	}
	return s.store.Generation(ctx)
}

// destPolicyStore returns the store's policy, or ErrDestinationPolicyFixed.
func (s *Service) destPolicyStore() (DestinationPolicyStore, error) {
	ps, ok := s.store.(DestinationPolicyStore)
	if !ok {
		return nil, ErrDestinationPolicyFixed
	}
	return ps, nil
}

// DestinationPolicy returns the destination policy in force; c needs read
// access to [acl.ResourceServiceParameters], which also guards the
// forwarding hop count. Without a stored policy it returns
// [DefaultDestinationPolicy] with Custom false. It returns
// ErrDestinationPolicyFixed when the store keeps no policy.
func (s *Service) DestinationPolicy(ctx context.Context, c Caller) (
	ConfiguredDestinationPolicy, error) {
	err := s.authorize(ctx, c, acl.ResourceServiceParameters, acl.Read,
		"destpolicy.read", "")
	if err != nil {
		return ConfiguredDestinationPolicy{}, err
	}
	ps, err := s.destPolicyStore()
	if err != nil {
		return ConfiguredDestinationPolicy{}, err
	}
	return s.readDestPolicy(ctx, ps)
}

// readDestPolicy reads the stored policy with the default filled in.
func (s *Service) readDestPolicy(ctx context.Context, ps DestinationPolicyStore) (
	ConfiguredDestinationPolicy, error) {
	cur, err := ps.DestinationPolicy(ctx)
	if err != nil {
		return ConfiguredDestinationPolicy{}, fmt.Errorf("selfcare: destination policy: %w",
			err)
	}
	if !cur.Custom {
		cur.Policy = DefaultDestinationPolicy()
	}
	return cur, nil
}

// SetDestinationPolicy makes p the destination policy when ifMatch is the
// version in force, and returns what is stored now. c needs update access
// to [acl.ResourceServiceParameters]. Every process sharing the store
// applies the new policy from its next request; settings saved before
// are kept, and checked against it when they are next saved.
//
// It returns, in the order it checks: ErrUnauthenticated, ErrForbidden
// and the other refusals of an administrator operation;
// ErrDestinationPolicyFixed; the [*ValidationError] of
// [DestinationPolicy.Validate], matching [ErrInvalid], when p is not
// valid; and ErrVersionConflict when ifMatch is not the version in force.
// Nothing is stored then. Every change and every refusal after the
// authorization is audited, with what changed.
func (s *Service) SetDestinationPolicy(ctx context.Context, c Caller, p DestinationPolicy,
	ifMatch int64) (ConfiguredDestinationPolicy, error) {
	return s.changeDestPolicy(ctx, c, ActionDestPolicySet,
		ConfiguredDestinationPolicy{Policy: p, Custom: true}, ifMatch)
}

// ResetDestinationPolicy takes the stored policy away, so that
// [DefaultDestinationPolicy] applies, when ifMatch is the version in
// force. It returns the errors of [Service.SetDestinationPolicy] but the
// validation error.
func (s *Service) ResetDestinationPolicy(ctx context.Context, c Caller, ifMatch int64) (
	ConfiguredDestinationPolicy, error) {
	return s.changeDestPolicy(ctx, c, ActionDestPolicyReset,
		ConfiguredDestinationPolicy{}, ifMatch)
}

// changeDestPolicy checks and stores next under ifMatch.
func (s *Service) changeDestPolicy(ctx context.Context, c Caller, action string,
	next ConfiguredDestinationPolicy, ifMatch int64) (ConfiguredDestinationPolicy, error) {
	const target = "destination policy"
	err := s.authorize(ctx, c, acl.ResourceServiceParameters, acl.Update, action, target)
	if err != nil {
		return ConfiguredDestinationPolicy{}, err
	}
	ps, err := s.destPolicyStore()
	if err != nil {
		return ConfiguredDestinationPolicy{}, err
	}
	deny := func(err error, detail string) (ConfiguredDestinationPolicy, error) {
		s.audit(ctx, AuditEvent{Actor: c.actor, Action: action, Target: target,
			Outcome: OutcomeDenied, Detail: detail, RemoteAddr: c.addr})
		return ConfiguredDestinationPolicy{}, err
	}

	// A policy that does not compile would refuse every destination.
	if next.Custom {
		if _, err := next.Policy.Compile(); err != nil {
			return deny(fmt.Errorf("selfcare: destination policy: %w", err),
				"refused: "+auditReason(err))
		}
	}
	cur, err := s.readDestPolicy(ctx, ps)
	if err != nil {
		return ConfiguredDestinationPolicy{}, err
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: destination policy: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	next.Version = ifMatch
	saved, err := ps.SetDestinationPolicy(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: destination policy: %w", err),
			fmt.Sprintf("stale version %d: %s", ifMatch, auditReason(err)))
	case err != nil:
		return ConfiguredDestinationPolicy{}, fmt.Errorf("selfcare: destination policy: %w",
			err)
	}
	if !saved.Custom {
		saved.Policy = DefaultDestinationPolicy()
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: action, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("version %d -> %d: %s", cur.Version,
			saved.Version, DescribeDestinationPolicyChange(cur, saved)),
		RemoteAddr: c.addr})

	// This process applies it at once; the others at their next request.
	if err := s.syncParams(ctx); err != nil {
		s.log.Warn("selfcare: reloading after a destination policy change", "err", err)
	}
	return saved, nil
}

// DescribeDestinationPolicyChange says in one line what differs between
// two policies, for the audit trail and for an administrator about to
// apply one: the site fields that changed, and the classes added,
// removed, moved or changed, each with what changed about it. Patterns
// are counted, not listed, to keep the line short.
func DescribeDestinationPolicyChange(old, next ConfiguredDestinationPolicy) string {
	var parts []string
	if old.Custom != next.Custom {
		parts = append(parts, map[bool]string{true: "custom policy set",
			false: "back to the default"}[next.Custom])
	}
	o, n := old.Policy, next.Policy
	field := func(name, a, b string) {
		if a != b {
			parts = append(parts, fmt.Sprintf("site.%s %q -> %q", name, a, b))
		}
	}
	field("countryCode", o.Site.CountryCode, n.Site.CountryCode)
	field("accessCode", o.Site.AccessCode, n.Site.AccessCode)
	field("internationalPrefix", o.Site.InternationalPrefix, n.Site.InternationalPrefix)
	field("nationalPrefix", o.Site.NationalPrefix, n.Site.NationalPrefix)
	field("extensionLengths", fmt.Sprint(o.Site.ExtensionLengths),
		fmt.Sprint(n.Site.ExtensionLengths))
	field("uriDomains", strings.Join(o.Site.URIDomains, ","),
		strings.Join(n.Site.URIDomains, ","))

	find := func(cs []DestinationClass, name string) (DestinationClass, int) {
		i := slices.IndexFunc(cs, func(c DestinationClass) bool { return c.Name == name })
		if i < 0 {
			return DestinationClass{}, -1
		}
		return cs[i], i
	}
	for i, nc := range n.Classes {
		oc, j := find(o.Classes, nc.Name)
		if j < 0 {
			parts = append(parts, fmt.Sprintf("class %s added (allowed %t, %d patterns)",
				nc.Name, nc.Allowed, len(nc.Patterns)))
			continue
		}
		var what []string
		if j != i {
			what = append(what, fmt.Sprintf("position %d -> %d", j+1, i+1))
		}
		if oc.Allowed != nc.Allowed {
			what = append(what, fmt.Sprintf("allowed %t -> %t", oc.Allowed, nc.Allowed))
		}
		if !slices.Equal(oc.Patterns, nc.Patterns) {
			what = append(what, fmt.Sprintf("patterns changed (%d -> %d)",
				len(oc.Patterns), len(nc.Patterns)))
		}
		if !slices.Equal(oc.Kinds, nc.Kinds) {
			what = append(what, fmt.Sprintf("kinds %v -> %v", oc.Kinds, nc.Kinds))
		}
		if oc.Message != nc.Message {
			what = append(what, "message changed")
		}
		if len(what) > 0 {
			parts = append(parts, "class "+nc.Name+" "+strings.Join(what, ", "))
		}
	}
	for _, oc := range o.Classes {
		if _, j := find(n.Classes, oc.Name); j < 0 {
			parts = append(parts, "class "+oc.Name+" removed")
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}
