package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// A phone's settings (the user's description and the phone's display
// language) and the user's display language: JSON resources with a
// version in their ETag, changed by JSON merge patch under If-Match, as
// Do Not Disturb is, and a page for each whose form posts the version it
// was rendered with. The installed locales are a plain list.

func (h *Handler) routesPhoneSettings() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"phones/{device}", h.api(h.apiAuthed(h.apiPhone)))
	h.mux.Handle("PATCH "+api+"phones/{device}", h.api(h.apiAuthed(h.apiPatchPhone)))
	h.mux.Handle("GET "+api+"language", h.api(h.apiAuthed(h.apiLanguage)))
	h.mux.Handle("PATCH "+api+"language", h.api(h.apiAuthed(h.apiPatchLanguage)))
	h.mux.Handle("GET "+api+"locales", h.api(h.apiAuthed(h.apiLocales)))
	h.mux.Handle("GET "+p+"phones/{device}/settings", h.page(h.authed(h.phoneSettingsPage)))
	h.mux.Handle("POST "+p+"phones/{device}/settings",
		h.page(h.authed(h.phoneSettingsSubmit)))
	h.mux.Handle("GET "+p+"language", h.page(h.authed(h.languagePage)))
	h.mux.Handle("POST "+p+"language", h.page(h.authed(h.languageSubmit)))
}

// phoneDetailView is one phone in the API. Description and PhoneLocale are
// what the user set ("" for none) and the only members a PATCH may carry;
// the shown values say what the phone displays and whose choice that is.
// The display language members are left out while Show Phone Display
// Locale hides them.
type phoneDetailView struct {
	Name              string     `json:"name"`
	Model             string     `json:"model"`
	Description       string     `json:"description"`
	AdminDescription  string     `json:"adminDescription"`
	ShownDescription  string     `json:"shownDescription"`
	DescriptionSource string     `json:"descriptionSource"`
	PhoneLocale       *string    `json:"phoneLocale,omitempty"`
	ShownPhoneLocale  *string    `json:"shownPhoneLocale,omitempty"`
	PhoneLocaleSource *string    `json:"phoneLocaleSource,omitempty"`
	Lines             []lineView `json:"lines"`
	Version           int64      `json:"version"`
}

// phonePatchFields are the members of a phone a user may change.
var phonePatchFields = map[string]bool{"description": true, "phoneLocale": true}

// adminOnlyFields are the members of a phone an administrator sets; the
// others of phoneDetailView are derived. A PATCH naming either is refused
// with a message that names the member.
var (
	adminOnlyFields = []string{"name", "owner", "model", "adminDescription", "lines"}
	derivedFields   = []string{"shownDescription", "descriptionSource",
		"shownPhoneLocale", "phoneLocaleSource", "version"}
)

func (h *Handler) toPhoneDetailView(r *http.Request, d selfcare.PhoneDetail) phoneDetailView {
	shown, src := d.Description()
	v := phoneDetailView{Name: d.Device.Name, Model: d.Device.Model,
		Description: d.Settings.Description, AdminDescription: d.Device.AdminDescription,
		ShownDescription: shown, DescriptionSource: src,
		Lines: make([]lineView, 0, len(d.Device.Lines)), Version: d.Settings.Version}
	for _, l := range d.Device.Lines {
		v.Lines = append(v.Lines, lineView{Index: l.Index, Extension: l.Extension,
			Label: l.Label})
	}
	if h.showPhoneLocale(r) {
		loc, lsrc := d.PhoneLocale()
		v.PhoneLocale, v.ShownPhoneLocale, v.PhoneLocaleSource = &d.Settings.PhoneLocale,
			&loc, &lsrc
	}
	return v
}

// showPhoneLocale reports whether the parameters show the phone display
// language to the request's user.
func (h *Handler) showPhoneLocale(r *http.Request) bool {
	return h.svc.CheckFeature(r.Context(), principalFrom(r.Context()),
		params.FeaturePhoneLocale) == nil
}

func (h *Handler) writePhone(w http.ResponseWriter, r *http.Request, d selfcare.PhoneDetail) {
	w.Header().Set("ETag", etag(d.Settings.Version))
	writeJSON(w, http.StatusOK, h.toPhoneDetailView(r, d))
}

func (h *Handler) apiPhone(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.Phone(r.Context(), principalFrom(r.Context()), r.PathValue("device"))
	if err != nil {
		return err
	}
	h.writePhone(w, r, d)
	return nil
}

func (h *Handler) apiPatchPhone(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodePhonePatch(r)
	if err != nil {
		return err
	}
	d, err := h.svc.UpdatePhone(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), patch, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writePhone(w, r, d)
	return nil
}

// decodePhonePatch reads a JSON merge patch of a phone: description and
// phoneLocale, each a string or null. A member that only an administrator
// sets, or that the server derives, is refused by name; any other unknown
// member is a bad request.
func decodePhonePatch(r *http.Request) (selfcare.PhoneSettingsPatch, error) {
	var patch selfcare.PhoneSettingsPatch
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return patch, err
	}
	m, err := objectMembers(body, readOnlyAware(phonePatchFields))
	if err != nil {
		return patch, err
	}
	if err := refuseReadOnly(m); err != nil {
		return patch, err
	}
	if patch.Description, err = patchField[string](m, "description"); err != nil {
		return patch, badRequest("description must be a string or null")
	}
	if patch.PhoneLocale, err = patchField[string](m, "phoneLocale"); err != nil {
		return patch, badRequest("phoneLocale must be a string or null")
	}
	return patch, nil
}

// readOnlyAware returns known plus the members refuseReadOnly names, so
// that objectMembers lets them through to be refused with their reason.
func readOnlyAware(known map[string]bool) map[string]bool {
	all := make(map[string]bool, len(known)+len(adminOnlyFields)+len(derivedFields))
	for k := range known {
		all[k] = true
	}
	for _, f := range slices.Concat(adminOnlyFields, derivedFields) {
		all[f] = true
	}
	return all
}

// refuseReadOnly refuses the members of m that a user may not set, each
// named with why.
func refuseReadOnly(m map[string]json.RawMessage) error {
	v := &selfcare.ValidationError{}
	for _, f := range adminOnlyFields {
		if _, ok := m[f]; ok {
			v.Fields = append(v.Fields, selfcare.FieldError{Field: f,
				Message: "Only an administrator can change " + f + "."})
		}
	}
	for _, f := range derivedFields {
		if _, ok := m[f]; ok {
			v.Fields = append(v.Fields, selfcare.FieldError{Field: f,
				Message: f + " is worked out by the server and cannot be set."})
		}
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// languageView is the user's display language in the API; the version is
// also the ETag.
type languageView struct {
	Locale  string `json:"locale"`
	Name    string `json:"name"`
	Version int64  `json:"version"`
}

func (h *Handler) writeLanguage(w http.ResponseWriter, l selfcare.UserLanguage) {
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusOK, languageView{Locale: l.Locale,
		Name: selfcare.LocaleOf(l.Locale).Name, Version: l.Version})
}

func (h *Handler) apiLanguage(w http.ResponseWriter, r *http.Request) error {
	l, err := h.svc.Language(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	h.writeLanguage(w, l)
	return nil
}

func (h *Handler) apiPatchLanguage(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return err
	}
	m, err := objectMembers(body, map[string]bool{"locale": true, "name": true,
		"version": true})
	if err != nil {
		return err
	}
	for _, f := range []string{"name", "version"} {
		if _, ok := m[f]; ok {
			return &selfcare.ValidationError{Fields: []selfcare.FieldError{{Field: f,
				Message: f + " is worked out by the server and cannot be set."}}}
		}
	}
	locale, err := patchField[string](m, "locale")
	if err != nil {
		return badRequest("locale must be a string or null")
	}
	l, err := h.svc.UpdateLanguage(r.Context(), principalFrom(r.Context()), locale,
		version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeLanguage(w, l)
	return nil
}

// localeView is one installed locale in the API.
type localeView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (h *Handler) apiLocales(w http.ResponseWriter, r *http.Request) error {
	ls := h.svc.InstalledLocales()
	out := make([]localeView, 0, len(ls))
	for _, l := range ls {
		out = append(out, localeView(l))
	}
	writeJSON(w, http.StatusOK, struct {
		Locales []localeView `json:"locales"`
		Default string       `json:"default"`
	}{out, ls[0].Code})
	return nil
}

// phoneSettingsPage is what phonesettings.html gets.
type phoneSettingsPage struct {
	pageData
	Device, Model, AdminDescription string
	// Description and PhoneLocale are the form's values: what is stored,
	// or what was typed when the save was refused.
	Description, PhoneLocale string
	ShownDescription         string
	FromAdmin                bool
	// ShowLocale offers the display language; UserLocale is what the phone
	// follows without one of its own.
	ShowLocale bool
	UserLocale selfcare.Locale
	Locales    []selfcare.Locale
	Version    int64
	MaxLength  int
}

func (h *Handler) phoneSettingsData(r *http.Request) (phoneSettingsPage, error) {
	d, err := h.svc.Phone(r.Context(), principalFrom(r.Context()), r.PathValue("device"))
	if err != nil {
		return phoneSettingsPage{}, err
	}
	shown, src := d.Description()
	title := "Phone settings of " + d.Device.Name
	return phoneSettingsPage{pageData: pageData{Title: title, Nav: "phones"},
		Device: d.Device.Name, Model: d.Device.Model,
		AdminDescription: d.Device.AdminDescription, Description: d.Settings.Description,
		PhoneLocale: d.Settings.PhoneLocale, ShownDescription: shown,
		FromAdmin: src == selfcare.SourceAdmin, ShowLocale: h.showPhoneLocale(r),
		UserLocale: selfcare.LocaleOf(d.UserLocale), Locales: h.svc.InstalledLocales(),
		Version: d.Settings.Version, MaxLength: selfcare.MaxPhoneDescription}, nil
}

func (h *Handler) phoneSettingsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.phoneSettingsData(r)
	if err != nil {
		return err
	}
	if savedMarker(r) == "settings" {
		d.Notice = "The settings of " + d.Device + " have been saved."
	}
	h.renderPage(w, r, http.StatusOK, "phonesettings.html", &d.pageData, &d)
	return nil
}

// phoneSettingsSubmit saves the form against the version it was rendered
// with. The display language is sent only when the form offered it.
func (h *Handler) phoneSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the phone")
	if err != nil {
		return err
	}
	// Only the parts the form names (forms.go). The display language,
	// which a parameter hides, is refused naming it when the form named
	// it while it is hidden.
	named, err := phoneFormParts.named(r.PostForm)
	if err != nil {
		return err
	}
	var patch selfcare.PhoneSettingsPatch
	if named["description"] {
		patch.Description = selfcare.Set(r.PostForm.Get("description"))
	}
	if named["locale"] {
		if !h.showPhoneLocale(r) {
			return h.gatePage(r, params.FeaturePhoneLocale)
		}
		patch.PhoneLocale = selfcare.Set(r.PostForm.Get("phoneLocale"))
	}
	saved, uerr := h.svc.UpdatePhone(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), patch, version, remoteAddr(r))
	if uerr == nil {
		return h.seeSaved(w, r, "phones/"+url.PathEscape(saved.Device.Name)+"/settings",
			nil, "settings")
	}
	d, err := h.phoneSettingsData(r)
	if err != nil {
		return err
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Error = "This phone's settings were changed elsewhere after you opened this " +
			"page, so your change was not saved. The settings now in force are shown; " +
			"make your change again."
	case errors.Is(uerr, selfcare.ErrInvalid):
		status = http.StatusBadRequest
		d.Description = r.PostForm.Get("description")
		if patch.PhoneLocale.Present {
			d.PhoneLocale = patch.PhoneLocale.Value
		}
		d.Fields = fieldMessages(uerr)
		d.Summary = summarize(d.Fields,
			formField{"description", "description", "Description"},
			formField{"phoneLocale", "phoneLocale", "Display language of this phone"})
		d.Error = fmt.Sprintf("The settings of %s were not saved: %d problem(s), "+
			"shown beside the fields.", d.Device, len(d.Fields))
	default:
		return uerr
	}
	h.renderPage(w, r, status, "phonesettings.html", &d.pageData, &d)
	return nil
}

// phoneFormParts are the parts of a phone's settings form with their
// fields.
var phoneFormParts = formParts{"description": {"description"},
	"locale": {"phoneLocale"}}

// fieldMessages returns the messages of a validation error by field.
func fieldMessages(err error) map[string]string {
	out := map[string]string{}
	var ve *selfcare.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			if prev := out[f.Field]; prev != "" {
				out[f.Field] = prev + " " + f.Message
				continue
			}
			out[f.Field] = f.Message
		}
	}
	return out
}

// languagePage is what language.html gets.
type languagePage struct {
	pageData
	Locale  string
	Current selfcare.Locale
	Locales []selfcare.Locale
	Version int64
}

func (h *Handler) languageData(r *http.Request) (languagePage, error) {
	l, err := h.svc.Language(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return languagePage{}, err
	}
	return languagePage{pageData: pageData{Title: "Language", Nav: "language"},
		Locale: l.Locale, Current: selfcare.LocaleOf(l.Locale),
		Locales: h.svc.InstalledLocales(), Version: l.Version}, nil
}

func (h *Handler) languagePage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.languageData(r)
	if err != nil {
		return err
	}
	if savedMarker(r) == "language" {
		d.Notice = "Your display language is now " + d.Current.Name + "."
	}
	h.renderPage(w, r, http.StatusOK, "language.html", &d.pageData, &d)
	return nil
}

// languageSubmit saves the chosen locale against the version the form was
// rendered with.
func (h *Handler) languageSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the language")
	if err != nil {
		return err
	}
	if _, err := (formParts{"language": nil}).named(r.PostForm); err != nil {
		return err
	}
	_, uerr := h.svc.UpdateLanguage(r.Context(), principalFrom(r.Context()),
		selfcare.Set(r.PostForm.Get("locale")), version, remoteAddr(r))
	if uerr == nil {
		return h.seeSaved(w, r, "language", nil, "language")
	}
	d, err := h.languageData(r)
	if err != nil {
		return err
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Error = "Your display language was changed elsewhere after you opened this " +
			"page, so your choice was not saved. The language now in force is shown; " +
			"choose again."
	case errors.Is(uerr, selfcare.ErrInvalid):
		status = http.StatusBadRequest
		d.Fields = fieldMessages(uerr)
		d.Summary = summarize(d.Fields, formField{"locale", "locale", "Display language"})
		d.Error = "Your display language was not saved: choose one from the list."
	default:
		return uerr
	}
	h.renderPage(w, r, status, "language.html", &d.pageData, &d)
	return nil
}
