package params

import "fmt"

// CallForwardMode is what Show Call Forwarding lets users forward. The zero
// value hides forwarding, so that a Features nobody filled in offers
// nothing.
type CallForwardMode uint8

// Call forwarding modes.
const (
	// CallForwardHidden hides call forwarding (Hide All Settings).
	CallForwardHidden CallForwardMode = iota
	// CallForwardAll shows every forward the portal has (Show All
	// Settings): Call Forward All and the busy and no-answer rules.
	CallForwardAll
	// CallForwardCFAOnly shows Call Forward All only.
	CallForwardCFAOnly
)

// String returns the parameter value of the mode: "hide-all", "show-all"
// or "cfa-only".
func (m CallForwardMode) String() string {
	switch m {
	case CallForwardHidden:
		return HideAllSettings
	case CallForwardAll:
		return ShowAllSettings
	case CallForwardCFAOnly:
		return ShowOnlyCFA
	}
	return fmt.Sprintf("CallForwardMode(%d)", uint8(m))
}

// MarshalText lets JSON carry the mode by its parameter value.
func (m CallForwardMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// callForwardMode maps a validated option value; anything else hides.
func callForwardMode(s string) CallForwardMode {
	switch s {
	case ShowAllSettings:
		return CallForwardAll
	case ShowOnlyCFA:
		return CallForwardCFAOnly
	}
	return CallForwardHidden
}

// PhoneServiceDisplay is which IP phone services users may subscribe to.
type PhoneServiceDisplay uint8

// Phone service display choices, in the order of the reference's codes.
const (
	PhoneServiceInternal PhoneServiceDisplay = iota
	PhoneServiceExternal
	PhoneServiceBoth
)

// String returns the parameter value: "internal", "external" or "both".
func (p PhoneServiceDisplay) String() string {
	switch p {
	case PhoneServiceInternal:
		return DisplayInternal
	case PhoneServiceExternal:
		return DisplayExternal
	case PhoneServiceBoth:
		return DisplayBoth
	}
	return fmt.Sprintf("PhoneServiceDisplay(%d)", uint8(p))
}

// MarshalText lets JSON carry the choice by its parameter value.
func (p PhoneServiceDisplay) MarshalText() ([]byte, error) {
	return []byte(p.String()), nil
}

func phoneServiceDisplay(s string) PhoneServiceDisplay {
	switch s {
	case DisplayExternal:
		return PhoneServiceExternal
	case DisplayBoth:
		return PhoneServiceBoth
	}
	return PhoneServiceInternal
}

// ForwardKind is one kind of call forward a user can set on a line.
type ForwardKind uint8

// Forward kinds, as the portal offers them.
const (
	ForwardAllCalls ForwardKind = iota // Call Forward All
	ForwardBusyInternal
	ForwardBusyExternal
	ForwardNoAnswerInternal
	ForwardNoAnswerExternal
)

// String returns a short name of the kind, e.g. "busy-internal".
func (k ForwardKind) String() string {
	switch k {
	case ForwardAllCalls:
		return "all"
	case ForwardBusyInternal:
		return "busy-internal"
	case ForwardBusyExternal:
		return "busy-external"
	case ForwardNoAnswerInternal:
		return "no-answer-internal"
	case ForwardNoAnswerExternal:
		return "no-answer-external"
	}
	return fmt.Sprintf("ForwardKind(%d)", uint8(k))
}

// Features is what the portal shows and accepts, derived from the
// parameters by [FeaturesOf]. A false field hides the feature on the pages
// and refuses it in the API. The zero Features offers nothing.
type Features struct {
	CallForwarding        CallForwardMode
	PhonesReadyToActivate bool
	RingSettings          bool
	LineLabels            bool
	SpeedDials            bool
	PhoneServices         bool
	PhoneServiceDisplay   PhoneServiceDisplay
	VoicemailIVR          bool
	MessageWaiting        bool
	CallHistory           bool
	PhoneContacts         bool
	PhoneLocale           bool
	Conferencing          bool
	VideoConferencing     bool
	Downloads             bool
	AdditionalPhones      bool
	CalendarPresence      bool
	ChangePassword        bool
	ChangePIN             bool
	DirectorySearch       bool
	DoNotDisturb          bool
}

// FeaturesOf derives the feature set from the parameters.
func FeaturesOf(v Values) Features {
	return Features{
		CallForwarding:        v.ShowCallForwarding(),
		PhonesReadyToActivate: v.Bool(KeyShowPhonesReadyToActivate),
		RingSettings:          v.Bool(KeyShowRingSettings),
		LineLabels:            v.Bool(KeyShowLineLabels),
		SpeedDials:            v.Bool(KeyShowSpeedDials),
		PhoneServices:         v.Bool(KeyShowPhoneServices),
		PhoneServiceDisplay:   v.PhoneServiceDisplay(),
		VoicemailIVR:          v.Bool(KeyShowVoicemailIVR),
		MessageWaiting:        v.Bool(KeyShowMessageWaiting),
		CallHistory:           v.Bool(KeyShowCallHistory),
		PhoneContacts:         v.Bool(KeyShowPhoneContacts),
		PhoneLocale:           v.Bool(KeyShowPhoneLocale),
		Conferencing:          v.Bool(KeyShowConferencing),
		VideoConferencing:     v.Bool(KeyShowVideoConferencing),
		Downloads:             v.Bool(KeyShowDownloads),
		AdditionalPhones:      v.Bool(KeyShowAdditionalPhones),
		CalendarPresence:      v.Bool(KeyShowCalendarPresence),
		ChangePassword:        v.Bool(KeyShowChangePassword),
		ChangePIN:             v.Bool(KeyShowChangePIN),
		DirectorySearch:       v.Bool(KeyShowDirectorySearch),
		DoNotDisturb:          v.Bool(KeyShowDoNotDisturb),
	}
}

// AllowsForward reports whether users may set forwards of kind k: Call
// Forward All unless forwarding is hidden, the busy and no-answer rules only
// when all settings are shown. An unknown kind is refused.
func (f Features) AllowsForward(k ForwardKind) bool {
	return f.CheckForward(k) == nil
}

// CheckForward is [Features.AllowsForward] with the error to return: a
// [*GateError] naming Show Call Forwarding.
func (f Features) CheckForward(k ForwardKind) error {
	switch k {
	case ForwardAllCalls:
		return f.Check(FeatureCallForwardAll)
	case ForwardBusyInternal, ForwardBusyExternal,
		ForwardNoAnswerInternal, ForwardNoAnswerExternal:
		return f.Check(FeatureCallForwardRules)
	}
	return fmt.Errorf("params: forward kind %v: %w", k, ErrUnknown)
}

// Feature names a part of the portal that a parameter can hide. The names
// are stable, for routes, templates and tests.
type Feature string

// Features gated by a parameter; [Gates] lists them with their parameters.
const (
	FeatureCallForwardAll        Feature = "call-forward-all"
	FeatureCallForwardRules      Feature = "call-forward-rules"
	FeaturePhonesReadyToActivate Feature = "phones-ready-to-activate"
	FeatureRingSettings          Feature = "ring-settings"
	FeatureLineLabels            Feature = "line-labels"
	FeatureSpeedDials            Feature = "speed-dials"
	FeaturePhoneServices         Feature = "phone-services"
	FeatureVoicemailIVR          Feature = "voicemail-ivr"
	FeatureMessageWaiting        Feature = "message-waiting"
	FeatureCallHistory           Feature = "call-history"
	FeaturePhoneContacts         Feature = "phone-contacts"
	FeaturePhoneLocale           Feature = "phone-locale"
	FeatureConferencing          Feature = "conferencing"
	FeatureVideoConferencing     Feature = "video-conferencing"
	FeatureDownloads             Feature = "downloads"
	FeatureAdditionalPhones      Feature = "additional-phones"
	FeatureCalendarPresence      Feature = "calendar-presence"
	FeatureChangePassword        Feature = "change-password"
	FeatureChangePIN             Feature = "change-pin"
	FeatureDirectorySearch       Feature = "directory-search"
	FeatureDoNotDisturb          Feature = "do-not-disturb"

	// FeatureEMLoginTime is gated by the user's profile, not by a
	// parameter; see [UserProfile.CheckEMLoginTime].
	FeatureEMLoginTime Feature = "em-login-time"
)

// Gate ties a feature to the parameter that shows or hides it.
type Gate struct {
	Feature Feature
	// Title names the feature in messages, e.g. "ring settings".
	Title string
	// ParamKey is the parameter that gates the feature.
	ParamKey string
	// Hiding is a value of the parameter, canonical, that hides the
	// feature; tests flip the parameter to it.
	Hiding string
}

// gates lists every feature of [Features]; shown answers for one.
var gates = [...]struct {
	Gate
	shown func(Features) bool
}{
	{Gate{FeatureCallForwardAll, "call forward all", KeyShowCallForwarding,
		HideAllSettings},
		func(f Features) bool {
			return f.CallForwarding == CallForwardAll || f.CallForwarding == CallForwardCFAOnly
		}},
	{Gate{FeatureCallForwardRules, "busy and no-answer forwarding", KeyShowCallForwarding,
		ShowOnlyCFA},
		func(f Features) bool { return f.CallForwarding == CallForwardAll }},
	{Gate{FeaturePhonesReadyToActivate, "phones ready to activate",
		KeyShowPhonesReadyToActivate, "false"},
		func(f Features) bool { return f.PhonesReadyToActivate }},
	{Gate{FeatureRingSettings, "ring settings", KeyShowRingSettings, "false"},
		func(f Features) bool { return f.RingSettings }},
	{Gate{FeatureLineLabels, "line labels", KeyShowLineLabels, "false"},
		func(f Features) bool { return f.LineLabels }},
	{Gate{FeatureSpeedDials, "speed dials", KeyShowSpeedDials, "false"},
		func(f Features) bool { return f.SpeedDials }},
	{Gate{FeaturePhoneServices, "phone services", KeyShowPhoneServices, "false"},
		func(f Features) bool { return f.PhoneServices }},
	{Gate{FeatureVoicemailIVR, "the voicemail IVR", KeyShowVoicemailIVR, "false"},
		func(f Features) bool { return f.VoicemailIVR }},
	{Gate{FeatureMessageWaiting, "message waiting settings", KeyShowMessageWaiting,
		"false"},
		func(f Features) bool { return f.MessageWaiting }},
	{Gate{FeatureCallHistory, "call history settings", KeyShowCallHistory, "false"},
		func(f Features) bool { return f.CallHistory }},
	{Gate{FeaturePhoneContacts, "phone contacts", KeyShowPhoneContacts, "false"},
		func(f Features) bool { return f.PhoneContacts }},
	{Gate{FeaturePhoneLocale, "the phone display locale", KeyShowPhoneLocale, "false"},
		func(f Features) bool { return f.PhoneLocale }},
	{Gate{FeatureConferencing, "conferencing", KeyShowConferencing, "false"},
		func(f Features) bool { return f.Conferencing }},
	{Gate{FeatureVideoConferencing, "video conferencing", KeyShowVideoConferencing,
		"false"},
		func(f Features) bool { return f.VideoConferencing }},
	{Gate{FeatureDownloads, "downloads", KeyShowDownloads, "false"},
		func(f Features) bool { return f.Downloads }},
	{Gate{FeatureAdditionalPhones, "additional phones", KeyShowAdditionalPhones,
		"false"},
		func(f Features) bool { return f.AdditionalPhones }},
	{Gate{FeatureCalendarPresence, "the calendar preference", KeyShowCalendarPresence,
		"false"},
		func(f Features) bool { return f.CalendarPresence }},
	{Gate{FeatureChangePassword, "password changes", KeyShowChangePassword, "false"},
		func(f Features) bool { return f.ChangePassword }},
	{Gate{FeatureChangePIN, "PIN changes", KeyShowChangePIN, "false"},
		func(f Features) bool { return f.ChangePIN }},
	{Gate{FeatureDirectorySearch, "directory search", KeyShowDirectorySearch, "false"},
		func(f Features) bool { return f.DirectorySearch }},
	{Gate{FeatureDoNotDisturb, "do not disturb", KeyShowDoNotDisturb, "false"},
		func(f Features) bool { return f.DoNotDisturb }},
}

// Gates returns every feature that a parameter gates, with its parameter.
// The web layer names the parameter in its 403; end-to-end tests flip each
// parameter to its Hiding value.
func Gates() []Gate {
	out := make([]Gate, len(gates))
	for i, g := range gates {
		out[i] = g.Gate
	}
	return out
}

// GateOf returns the gate of a feature, or false for a feature that no
// parameter gates.
func GateOf(feature Feature) (Gate, bool) {
	for _, g := range gates {
		if g.Feature == feature {
			return g.Gate, true
		}
	}
	return Gate{}, false
}

// Shown reports whether the portal offers the feature; an unknown feature
// is not offered.
func (f Features) Shown(feature Feature) bool { return f.Check(feature) == nil }

// Check returns nil when the portal offers the feature, and otherwise a
// [*GateError] naming the parameter that hides it. A feature that no
// parameter gates yields an error matching [ErrUnknown]: a caller asking
// about it has a bug, and refusing makes it visible.
func (f Features) Check(feature Feature) error {
	for _, g := range gates {
		if g.Feature != feature {
			continue
		}
		if g.shown(f) {
			return nil
		}
		d := lookup(g.ParamKey)
		val := "false"
		if g.ParamKey == KeyShowCallForwarding {
			val = f.CallForwarding.String()
		}
		return &GateError{
			Feature: feature, Title: g.Title,
			ParamKey: d.Key, ParamDisplayName: d.DisplayName, Value: d.Display(val),
		}
	}
	return fmt.Errorf("params: feature %s: %w", QuoteValue(string(feature)), ErrUnknown)
}

// GateError reports a feature hidden by a parameter or by the user's
// profile. It matches [ErrFeatureHidden].
type GateError struct {
	Feature Feature
	// Title names the feature in the message.
	Title string
	// ParamKey and ParamDisplayName name the parameter, or the user
	// profile option, that hides the feature.
	ParamKey         string
	ParamDisplayName string
	// Value is the parameter's value as the administration shows it, e.g.
	// "Show Only Call Forward All"; empty for a profile option.
	Value string
	// ByProfile reports that a user profile option hides the feature;
	// Profile names the user's profile, "" when they have none.
	ByProfile bool
	Profile   string
}

// Error names the feature and what hides it.
func (e *GateError) Error() string {
	option := label(fmt.Sprintf("%q", e.ParamDisplayName), e.ParamKey)
	switch {
	case e.ByProfile && e.Profile == "":
		return fmt.Sprintf("params: not offered: %s, since the user has no user "+
			"profile and only a profile with %s turned on offers it", e.Title, option)
	case e.ByProfile:
		return fmt.Sprintf("params: not offered: %s, since the user profile %s does "+
			"not have %s turned on", e.Title, QuoteValue(e.Profile), option)
	}
	return fmt.Sprintf("params: not offered: %s, since the parameter %s is %s",
		e.Title, option, e.Value)
}

// Unwrap lets errors.Is match [ErrFeatureHidden].
func (e *GateError) Unwrap() error { return ErrFeatureHidden }
