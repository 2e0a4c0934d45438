package params

import "context"

// ValueStore is what a [Cache] reads: the parameter values, the cluster's
// servers and a generation. Implementations must be safe for concurrent
// use.
type ValueStore interface {
	// ParamValues returns the values administrators set, keyed by
	// parameter key, as they were stored. A key with no value is absent.
	// It may hold keys the table no longer lists; [NewValues] ignores
	// them.
	ParamValues(ctx context.Context) (map[string]string, error)
	// Servers returns the cluster's servers in any order; none is not an
	// error.
	Servers(ctx context.Context) ([]Server, error)
	// Generation returns a number that changes whenever a parameter value
	// or the server list changes, including changes made by another
	// process sharing the database.
	Generation(ctx context.Context) (uint64, error)
}

// Store keeps parameter values, the cluster's servers and user profiles.
// Every method that changes a parameter value or the server list must
// advance the generation in the same transaction. Stores keep what they are
// given: validation is the caller's, through [Values.PlanSet],
// [Cluster.With], [PlanRemoveServer] and [UserProfile.Validate].
//
// Those checks read a snapshot, so UpdateParams and SetServers take the
// generation the snapshot was loaded at and apply the change only if the
// store is still at it, checked inside the write's transaction: a server
// cannot disappear under a parameter that was just set to name it, and the
// old values of a plan are the values it replaces.
//
// Implementations must be safe for concurrent use.
type Store interface {
	ValueStore

	// UpdateParams applies the changes of one plan in one transaction:
	// a change with Reset removes the stored value of its key (removing a
	// value that is not stored is not an error), any other stores New. It
	// returns ErrConflict, changing nothing, when the generation is no
	// longer gen. An empty plan changes nothing and checks nothing.
	UpdateParams(ctx context.Context, gen uint64, changes []Change) error
	// SetServers replaces the whole server list in one transaction, so
	// that moving the publisher role is a single change. It returns
	// ErrConflict, changing nothing, when the generation is no longer gen.
	SetServers(ctx context.Context, gen uint64, servers []Server) error

	// PutProfile creates or replaces the profile with p.Name and returns
	// the profile it replaced, read in the same transaction, with
	// replaced false when it created one, so that an audit of the change
	// shows what it really replaced. It returns ErrExists when another
	// profile has the same name in other letter case (as strings.EqualFold
	// compares), also checked in that transaction, so that two profiles
	// never look alike in a list.
	PutProfile(ctx context.Context, p UserProfile) (old UserProfile, replaced bool,
		err error)
	// DeleteProfile removes a profile and returns it as it was. It returns
	// ErrNotFound when there is no such profile, and ErrInUse when a store
	// that also keeps users finds the profile assigned to one.
	DeleteProfile(ctx context.Context, name string) (UserProfile, error)
	// Profile returns one profile, or ErrNotFound.
	Profile(ctx context.Context, name string) (UserProfile, error)
	// Profiles returns every profile, ordered by name.
	Profiles(ctx context.Context) ([]UserProfile, error)
}
