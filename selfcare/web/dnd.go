package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// Do Not Disturb, per user: a JSON resource with a version in its ETag,
// changed by JSON merge patch under If-Match, as call forwarding is, and
// a page whose form posts the whole setting with its version.

func (h *Handler) routesDND() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"dnd", h.api(h.apiAuthed(h.apiDND)))
	h.mux.Handle("PATCH "+api+"dnd", h.api(h.apiAuthed(h.apiPatchDND)))
	h.mux.Handle("GET "+p+"dnd", h.page(h.authed(h.dndPage)))
	h.mux.Handle("POST "+p+"dnd", h.page(h.authed(h.dndSubmit)))
}

// dndView is the setting in the API; the version is also the ETag.
type dndView struct {
	Enabled           bool               `json:"enabled"`
	Option            selfcare.DNDOption `json:"option"`
	IncomingCallAlert selfcare.DNDAlert  `json:"incomingCallAlert"`
	Version           int64              `json:"version"`
}

func (h *Handler) writeDND(w http.ResponseWriter, d selfcare.DoNotDisturb) {
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, dndView{Enabled: d.Enabled, Option: d.Option,
		IncomingCallAlert: d.Alert, Version: d.Version})
}

func (h *Handler) apiDND(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.DoNotDisturb(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	h.writeDND(w, d)
	return nil
}

func (h *Handler) apiPatchDND(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodeDNDPatch(r)
	if err != nil {
		return err
	}
	d, err := h.svc.UpdateDoNotDisturb(r.Context(), principalFrom(r.Context()), patch,
		version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeDND(w, d)
	return nil
}

// decodeDNDPatch reads a JSON merge patch of the setting: enabled (true,
// false or null), option and incomingCallAlert (a name or null). An
// unknown name is a bad request, as a wrongly typed value is.
func decodeDNDPatch(r *http.Request) (selfcare.DNDPatch, error) {
	var patch selfcare.DNDPatch
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return patch, err
	}
	m, err := objectMembers(body, map[string]bool{"enabled": true, "option": true,
		"incomingCallAlert": true})
	if err != nil {
		return patch, err
	}
	if patch.Enabled, err = patchField[bool](m, "enabled"); err != nil {
		return patch, err
	}
	if patch.Option, err = patchField[selfcare.DNDOption](m, "option"); err != nil {
		return patch, badRequest("option must be ringerOff, callReject or null")
	}
	if patch.Alert, err = patchField[selfcare.DNDAlert](m,
		"incomingCallAlert"); err != nil {
		return patch, badRequest("incomingCallAlert must be disable, flashOnly, " +
			"beepOnly or null")
	}
	return patch, nil
}

// dndPage is what dnd.html gets.
type dndPage struct {
	pageData
	Enabled bool
	Option  string
	Alert   string
	Version int64
	Options []dndChoice
	Alerts  []dndChoice
}

// dndChoice is one radio button or option of the form.
type dndChoice struct{ Value, Title string }

var (
	dndOptions = []dndChoice{
		{selfcare.DNDRingerOff.String(), "Ringer off: the call is shown and can be answered"},
		{selfcare.DNDCallReject.String(), "Call reject: the call is not shown"},
	}
	dndAlerts = []dndChoice{
		{selfcare.DNDAlertDisable.String(), "No alert"},
		{selfcare.DNDAlertFlashOnly.String(), "Flash only"},
		{selfcare.DNDAlertBeepOnly.String(), "Beep only"},
	}
)

func (h *Handler) dndData(r *http.Request) (dndPage, error) {
	d, err := h.svc.DoNotDisturb(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return dndPage{}, err
	}
	return dndPage{pageData: pageData{Title: "Do Not Disturb", Nav: "dnd"},
		Enabled: d.Enabled, Option: d.Option.String(), Alert: d.Alert.String(),
		Version: d.Version, Options: dndOptions, Alerts: dndAlerts}, nil
}

func (h *Handler) dndPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dndData(r)
	if err != nil {
		return err
	}
	if savedMarker(r) == "dnd" {
		d.Notice = "Do Not Disturb has been saved."
	}
	h.renderDND(w, r, http.StatusOK, d)
	return nil
}

// dndSubmit saves the whole form against the version it was rendered
// with.
func (h *Handler) dndSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the setting")
	if err != nil {
		return err
	}
	// A hidden page refuses the post before looking at its values.
	if err := h.gatePage(r, params.FeatureDoNotDisturb); err != nil {
		return err
	}
	if _, err := (formParts{"dnd": nil}).named(r.PostForm); err != nil {
		return err
	}
	patch, fields := dndFormPatch(r.PostForm)
	if len(fields) > 0 {
		// A value no control of the form sends is refused beside its
		// control, with what was posted shown again.
		d, err := h.dndData(r)
		if err != nil {
			return err
		}
		d.Enabled = r.PostForm.Get("enabled") == "on"
		d.Option, d.Alert = r.PostForm.Get("option"), r.PostForm.Get("alert")
		d.Fields = fields
		d.Summary = summarize(fields,
			formField{"enabled", "dnd-on", "Turn on Do Not Disturb"},
			formField{"option", "dnd-opt-" + selfcare.DNDRingerOff.String(),
				"While it is on, incoming calls"},
			formField{"alert", "dnd-alert", "Alert for an incoming call"})
		d.Error = "Do Not Disturb was not saved. See the messages beside the fields."
		h.renderDND(w, r, http.StatusBadRequest, d)
		return nil
	}
	_, uerr := h.svc.UpdateDoNotDisturb(r.Context(), principalFrom(r.Context()), patch,
		version, remoteAddr(r))
	if uerr == nil {
		return h.seeSaved(w, r, "dnd", nil, "dnd")
	}
	if !errors.Is(uerr, selfcare.ErrVersionConflict) {
		return uerr
	}
	d, err := h.dndData(r)
	if err != nil {
		return err
	}
	d.Error = "Do Not Disturb was changed elsewhere after you opened this page, " +
		"so your change was not saved. The setting now in force is shown; make " +
		"your change again."
	h.renderDND(w, r, http.StatusConflict, d)
	return nil
}

// dndFormPatch reads the Do Not Disturb form. A browser sends the box as
// "on" or not at all, and only the values the form offers; anything else
// was typed by hand and is refused by field, never read as "off".
func dndFormPatch(f url.Values) (selfcare.DNDPatch, map[string]string) {
	fields := map[string]string{}
	var (
		opt   selfcare.DNDOption
		alert selfcare.DNDAlert
	)
	if !offered(f, "enabled", "on") {
		fields["enabled"] = "Tick the box to turn Do Not Disturb on, or leave it " +
			"empty to turn it off."
	}
	if !offered(f, "option", choiceValues(dndOptions)...) ||
		opt.UnmarshalText([]byte(f.Get("option"))) != nil {
		fields["option"] = "Choose Ringer off or Call reject."
	}
	if !offered(f, "alert", choiceValues(dndAlerts)...) ||
		alert.UnmarshalText([]byte(f.Get("alert"))) != nil {
		fields["alert"] = "Choose No alert, Flash only or Beep only."
	}
	return selfcare.DNDPatch{Enabled: selfcare.Set(f.Get("enabled") == "on"),
		Option: selfcare.Set(opt), Alert: selfcare.Set(alert)}, fields
}

// choiceValues returns the values of a form's options.
func choiceValues(cs []dndChoice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Value
	}
	return out
}

// renderDND is render for the Do Not Disturb page's own data.
func (h *Handler) renderDND(w http.ResponseWriter, r *http.Request, status int,
	d dndPage) {
	h.renderPage(w, r, status, "dnd.html", &d.pageData, &d)
}
