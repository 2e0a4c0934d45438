package params

import (
	"slices"
	"strings"
	"time"
)

// Kind is the type of a parameter's value.
type Kind uint8

// Parameter kinds. The zero Kind is not a valid kind, so a definition that
// forgets its kind fails the table test instead of passing as a bool.
const (
	// KindBool is "true" or "false" (displayed True / False).
	KindBool Kind = iota + 1
	// KindEnum is one of the definition's [Option] values.
	KindEnum
	// KindInt is a decimal integer between the definition's Min and Max.
	KindInt
	// KindDuration is a time in HHH:MM from 0:00 to the definition's
	// MaxDuration; see [ParseDuration].
	KindDuration
	// KindServer names a server of the [Cluster], or is [ServerNone].
	KindServer
	// KindString is free text of at most MaxLen characters, without
	// control characters.
	KindString
)

// String returns the kind's name as the admin tools print it.
func (k Kind) String() string {
	switch k {
	case KindBool:
		return "bool"
	case KindEnum:
		return "enum"
	case KindInt:
		return "int"
	case KindDuration:
		return "duration"
	case KindServer:
		return "server"
	case KindString:
		return "string"
	}
	return "invalid"
}

// Group is the page of the administration on which a parameter appears.
type Group string

// Parameter groups.
const (
	GroupSelfCare          Group = "Self Care Portal Parameters"
	GroupUserManagement    Group = "User Management Parameters"
	GroupExtensionMobility Group = "Cisco Extension Mobility"
	GroupDeviceActivation  Group = "Cisco Device Activation Service"
	GroupForward           Group = "Clusterwide Parameters (Feature - Forward)"
	GroupCredentialPolicy  Group = "Credential Policy"
)

// ServerNone is the value of a [KindServer] parameter that names no server.
const ServerNone = "None"

// MaxLoginTime is the longest Extension Mobility login time that a service
// parameter or a user may set: 168:00, one week.
const MaxLoginTime = 168 * time.Hour

// Parameter keys. They are stable: stores, the admin tools and the audit
// trail use them. Where the reference knows the product's internal or UDS
// policy name, the key is that name, so that an administrator can match a
// parameter with what they know; the others are ours and say so in
// [Definition.Note].
const (
	KeyDefaultServer             = "CCMUserOptionsPortalDefaultServer"
	KeyShowPhonesReadyToActivate = "ShowPhonesReadyToActivate"
	KeyShowCallForwarding        = "CCMUserShowCallForward"
	KeyShowRingSettings          = "CCMUserShowRingSettings"
	KeyShowLineLabels            = "ShowLineLabel"
	KeyShowSpeedDials            = "ShowSpeedDials"
	KeyShowPhoneServices         = "CCMUserShowIPPhoneServicesSettings"
	KeyPhoneServiceDisplay       = "PhoneServiceDisplay"
	KeyShowVoicemailIVR          = "CCMUserShowVoicemailIVROption"
	KeyShowMessageWaiting        = "ShowMessageWaitingAlertPreference"
	KeyShowCallHistory           = "ShowHistorySettings"
	KeyShowPhoneContacts         = "ShowPhoneContacts"
	KeyShowPhoneLocale           = "CCMUserShowPhoneLocale"
	KeyShowConferencing          = "CCMUserShowConferencingScheduler"
	KeyShowVideoConferencing     = "CCMUserShowVideoConferencingScheduler"
	KeyShowDownloads             = "CCMUserShowDownload"
	KeyShowAdditionalPhones      = "ShowExternalPhoneSettings"
	KeyShowCalendarPresence      = "ShowCalendarPreference"
	KeyShowChangePassword        = "ShowChangePassword"
	KeyShowChangePIN             = "ShowChangePin"
	KeyShowDirectorySearch       = "ShowDirectorySearch"
	KeyShowDoNotDisturb          = "ShowDoNotDisturb"

	KeyOverlapPolicy = "EffectiveAccessPrivilegesForOverlappingGroupsAndRoles"

	KeyEnforceIntraClusterLoginTime = "EMEnforceIntraClusterMaxLoginTime"
	KeyIntraClusterLoginTime        = "EMIntraClusterMaxLoginTime"
	KeyInterClusterLoginTime        = "EMInterClusterMaxLoginTime"

	KeyActivationTTL = "ActivationTimeToLiveHours"
	KeyForwardMaxHop = "ForwardMaximumHopCount"

	KeyFailedLogonThreshold = "CredentialFailedLogonThreshold"
	KeyResetFailedLogon     = "CredentialResetFailedLogonMinutes"
	KeyLockoutDuration      = "CredentialLockoutMinutes"
	KeyCredentialExpiry     = "CredentialExpiresAfterDays"
	KeyMinPasswordLength    = "CredentialMinPasswordLength"
	KeyMinPINLength         = "CredentialMinPINLength"
	KeyCredentialHistory    = "CredentialHistory"
	KeyTrivialCheck         = "CredentialTrivialCheck"
)

// Option is one allowed value of a [KindEnum] parameter.
type Option struct {
	// Value is the stable form that stores and the admin tools use.
	Value string
	// Label is what the administration shows; [Validate] accepts it too.
	Label string
}

// Definition describes one parameter. Definitions come from the table; a
// Definition returned by [Definitions] or [Lookup] is the caller's copy.
type Definition struct {
	Key         string
	DisplayName string
	Group       Group
	Kind        Kind
	// Default is the value in force while none is set, in canonical form:
	// [Validate] returns it unchanged.
	Default string

	// Options lists the values of a KindEnum parameter.
	Options []Option
	// Min and Max bound a KindInt parameter, both included; Min is never
	// negative.
	Min, Max int
	// Unit names what a KindInt counts ("hours", "minutes", ...).
	Unit string
	// MaxDuration bounds a KindDuration parameter; the lower bound is 0:00.
	MaxDuration time.Duration
	// MaxLen bounds a KindString parameter, in characters.
	MaxLen int
	// Zero says what 0 (or 0:00) means when it is not a plain number,
	// such as "no limit".
	Zero string

	// Confirmed reports that the reference confirms the default. When it
	// is false, Note says why we chose the default we did.
	Confirmed bool
	// Note records where the parameter or its default comes from, when
	// that is not plain.
	Note string
}

// Display returns the form of the canonical value s that the administration
// shows: an option's label, True or False, or s itself.
func (d Definition) Display(s string) string {
	switch d.Kind {
	case KindBool:
		switch s {
		case "true":
			return "True"
		case "false":
			return "False"
		}
	case KindEnum:
		for _, o := range d.Options {
			if o.Value == s {
				return o.Label
			}
		}
	}
	return s
}

// Definitions returns every parameter, grouped as the administration shows
// them. The slice and its options are a fresh copy.
func Definitions() []Definition {
	out := make([]Definition, len(table))
	for i, d := range table {
		out[i] = d.clone()
	}
	return out
}

// Lookup returns the definition of the parameter key.
func Lookup(key string) (Definition, bool) {
	d := lookup(key)
	if d == nil {
		return Definition{}, false
	}
	return d.clone(), true
}

// Find returns the definition of the parameter that s names: its key
// exactly, or else its key or display name without regard to letter
// case, as administrators type them. Keys and display names are unique
// in any case (the table test proves it), so the answer is never
// ambiguous. It is what the admin tools use; stores and the typed getters
// use the exact key.
func Find(s string) (Definition, bool) {
	if d := lookup(s); d != nil {
		return d.clone(), true
	}
	for i := range table {
		d := &table[i]
		if strings.EqualFold(d.Key, s) || strings.EqualFold(d.DisplayName, s) {
			return d.clone(), true
		}
	}
	return Definition{}, false
}

// lookup returns a pointer into the table, which callers must not change.
// A scan is fast enough for some forty keys, and it keeps the package free
// of a second, derived structure that could drift from the table.
func lookup(key string) *Definition {
	for i := range table {
		if table[i].Key == key {
			return &table[i]
		}
	}
	return nil
}

func (d Definition) clone() Definition {
	d.Options = slices.Clone(d.Options)
	return d
}

// Values of the enum parameters, as stored.
const (
	ShowAllSettings = "show-all"
	HideAllSettings = "hide-all"
	ShowOnlyCFA     = "cfa-only"

	DisplayInternal = "internal"
	DisplayExternal = "external"
	DisplayBoth     = "both"

	OverlapMaximum = "maximum"
	OverlapMinimum = "minimum"
)

// table is the one list of parameters, in the order the administration shows
// them. It is never written; accessors hand out copies.
//
// Defaults marked Confirmed: false are our choice where the reference leaves
// the default open. For the Show flags the choice is True: the older
// user-options product showed everything but ring settings by default, and
// the reference notes that most options display by default, so an
// administrator upgrading from it expects the same.
var table = [...]Definition{
	// Self Care Portal Parameters.
	{
		Key: KeyDefaultServer, DisplayName: "Self Care Portal Default Server",
		Group: GroupSelfCare, Kind: KindServer, Default: ServerNone, Confirmed: true,
		Note: "None points clients at the publisher.",
	},
	{
		Key: KeyShowPhonesReadyToActivate, DisplayName: "Show Phones Ready to Activate",
		Group: GroupSelfCare, Kind: KindBool, Default: "true", Confirmed: true,
		Note: "The reference gives no internal name; the key is ours.",
	},
	{
		Key: KeyShowCallForwarding, DisplayName: "Show Call Forwarding",
		Group: GroupSelfCare, Kind: KindEnum, Default: ShowAllSettings, Confirmed: true,
		Options: []Option{
			{ShowAllSettings, "Show All Settings"},
			{HideAllSettings, "Hide All Settings"},
			{ShowOnlyCFA, "Show Only Call Forward All"},
		},
	},
	{
		Key: KeyShowRingSettings, DisplayName: "Show Ring Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "false", Confirmed: true,
	},
	{
		Key: KeyShowLineLabels, DisplayName: "Show Line Label Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "false",
		Note: "Default unconfirmed; False because the reference says an " +
			"administrator must turn it on and its UDS sample shows false.",
	},
	{
		Key: KeyShowSpeedDials, DisplayName: "Show Speed Dial Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Display name and default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowPhoneServices, DisplayName: "Show Phone Services Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyPhoneServiceDisplay, DisplayName: "Phone Service Display",
		Group: GroupSelfCare, Kind: KindEnum, Default: DisplayInternal,
		Options: []Option{
			{DisplayInternal, "Internal"},
			{DisplayExternal, "External URL"},
			{DisplayBoth, "Both"},
		},
		Note: "Default unconfirmed; Internal, the value of the reference's only " +
			"sample, and the narrower choice: services on external URLs are " +
			"offered only when an administrator asks for them.",
	},
	{
		Key: KeyShowVoicemailIVR, DisplayName: "Show Voicemail IVR Option",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowMessageWaiting, DisplayName: "Show Message Waiting Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "true", Confirmed: true,
		Note: "One flag for the lamp, the screen prompt and the audible " +
			"indicator, which older releases showed separately.",
	},
	{
		Key: KeyShowCallHistory, DisplayName: "Show Call History Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowPhoneContacts, DisplayName: "Show Phone Contacts",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowPhoneLocale, DisplayName: "Show Phone Display Locale",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowConferencing, DisplayName: "Show Conferencing",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowVideoConferencing, DisplayName: "Show Video Conferencing",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowDownloads, DisplayName: "Show Downloads",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowAdditionalPhones, DisplayName: "Show Additional Phone Settings",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Single Number Reach destinations. Default unconfirmed; True " +
			"(see the table comment).",
	},
	{
		Key: KeyShowCalendarPresence, DisplayName: "Show Calendar Preference",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowChangePassword, DisplayName: "Show Change Password",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True: users must be able to change a " +
			"password that the credential policy expires.",
	},
	{
		Key: KeyShowChangePIN, DisplayName: "Show Change PIN",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True, as for Show Change Password.",
	},
	{
		Key: KeyShowDirectorySearch, DisplayName: "Show Directory Search",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Default unconfirmed; True (see the table comment).",
	},
	{
		Key: KeyShowDoNotDisturb, DisplayName: "Show Do Not Disturb",
		Group: GroupSelfCare, Kind: KindBool, Default: "true",
		Note: "Ours: the reference shows Do Not Disturb always and knows no " +
			"flag for it. True keeps that behaviour; the flag lets a site " +
			"that manages DND centrally hide it.",
	},

	// User Management Parameters.
	{
		Key:         KeyOverlapPolicy,
		DisplayName: "Effective Access Privileges For Overlapping User Groups and Roles",
		Group:       GroupUserManagement, Kind: KindEnum, Default: OverlapMaximum,
		Confirmed: true,
		Options: []Option{
			{OverlapMaximum, "Maximum"},
			{OverlapMinimum, "Minimum"},
		},
		Note: "The key is ours.",
	},

	// Cisco Extension Mobility service parameters.
	{
		Key:         KeyEnforceIntraClusterLoginTime,
		DisplayName: "Enforce Intra-cluster Maximum Login Time",
		Group:       GroupExtensionMobility, Kind: KindBool, Default: "false",
		Confirmed: true,
		Note: "Setting an intra-cluster maximum other than 0:00 while this is " +
			"False turns it on (see PlanSet).",
	},
	{
		Key:         KeyIntraClusterLoginTime,
		DisplayName: "Intra-cluster Maximum Login Time",
		Group:       GroupExtensionMobility, Kind: KindDuration, Default: "8:00",
		MaxDuration: MaxLoginTime, Zero: "no limit",
		Note: "Default unconfirmed; 8:00, the reference's example and a " +
			"working day, so that turning enforcement on gives a sensible " +
			"limit. It applies only while enforcement is on.",
	},
	{
		Key:         KeyInterClusterLoginTime,
		DisplayName: "Inter-cluster Maximum Login Time",
		Group:       GroupExtensionMobility, Kind: KindDuration, Default: "8:00",
		MaxDuration: MaxLoginTime, Zero: "no limit",
		Note: "Default unconfirmed; 8:00, the commonly cited value. 0:00 " +
			"means no limit, as for the intra-cluster time since 12.5(1).",
	},

	// Cisco Device Activation Service.
	{
		Key:         KeyActivationTTL,
		DisplayName: "Activation Time to Live (Hours)",
		Group:       GroupDeviceActivation, Kind: KindInt, Default: "168",
		Min: 1, Max: 168, Unit: "hours", Confirmed: true,
		Note: "Range ours (the reference gives none): at least an hour, so " +
			"that a code can be used at all, and at most the default week, " +
			"since a longer life widens the window for guessing codes.",
	},

	// Clusterwide Parameters (Feature - Forward).
	{
		Key: KeyForwardMaxHop, DisplayName: "Forward Maximum Hop Count",
		Group: GroupForward, Kind: KindInt, Default: "12",
		Min: 1, Max: 15, Unit: "hops",
		Note: "Default and range unconfirmed; at most 15, the QSIG maximum the " +
			"reference gives, and 12 by default, which follows real chains " +
			"and stays below that ceiling.",
	},

	// Credential policy applied at login and on password and PIN changes.
	{
		Key: KeyFailedLogonThreshold, DisplayName: "Failed Logon Threshold",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "3",
		Min: 0, Max: 100, Unit: "attempts", Zero: "no limit", Confirmed: true,
	},
	{
		Key: KeyResetFailedLogon, DisplayName: "Reset Failed Logon Attempts Every",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "30",
		Min: 1, Max: 120, Unit: "minutes", Confirmed: true,
	},
	{
		Key: KeyLockoutDuration, DisplayName: "Lockout Duration",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "30",
		Min: 0, Max: 1440, Unit: "minutes", Zero: "until an administrator unlocks",
		Confirmed: true,
	},
	{
		Key: KeyCredentialExpiry, DisplayName: "Credential Expires After",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "180",
		Min: 0, Max: 365, Unit: "days", Zero: "never", Confirmed: true,
	},
	{
		Key: KeyMinPasswordLength, DisplayName: "Minimum Password Length",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "8",
		Min: 1, Max: 64, Unit: "characters", Confirmed: true,
	},
	{
		Key: KeyMinPINLength, DisplayName: "Minimum PIN Length",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "8",
		Min: 1, Max: 64, Unit: "digits", Confirmed: true,
		Note: "The reference keeps one policy per credential type with the " +
			"same defaults; only the minimum length is kept apart here.",
	},
	{
		Key: KeyCredentialHistory, DisplayName: "Stored Number of Previous Credentials",
		Group: GroupCredentialPolicy, Kind: KindInt, Default: "12",
		Min: 0, Max: 25, Unit: "credentials", Confirmed: true,
	},
	{
		Key: KeyTrivialCheck, DisplayName: "Check for Trivial Credentials",
		Group: GroupCredentialPolicy, Kind: KindBool, Default: "true", Confirmed: true,
	},
}
