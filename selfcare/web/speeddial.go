package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// Speed dials, per phone: a JSON list with one version in its ETag,
// replaced whole by PUT under If-Match, and a page whose form posts one
// phone's list with its version. A whole list is the simplest unit that
// keeps positions consistent: an entry moved from one position to
// another is one change, not a delete and an add that could interleave.

// speedDialBlankRows is how many empty rows the page adds to a phone's
// form, so that entries can be added without JavaScript.
const speedDialBlankRows = 3

func (h *Handler) routesSpeedDials() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"phones/{device}/speed-dials",
		h.api(h.apiAuthed(h.apiSpeedDials)))
	h.mux.Handle("PUT "+api+"phones/{device}/speed-dials",
		h.api(h.apiAuthed(h.apiPutSpeedDials)))
	h.mux.Handle("GET "+p+"speed-dials", h.page(h.authed(h.speedDialsPage)))
	h.mux.Handle("POST "+p+"speed-dials", h.page(h.authed(h.speedDialsSubmit)))
}

// speedDialView is one entry in the API.
type speedDialView struct {
	Position    int    `json:"position"`
	Destination string `json:"destination"`
	Label       string `json:"label"`
}

// speedDialsView is a phone's list in the API; the version is the ETag.
type speedDialsView struct {
	Device     string          `json:"device"`
	Version    int64           `json:"version"`
	SpeedDials []speedDialView `json:"speedDials"`
}

// speedDialsBody is what PUT takes: the whole list.
type speedDialsBody struct {
	SpeedDials []speedDialView `json:"speedDials"`
}

func (h *Handler) writeSpeedDials(w http.ResponseWriter, l selfcare.SpeedDials) {
	v := speedDialsView{Device: l.Device, Version: l.Version,
		SpeedDials: make([]speedDialView, 0, len(l.Entries))}
	for _, e := range l.Entries {
		v.SpeedDials = append(v.SpeedDials, speedDialView(e))
	}
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) apiSpeedDials(w http.ResponseWriter, r *http.Request) error {
	l, err := h.svc.SpeedDials(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"))
	if err != nil {
		return err
	}
	h.writeSpeedDials(w, l)
	return nil
}

func (h *Handler) apiPutSpeedDials(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	var body speedDialsBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.SpeedDials == nil {
		return badRequest("speedDials must be a list; send [] to clear it")
	}
	entries := make([]selfcare.SpeedDial, 0, len(body.SpeedDials))
	for _, e := range body.SpeedDials {
		entries = append(entries, selfcare.SpeedDial(e))
	}
	l, err := h.svc.UpdateSpeedDials(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), entries, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeSpeedDials(w, l)
	return nil
}

// speedDialsPage is what speeddials.html gets: one form per phone.
type speedDialsPage struct {
	pageData
	Phones []speedDialPhone
}

// speedDialPhone is one phone's form.
type speedDialPhone struct {
	Device, Title string
	Version       int64
	Rows          []speedDialRow
	// Error and Notice concern this phone's last submission.
	Error, Notice string
}

// speedDialRow is one row of a form; Position is text so that what was
// typed is shown back as typed. N counts the rows from 1, for labels.
type speedDialRow struct {
	N                            int
	Position, Destination, Label string
	Error                        string
}

// numberRows counts rows from 1, as people do.
func numberRows(rows []speedDialRow) []speedDialRow {
	for i := range rows {
		rows[i].N = i + 1
	}
	return rows
}

func (h *Handler) speedDialsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.speedDialPhones(r)
	if err != nil {
		return err
	}
	// The saved marker is the name of the phone saved.
	if dev := savedMarker(r); dev != "" {
		for i, ph := range d.Phones {
			if ph.Device == dev {
				d.Phones[i].Notice = "Saved."
				d.Notice = "The speed dials of " + dev + " have been saved."
			}
		}
	}
	h.renderSpeedDials(w, r, http.StatusOK, d)
	return nil
}

// speedDialPhones loads the page's data: every phone of the user.
func (h *Handler) speedDialPhones(r *http.Request) (speedDialsPage, error) {
	ctx := r.Context()
	p := principalFrom(ctx)
	if err := h.gatePage(r, params.FeatureSpeedDials); err != nil {
		return speedDialsPage{}, err
	}
	phones, err := h.svc.Phones(ctx, p)
	if err != nil {
		return speedDialsPage{}, err
	}
	d := speedDialsPage{pageData: pageData{Title: "Speed Dials", Nav: "speed-dials"}}
	for _, ph := range phones {
		l, err := h.svc.SpeedDials(ctx, p, ph.Name)
		if err != nil {
			return speedDialsPage{}, err
		}
		title := ph.Description
		if title == "" {
			title = ph.AdminDescription
		}
		sp := speedDialPhone{Device: ph.Name, Title: title, Version: l.Version}
		for _, e := range l.Entries {
			sp.Rows = append(sp.Rows, speedDialRow{Position: strconv.Itoa(e.Position),
				Destination: e.Destination, Label: e.Label})
		}
		sp.Rows = numberRows(append(sp.Rows, make([]speedDialRow, speedDialBlankRows)...))
		d.Phones = append(d.Phones, sp)
	}
	return d, nil
}

// speedDialsSubmit saves one phone's form: the rows whose number is not
// empty, against the version the page was rendered with.
func (h *Handler) speedDialsSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the phone")
	if err != nil {
		return err
	}
	if _, err := (formParts{"speed-dials": nil}).named(r.PostForm); err != nil {
		return err
	}
	ctx := r.Context()
	device := r.PostForm.Get("device")
	pos, dest, lab := r.PostForm["position"], r.PostForm["destination"],
		r.PostForm["label"]
	if len(pos) != len(dest) || len(pos) != len(lab) {
		return badRequest("the form's rows are incomplete")
	}
	var (
		typed   []speedDialRow
		entries []selfcare.SpeedDial
		rowOf   []int // the typed row of each entry
	)
	for i := range pos {
		row := speedDialRow{Position: pos[i], Destination: dest[i], Label: lab[i]}
		typed = append(typed, row)
		if strings.TrimSpace(row.Destination) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(row.Position))
		if err != nil {
			n = 0 // refused by the service with the position message
		}
		entries = append(entries, selfcare.SpeedDial{Position: n,
			Destination: row.Destination, Label: row.Label})
		rowOf = append(rowOf, len(typed)-1)
	}
	saved, uerr := h.svc.UpdateSpeedDials(ctx, principalFrom(ctx), device, entries, version,
		remoteAddr(r))
	if uerr == nil {
		return h.seeSaved(w, r, "speed-dials", nil, saved.Device)
	}

	d, err := h.speedDialPhones(r)
	if err != nil {
		return err
	}
	i := -1
	for j, ph := range d.Phones {
		if ph.Device == device {
			i = j
		}
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict) && i >= 0:
		status = http.StatusConflict
		d.Phones[i].Error = "This phone's speed dials were changed elsewhere after " +
			"you opened this page, so your change was not saved. The list now in " +
			"force is shown; make your change again."
		d.Error = d.Phones[i].Error
		d.Summary = []problem{{Target: "sd-" + device, Message: "Speed dials of " + device}}
	case (errors.Is(uerr, selfcare.ErrInvalid) || errors.Is(uerr,
		selfcare.ErrPositionTaken)) && i >= 0:
		ae, _ := toAPIError(uerr)
		status = ae.status
		for _, f := range ae.Fields {
			var n int
			var field string
			if _, err := fmt.Sscanf(f.Field, "speedDials[%d].%s", &n, &field); err != nil ||
				n < 0 || n >= len(rowOf) {
				continue
			}
			row := &typed[rowOf[n]]
			row.Error = strings.TrimSpace(row.Error + " " + f.Message)
			d.Summary = append(d.Summary, problem{
				Target:  fmt.Sprintf("sd-%s-%d-%s", device, rowOf[n]+1, field),
				Message: fmt.Sprintf("Row %d: %s", rowOf[n]+1, f.Message)})
		}
		d.Phones[i].Rows = numberRows(typed)
		d.Phones[i].Error = "Not saved."
		if errors.Is(uerr, selfcare.ErrPositionTaken) {
			d.Phones[i].Error = "Not saved: two speed dials have the same position."
		}
		d.Error = "The speed dials of " + device + " were not saved. See the " +
			"messages beside the entries."
	case uerr != nil:
		return uerr
	}
	h.renderSpeedDials(w, r, status, d)
	return nil
}

// renderSpeedDials is render for the speed dial page's own data.
func (h *Handler) renderSpeedDials(w http.ResponseWriter, r *http.Request, status int,
	d speedDialsPage) {
	h.renderPage(w, r, status, "speeddials.html", &d.pageData, &d)
}
