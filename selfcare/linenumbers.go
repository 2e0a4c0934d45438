package selfcare

import (
	"context"
	"fmt"
	"strings"
)

// This file keeps a device's directory numbers apart from the numbers the
// destination policy keeps users from reaching, and from the users'
// additional phones: a line 911 would make every forward to it an
// emergency call, and a line that is someone's mobile number would ring
// that mobile's owner through Single Number Reach as if it were theirs.

// lineClassProblem says why the destination policy keeps ext from being a
// directory number, or returns "": a class the policy names emergency,
// premium, international or operator, or any class that refuses it for
// some kind of destination. A number no class matches is left alone, since
// extensions need not look like what users may dial.
func lineClassProblem(c *DestinationChecker, ext string) string {
	number := c.site.Normalize(ext)
	for _, kind := range []DestinationKind{DestinationForward, DestinationSpeedDial,
		DestinationRemote} {
		cl := c.classOf(kind, number, "")
		if cl == nil {
			continue
		}
		switch strings.ToLower(cl.Name) {
		case ClassEmergency, ClassPremium, ClassInternational, ClassOperator:
		default:
			if cl.Allowed {
				continue
			}
		}
		return fmt.Sprintf("%s is in the destination class %q, so it cannot be a "+
			"directory number.", displayLine(ext), cl.Name)
	}
	return ""
}

// checkLineClasses adds to v a problem for each line whose number the
// destination policy in force keeps from being a directory number.
func (s *Service) checkLineClasses(v *ValidationError, lines []Line) error {
	checker, err := s.destinations()
	if err != nil {
		return fmt.Errorf("selfcare: directory numbers: %w", err)
	}
	for _, l := range lines {
		if msg := lineClassProblem(checker, l.Extension); msg != "" {
			v.add(FieldDevice, fmt.Sprintf("Line %d: %s", l.Index, msg))
		}
	}
	return nil
}

// CheckLineNumbers reports whether lines may be given to a device: it
// returns a [*ValidationError] naming each line whose directory number
// the destination policy in force classes as emergency, premium,
// international or operator (or refuses otherwise), or that is, in any
// spelling the site dials as that number, an additional phone (remote
// destination) of a user, whom it names. It is for an administrator's
// tools, run before a device is provisioned; it names other users, so it
// must never answer a user. [Service.PutDevice] checks the classes only,
// since finding an additional phone reads every user's.
func (s *Service) CheckLineNumbers(ctx context.Context, lines []Line) error {
	v := &ValidationError{}
	if err := s.checkLineClasses(v, lines); err != nil {
		return err
	}
	rs, ok := s.store.(RemoteDestinationStore)
	if !ok || len(lines) == 0 {
		return v.err()
	}
	checker, err := s.destinations()
	if err != nil {
		return fmt.Errorf("selfcare: directory numbers: %w", err)
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return fmt.Errorf("selfcare: directory numbers: %w", err)
	}
	for _, u := range users {
		rds, err := rs.RemoteDestinations(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("selfcare: directory numbers: %w", err)
		}
		for _, rd := range rds {
			key := checker.site.lineKey(rd.Number)
			for _, l := range lines {
				if checker.site.lineKey(l.Extension) == key {
					v.add(FieldDevice, fmt.Sprintf("Line %d: %s is an additional phone "+
						"of user %s (%s); remove it there first.", l.Index,
						displayLine(l.Extension), u.ID, displayLine(rd.Number)))
				}
			}
		}
	}
	return v.err()
}
