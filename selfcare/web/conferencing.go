package web

import (
	"errors"
	"net/http"

	"github.com/ucselfcare/portal/selfcare"
)

// Conference Now, per user: a JSON resource with a version in its ETag,
// changed by JSON merge patch under If-Match, as Do Not Disturb is, and a
// page whose form posts the whole setting with its version. The access
// code is the attendees' code and goes back to its owner, in the API and
// on the page, so that they can pass it on; it never reaches the audit
// trail or the logs.

func (h *Handler) routesConferencing() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"conferencing", h.api(h.apiAuthed(h.apiConferencing)))
	h.mux.Handle("PATCH "+api+"conferencing", h.api(h.apiAuthed(h.apiPatchConferencing)))
	h.mux.Handle("GET "+p+"conferencing", h.page(h.authed(h.conferencingPage)))
	h.mux.Handle("POST "+p+"conferencing", h.page(h.authed(h.conferencingSubmit)))
}

// conferencingView is the setting in the API; the version is also the
// ETag. accessCode is "" when there is none.
type conferencingView struct {
	Enabled    bool   `json:"enabled"`
	AccessCode string `json:"accessCode"`
	Version    int64  `json:"version"`
}

func (h *Handler) writeConferencing(w http.ResponseWriter, c selfcare.Conferencing) {
	w.Header().Set("ETag", etag(c.Version))
	// The code is a secret of its owner's: no shared cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, conferencingView{Enabled: c.Enabled,
		AccessCode: c.AccessCode, Version: c.Version})
}

func (h *Handler) apiConferencing(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Conferencing(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	h.writeConferencing(w, c)
	return nil
}

func (h *Handler) apiPatchConferencing(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodeConferencingPatch(r)
	if err != nil {
		return err
	}
	c, err := h.svc.UpdateConferencing(r.Context(), principalFrom(r.Context()), patch,
		version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeConferencing(w, c)
	return nil
}

// decodeConferencingPatch reads a JSON merge patch of the setting: enabled
// (true, false or null) and accessCode (a string of digits, or null for
// none). A code sent as a JSON number is refused: leading zeros would be
// lost.
func decodeConferencingPatch(r *http.Request) (selfcare.ConferencingPatch, error) {
	var patch selfcare.ConferencingPatch
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return patch, err
	}
	m, err := objectMembers(body, map[string]bool{"enabled": true, "accessCode": true})
	if err != nil {
		return patch, err
	}
	if patch.Enabled, err = patchField[bool](m, "enabled"); err != nil {
		return patch, err
	}
	if patch.AccessCode, err = patchField[string](m, "accessCode"); err != nil {
		return patch, badRequest(`accessCode must be a string of digits, such as ` +
			`"52719", or null`)
	}
	return patch, nil
}

// conferencingPage is what conferencing.html gets.
type conferencingPage struct {
	pageData
	Enabled    bool
	AccessCode string
	Version    int64
	MinCode    int
	MaxCode    int
}

func (h *Handler) conferencingData(r *http.Request) (conferencingPage, error) {
	c, err := h.svc.Conferencing(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return conferencingPage{}, err
	}
	return conferencingPage{pageData: pageData{Title: "Conferencing", Nav: "conferencing"},
		Enabled: c.Enabled, AccessCode: c.AccessCode, Version: c.Version,
		MinCode: selfcare.MinAccessCodeLength, MaxCode: selfcare.MaxAccessCodeLength}, nil
}

func (h *Handler) conferencingPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.conferencingData(r)
	if err != nil {
		return err
	}
	if savedMarker(r) == "conferencing" {
		d.Notice = "Conference Now has been saved."
	}
	h.renderConferencing(w, r, http.StatusOK, d)
	return nil
}

// conferencingSubmit saves the whole form against the version it was
// rendered with; an empty code means none.
func (h *Handler) conferencingSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the setting")
	if err != nil {
		return err
	}
	if _, err := (formParts{"conference-now": nil}).named(r.PostForm); err != nil {
		return err
	}
	// A box posted as no box is refused beside it, as the service refuses
	// a code.
	var bad selfcare.ValidationError
	typed := r.PostForm.Get("accessCode")
	enabled := tickBox(r.PostForm, "enabled", "enabled", &bad)
	patch := selfcare.ConferencingPatch{Enabled: selfcare.Set(enabled),
		AccessCode: selfcare.Set(typed)}
	var uerr error = &bad
	if len(bad.Fields) == 0 {
		_, uerr = h.svc.UpdateConferencing(r.Context(), principalFrom(r.Context()),
			patch, version, remoteAddr(r))
	}
	if uerr == nil {
		return h.seeSaved(w, r, "conferencing", nil, "conferencing")
	}
	d, err := h.conferencingData(r)
	if err != nil {
		return err
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Error = "Conference Now was changed elsewhere after you opened this page, " +
			"so your change was not saved. The setting now in force is shown; make " +
			"your change again."
	case errors.Is(uerr, selfcare.ErrInvalid):
		ae, _ := toAPIError(uerr)
		status = ae.status
		d.Error = "Conference Now was not saved. See the messages beside the fields."
		d.Fields = fieldMessages(uerr)
		d.Summary = summarize(d.Fields,
			formField{"enabled", "conf-on", "Conference Now"},
			formField{"accessCode", "conf-code", "Attendee access code"})
		// Show back what was typed, so that it can be corrected.
		d.Enabled, d.AccessCode = enabled, typed
	default:
		return uerr
	}
	h.renderConferencing(w, r, status, d)
	return nil
}

// renderConferencing is render for the Conferencing page's own data.
func (h *Handler) renderConferencing(w http.ResponseWriter, r *http.Request, status int,
	d conferencingPage) {
	h.renderPage(w, r, status, "conferencing.html", &d.pageData, &d)
}
