package acl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest name, in characters, of a group, a role or a
// resource.
const MaxNameLen = 64

// checkName reports why s cannot name a group, role or resource. Leading and
// trailing spaces are refused because they make two names that look alike
// but are not the same name, which the uniqueness rule could not catch.
func checkName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty name: %w", ErrInvalid)
	case !utf8.ValidString(s):
		return fmt.Errorf("name is not UTF-8: %w", ErrInvalid)
	case utf8.RuneCountInString(s) > MaxNameLen:
		return fmt.Errorf("name longer than %d characters: %w", MaxNameLen, ErrInvalid)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("name %q starts or ends with a space: %w", s, ErrInvalid)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("name %q holds a control character: %w", s, ErrInvalid)
	}
	return nil
}

// checkRank reports whether rank is a valid user rank or group requirement.
func checkRank(rank int) error {
	if rank < HighestRank || rank > LowestRank {
		return fmt.Errorf("rank %d outside %d-%d: %w", rank, HighestRank, LowestRank, ErrInvalid)
	}
	return nil
}

// checkPrivileges validates ps and returns a sorted copy of it. A resource
// named twice is refused rather than merged: the administrator meant one of
// the two levels, and guessing which would be wrong half the time.
func checkPrivileges(ps []Privilege) ([]Privilege, error) {
	out := slices.Clone(ps)
	sortPrivileges(out)
	for i, p := range out {
		if err := checkName(string(p.Resource)); err != nil {
			return nil, fmt.Errorf("resource: %w", err)
		}
		if p.Access != Read && p.Access != Update {
			return nil, fmt.Errorf("resource %q: access %v: %w", p.Resource, p.Access, ErrInvalid)
		}
		if i > 0 && out[i-1].Resource == p.Resource {
			return nil, fmt.Errorf("resource %q named twice: %w", p.Resource, ErrInvalid)
		}
	}
	return out, nil
}

// normaliseIDs sorts ids and drops duplicates, in place.
func normaliseIDs(ids []string) []string {
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	return slices.Compact(ids)
}

func sortPrivileges(ps []Privilege) {
	slices.SortFunc(ps, func(a, b Privilege) int { return cmp.Compare(a.Resource, b.Resource) })
}

func sortRoles(rs []Role) { slices.SortFunc(rs, byRoleID) }

func sortGroups(gs []Group) {
	slices.SortFunc(gs, func(a, b Group) int { return strings.Compare(a.ID, b.ID) })
}

// samePrivileges reports whether a and b hold the same privileges in any
// order; nil and empty are the same.
func samePrivileges(a, b []Privilege) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sortPrivileges(a)
	sortPrivileges(b)
	return slices.Equal(a, b)
}

// sameIDs reports whether a and b hold the same IDs in any order.
func sameIDs(a, b []string) bool {
	return slices.Equal(normaliseIDs(slices.Clone(a)), normaliseIDs(slices.Clone(b)))
}
