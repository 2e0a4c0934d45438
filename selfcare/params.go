package selfcare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
)

// This file wires package params into the service: the parameters in
// force on every request, the feature gates, the credential policy and the
// overlap policy that follow from them, the administration of parameters,
// user profiles and cluster servers, and the Extension Mobility page.

// ParamStore keeps what the parameters need besides [Store]: the values,
// the cluster's servers and the user profiles of [params.Store], and, per
// user, the assigned profile and the Extension Mobility choice.
//
// Its Generation is the store's one generation, which [acl.Store] shares:
// a store advances it for parameter and server changes as well as for
// access-control changes, so that each cache also reloads when the other's
// data moves, which costs little because both change rarely.
type ParamStore interface {
	params.Store

	// AssignProfile sets a user's profile; "" takes it away. It returns
	// the profile the user held before. The check that the profile exists
	// and the change happen in one transaction, so that a profile being
	// deleted is never assigned. It returns ErrNotFound for an unknown user
	// and params.ErrNotFound for an unknown profile.
	AssignProfile(ctx context.Context, userID, profile string) (old string, err error)
	// EMLoginChoice returns the user's Extension Mobility maximum login
	// time choice as [params.EMLoginChoice.String] wrote it, or "" when the
	// user never chose, and its version: 0 until the first change, then
	// one more with each. It returns ErrNotFound for an unknown user.
	EMLoginChoice(ctx context.Context, userID string) (choice string, version int64,
		err error)
	// SetEMLoginChoice stores the choice if version is the stored one, and
	// returns the new version, one more. It returns ErrNotFound for an
	// unknown user and ErrVersionConflict when version is not the stored
	// one; nothing is changed on any error.
	SetEMLoginChoice(ctx context.Context, userID, choice string, version int64) (int64,
		error)
}

// Audit actions of this file.
const (
	ActionParamSet      = "param.set"
	ActionParamReset    = "param.reset"
	ActionProfilePut    = "profile.put"
	ActionProfileDelete = "profile.delete"
	ActionProfileAssign = "profile.assign"
	ActionServerPut     = "server.put"
	ActionServerRemove  = "server.remove"
	ActionEMLoginTime   = "em.login-time"
)

// causeNoAdmin refuses an administration login or session, as causeNoRole
// refuses a Self Care one.
const causeNoAdmin = "no administration access"

// paramsState is the service's view of the parameters: the cache, and what
// follows from the snapshot in force.
type paramsState struct {
	store ParamStore
	cache *params.Cache
	log   *slog.Logger
	// pinned is Config.Policy as given: its non-zero fields stand in for
	// the defaults of the matching parameters (see effectivePolicy).
	pinned CredentialPolicy
	// resolver gets the overlap policy; baseOverlap is its policy from
	// Config, in force while the parameter is not set.
	resolver    *acl.Resolver
	baseOverlap acl.OverlapPolicy

	// sharedGen is set when the store's one generation labels both the
	// parameters and the resolver's grants: no Config.Params and no
	// Config.Resolver of their own. A request then reads it once for both
	// caches (see syncCaches).
	sharedGen bool

	cur atomic.Pointer[derivedParams]
	// mu serialises recomputing, so that an older snapshot's result never
	// replaces a newer one's.
	mu sync.Mutex
}

// derivedParams is what one snapshot of the values implies.
type derivedParams struct {
	values params.Values
	policy CredentialPolicy
}

func newParamsState(store Store, cfg Config, r *acl.Resolver, log *slog.Logger) *paramsState {
	ps := cfg.Params
	if ps == nil {
		var ok bool
		if ps, ok = store.(ParamStore); !ok {
			log.Warn("selfcare: the store keeps no parameters; defaults apply, " +
				"changes are refused")
			ps = noParams{}
		}
	}
	p := &paramsState{
		store: ps, log: log, pinned: cfg.Policy,
		cache:       params.NewCache(ps, params.CacheConfig{Logger: log}),
		resolver:    r,
		baseOverlap: r.Policy(),
	}
	if _, ok := store.(ParamStore); ok && cfg.Params == nil && cfg.Resolver == nil {
		p.sharedGen = true
	}
	p.current()
	return p
}

// current returns what the cache's snapshot implies, recomputing it when
// the snapshot changed since the last call.
func (p *paramsState) current() *derivedParams {
	v := p.cache.Values()
	if d := p.cur.Load(); d != nil && d.values == v {
		return d
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v = p.cache.Values()
	if d := p.cur.Load(); d != nil && d.values == v {
		return d
	}
	d := &derivedParams{values: v, policy: effectivePolicy(p.pinned, v)}
	overlap := p.baseOverlap
	if v.IsSet(params.KeyOverlapPolicy) {
		overlap = v.OverlapPolicy()
	}
	// SetPolicy drops the cached grants only when the policy changes.
	p.resolver.SetPolicy(overlap)
	p.cur.Store(d)
	return d
}

// syncParams reloads the parameters when the store's generation moved, so
// that a change made by another process applies to this request. Login,
// Authenticate and every operation on parameters call it; it costs one
// read of the generation when nothing changed.
func (s *Service) syncParams(ctx context.Context) error {
	if err := s.params.cache.Sync(ctx); err != nil {
		return err
	}
	s.params.current()
	return nil
}

// syncCaches brings the parameters and the resolver up to date with the
// store, as syncParams and then [acl.Resolver.Sync] would, reading the
// generation once when both caches follow the same one: it is the one
// read every authenticated request makes even when nothing changed.
func (s *Service) syncCaches(ctx context.Context) error {
	if !s.params.sharedGen {
		if err := s.syncParams(ctx); err != nil {
			return err
		}
		return s.resolver.Sync(ctx)
	}
	gen, err := s.params.store.Generation(ctx)
	if err != nil {
		return fmt.Errorf("selfcare: sync: %w", err)
	}
	return s.syncCachesAt(ctx, gen)
}

// syncCachesAt is syncCaches with the shared generation already read for
// this request, such as by [SessionUserStore.SessionUser]. It is only for
// a service whose paramsState.sharedGen is set.
func (s *Service) syncCachesAt(ctx context.Context, gen uint64) error {
	// A snapshot labelled gen is current; any other one reloads, and the
	// cache reads the generation again under its lock to label the load.
	if snap := s.params.cache.Snapshot(); !snap.Loaded || snap.Generation != gen {
		if err := s.params.cache.Sync(ctx); err != nil {
			return err
		}
	}
	s.params.current()

	// The grants cached from here on are read after gen was, so they are
	// at least as new as the parameters this request sees.
	s.resolver.SyncAt(gen)
	return nil
}

// credPolicy returns the credential policy in force.
func (s *Service) credPolicy() CredentialPolicy { return s.params.current().policy }

// effectivePolicy maps the credential-policy parameters onto the service's
// policy. A field of pinned (Config.Policy) that is not zero replaces the
// parameter's default: it applies while an administrator has not set the
// parameter, and a value they set wins. The reference's zeros become the
// service's explicit values: a threshold of 0 is NoLimit, a lockout of 0 is
// LockoutUntilUnlocked, an expiry of 0 is NoExpiry.
func effectivePolicy(pinned CredentialPolicy, v params.Values) CredentialPolicy {
	cp := v.CredentialPolicy()
	out := pinned
	decides := func(key string, pinnedZero bool) bool { return pinnedZero || v.IsSet(key) }

	if decides(params.KeyFailedLogonThreshold, pinned.FailedLogonThreshold == 0) {
		out.FailedLogonThreshold = cp.FailedLogonThreshold
		if out.FailedLogonThreshold == 0 {
			out.FailedLogonThreshold = NoLimit
		}
	}
	if decides(params.KeyResetFailedLogon, pinned.ResetFailedAfter == 0) {
		out.ResetFailedAfter = cp.ResetFailedAfter
	}
	if decides(params.KeyLockoutDuration, pinned.LockoutDuration == 0) {
		out.LockoutDuration = cp.LockoutDuration
		if out.LockoutDuration == 0 {
			out.LockoutDuration = LockoutUntilUnlocked
		}
	}
	if decides(params.KeyCredentialExpiry, pinned.ExpiresAfter == 0) {
		out.ExpiresAfter = cp.ExpiresAfter
		if out.ExpiresAfter == 0 {
			out.ExpiresAfter = NoExpiry
		}
	}
	if decides(params.KeyMinPasswordLength, pinned.MinPasswordLength == 0) {
		out.MinPasswordLength = cp.MinPasswordLength
	}
	if decides(params.KeyMinPINLength, pinned.MinPINLength == 0) {
		out.MinPINLength = cp.MinPINLength
	}
	if decides(params.KeyCredentialHistory, pinned.PasswordHistory == 0) {
		// Both count the current credential; 0 and 1 both check only it.
		out.PasswordHistory = cp.History
		if out.PasswordHistory == 0 {
			out.PasswordHistory = NoLimit
		}
	}
	if decides(params.KeyTrivialCheck, !pinned.AllowTrivial) {
		out.AllowTrivial = !cp.TrivialCheck
	}
	return out.withDefaults()
}

// expired reports whether a password changed at changed has outlived the
// policy at now. A zero time, which only a store filled by other means
// holds, never expires: nobody knows the password's age.
func (p CredentialPolicy) expired(changed, now time.Time) bool {
	return p.ExpiresAfter > 0 && !changed.IsZero() && !now.Before(changed.Add(p.ExpiresAfter))
}

// markExpired makes a user whose password expired change it before
// anything else. The principal carries the flag, not the store, so that a
// change of Credential Expires After applies at once, both ways; the
// password change clears it by renewing the password's date.
func (s *Service) markExpired(u *User, now time.Time) {
	if s.credPolicy().expired(u.PasswordChangedAt, now) {
		u.MustChangePassword = true
	}
}

// accessCause returns why a grant may not hold a session of the kind, or
// "": a Self Care session needs the role Standard CCM End Users, an
// administration session read access to [acl.ResourceAdmin], which the
// role Standard CCM Admin Users of every standard administrator group
// carries.
func accessCause(g *acl.Grant, admin bool) string {
	switch {
	case admin && !g.Allows(acl.ResourceAdmin, acl.Read):
		return causeNoAdmin
	case !admin && !g.SelfCare():
		return causeNoRole
	}
	return ""
}

// AdminLogin opens an administration session: it is [Service.Login] for
// users whose grant allows reading [acl.ResourceAdmin] instead of holding
// the Self Care role, and it needs no PIN. The session's token belongs
// with [Service.AuthenticateAdmin]; presented to [Service.Authenticate] by
// a user without the Self Care role, it ends. Every refusal is
// ErrLoginFailed, as for Login, and counts against the same lockout.
func (s *Service) AdminLogin(ctx context.Context, userID, password, remoteAddr string) (
	token string, p *Principal, err error) {
	return s.login(ctx, loginAttempt{userID: userID, addrKey: addressKey(remoteAddr),
		admin: true}, password, remoteAddr)
}

// AuthenticateAdmin returns the principal of an administration session:
// [Service.Authenticate] for users whose grant allows reading
// [acl.ResourceAdmin]. A session whose user lost that access ends.
func (s *Service) AuthenticateAdmin(ctx context.Context, token string) (*Principal, error) {
	return s.authenticate(ctx, token, true)
}

// Features returns what the portal offers, from the parameters in force.
// It reads the snapshot that the request's [Service.Authenticate] loaded;
// it is the same for every user today, and takes p so that it need not
// change when profiles gate features too.
func (s *Service) Features(_ context.Context, _ *Principal) params.Features {
	return s.params.cache.Features()
}

// CheckFeature returns nil when the portal offers the feature to p, and
// otherwise a [*params.GateError] naming the parameter or profile option
// that hides it; an unknown feature matches params.ErrUnknown.
//
// Password changes stay open to a user who must change their password
// (by an administrator's flag or because it expired) even while Show
// Change Password is False: the portal lets such a user do nothing else,
// so refusing would lock them out for good.
func (s *Service) CheckFeature(ctx context.Context, p *Principal, f params.Feature) error {
	switch f {
	case params.FeatureChangePassword:
		if p.MustChangePassword() {
			return nil
		}
	case params.FeatureEMLoginTime:
		if p == nil {
			return ErrUnauthenticated
		}
		prof, err := s.userProfile(ctx, p.User.Profile)
		if err != nil {
			return err
		}
		return prof.CheckEMLoginTime()
	}
	return s.Features(ctx, p).Check(f)
}

// gate refuses a user operation on a hidden feature and audits the
// refusal under action.
func (s *Service) gate(ctx context.Context, p *Principal, f params.Feature,
	action, remoteAddr string) error {
	err := s.CheckFeature(ctx, p, f)
	var ge *params.GateError
	if errors.As(err, &ge) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action, Target: p.User.ID,
			Outcome: OutcomeDenied, Detail: strings.TrimPrefix(ge.Error(), "params: "),
			RemoteAddr: remoteAddr})
	}
	return err
}

// passwordGate is the gate of [Service.ChangePassword]; u is the user as
// stored now.
func (s *Service) passwordGate(ctx context.Context, p *Principal, u User,
	remoteAddr string) error {
	if u.MustChangePassword || s.credPolicy().expired(u.PasswordChangedAt, s.now()) {
		return nil
	}
	return s.gate(ctx, p, params.FeatureChangePassword, ActionPasswordChange, remoteAddr)
}

// userProfile returns the named profile; "" is the zero profile, which
// allows nothing. A name whose profile is gone, which a store that assigns
// profiles without [ParamStore.AssignProfile] can leave behind, counts as
// no profile.
func (s *Service) userProfile(ctx context.Context, name string) (params.UserProfile, error) {
	if name == "" {
		return params.UserProfile{}, nil
	}
	prof, err := s.params.store.Profile(ctx, name)
	switch {
	case errors.Is(err, params.ErrNotFound):
		s.log.Warn("selfcare: a user's profile does not exist; it allows nothing",
			"profile", name)
		return params.UserProfile{Name: name}, nil
	case err != nil:
		return params.UserProfile{}, fmt.Errorf("selfcare: user profile: %w", err)
	}
	return prof, nil
}

// Caller is who performs an administrator operation on parameters, user
// profiles or cluster servers. The zero Caller is nobody, and every such
// operation refuses it with ErrUnauthenticated.
type Caller struct {
	p     *Principal
	actor string
	addr  string
	local bool
}

// AdminCaller is the user of a session, from [Service.AuthenticateAdmin] or
// [Service.Authenticate]. Each operation checks their grant and refuses
// with ErrForbidden what it does not allow, and ErrPasswordChangeRequired
// while they must change their password; remoteAddr goes to the audit
// trail.
func AdminCaller(p *Principal, remoteAddr string) Caller {
	c := Caller{p: p, addr: remoteAddr}
	if p != nil {
		c.actor = p.User.ID
	}
	return c
}

// LocalCaller is code that runs with the store's own rights, such as the
// command line on the data folder: no grant is checked. actor names it in
// the audit trail; "" means "cli". [Caller.From] says where it runs.
func LocalCaller(actor string) Caller {
	return Caller{actor: actorOrCLI(actor), local: true}
}

// From returns c acting from addr, which the audit trail records as where
// each of its changes came from: the network address of a session, or,
// for a local caller, what tells one run from another, such as
// "cli alice@host pid 4242".
func (c Caller) From(addr string) Caller {
	c.addr = addr
	return c
}

// authorize checks that c may have access a on resource r. A refusal is
// audited under action, with target.
func (s *Service) authorize(ctx context.Context, c Caller, r acl.Resource, a acl.Access,
	action, target string) error {
	if c.local {
		return nil
	}
	if err := s.ready(c.p); err != nil {
		return err
	}
	if c.p.Grant.Allows(r, a) {
		return nil
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: action, Target: target,
		Outcome: OutcomeDenied, Detail: fmt.Sprintf("needs %s access to %s", a, r),
		RemoteAddr: c.addr})
	return fmt.Errorf("selfcare: %s access to %s: %w", a, r, ErrForbidden)
}

// allows reports whether c may have access a on resource r, without
// auditing; c must be ready.
func (c Caller) allows(r acl.Resource, a acl.Access) bool {
	return c.local || c.p.Grant.Allows(r, a)
}

// ParamResource returns the resource whose privileges guard a parameter:
// service parameters (Cisco Extension Mobility, the Device Activation
// Service, the forwarding hop count) are [acl.ResourceServiceParameters];
// enterprise parameters, and the credential policy, which has no resource
// of its own, are [acl.ResourceEnterpriseParameters].
func ParamResource(d params.Definition) acl.Resource {
	switch d.Group {
	case params.GroupExtensionMobility, params.GroupDeviceActivation, params.GroupForward:
		return acl.ResourceServiceParameters
	}
	return acl.ResourceEnterpriseParameters
}

// paramSnapshot syncs and returns the snapshot in force.
func (s *Service) paramSnapshot(ctx context.Context) (params.Snapshot, error) {
	if err := s.syncParams(ctx); err != nil {
		return params.Snapshot{}, fmt.Errorf("selfcare: parameters: %w", err)
	}
	return s.params.cache.Snapshot(), nil
}

// Params lists the parameters that c may read, in the order of the
// definition table. It returns ErrForbidden when c may read none.
func (s *Service) Params(ctx context.Context, c Caller) ([]params.Setting, error) {
	if !c.local {
		if err := s.ready(c.p); err != nil {
			return nil, err
		}
	}
	snap, err := s.paramSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []params.Setting
	for _, st := range snap.Values.Settings() {
		if c.allows(ParamResource(st.Definition), acl.Read) {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil, s.authorize(ctx, c, acl.ResourceEnterpriseParameters, acl.Read,
			"param.list", "")
	}
	return out, nil
}

// Param returns one parameter, named by its key or display name in any
// letter case (see [params.Find]). It returns a [*params.UnknownError]
// for a name the table does not list, and ErrForbidden when c may not
// read it.
func (s *Service) Param(ctx context.Context, c Caller, key string) (params.Setting, error) {
	d, err := s.paramDefinition(c, key)
	if err != nil {
		return params.Setting{}, err
	}
	if err := s.authorize(ctx, c, ParamResource(d), acl.Read, "param.get", d.Key); err != nil {
		return params.Setting{}, err
	}
	snap, err := s.paramSnapshot(ctx)
	if err != nil {
		return params.Setting{}, err
	}
	return snap.Values.Setting(d.Key)
}

// paramDefinition finds the parameter that key names for c, who must be
// ready.
func (s *Service) paramDefinition(c Caller, key string) (params.Definition, error) {
	if !c.local {
		if err := s.ready(c.p); err != nil {
			return params.Definition{}, err
		}
	}
	d, ok := params.Find(key)
	if !ok {
		return params.Definition{}, fmt.Errorf("selfcare: %w", &params.UnknownError{Key: key})
	}
	return d, nil
}

// paramWriteAttempts bounds how often a change of the parameters or the
// servers is planned again after the store refused it because another
// change landed first (params.ErrConflict). Administrators rarely collide,
// so a few attempts settle any real contention; more would only hide a
// livelock.
const paramWriteAttempts = 8

// errParamsBusy refuses a change whose every attempt met another change.
var errParamsBusy = fmt.Errorf("selfcare: the parameters or servers kept changing "+
	"while this change was made; try again: %w", params.ErrConflict)

// SetParam sets a parameter, named by its key or display name in any
// letter case, and returns the changes made: the requested one first, then
// any it implies (see [params.Values.PlanSet]). Every change is audited
// with its old and new value, and applies at once in this process and,
// through the store's generation, at the next request in every other. c
// needs update access to the resource of every changed parameter (see
// [ParamResource]).
//
// The plan is stored only at the generation it was made from, and made
// again when another change landed first, so that the old values it
// audits are the ones it replaced and a server it names is still there.
// When other changes keep landing, it gives up with an error matching
// params.ErrConflict.
//
// A refused value yields a [*params.ValidationError] naming the parameter
// and its allowed values; an unknown key a [*params.UnknownError].
func (s *Service) SetParam(ctx context.Context, c Caller, key, value string) (
	[]params.Change, error) {
	d, err := s.paramDefinition(c, key)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeParam(ctx, c, d.Key, ActionParamSet); err != nil {
		return nil, err
	}
	return s.changeParams(ctx, c, ActionParamSet, func(snap params.Snapshot) (
		[]params.Change, error) {
		plan, err := snap.Values.PlanSet(d.Key, value, snap.Cluster)
		if err != nil {
			s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionParamSet, Target: d.Key,
				Outcome: OutcomeFailed, Detail: strings.TrimPrefix(err.Error(), "params: "),
				RemoteAddr: c.addr})
			return nil, fmt.Errorf("selfcare: %w", err)
		}
		return plan, nil
	})
}

// ResetParam removes the value set for a parameter, so that its default
// applies, and returns the change, or none when no value was set. It is
// audited, authorised and stored as [Service.SetParam].
func (s *Service) ResetParam(ctx context.Context, c Caller, key string) (
	[]params.Change, error) {
	d, err := s.paramDefinition(c, key)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeParam(ctx, c, d.Key, ActionParamReset); err != nil {
		return nil, err
	}
	return s.changeParams(ctx, c, ActionParamReset, func(snap params.Snapshot) (
		[]params.Change, error) {
		return snap.Values.PlanReset(d.Key)
	})
}

// authorizeParam checks update access to the parameter key, which exists.
func (s *Service) authorizeParam(ctx context.Context, c Caller, key, action string) error {
	d, _ := params.Lookup(key)
	return s.authorize(ctx, c, ParamResource(d), acl.Update, action, key)
}

// changeParams plans a change from the snapshot in force, authorises it,
// stores it at the snapshot's generation, and audits and applies it. When
// the store refuses the plan as stale, it syncs and plans again, at most
// paramWriteAttempts times. An empty plan changes nothing.
func (s *Service) changeParams(ctx context.Context, c Caller, action string,
	planFn func(params.Snapshot) ([]params.Change, error)) ([]params.Change, error) {
	for attempt := 1; ; attempt++ {
		snap, err := s.paramSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		plan, err := planFn(snap)
		if err != nil || len(plan) == 0 {
			return nil, err
		}
		// An implied change may touch a parameter of another resource.
		for _, ch := range plan[1:] {
			if err := s.authorizeParam(ctx, c, ch.Key, action); err != nil {
				return nil, err
			}
		}

		err = s.params.store.UpdateParams(ctx, snap.Generation, plan)
		switch {
		case errors.Is(err, params.ErrConflict) && attempt < paramWriteAttempts:
			s.log.Debug("selfcare: parameters changed meanwhile; planning again",
				"key", plan[0].Key, "attempt", attempt)
			continue
		case errors.Is(err, params.ErrConflict):
			return nil, errParamsBusy
		case err != nil:
			return nil, fmt.Errorf("selfcare: %w", err)
		}
		s.auditChanges(ctx, c, plan, action)
		return plan, nil
	}
}

// auditChanges records each change of a stored plan and applies it here.
func (s *Service) auditChanges(ctx context.Context, c Caller, plan []params.Change,
	action string) {
	for _, ch := range plan {
		detail := fmt.Sprintf("%q -> %q", ch.Old, ch.New)
		if ch.Reset {
			detail += " (default)"
		}
		if ch.Implied {
			detail += " (implied by " + plan[0].Key + ")"
		}
		s.audit(ctx, AuditEvent{Actor: c.actor, Action: action, Target: ch.Key,
			Outcome: OutcomeOK, Detail: detail, RemoteAddr: c.addr})
	}
	s.log.Info("selfcare: parameters changed", "actor", c.actor, "key", plan[0].Key,
		"changes", len(plan))
	// This process applies the change now rather than at its next sync;
	// the change is stored, so a failure here only delays it.
	if err := s.syncParams(ctx); err != nil {
		s.log.Warn("selfcare: reloading parameters after a change", "err", err)
	}
}

// Profiles returns every user profile, ordered by name; c needs read
// access to [acl.ResourceUserProfiles].
func (s *Service) Profiles(ctx context.Context, c Caller) ([]params.UserProfile, error) {
	err := s.authorize(ctx, c, acl.ResourceUserProfiles, acl.Read, "profile.list", "")
	if err != nil {
		return nil, err
	}
	ps, err := s.params.store.Profiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("selfcare: user profiles: %w", err)
	}
	return ps, nil
}

// Profile returns one user profile, or a [*params.NotFoundError].
func (s *Service) Profile(ctx context.Context, c Caller, name string) (
	params.UserProfile, error) {
	err := s.authorize(ctx, c, acl.ResourceUserProfiles, acl.Read, "profile.get", name)
	if err != nil {
		return params.UserProfile{}, err
	}
	prof, err := s.params.store.Profile(ctx, name)
	if err != nil {
		return params.UserProfile{}, profileError(err, name)
	}
	return prof, nil
}

// profileError wraps a store's error about the profile name once, turning
// the store's sentinels into the errors that name the profile.
func profileError(err error, name string) error {
	switch {
	case errors.Is(err, params.ErrNotFound):
		return fmt.Errorf("selfcare: %w", &params.NotFoundError{Thing: params.ThingProfile,
			Name: name})
	case errors.Is(err, params.ErrInUse):
		return fmt.Errorf("selfcare: %w", &params.InUseError{Thing: params.ThingProfile,
			Name: name, Reason: "users hold it",
			Remedy: "Assign those users another profile, or none, first"})
	}
	return fmt.Errorf("selfcare: user profile %s: %w", params.QuoteValue(name), err)
}

// PutProfile creates or replaces a user profile; c needs update access to
// [acl.ResourceUserProfiles]. A bad name or description yields
// [*params.ValidationError]s joined, and so does a name that another
// profile has in other letter case. It reports whether the profile was
// created.
func (s *Service) PutProfile(ctx context.Context, c Caller, prof params.UserProfile) (
	created bool, err error) {
	err = s.authorize(ctx, c, acl.ResourceUserProfiles, acl.Update, ActionProfilePut,
		prof.Name)
	if err != nil {
		return false, err
	}
	if err := prof.Validate(); err != nil {
		return false, fmt.Errorf("selfcare: %w", err)
	}
	old, replaced, err := s.params.store.PutProfile(ctx, prof)
	if errors.Is(err, params.ErrExists) {
		return false, fmt.Errorf("selfcare: %w", params.NameTaken(prof.Name,
			s.profileLike(ctx, prof.Name)))
	}
	if err != nil {
		return false, profileError(err, prof.Name)
	}
	detail := "created: " + profileText(prof)
	if replaced {
		detail = profileText(old) + " -> " + profileText(prof)
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionProfilePut, Target: prof.Name,
		Outcome: OutcomeOK, Detail: detail, RemoteAddr: c.addr})
	return !replaced, nil
}

// profileLike returns the name of the profile whose name is name in other
// letter case, for the message of a refusal; name itself if none is found
// any more.
func (s *Service) profileLike(ctx context.Context, name string) string {
	ps, err := s.params.store.Profiles(ctx)
	if err != nil {
		return name
	}
	for _, p := range ps {
		if p.Name != name && strings.EqualFold(p.Name, name) {
			return p.Name
		}
	}
	return name
}

// profileText describes a profile for the audit trail.
func profileText(p params.UserProfile) string {
	return fmt.Sprintf("description=%q allowEMMaxLoginTime=%t", p.Description,
		p.AllowEMMaxLoginTime)
}

// DeleteProfile removes a user profile. It returns a
// [*params.NotFoundError], or a [*params.InUseError] while a user holds
// it.
func (s *Service) DeleteProfile(ctx context.Context, c Caller, name string) error {
	err := s.authorize(ctx, c, acl.ResourceUserProfiles, acl.Update, ActionProfileDelete,
		name)
	if err != nil {
		return err
	}
	// The store returns what it deleted, so that the trail keeps it.
	old, err := s.params.store.DeleteProfile(ctx, name)
	if err != nil {
		if errors.Is(err, params.ErrInUse) {
			s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionProfileDelete,
				Target: name, Outcome: OutcomeFailed, Detail: "assigned to a user",
				RemoteAddr: c.addr})
		}
		return profileError(err, name)
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionProfileDelete, Target: name,
		Outcome: OutcomeOK, Detail: "deleted: " + profileText(old), RemoteAddr: c.addr})
	return nil
}

// AssignProfile gives a user a profile; "" takes it away. c needs update
// access to [acl.ResourceUserProfiles]. It returns an error matching
// ErrNotFound for an unknown user and a [*params.NotFoundError] for an
// unknown profile. The user's next request sees the change.
func (s *Service) AssignProfile(ctx context.Context, c Caller, userID, profile string) error {
	err := s.authorize(ctx, c, acl.ResourceUserProfiles, acl.Update, ActionProfileAssign,
		userID)
	if err != nil {
		return err
	}
	old, err := s.params.store.AssignProfile(ctx, userID, profile)
	switch {
	case errors.Is(err, params.ErrNotFound):
		return profileError(err, profile)
	case err != nil:
		return fmt.Errorf("selfcare: assign a profile: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionProfileAssign, Target: userID,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%q -> %q", old, profile),
		RemoteAddr: c.addr})
	return nil
}

// Servers returns the cluster's servers, sorted by name; c needs read
// access to [acl.ResourceEnterpriseParameters], since the servers exist
// for Self Care Portal Default Server.
func (s *Service) Servers(ctx context.Context, c Caller) ([]params.Server, error) {
	err := s.authorize(ctx, c, acl.ResourceEnterpriseParameters, acl.Read, "server.list", "")
	if err != nil {
		return nil, err
	}
	snap, err := s.paramSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	return snap.Cluster.Servers(), nil
}

// PutServer adds a server to the cluster or changes the role of the one
// of the same name; a publisher takes the role from the former one. c
// needs update access to [acl.ResourceEnterpriseParameters]. The rules of
// [params.Cluster.With] apply: names compare without regard to letter
// case and keep the spelling first given, so a name in other case changes
// nothing but the role; the first server is the publisher, and the
// publisher is changed only by promoting another one. Changes are stored
// as [Service.SetParam] stores its plans.
func (s *Service) PutServer(ctx context.Context, c Caller, srv params.Server) error {
	err := s.authorize(ctx, c, acl.ResourceEnterpriseParameters, acl.Update,
		ActionServerPut, srv.Name)
	if err != nil {
		return err
	}
	return s.changeServers(ctx, c, ActionServerPut, func(snap params.Snapshot) (
		params.Cluster, string, string, error) {
		next, err := snap.Cluster.With(srv)
		if err != nil {
			return next, "", "", fmt.Errorf("selfcare: %w", err)
		}
		old, existed := snap.Cluster.Server(srv.Name)
		now, _ := next.Server(srv.Name)
		switch {
		case existed:
			return next, now.Name, fmt.Sprintf("publisher %t -> %t", old.Publisher,
				now.Publisher), nil
		case now.Publisher:
			return next, now.Name, "added as the publisher", nil
		}
		return next, now.Name, "added", nil
	})
}

// SetPublisher makes an existing server the publisher. It returns a
// [*params.NotFoundError] for an unknown server.
func (s *Service) SetPublisher(ctx context.Context, c Caller, name string) error {
	err := s.authorize(ctx, c, acl.ResourceEnterpriseParameters, acl.Update,
		ActionServerPut, name)
	if err != nil {
		return err
	}
	return s.changeServers(ctx, c, ActionServerPut, func(snap params.Snapshot) (
		params.Cluster, string, string, error) {
		old, ok := snap.Cluster.Server(name)
		if !ok {
			return snap.Cluster, "", "", fmt.Errorf("selfcare: %w",
				&params.NotFoundError{Thing: params.ThingServer, Name: name})
		}
		next, err := snap.Cluster.With(params.Server{Name: old.Name, Publisher: true})
		if err != nil {
			return next, "", "", fmt.Errorf("selfcare: %w", err)
		}
		return next, old.Name, fmt.Sprintf("publisher %t -> true", old.Publisher), nil
	})
}

// RemoveServer takes a server out of the cluster. It returns a
// [*params.NotFoundError] for an unknown server, and a [*params.InUseError]
// while Self Care Portal Default Server names it or while it is the
// publisher of a cluster with other servers (see
// [params.PlanRemoveServer]). The removal is stored only if neither the
// parameters nor the servers changed since it was checked, so that a
// parameter set at the same moment to name the server cannot be left
// naming nothing.
func (s *Service) RemoveServer(ctx context.Context, c Caller, name string) error {
	err := s.authorize(ctx, c, acl.ResourceEnterpriseParameters, acl.Update,
		ActionServerRemove, name)
	if err != nil {
		return err
	}
	return s.changeServers(ctx, c, ActionServerRemove, func(snap params.Snapshot) (
		params.Cluster, string, string, error) {
		next, srv, err := params.PlanRemoveServer(snap.Values, snap.Cluster, name)
		if err != nil {
			return next, "", "", fmt.Errorf("selfcare: %w", err)
		}
		return next, srv.Name, "removed", nil
	})
}

// changeServers plans a new server list from the snapshot in force and
// stores it at the snapshot's generation, planning again when the store
// refuses it as stale, as changeParams does. plan returns the next
// cluster, the server it changes as the cluster spells it, and the
// audit's detail; a plan that changes nothing is not stored or audited.
func (s *Service) changeServers(ctx context.Context, c Caller, action string,
	plan func(params.Snapshot) (next params.Cluster, target, detail string, err error),
) error {
	for attempt := 1; ; attempt++ {
		snap, err := s.paramSnapshot(ctx)
		if err != nil {
			return err
		}
		next, target, detail, err := plan(snap)
		if err != nil {
			return err
		}
		if next.Equal(snap.Cluster) {
			return nil
		}

		err = s.params.store.SetServers(ctx, snap.Generation, next.Servers())
		switch {
		case errors.Is(err, params.ErrConflict) && attempt < paramWriteAttempts:
			s.log.Debug("selfcare: servers changed meanwhile; planning again",
				"server", target, "attempt", attempt)
			continue
		case errors.Is(err, params.ErrConflict):
			return errParamsBusy
		case err != nil:
			return fmt.Errorf("selfcare: %w", err)
		}
		s.audit(ctx, AuditEvent{Actor: c.actor, Action: action, Target: target,
			Outcome: OutcomeOK, Detail: detail, RemoteAddr: c.addr})
		if err := s.syncParams(ctx); err != nil {
			s.log.Warn("selfcare: reloading parameters after a change", "err", err)
		}
		return nil
	}
}

// DefaultServer returns the server that clients should use for embedded
// Self Care pages: the one Self Care Portal Default Server names, or the
// publisher when it is None (see [params.DefaultServer]). It needs no
// caller, since clients ask before they sign in. It returns an error
// matching params.ErrNotFound when no server is configured.
func (s *Service) DefaultServer(ctx context.Context) (params.Server, error) {
	snap, err := s.paramSnapshot(ctx)
	if err != nil {
		return params.Server{}, err
	}
	srv, ok := params.DefaultServer(snap.Values, snap.Cluster)
	if !ok {
		return params.Server{}, fmt.Errorf("selfcare: default server: no server "+
			"is configured: %w", params.ErrNotFound)
	}
	return srv, nil
}

// EMLogin is a user's Extension Mobility maximum login time as their page
// shows it.
type EMLogin struct {
	// Choice is what the user chose. It is kept while their profile does
	// not allow it, and applies again if the profile allows it again.
	Choice params.EMLoginChoice
	// Allowed reports that the user's profile lets them choose.
	Allowed bool
	// Profile names the user's profile; "" for none.
	Profile string
	// Intra and Inter are the effective intra-cluster and inter-cluster
	// maximum login times (see [params.EffectiveLoginTime]).
	Intra, Inter params.LoginLimit
	// SystemIntra and SystemInter are what the system default gives: the
	// service parameters' limits.
	SystemIntra, SystemInter params.LoginLimit
	// Version is the choice's version, which a change must name (see
	// [Service.SetEMLoginTime]); 0 until the user first chooses.
	Version int64
}

// EMLoginTime returns the principal's Extension Mobility login time
// choice, whether their profile lets them make it, and the limits in
// effect. It returns the errors of [Service.Phones].
func (s *Service) EMLoginTime(ctx context.Context, p *Principal) (EMLogin, error) {
	if err := s.ready(p); err != nil {
		return EMLogin{}, err
	}
	prof, err := s.userProfile(ctx, p.User.Profile)
	if err != nil {
		return EMLogin{}, err
	}
	raw, version, err := s.params.store.EMLoginChoice(ctx, p.User.ID)
	if err != nil {
		return EMLogin{}, fmt.Errorf("selfcare: login time: %w", err)
	}
	choice, err := params.ParseEMLoginChoice(raw)
	if err != nil {
		// Only a damaged store holds this; the system default is the
		// administrator's intent.
		s.log.Warn("selfcare: stored login time choice refused", "user", p.User.ID,
			"err", err)
	}
	out := s.emLogin(prof, choice)
	out.Version = version
	return out, nil
}

// emLogin applies the rule to the parameters in force.
func (s *Service) emLogin(prof params.UserProfile, c params.EMLoginChoice) EMLogin {
	sp := s.params.cache.Values().ExtensionMobility()
	out := EMLogin{Choice: c, Allowed: prof.CheckEMLoginTime() == nil, Profile: prof.Name}
	out.Intra, out.Inter = params.EffectiveLoginTime(sp, prof, c)
	out.SystemIntra, out.SystemInter = params.EffectiveLoginTime(sp, params.UserProfile{},
		params.EMLoginChoice{})
	return out
}

// SetEMLoginTime stores the principal's Extension Mobility login time
// choice, if ifMatch is the version of the choice the caller read, and
// returns what applies now. It returns a [*params.GateError] naming the
// profile option when the user's profile does not let them choose, a
// [*params.ValidationError] for a choice out of range, ErrVersionConflict
// when the choice changed since it was read (two tabs, two clients), and
// the errors of [Service.Phones]. The change is audited.
func (s *Service) SetEMLoginTime(ctx context.Context, p *Principal,
	choice params.EMLoginChoice, ifMatch int64, remoteAddr string) (EMLogin, error) {
	if err := s.ready(p); err != nil {
		return EMLogin{}, err
	}
	if err := s.gate(ctx, p, params.FeatureEMLoginTime, ActionEMLoginTime,
		remoteAddr); err != nil {
		return EMLogin{}, err
	}
	if err := choice.Validate(); err != nil {
		return EMLogin{}, fmt.Errorf("selfcare: login time: %w", err)
	}
	prof, err := s.userProfile(ctx, p.User.Profile)
	if err != nil {
		return EMLogin{}, err
	}
	old, _, err := s.params.store.EMLoginChoice(ctx, p.User.ID)
	if err != nil {
		return EMLogin{}, fmt.Errorf("selfcare: login time: %w", err)
	}
	if old == "" {
		old = params.EMChoiceDefault
	}
	// The store compares the version, so a change between the read above
	// and this write is a conflict too, never a lost update.
	version, err := s.params.store.SetEMLoginChoice(ctx, p.User.ID, choice.String(),
		ifMatch)
	if err != nil {
		return EMLogin{}, fmt.Errorf("selfcare: login time: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionEMLoginTime, Target: p.User.ID,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%q -> %q", old, choice.String()),
		RemoteAddr: remoteAddr})
	out := s.emLogin(prof, choice)
	out.Version = version
	return out, nil
}

// errNoParamStore refuses changes on a store that keeps no parameters.
var errNoParamStore = fmt.Errorf("selfcare: the store keeps no parameters: %w",
	errors.ErrUnsupported)

// noParams stands in for a [Store] that does not implement [ParamStore]:
// nothing is set, so every default applies, and every change fails.
type noParams struct{}

var _ ParamStore = noParams{}

func (noParams) ParamValues(context.Context) (map[string]string, error) { return nil, nil }
func (noParams) Servers(context.Context) ([]params.Server, error)       { return nil, nil }
func (noParams) Generation(context.Context) (uint64, error)             { return 0, nil }
func (noParams) UpdateParams(context.Context, uint64, []params.Change) error {
	return errNoParamStore
}
func (noParams) SetServers(context.Context, uint64, []params.Server) error {
	return errNoParamStore
}
func (noParams) Profiles(context.Context) ([]params.UserProfile, error) { return nil, nil }
func (noParams) EMLoginChoice(context.Context, string) (string, int64, error) {
	return "", 0, nil
}
func (noParams) SetEMLoginChoice(context.Context, string, string, int64) (int64, error) {
	return 0, errNoParamStore
}

func (noParams) PutProfile(context.Context, params.UserProfile) (params.UserProfile, bool,
	error) {
	return params.UserProfile{}, false, errNoParamStore
}

func (noParams) DeleteProfile(context.Context, string) (params.UserProfile, error) {
	return params.UserProfile{}, params.ErrNotFound
}

func (noParams) AssignProfile(context.Context, string, string) (string, error) {
	return "", errNoParamStore
}

func (noParams) Profile(context.Context, string) (params.UserProfile, error) {
	return params.UserProfile{}, params.ErrNotFound
}
