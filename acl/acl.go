// Package acl decides who may do what in the portal.
//
// Users are members of access control groups; a group carries roles; a role
// holds privileges, each a resource with an access level (read or update).
// A user's effective [Grant] is the union of the roles of all of their groups,
// where two roles that disagree on a resource are settled by the
// [OverlapPolicy]. A fixed catalogue of standard groups and roles is built in
// (see [StandardGroups] and [StandardRoles]); administrators add custom ones.
//
// The package is pure: it reads and writes groups, roles and memberships
// through the [Store] interface, which adapters such as
// selfcare/memstore and selfcare/sqlstore implement.
package acl

import (
	"context"
	"errors"
)

// Errors returned by the package and by every [Store] implementation.
var (
	ErrNotFound   = errors.New("acl: not found")
	ErrExists     = errors.New("acl: already exists")
	ErrInUse      = errors.New("acl: role is carried by a group")
	ErrStandard   = errors.New("acl: standard groups and roles cannot be changed")
	ErrRank       = errors.New("acl: user rank is not allowed in this group")
	ErrInvalid    = errors.New("acl: invalid value")
	ErrNotAMember = errors.New("acl: user is not a member of the group")
)

// Access is the level of a privilege on a resource. The levels are ordered:
// [Update] includes [Read].
type Access uint8

// Access levels, lowest first.
const (
	NoAccess Access = iota
	Read
	Update
)

// String returns the name used in the admin tools: "none", "read" or "update".
func (a Access) String() string {
	switch a {
	case NoAccess:
		return "none"
	case Read:
		return "read"
	case Update:
		return "update"
	}
	return "invalid"
}

// ParseAccess parses the names returned by [Access.String].
func ParseAccess(s string) (Access, error) {
	switch s {
	case "none":
		return NoAccess, nil
	case "read":
		return Read, nil
	case "update":
		return Update, nil
	}
	return NoAccess, ErrInvalid
}

// Resource names something a privilege applies to, such as a page family of
// the administration or the Self Care portal itself.
type Resource string

// Privilege is one resource with one access level.
type Privilege struct {
	Resource Resource
	Access   Access
}

// Role is a named set of privileges. Standard roles are part of the built-in
// catalogue and cannot be changed.
type Role struct {
	ID         string
	Name       string
	Standard   bool
	Privileges []Privilege
}

// Group is an access control group: the roles it carries and the lowest user
// rank (numerically highest value) it accepts. A user of rank r may join a
// group whose MinRank is at least r; rank 1 is the highest.
type Group struct {
	ID       string
	Name     string
	Standard bool
	MinRank  int
	RoleIDs  []string
}

// Store keeps groups, roles and memberships. Every method that changes
// anything must also advance the generation returned by Generation, in the
// same transaction, so that caches in every process can notice the change.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// PutRole creates or replaces the role with r.ID.
	PutRole(ctx context.Context, r Role) error
	// DeleteRole removes a role. It returns ErrNotFound when there is no
	// such role and ErrInUse when a group still carries it.
	DeleteRole(ctx context.Context, id string) error
	// Role returns one role, or ErrNotFound.
	Role(ctx context.Context, id string) (Role, error)
	// Roles returns every role, ordered by ID.
	Roles(ctx context.Context) ([]Role, error)

	// PutGroup creates or replaces the group with g.ID. It returns
	// ErrNotFound when g names a role that does not exist.
	PutGroup(ctx context.Context, g Group) error
	// DeleteGroup removes a group and its memberships, or returns ErrNotFound.
	DeleteGroup(ctx context.Context, id string) error
	// Group returns one group, or ErrNotFound.
	Group(ctx context.Context, id string) (Group, error)
	// Groups returns every group, ordered by ID.
	Groups(ctx context.Context) ([]Group, error)

	// AddMember puts a user in a group; adding a member twice is not an
	// error. It returns ErrNotFound when the group does not exist.
	AddMember(ctx context.Context, groupID, userID string) error
	// RemoveMember takes a user out of a group, or returns ErrNotAMember.
	RemoveMember(ctx context.Context, groupID, userID string) error
	// Members returns the IDs of a group's members, sorted.
	Members(ctx context.Context, groupID string) ([]string, error)
	// UserGroups returns the groups a user belongs to, ordered by ID; none
	// is not an error.
	UserGroups(ctx context.Context, userID string) ([]Group, error)
	// RolesByID returns the roles with the given IDs, skipping unknown ones.
	RolesByID(ctx context.Context, ids []string) ([]Role, error)

	// Generation returns a number that changes whenever any group, role or
	// membership changes.
	Generation(ctx context.Context) (uint64, error)
}
