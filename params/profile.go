package params

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits of a [UserProfile]'s text fields, in characters.
const (
	MaxProfileNameLen        = 64
	MaxProfileDescriptionLen = 128
)

// ProfileOptionEMLoginTime is the key of the user profile option that lets
// users choose their Extension Mobility maximum login time, as a
// [GateError] names it.
const ProfileOptionEMLoginTime = "AllowEMMaxLoginTime"

const profileOptionEMLoginTimeName = "Allow End User to set their Extension " +
	"Mobility maximum login time"

// UserProfile is a set of per-user options that an administrator assigns
// to users. The zero UserProfile, which a user without a profile gets,
// allows nothing.
type UserProfile struct {
	// Name identifies the profile; it is compared exactly.
	Name        string
	Description string
	// AllowEMMaxLoginTime lets users of the profile set their own
	// Extension Mobility maximum login time (see [EffectiveLoginTime]).
	AllowEMMaxLoginTime bool
}

// Validate checks the profile's fields: a name of 1 to 64 characters
// without surrounding spaces, and a description of at most 128 characters,
// neither with control characters nor invisible formatting characters
// (bidirectional controls, zero-width characters and the like), which
// would let one name pass for another. The error joins (with errors.Join)
// a [*ValidationError] for each bad field.
//
// Names are unique without regard to letter case; that is the store's
// check (see [Store.PutProfile]), since it needs every other profile.
func (p UserProfile) Validate() error {
	var errs []error
	const nameRule = "1 to 64 characters, without surrounding spaces, control " +
		"characters or invisible formatting characters, and unlike any other " +
		"profile's name in letter case only"
	refuseName := func(reason string) {
		errs = append(errs, fieldError("Name", "Profile name", p.Name, nameRule, reason))
	}
	switch {
	case p.Name == "":
		refuseName("it is empty")
	case strings.TrimSpace(p.Name) != p.Name:
		// Two profiles that differ only by a trailing space would look
		// the same in every list.
		refuseName("it starts or ends with a space")
	default:
		if reason := checkText(p.Name, MaxProfileNameLen); reason != "" {
			refuseName(reason)
		}
	}
	if reason := checkText(p.Description, MaxProfileDescriptionLen); reason != "" {
		errs = append(errs, fieldError("Description", "Profile description",
			p.Description, "at most 128 characters, without control characters or "+
				"invisible formatting characters", reason))
	}
	return errors.Join(errs...)
}

// NameTaken returns the [*ValidationError] that refuses the profile name
// name because the profile other has it in other letter case; a service
// turns a store's [ErrExists] into it.
func NameTaken(name, other string) error {
	return fieldError("Name", "Profile name", name, "a name unlike any other "+
		"profile's name in letter case only",
		fmt.Sprintf("the profile %s has the same name in other letter case",
			QuoteValue(other)))
}

func fieldError(key, name, val, allowed, reason string) error {
	return &ValidationError{Key: key, DisplayName: name, Value: val,
		Allowed: allowed, Reason: reason}
}

// CheckEMLoginTime returns nil when the profile lets its users set their
// Extension Mobility maximum login time, and otherwise a [*GateError] that
// names the profile option, and the profile when the user has one.
func (p UserProfile) CheckEMLoginTime() error {
	if p.AllowEMMaxLoginTime {
		return nil
	}
	return &GateError{
		Feature: FeatureEMLoginTime, Title: "the Extension Mobility login time",
		ParamKey: ProfileOptionEMLoginTime, ParamDisplayName: profileOptionEMLoginTimeName,
		Profile: p.Name, ByProfile: true,
	}
}

// EMLoginMode is the user's choice on the Extension Mobility page.
type EMLoginMode uint8

// Extension Mobility login time choices.
const (
	// EMSystemDefault applies the service parameters.
	EMSystemDefault EMLoginMode = iota
	// EMNoMaximum never logs the user out.
	EMNoMaximum
	// EMCustom logs the user out after the chosen time.
	EMCustom
)

// EMLoginChoice is a user's Extension Mobility maximum login time choice.
// The zero value is the system default.
type EMLoginChoice struct {
	Mode EMLoginMode
	// Max is the chosen time when Mode is EMCustom: whole minutes from
	// 0:01 to 168:00. It is zero otherwise.
	Max time.Duration
}

// Forms of an [EMLoginChoice] as text, besides HHH:MM for a custom time.
const (
	EMChoiceDefault   = "default"
	EMChoiceNoMaximum = "none"
)

// EMChoiceField is the field that carries an [EMLoginChoice] in requests
// and forms, and that its [*ValidationError]s name.
const EMChoiceField = "choice"

const (
	emChoiceName    = "Extension Mobility maximum login time"
	emChoiceAllowed = `"default", "none", or HHH:MM from 0:01 to 168:00`
)

func emChoiceError(val, reason string) error {
	return fieldError(EMChoiceField, emChoiceName, val, emChoiceAllowed, reason)
}

// Validate checks the choice; the error is a [*ValidationError] naming
// [EMChoiceField]. A custom time of 0:00 is refused, since "no maximum" is
// its own choice.
func (c EMLoginChoice) Validate() error {
	refuse := func(reason string) error { return emChoiceError(c.String(), reason) }
	switch c.Mode {
	case EMSystemDefault, EMNoMaximum:
		if c.Max != 0 {
			return refuse("only a custom choice carries a time")
		}
		return nil
	case EMCustom:
		switch {
		case c.Max <= 0:
			return refuse("a custom time is at least 0:01; choose \"none\" for no maximum")
		case c.Max > MaxLoginTime:
			return refuse("it is above 168:00")
		case c.Max%time.Minute != 0:
			return refuse("it is not whole minutes")
		}
		return nil
	}
	return refuse("it is no known choice")
}

// String returns "default", "none" or the custom time as H:MM: the form a
// store keeps and [ParseEMLoginChoice] reads back.
func (c EMLoginChoice) String() string {
	switch c.Mode {
	case EMSystemDefault:
		return EMChoiceDefault
	case EMNoMaximum:
		return EMChoiceNoMaximum
	}
	return FormatDuration(c.Max)
}

// ParseEMLoginChoice reads what [EMLoginChoice.String] writes; the empty
// string is the system default too, as a blank per-user field is in the
// reference. The error is a [*ValidationError]. Input from a person goes
// through [ParseEMLoginChoiceInput] instead.
func ParseEMLoginChoice(s string) (EMLoginChoice, error) {
	switch {
	case s == "" || strings.EqualFold(s, EMChoiceDefault):
		return EMLoginChoice{}, nil
	case strings.EqualFold(s, EMChoiceNoMaximum):
		return EMLoginChoice{Mode: EMNoMaximum}, nil
	}
	d, reason := parseHHMM(s)
	if reason != "" {
		return EMLoginChoice{}, emChoiceError(s, reason)
	}
	c := EMLoginChoice{Mode: EMCustom, Max: d}
	if err := c.Validate(); err != nil {
		return EMLoginChoice{}, err
	}
	return c, nil
}

// ParseEMLoginChoiceInput is [ParseEMLoginChoice] for a choice that a user
// sends: an empty one is refused, since a request that forgot its choice
// must not quietly reset the user's time to the system default.
func ParseEMLoginChoiceInput(s string) (EMLoginChoice, error) {
	if s == "" {
		return EMLoginChoice{}, emChoiceError(s, "no choice was sent; send "+
			"\"default\" for the system default")
	}
	return ParseEMLoginChoice(s)
}

// LoginLimit is an effective maximum login time; [NoLoginLimit], the zero
// value, means the user stays logged in until they log out.
type LoginLimit time.Duration

// NoLoginLimit is the absence of a maximum login time.
const NoLoginLimit LoginLimit = 0

// Max returns the limit and true, or false when there is none.
func (l LoginLimit) Max() (time.Duration, bool) {
	return time.Duration(l), l > 0
}

// String returns "none" or the limit as H:MM.
func (l LoginLimit) String() string {
	if l <= 0 {
		return EMChoiceNoMaximum
	}
	return FormatDuration(time.Duration(l))
}

// limitOf turns a service parameter, where 0:00 means no limit, into a
// LoginLimit.
func limitOf(d time.Duration) LoginLimit {
	if d <= 0 {
		return NoLoginLimit
	}
	return LoginLimit(d)
}

// EffectiveLoginTime returns a user's effective intra-cluster and
// inter-cluster maximum login times.
//
// When the user's profile allows it and the user chose no maximum or a
// custom time, that choice overrides both service parameters. Otherwise the
// service parameters apply: the intra-cluster limit only while its
// enforcement is on, where 0:00 means no limit (as since 12.5(1)), and the
// inter-cluster limit always, where 0:00 means no limit too.
//
// A choice the profile no longer allows is ignored but not lost: the
// caller keeps storing it, and it applies again if the profile allows it
// again. A custom choice that does not validate, which only a damaged
// store could hold, is ignored the same way, so that the administrator's
// limits apply.
func EffectiveLoginTime(sp EMServiceParams, p UserProfile,
	c EMLoginChoice) (intra, inter LoginLimit) {

	if p.AllowEMMaxLoginTime && c.Validate() == nil {
		switch c.Mode {
		case EMNoMaximum:
			return NoLoginLimit, NoLoginLimit
		case EMCustom:
			return LoginLimit(c.Max), LoginLimit(c.Max)
		}
	}
	intra = NoLoginLimit
	if sp.EnforceIntra {
		intra = limitOf(sp.IntraMax)
	}
	return intra, limitOf(sp.InterMax)
}
