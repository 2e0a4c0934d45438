package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// Remote destinations ("additional phones"), per user: a JSON collection
// that POST adds to, items with their own version in the ETag, changed by
// JSON merge patch and deleted under If-Match, and a page with one form
// per action: add, save one phone, delete one phone. A per-item version
// lets two phones be edited at once; the user's limit is checked where
// the item is stored, so no version is needed to add one.

func (h *Handler) routesRemoteDestinations() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"remote-destinations", h.api(h.apiAuthed(h.apiRDList)))
	h.mux.Handle("POST "+api+"remote-destinations", h.api(h.apiAuthed(h.apiRDCreate)))
	h.mux.Handle("GET "+api+"remote-destinations/{id}", h.api(h.apiAuthed(h.apiRD)))
	h.mux.Handle("PATCH "+api+"remote-destinations/{id}",
		h.api(h.apiAuthed(h.apiRDPatch)))
	h.mux.Handle("DELETE "+api+"remote-destinations/{id}",
		h.api(h.apiAuthed(h.apiRDDelete)))
	h.mux.Handle("GET "+p+"additional-phones", h.page(h.authed(h.rdPage)))
	h.mux.Handle("POST "+p+"additional-phones", h.page(h.authed(h.rdCreateSubmit)))
	h.mux.Handle("POST "+p+"additional-phones/{id}", h.page(h.authed(h.rdUpdateSubmit)))
	h.mux.Handle("POST "+p+"additional-phones/{id}/delete",
		h.page(h.authed(h.rdDeleteSubmit)))
}

// timerJSON writes a timer as a JSON number with one decimal, 4.0 rather
// than 4, as the reference shows it.
type timerJSON selfcare.Timer

// MarshalJSON writes the number.
func (t timerJSON) MarshalJSON() ([]byte, error) {
	return []byte(selfcare.Timer(t).String()), nil
}

// scheduleRowView is one schedule row in the API.
type scheduleRowView struct {
	Day   int    `json:"day"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// rdView is one remote destination in the API; the version is its ETag.
type rdView struct {
	ID                 string                      `json:"id"`
	Number             string                      `json:"number"`
	Description        string                      `json:"description"`
	SingleNumberReach  bool                        `json:"singleNumberReach"`
	MoveToMobile       bool                        `json:"moveToMobile"`
	DelayBeforeRinging timerJSON                   `json:"delayBeforeRinging"`
	AnswerTooSoon      timerJSON                   `json:"answerTooSoon"`
	AnswerTooLate      timerJSON                   `json:"answerTooLate"`
	VoicemailAvoidance selfcare.VoicemailAvoidance `json:"voicemailAvoidance"`
	Schedule           []scheduleRowView           `json:"schedule"`
	TimeZone           string                      `json:"timeZone"`
	Version            int64                       `json:"version"`
}

func toRDView(d selfcare.RemoteDestination) rdView {
	v := rdView{ID: d.ID, Number: d.Number, Description: d.Description,
		SingleNumberReach: d.SingleNumberReach, MoveToMobile: d.MoveToMobile,
		DelayBeforeRinging: timerJSON(d.DelayBeforeRinging),
		AnswerTooSoon:      timerJSON(d.AnswerTooSoon),
		AnswerTooLate:      timerJSON(d.AnswerTooLate),
		VoicemailAvoidance: d.VoicemailAvoidance, TimeZone: d.TimeZone,
		Version: d.Version, Schedule: make([]scheduleRowView, 0, len(d.Schedule))}
	for _, r := range d.Schedule {
		v.Schedule = append(v.Schedule, scheduleRowView(r))
	}
	return v
}

func (h *Handler) writeRD(w http.ResponseWriter, status int, d selfcare.RemoteDestination) {
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, status, toRDView(d))
}

func (h *Handler) apiRDList(w http.ResponseWriter, r *http.Request) error {
	ds, limit, err := h.svc.RemoteDestinations(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	out := struct {
		Limit              int      `json:"limit"`
		RemoteDestinations []rdView `json:"remoteDestinations"`
	}{limit, make([]rdView, 0, len(ds))}
	for _, d := range ds {
		out.RemoteDestinations = append(out.RemoteDestinations, toRDView(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiRD(w http.ResponseWriter, r *http.Request) error {
	d, err := h.svc.RemoteDestination(r.Context(), principalFrom(r.Context()),
		r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeRD(w, http.StatusOK, d)
	return nil
}

func (h *Handler) apiRDCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, "application/json", errMediaType)
	if err != nil {
		return err
	}
	patch, msgs, err := decodeRDPatch(body)
	if err != nil {
		return err
	}
	d, err := h.svc.CreateRemoteDestination(r.Context(), principalFrom(r.Context()), patch,
		remoteAddr(r))
	if err != nil {
		return withFieldMessages(err, msgs)
	}
	w.Header().Set("Location", h.cfg.Prefix+"api/v1/remote-destinations/"+d.ID)
	h.writeRD(w, http.StatusCreated, d)
	return nil
}

func (h *Handler) apiRDPatch(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return err
	}
	patch, msgs, err := decodeRDPatch(body)
	if err != nil {
		return err
	}
	d, err := h.svc.UpdateRemoteDestination(r.Context(), principalFrom(r.Context()),
		r.PathValue("id"), patch, version, remoteAddr(r))
	if err != nil {
		return withFieldMessages(err, msgs)
	}
	h.writeRD(w, http.StatusOK, d)
	return nil
}

func (h *Handler) apiRDDelete(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteRemoteDestination(r.Context(), principalFrom(r.Context()),
		r.PathValue("id"), version, remoteAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rdMembers are the members a user may send.
var rdMembers = []string{"number", "description", "singleNumberReach", "moveToMobile",
	"delayBeforeRinging", "answerTooSoon", "answerTooLate", "voicemailAvoidance",
	"schedule", "timeZone"}

// rdServerMembers are members the API shows but a user may not set: the
// portal assigns them, or only an administrator may change them.
var rdServerMembers = map[string]string{
	"id":                     "The ID is assigned by the portal.",
	"version":                "The version is counted by the portal; send it in If-Match.",
	"userId":                 "The owner of an additional phone is always you.",
	"owner":                  "The owner of an additional phone is always you.",
	"limit":                  "Only an administrator may change your limit.",
	"remoteDestinationLimit": "Only an administrator may change your limit.",
}

// decodeRDPatch reads a JSON merge patch of a remote destination, which
// is also the body of a new one. Members only the server or an
// administrator sets are refused with 403 naming them; unknown members
// are 400. A timer that is not a number with at most one decimal is
// passed on as -1, which the service refuses (and audits); msgs holds the
// message to show for it instead of the service's.
func decodeRDPatch(body []byte) (patch selfcare.RemoteDestinationPatch,
	msgs map[string]string, err error) {
	known := map[string]bool{}
	for _, n := range rdMembers {
		known[n] = true
	}
	for n := range rdServerMembers {
		known[n] = true
	}
	m, err := objectMembers(body, known)
	if err != nil {
		return patch, nil, err
	}
	v := &selfcare.ValidationError{}
	for _, n := range slices.Sorted(maps.Keys(rdServerMembers)) {
		if _, ok := m[n]; ok {
			v.Fields = append(v.Fields, selfcare.FieldError{Field: n,
				Message: rdServerMembers[n]})
		}
	}
	if len(v.Fields) > 0 {
		return patch, nil, errors.Join(selfcare.ErrForbidden, v)
	}

	if patch.Number, err = patchField[string](m, "number"); err != nil {
		return patch, nil, err
	}
	if patch.Description, err = patchField[string](m, "description"); err != nil {
		return patch, nil, err
	}
	if patch.SingleNumberReach, err = patchField[bool](m, "singleNumberReach"); err != nil {
		return patch, nil, err
	}
	if patch.MoveToMobile, err = patchField[bool](m, "moveToMobile"); err != nil {
		return patch, nil, err
	}
	if patch.TimeZone, err = patchField[string](m, "timeZone"); err != nil {
		return patch, nil, err
	}
	if patch.VoicemailAvoidance, err = patchField[selfcare.VoicemailAvoidance](m,
		"voicemailAvoidance"); err != nil {
		return patch, nil, badRequest("voicemailAvoidance must be useSystemDefault, " +
			"timerControl, userControl or null")
	}
	msgs = map[string]string{}
	for _, t := range []struct {
		name string
		f    *selfcare.PatchField[selfcare.Timer]
	}{{"delayBeforeRinging", &patch.DelayBeforeRinging},
		{"answerTooSoon", &patch.AnswerTooSoon}, {"answerTooLate", &patch.AnswerTooLate}} {
		raw, ok := m[t.name]
		switch {
		case !ok:
			continue
		case isNull(raw):
			*t.f = selfcare.Null[selfcare.Timer]()
			continue
		}
		v, err := selfcare.ParseTimer(strings.TrimSpace(string(raw)))
		if err != nil {
			v = -1
			msgs[t.name] = timerMessage
		}
		*t.f = selfcare.Set(v)
	}
	if patch.Schedule, err = decodeSchedule(m); err != nil {
		return patch, nil, err
	}
	return patch, msgs, nil
}

// timerMessage replaces the service's range message for a timer that
// could not be read.
const timerMessage = "Enter the time in seconds with at most one decimal, such as 4.0."

// decodeSchedule reads the schedule member: absent, null, or a list of
// rows with exactly day, start and end.
func decodeSchedule(m map[string]json.RawMessage) (
	selfcare.PatchField[[]selfcare.ScheduleRow], error) {
	raw, ok := m["schedule"]
	switch {
	case !ok:
		return selfcare.PatchField[[]selfcare.ScheduleRow]{}, nil
	case isNull(raw):
		return selfcare.Null[[]selfcare.ScheduleRow](), nil
	}
	// Each row is a whole value, not a patch: all its members are read
	// strictly, a missing one being zero as in a new row.
	var items []scheduleRowView
	if err := strictjson.Decode(raw, &items); err != nil {
		return selfcare.PatchField[[]selfcare.ScheduleRow]{}, within("schedule", err)
	}
	rows := make([]selfcare.ScheduleRow, 0, len(items))
	for _, row := range items {
		rows = append(rows, selfcare.ScheduleRow(row))
	}
	return selfcare.Set(rows), nil
}

// withFieldMessages replaces the messages of the fields in msgs in err's
// validation error, keeping everything else.
func withFieldMessages(err error, msgs map[string]string) error {
	var ve *selfcare.ValidationError
	if len(msgs) == 0 || !errors.As(err, &ve) {
		return err
	}
	out := &selfcare.ValidationError{}
	for _, f := range ve.Fields {
		if msg, ok := msgs[f.Field]; ok {
			f.Message = msg
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

// The page.

// rdScheduleRows is how many schedule rows every form shows: all the
// reference keeps.
const rdScheduleRows = selfcare.MaxScheduleRows

// rdPageData is what remotedest.html gets.
type rdPageData struct {
	pageData
	Limit int
	Count int
	Items []rdForm
	New   rdForm
}

// rdForm is one remote destination's form, or the add form, with what
// was typed and the messages beside its fields.
type rdForm struct {
	// P prefixes the form's element IDs; Title heads an item's form.
	P, ID, Title                 string
	Version                      int64
	Number, Description          string
	SingleNumberReach, Move      bool
	Delay, Soon, Late, Avoidance string
	Schedule                     []rdRow
	TimeZone                     string
	// Errs holds each field's message; Summary lists them in order, with
	// the element each one is about, for the page's error summary.
	Errs    map[string]string
	Summary []problem
	// Error and Notice concern the form's last submission.
	Error, Notice string
}

// rdRow is one schedule row of a form.
type rdRow struct{ Day, Start, End string }

// rdFieldLabels name the form's fields in the error summary; a schedule
// row's fields are named by rdSummaryLabel.
var rdFieldLabels = map[string]string{"number": "Phone number",
	"description": "Description", "delayBeforeRinging": "Wait before ringing",
	"answerTooSoon": "Answer too soon", "answerTooLate": "Stop ringing after",
	"voicemailAvoidance": "Voicemail avoidance", "schedule": "Ring schedule",
	"timeZone": "Time zone of the schedule", "singleNumberReach": "Single Number Reach",
	"moveToMobile": "Move to Mobile"}

// rdSummaryLabel names field, as showErrors keys it, in the summary.
func rdSummaryLabel(field string) string {
	var i int
	var part string
	if _, err := fmt.Sscanf(field, "schedule.%d.%s", &i, &part); err == nil {
		return fmt.Sprintf("Ring schedule, row %d", i+1)
	}
	if l := rdFieldLabels[field]; l != "" {
		return l
	}
	return field
}

var (
	rdAvoidances = []dndChoice{
		{selfcare.VoicemailAvoidanceSystemDefault.String(), "Use the system default"},
		{selfcare.VoicemailAvoidanceTimer.String(),
			"Timer control: an answer sooner than \"answer too soon\" is voicemail"},
		{selfcare.VoicemailAvoidanceUser.String(),
			"User control: the person answering presses a key to take the call"},
	}
	rdDays = func() []dndChoice {
		out := make([]dndChoice, 0, 7)
		for d := range 7 {
			out = append(out, dndChoice{strconv.Itoa(d), time.Weekday(d).String()})
		}
		return out
	}()
)

// toRDForm fills a form from what is stored.
func toRDForm(d selfcare.RemoteDestination) rdForm {
	title := d.Number
	if d.Description != "" {
		title += " (" + d.Description + ")"
	}
	f := rdForm{P: "rd-" + d.ID, ID: d.ID, Title: title, Version: d.Version,
		Number:      d.Number,
		Description: d.Description, SingleNumberReach: d.SingleNumberReach,
		Move: d.MoveToMobile, Delay: d.DelayBeforeRinging.String(),
		Soon: d.AnswerTooSoon.String(), Late: d.AnswerTooLate.String(),
		Avoidance: d.VoicemailAvoidance.String(), TimeZone: d.TimeZone}
	for _, r := range d.Schedule {
		f.Schedule = append(f.Schedule, rdRow{strconv.Itoa(r.Day), r.Start, r.End})
	}
	f.Schedule = padRows(f.Schedule)
	return f
}

// Err returns the message of field, or "".
func (f rdForm) Err(field string) string { return f.Errs[field] }

// RowErr returns the message about part (day, start or end) of schedule
// row i, or "".
func (f rdForm) RowErr(i int, part string) string {
	return f.Errs[fmt.Sprintf("schedule.%d.%s", i, part)]
}

// RowErrs joins the messages about schedule row i.
func (f rdForm) RowErrs(i int) string {
	var msgs []string
	for _, part := range []string{"day", "start", "end"} {
		if m := f.RowErr(i, part); m != "" {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, " ")
}

// AdvancedOpen reports whether the advanced section holds a message, so
// that it opens without a click.
func (f rdForm) AdvancedOpen() bool {
	for k := range f.Errs {
		if k != "number" && k != "description" {
			return true
		}
	}
	return false
}

// Avoidances and Days are the choices of the form's selects.
func (rdForm) Avoidances() []dndChoice { return rdAvoidances }

// Days lists the days of the week, Sunday first.
func (rdForm) Days() []dndChoice { return rdDays }

// Num counts schedule rows from 1 for their labels.
func (rdForm) Num(i int) int { return i + 1 }

func padRows(rows []rdRow) []rdRow {
	for len(rows) < rdScheduleRows {
		rows = append(rows, rdRow{})
	}
	return rows
}

func (h *Handler) rdPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.rdData(r)
	if err != nil {
		return err
	}
	// The saved marker is "deleted", or what was done and the ID.
	switch what, id, _ := strings.Cut(savedMarker(r), ":"); {
	case what == "deleted" && id == "":
		d.Notice = "The additional phone has been deleted."
	case what == "added" || what == "saved":
		if i := d.rdItem(id); i >= 0 {
			d.Items[i].Notice = upperFirst(what) + "."
			d.Notice = "The additional phone " + d.Items[i].Number + " has been " + what + "."
		}
	}
	h.renderRD(w, r, http.StatusOK, d)
	return nil
}

// rdData loads the page from the store.
func (h *Handler) rdData(r *http.Request) (rdPageData, error) {
	if err := h.gatePage(r, params.FeatureAdditionalPhones); err != nil {
		return rdPageData{}, err
	}
	ctx := r.Context()
	ds, limit, err := h.svc.RemoteDestinations(ctx, principalFrom(ctx))
	if err != nil {
		return rdPageData{}, err
	}
	d := rdPageData{pageData: pageData{Title: "Additional Phones", Nav: "additional-phones"},
		Limit: limit, Count: len(ds)}
	for _, x := range ds {
		d.Items = append(d.Items, toRDForm(x))
	}
	def := selfcare.DefaultRemoteDestination("", "")
	d.New = toRDForm(def)
	d.New.P = "rd-new"
	d.New.TimeZone = ""
	return d, nil
}

// typedForm reads a posted form as typed, and the patch it asks for. A
// row with no day and no times is empty and left out; rowOf maps each
// schedule entry of the patch to its row on the form. A box or a select
// posted as no control of the form sends is refused with a
// [selfcare.ValidationError] naming it, for the page to show beside it
// without asking the service.
func typedForm(r *http.Request) (f rdForm, patch selfcare.RemoteDestinationPatch,
	msgs map[string]string, rowOf []int, err error) {
	pf := r.PostForm
	if _, err := (formParts{"additional-phone": nil}).named(pf); err != nil {
		return f, patch, nil, nil, err
	}
	var bad selfcare.ValidationError
	f = rdForm{Number: pf.Get("number"), Description: pf.Get("description"),
		SingleNumberReach: tickBox(pf, "singleNumberReach", "singleNumberReach", &bad),
		Move:              tickBox(pf, "moveToMobile", "moveToMobile", &bad),
		Delay:             pf.Get("delayBeforeRinging"),
		Soon:              pf.Get("answerTooSoon"), Late: pf.Get("answerTooLate"),
		Avoidance: pf.Get("voicemailAvoidance"), TimeZone: pf.Get("timeZone")}
	days, starts, ends := pf["day"], pf["start"], pf["end"]
	// Too many rows is the user's to correct: the service refuses more
	// than its maximum beside the schedule.
	if len(days) != len(starts) || len(days) != len(ends) {
		return f, patch, nil, nil, badRequest("the form's schedule rows are incomplete")
	}
	var avoid selfcare.VoicemailAvoidance
	if len(pf["voicemailAvoidance"]) != 1 ||
		avoid.UnmarshalText([]byte(f.Avoidance)) != nil {
		bad.Fields = append(bad.Fields, selfcare.FieldError{Field: "voicemailAvoidance",
			Message: "Choose one of the voicemail avoidance policies offered."})
	}
	patch = selfcare.RemoteDestinationPatch{Number: selfcare.Set(f.Number),
		Description:        selfcare.Set(f.Description),
		SingleNumberReach:  selfcare.Set(f.SingleNumberReach),
		MoveToMobile:       selfcare.Set(f.Move),
		VoicemailAvoidance: selfcare.Set(avoid), TimeZone: selfcare.Set(f.TimeZone)}
	if strings.TrimSpace(f.TimeZone) == "" {
		// Empty means the portal's default, which the form leaves unsaid.
		patch.TimeZone = selfcare.Null[string]()
	}
	msgs = map[string]string{}
	for _, t := range []struct {
		name, typed string
		f           *selfcare.PatchField[selfcare.Timer]
	}{{"delayBeforeRinging", f.Delay, &patch.DelayBeforeRinging},
		{"answerTooSoon", f.Soon, &patch.AnswerTooSoon},
		{"answerTooLate", f.Late, &patch.AnswerTooLate}} {
		v, err := selfcare.ParseTimer(strings.TrimSpace(t.typed))
		if err != nil {
			v = -1
			msgs[t.name] = timerMessage
		}
		*t.f = selfcare.Set(v)
	}
	rows := []selfcare.ScheduleRow{}
	for i := range days {
		row := rdRow{days[i], strings.TrimSpace(starts[i]), strings.TrimSpace(ends[i])}
		f.Schedule = append(f.Schedule, row)
		if row.Day == "" && row.Start == "" && row.End == "" {
			continue
		}
		day, err := strconv.Atoi(row.Day)
		if err != nil {
			day = -1 // refused by the service with the day message
		}
		rows = append(rows, selfcare.ScheduleRow{Day: day, Start: row.Start, End: row.End})
		rowOf = append(rowOf, i)
	}
	f.Schedule = padRows(f.Schedule)
	patch.Schedule = selfcare.Set(rows)
	if len(bad.Fields) > 0 {
		return f, patch, msgs, rowOf, &bad
	}
	return f, patch, msgs, rowOf, nil
}

// showErrors puts the messages of a validation error beside the fields of
// f, as typed, and into its summary.
func (f *rdForm) showErrors(err error, msgs map[string]string, rowOf []int) {
	ae, _ := toAPIError(withFieldMessages(err, msgs))
	f.Errs = map[string]string{}
	for _, fe := range ae.Fields {
		field := fe.Field
		var i int
		var rest string
		if _, serr := fmt.Sscanf(field, "schedule[%d].%s", &i, &rest); serr == nil &&
			i >= 0 && i < len(rowOf) {
			field = fmt.Sprintf("schedule.%d.%s", rowOf[i], rest)
		}
		if prev := f.Errs[field]; prev != "" {
			f.Errs[field] = prev + " " + fe.Message
		} else {
			f.Errs[field] = fe.Message
		}
		target := f.P + "-" + strings.ReplaceAll(field, ".", "-")
		if field == "schedule" {
			// About the schedule as a whole: its first field carries it.
			target = f.P + "-schedule-0-day"
		}
		f.Summary = append(f.Summary, problem{Target: target,
			Message: rdSummaryLabel(field) + ": " + fe.Message})
	}
	f.Error = "Not saved. See the messages beside the fields."
}

func (h *Handler) rdCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	ctx := r.Context()
	// A control posted as none sends is refused beside it (typedForm).
	typed, patch, msgs, rowOf, uerr := typedForm(r)
	if uerr != nil && !errors.Is(uerr, selfcare.ErrInvalid) {
		return uerr
	}
	var saved selfcare.RemoteDestination
	if uerr == nil {
		saved, uerr = h.svc.CreateRemoteDestination(ctx, principalFrom(ctx), patch,
			remoteAddr(r))
	}
	if uerr == nil {
		return h.seeSaved(w, r, "additional-phones", nil, "added:"+saved.ID)
	}
	d, err := h.rdData(r)
	if err != nil {
		return err
	}
	typed.P = d.New.P
	var status int
	var le *selfcare.RemoteDestinationLimitError
	switch {
	case errors.As(uerr, &le):
		status = http.StatusConflict
		typed.Error = fmt.Sprintf("Not added: you already have %d additional phones, "+
			"the most you may have. Delete one first, or ask your administrator.", le.Limit)
		d.Error, d.New = typed.Error, typed
	case errors.Is(uerr, selfcare.ErrDuplicateRemoteDestination):
		status = http.StatusConflict
		typed.Errs = map[string]string{"number": "This number is already one of your " +
			"additional phones."}
		typed.Summary = []problem{{typed.P + "-number",
			rdSummaryLabel("number") + ": " + typed.Errs["number"]}}
		typed.Error = "Not added."
		d.Error, d.New = "The additional phone was not added.", typed
	case errors.Is(uerr, selfcare.ErrInvalid):
		status = http.StatusBadRequest
		typed.showErrors(uerr, msgs, rowOf)
		d.Error, d.New = "The additional phone was not added. See the messages "+
			"beside the fields.", typed
	default:
		return uerr
	}
	d.Summary = d.New.Summary
	h.renderRD(w, r, status, d)
	return nil
}

// rdItem returns the index of the form of id on the page, or -1.
func (d *rdPageData) rdItem(id string) int {
	for i, f := range d.Items {
		if f.ID == id {
			return i
		}
	}
	return -1
}

func (h *Handler) rdUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the phone")
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	// A control posted as none sends is refused beside it (typedForm).
	typed, patch, msgs, rowOf, uerr := typedForm(r)
	if uerr != nil && !errors.Is(uerr, selfcare.ErrInvalid) {
		return uerr
	}
	var saved selfcare.RemoteDestination
	if uerr == nil {
		saved, uerr = h.svc.UpdateRemoteDestination(ctx, principalFrom(ctx), id, patch,
			version, remoteAddr(r))
	}
	if uerr != nil && !errors.Is(uerr, selfcare.ErrVersionConflict) &&
		!errors.Is(uerr, selfcare.ErrInvalid) &&
		!errors.Is(uerr, selfcare.ErrDuplicateRemoteDestination) {
		// Not found (or another user's), hidden, signed out: the error
		// page says it.
		return uerr
	}
	if uerr == nil {
		return h.seeSaved(w, r, "additional-phones", nil, "saved:"+saved.ID)
	}
	d, err := h.rdData(r)
	if err != nil {
		return err
	}
	i := d.rdItem(id)
	if i < 0 {
		return selfcare.ErrNotFound
	}
	var status int
	typed.P, typed.ID, typed.Title = d.Items[i].P, id, d.Items[i].Title
	typed.Version = d.Items[i].Version
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Items[i].Error = "This additional phone was changed elsewhere after you " +
			"opened this page, so your change was not saved. The settings now in " +
			"force are shown; make your change again."
		d.Error = d.Items[i].Error
		d.Summary = []problem{{Target: d.Items[i].P + "-h", Message: d.Items[i].Title}}
	case errors.Is(uerr, selfcare.ErrDuplicateRemoteDestination):
		status = http.StatusConflict
		typed.Errs = map[string]string{"number": "This number is already one of your " +
			"additional phones."}
		typed.Summary = []problem{{typed.P + "-number",
			rdSummaryLabel("number") + ": " + typed.Errs["number"]}}
		typed.Error = "Not saved."
		d.Items[i], d.Error = typed, "The additional phone was not saved."
	default:
		status = http.StatusBadRequest
		typed.showErrors(uerr, msgs, rowOf)
		d.Items[i] = typed
		d.Error = "The additional phone was not saved. See the messages beside the " +
			"fields."
	}
	if d.Summary == nil {
		d.Summary = d.Items[i].Summary
	}
	h.renderRD(w, r, status, d)
	return nil
}

func (h *Handler) rdDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the phone")
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	uerr := h.svc.DeleteRemoteDestination(ctx, principalFrom(ctx), id, version,
		remoteAddr(r))
	if uerr == nil {
		return h.seeSaved(w, r, "additional-phones", nil, "deleted")
	}
	if !errors.Is(uerr, selfcare.ErrVersionConflict) {
		return uerr
	}
	d, err := h.rdData(r)
	if err != nil {
		return err
	}
	d.Error = "This additional phone was changed elsewhere after you opened this " +
		"page, so it was not deleted. The settings now in force are shown; delete " +
		"it again if you still want to."
	if i := d.rdItem(id); i >= 0 {
		d.Items[i].Error = d.Error
		d.Summary = []problem{{Target: d.Items[i].P + "-h", Message: d.Items[i].Title}}
	}
	h.renderRD(w, r, http.StatusConflict, d)
	return nil
}

// renderRD is render for the additional phones page's own data.
func (h *Handler) renderRD(w http.ResponseWriter, r *http.Request, status int,
	d rdPageData) {
	h.renderPage(w, r, status, "remotedest.html", &d.pageData, &d)
}
