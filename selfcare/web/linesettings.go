package web

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// Line settings, per line appearance (phone and line index): a JSON
// resource with a version in its ETag, changed by JSON merge patch under
// If-Match, a list of a phone's lines, and a page with one form per line.
// Parts the parameters hide are left out of answers and forms; a patch
// that touches one is refused whole with 403.

func (h *Handler) routesLineSettings() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"phones/{device}/lines",
		h.api(h.apiAuthed(h.apiLineSettingsList)))
	h.mux.Handle("GET "+api+"phones/{device}/lines/{index}",
		h.api(h.apiAuthed(h.apiLineSettings)))
	h.mux.Handle("PATCH "+api+"phones/{device}/lines/{index}",
		h.api(h.apiAuthed(h.apiPatchLineSettings)))
	h.mux.Handle("GET "+p+"line-settings", h.page(h.authed(h.lineSettingsPage)))
	h.mux.Handle("POST "+p+"line-settings", h.page(h.authed(h.lineSettingsSubmit)))
}

// The members of a line's settings in the API, after the reference's
// names.
const (
	lsRingIdle   = "notOnACallRingPreference"
	lsRingOnCall = "onACallRingPreference"
	lsLabel      = "label"
	lsVisual     = "messageWaitingVisualAlertPreference"
	lsAudible    = "messageWaitingAudibleAlertPreference"
	lsLogMissed  = "logMissedCalls"
)

// lsAdminMembers are members a client may read but only an administrator
// sets; a patch naming one is refused naming it.
var lsAdminMembers = []string{"extension", "adminLabel", "owner"}

// lineSettingsView is one line in the API; the version is also the ETag.
// A part the parameters hide is left out.
type lineSettingsView struct {
	Device    string `json:"device"`
	Index     int    `json:"index"`
	Extension string `json:"extension"`
	Version   int64  `json:"version"`

	RingIdle   *selfcare.RingSetting `json:"notOnACallRingPreference,omitempty"`
	RingOnCall *selfcare.RingSetting `json:"onACallRingPreference,omitempty"`
	// Label is the user's label, "" for none; AdminLabel is the
	// administrator's, which the phone shows when Label is "".
	Label          *string              `json:"label,omitempty"`
	AdminLabel     *string              `json:"adminLabel,omitempty"`
	MWIVisual      *selfcare.MWIVisual  `json:"messageWaitingVisualAlertPreference,omitempty"`
	MWIAudible     *selfcare.MWIAudible `json:"messageWaitingAudibleAlertPreference,omitempty"`
	LogMissedCalls *bool                `json:"logMissedCalls,omitempty"`
}

// lineSections is which parts of the line settings are shown.
type lineSections struct{ Ring, Label, MWI, History bool }

func (h *Handler) lineSections(r *http.Request) lineSections {
	var s lineSections
	for _, sec := range h.svc.VisibleLineSections(r.Context(), principalFrom(r.Context())) {
		switch sec {
		case selfcare.LineRing:
			s.Ring = true
		case selfcare.LineLabel:
			s.Label = true
		case selfcare.LineMessageWaiting:
			s.MWI = true
		case selfcare.LineCallHistory:
			s.History = true
		}
	}
	return s
}

func toLineSettingsView(a selfcare.LineAppearance, sec lineSections) lineSettingsView {
	l := a.Settings
	v := lineSettingsView{Device: a.Device, Index: a.Line.Index,
		Extension: a.Line.Extension, Version: l.Version}
	if sec.Ring {
		v.RingIdle, v.RingOnCall = &l.RingIdle, &l.RingOnCall
	}
	if sec.Label {
		admin := a.Line.Label
		v.Label, v.AdminLabel = &l.Label, &admin
	}
	if sec.MWI {
		v.MWIVisual, v.MWIAudible = &l.MWIVisual, &l.MWIAudible
	}
	if sec.History {
		v.LogMissedCalls = &l.LogMissedCalls
	}
	return v
}

// lineIndex reads the path's line index. Anything but a plain decimal
// number is a line that does not exist, with the same answer.
func lineIndex(r *http.Request) (int, error) {
	s := r.PathValue("index")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("web: line %q: %w", s, selfcare.ErrNotFound)
	}
	return n, nil
}

func (h *Handler) writeLineSettings(w http.ResponseWriter, r *http.Request,
	a selfcare.LineAppearance) {
	w.Header().Set("ETag", etag(a.Settings.Version))
	writeJSON(w, http.StatusOK, toLineSettingsView(a, h.lineSections(r)))
}

func (h *Handler) apiLineSettingsList(w http.ResponseWriter, r *http.Request) error {
	device := r.PathValue("device")
	as, err := h.svc.LineAppearances(r.Context(), principalFrom(r.Context()), device)
	if err != nil {
		return err
	}
	sec := h.lineSections(r)
	out := make([]lineSettingsView, 0, len(as))
	for _, a := range as {
		out = append(out, toLineSettingsView(a, sec))
	}
	writeJSON(w, http.StatusOK, struct {
		Device string             `json:"device"`
		Lines  []lineSettingsView `json:"lines"`
	}{device, out})
	return nil
}

func (h *Handler) apiLineSettings(w http.ResponseWriter, r *http.Request) error {
	index, err := lineIndex(r)
	if err != nil {
		return err
	}
	a, err := h.svc.LineAppearance(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), index)
	if err != nil {
		return err
	}
	h.writeLineSettings(w, r, a)
	return nil
}

func (h *Handler) apiPatchLineSettings(w http.ResponseWriter, r *http.Request) error {
	index, err := lineIndex(r)
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodeLineSettingsPatch(r)
	if err != nil {
		return err
	}
	a, err := h.svc.UpdateLineSettings(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), index, patch, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeLineSettings(w, r, a)
	return nil
}

// decodeLineSettingsPatch reads a JSON merge patch of a line's settings.
// A name that is not one of the choices is passed on as a value outside
// them, so that the service refuses it naming the field and audits the
// refusal; a value of the wrong JSON type is a bad request.
func decodeLineSettingsPatch(r *http.Request) (selfcare.LineSettingsPatch, error) {
	var patch selfcare.LineSettingsPatch
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return patch, err
	}
	known := map[string]bool{lsRingIdle: true, lsRingOnCall: true, lsLabel: true,
		lsVisual: true, lsAudible: true, lsLogMissed: true}
	for _, n := range lsAdminMembers {
		known[n] = true
	}
	m, err := objectMembers(body, known)
	if err != nil {
		return patch, err
	}
	for _, n := range lsAdminMembers {
		if _, ok := m[n]; ok {
			patch.AdminFields = append(patch.AdminFields, n)
		}
	}
	if patch.RingIdle, err = lineEnumPatchField[selfcare.RingSetting](m, lsRingIdle); err != nil {
		return patch, err
	}
	if patch.RingOnCall, err = lineEnumPatchField[selfcare.RingSetting](m,
		lsRingOnCall); err != nil {
		return patch, err
	}
	if patch.MWIVisual, err = lineEnumPatchField[selfcare.MWIVisual](m, lsVisual); err != nil {
		return patch, err
	}
	if patch.MWIAudible, err = lineEnumPatchField[selfcare.MWIAudible](m,
		lsAudible); err != nil {
		return patch, err
	}
	if patch.Label, err = patchField[string](m, lsLabel); err != nil {
		return patch, err
	}
	if patch.LogMissedCalls, err = patchField[bool](m, lsLogMissed); err != nil {
		return patch, err
	}
	return patch, nil
}

// lineEnumPatchField is patchField for a setting named by a string: a string
// that is not a name becomes the invalid value ^0, which the service
// refuses with a message listing the choices.
func lineEnumPatchField[T ~uint8, PT interface {
	*T
	encoding.TextUnmarshaler
}](m map[string]json.RawMessage, name string) (selfcare.PatchField[T], error) {
	f, err := patchField[string](m, name)
	if err != nil || !f.Present || f.Null {
		return selfcare.PatchField[T]{Present: f.Present, Null: f.Null}, err
	}
	var v T
	if PT(&v).UnmarshalText([]byte(f.Value)) != nil {
		v = ^T(0)
	}
	return selfcare.Set(v), nil
}

// lineSettingsPage is what linesettings.html gets: one form per line of
// each phone, with the parts the parameters show.
type lineSettingsPage struct {
	pageData
	Sections lineSections
	Phones   []lineSettingsPhone
	Ring     []lsChoice
	Visual   []lsChoice
	Audible  []lsChoice
}

type lineSettingsPhone struct {
	Device, Title string
	Lines         []lineSettingsForm
}

// lineSettingsForm is one line's form: values as text, as posted when
// the form comes back with errors, and each field's error by its name.
type lineSettingsForm struct {
	Device     string
	Index      int
	Extension  string
	AdminLabel string
	Version    int64

	RingIdle, RingOnCall  string
	Label                 string
	MWIVisual, MWIAudible string
	LogMissedCalls        bool

	Errors        map[string]string
	Error, Notice string
}

// lsChoice is one option of a select. The titles are the reference's
// names, which the service's messages use too.
type lsChoice struct{ Value, Title string }

var (
	lsRingChoices = []lsChoice{
		{selfcare.RingSystemDefault.String(), "Use System Default"},
		{selfcare.RingDisable.String(), "Disable"},
		{selfcare.RingFlashOnly.String(), "Flash Only"},
		{selfcare.RingOnce.String(), "Ring Once"},
		{selfcare.RingRing.String(), "Ring"},
		{selfcare.RingBeepOnly.String(), "Beep Only"},
	}
	lsVisualChoices = []lsChoice{
		{selfcare.MWIUseSystemPolicy.String(), "Use System Policy"},
		{selfcare.MWILightAndPrompt.String(), "Light and Prompt"},
		{selfcare.MWIPromptOnly.String(), "Prompt Only"},
		{selfcare.MWILightOnly.String(), "Light Only"},
		{selfcare.MWINone.String(), "None"},
	}
	lsAudibleChoices = []lsChoice{
		{selfcare.MWIAudibleDefault.String(), "Default"},
		{selfcare.MWIAudibleOn.String(), "On"},
		{selfcare.MWIAudibleOff.String(), "Off"},
	}
)

func toLineSettingsForm(a selfcare.LineAppearance) lineSettingsForm {
	l := a.Settings
	return lineSettingsForm{Device: a.Device, Index: a.Line.Index,
		Extension: a.Line.Extension, AdminLabel: a.Line.Label, Version: l.Version,
		RingIdle: l.RingIdle.String(), RingOnCall: l.RingOnCall.String(), Label: l.Label,
		MWIVisual: l.MWIVisual.String(), MWIAudible: l.MWIAudible.String(),
		LogMissedCalls: l.LogMissedCalls}
}

func (h *Handler) lineSettingsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.lineSettingsData(r)
	if err != nil {
		return err
	}
	if m := savedMarker(r); m != "" {
		if form := d.line(m); form != nil {
			form.Notice = "Saved."
			d.Notice = fmt.Sprintf("The settings of line %d of %s have been saved.",
				form.Index, form.Device)
		}
	}
	h.renderLineSettings(w, r, http.StatusOK, d)
	return nil
}

// lineMarker names a line appearance in the saved marker and in the
// element ids of its form.
func lineMarker(device string, index int) string {
	return fmt.Sprintf("%s-%d", device, index)
}

// line returns the form of the line appearance that lineMarker named
// marker, or nil.
func (d *lineSettingsPage) line(marker string) *lineSettingsForm {
	for i := range d.Phones {
		for j := range d.Phones[i].Lines {
			if l := &d.Phones[i].Lines[j]; lineMarker(l.Device, l.Index) == marker {
				return l
			}
		}
	}
	return nil
}

// lineSettingsData loads the page's data: every line of every phone of
// the user. With every part hidden the page is refused, as the API is.
func (h *Handler) lineSettingsData(r *http.Request) (lineSettingsPage, error) {
	ctx := r.Context()
	p := principalFrom(ctx)
	sec := h.lineSections(r)
	if sec == (lineSections{}) {
		return lineSettingsPage{}, h.gatePage(r, params.FeatureRingSettings)
	}
	phones, err := h.svc.Phones(ctx, p)
	if err != nil {
		return lineSettingsPage{}, err
	}
	d := lineSettingsPage{pageData: pageData{Title: "Line Settings", Nav: "line-settings"},
		Sections: sec, Ring: lsRingChoices, Visual: lsVisualChoices,
		Audible: lsAudibleChoices}
	for _, ph := range phones {
		as, err := h.svc.LineAppearances(ctx, p, ph.Name)
		if err != nil {
			return lineSettingsPage{}, err
		}
		title := ph.Description
		if title == "" {
			title = ph.AdminDescription
		}
		lp := lineSettingsPhone{Device: ph.Name, Title: title}
		for _, a := range as {
			lp.Lines = append(lp.Lines, toLineSettingsForm(a))
		}
		d.Phones = append(d.Phones, lp)
	}
	return d, nil
}

// lineSettingsSubmit saves one line's form: every field of the parts the
// page shows, as posted, against the version the page was rendered with.
func (h *Handler) lineSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	ctx := r.Context()
	f := r.PostForm
	device := f.Get("device")
	index, err := strconv.Atoi(f.Get("index"))
	if err != nil {
		return badRequest("the form lacks the line's index")
	}
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil {
		return badRequest("the form lacks the line's version")
	}
	// The parts the form names are saved whole, and only they
	// (forms.go): a part hidden when the page was rendered keeps its
	// stored values. A part the form named but the parameters hide now is
	// passed on, so that the service refuses it as it refuses such a
	// patch, naming the parameter.
	named, err := lineFormParts.named(f)
	if err != nil {
		return err
	}
	var (
		patch selfcare.LineSettingsPatch
		bad   selfcare.ValidationError
	)
	if named[lsSectionRing] {
		patch.RingIdle = lineFormEnum[selfcare.RingSetting](f.Get("ringIdle"))
		patch.RingOnCall = lineFormEnum[selfcare.RingSetting](f.Get("ringOnCall"))
	}
	if named[lsSectionLabel] {
		patch.Label = selfcare.Set(f.Get("label"))
	}
	if named[lsSectionMWI] {
		patch.MWIVisual = lineFormEnum[selfcare.MWIVisual](f.Get("mwiVisual"))
		patch.MWIAudible = lineFormEnum[selfcare.MWIAudible](f.Get("mwiAudible"))
	}
	if named[lsSectionHistory] {
		patch.LogMissedCalls = selfcare.Set(tickBox(f, "logMissedCalls", lsLogMissed,
			&bad))
	}
	// A box posted as no box is refused beside it, as the service refuses
	// a choice not offered.
	var uerr error = &bad
	if len(bad.Fields) == 0 {
		_, uerr = h.svc.UpdateLineSettings(ctx, principalFrom(ctx), device, index,
			patch, version, remoteAddr(r))
	}
	if uerr == nil {
		return h.seeSaved(w, r, "line-settings", nil, lineMarker(device, index))
	}

	// A refusal shows the page again, from the store, with the outcome
	// beside the line.
	d, err := h.lineSettingsData(r)
	if err != nil {
		return err
	}
	form := d.line(lineMarker(device, index))
	name := fmt.Sprintf("line %d of %s", index, device)
	id := "ls-" + lineMarker(device, index)
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict) && form != nil:
		status = http.StatusConflict
		form.Error = "The settings of this line were changed elsewhere after you " +
			"opened this page, so your change was not saved. The settings now in " +
			"force are shown; make your change again."
		d.Error = form.Error
		d.Summary = []problem{{Target: id, Message: "Line " + strconv.Itoa(index) +
			" of " + device}}
	case errors.Is(uerr, selfcare.ErrInvalid) && form != nil:
		ae, _ := toAPIError(uerr)
		status = ae.status
		// Show what was typed, with each refusal beside its field.
		form.RingIdle, form.RingOnCall = f.Get("ringIdle"), f.Get("ringOnCall")
		form.Label = f.Get("label")
		form.MWIVisual, form.MWIAudible = f.Get("mwiVisual"), f.Get("mwiAudible")
		form.LogMissedCalls = f.Get("logMissedCalls") == "on"
		form.Errors = map[string]string{}
		for _, fe := range ae.Fields {
			form.Errors[lineFormFieldOf[fe.Field]] = fe.Message
		}
		d.Summary = summarize(form.Errors,
			formField{"ringIdle", id + "-ringIdle", "Ring when the phone is idle"},
			formField{"ringOnCall", id + "-ringOnCall", "Ring when you are on a call"},
			formField{"label", id + "-label", "Line label"},
			formField{"mwiVisual", id + "-mwiVisual", "Message-waiting light and prompt"},
			formField{"mwiAudible", id + "-mwiAudible", "Stutter tone"},
			formField{"logMissedCalls", id + "-logMissedCalls", "Log missed calls"})
		form.Error = "Not saved: see the messages beside the fields."
		d.Error = "The settings of " + name + " were not saved. See the messages " +
			"beside the fields."
	case uerr != nil:
		// Not found, hidden, signed out: the error page says it.
		return uerr
	}
	h.renderLineSettings(w, r, status, d)
	return nil
}

// The parts of a line's form, for its section markers (forms.go).
const (
	lsSectionRing    = "ring"
	lsSectionLabel   = "label"
	lsSectionMWI     = "mwi"
	lsSectionHistory = "history"
)

// lineFormParts are the parts of a line's form with their fields.
var lineFormParts = formParts{lsSectionRing: {"ringIdle", "ringOnCall"},
	lsSectionLabel: {"label"}, lsSectionMWI: {"mwiVisual", "mwiAudible"},
	lsSectionHistory: {"logMissedCalls"}}

// lineFormFieldOf maps the service's field names to the form's.
var lineFormFieldOf = map[string]string{lsRingIdle: "ringIdle", lsRingOnCall: "ringOnCall",
	lsLabel: "label", lsVisual: "mwiVisual", lsAudible: "mwiAudible",
	lsLogMissed: "logMissedCalls"}

// lineFormEnum reads a select's value; one that is not a choice becomes the
// invalid value ^0, for the service to refuse beside the field.
func lineFormEnum[T ~uint8, PT interface {
	*T
	encoding.TextUnmarshaler
}](s string) selfcare.PatchField[T] {
	var v T
	if PT(&v).UnmarshalText([]byte(s)) != nil {
		v = ^T(0)
	}
	return selfcare.Set(v)
}

// renderLineSettings is render for the line settings page's own data.
func (h *Handler) renderLineSettings(w http.ResponseWriter, r *http.Request, status int,
	d lineSettingsPage) {
	h.renderPage(w, r, status, "linesettings.html", &d.pageData, &d)
}
