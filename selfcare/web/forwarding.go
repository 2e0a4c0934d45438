package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// Call forwarding, per directory number: a JSON resource with a version
// in its ETag, changed by JSON merge patch under If-Match, and a page
// whose form posts the whole state of one line with its version.

var (
	// errNoIfMatch refuses an update that does not say which version it
	// changes: without it, two clients would overwrite each other.
	errNoIfMatch = errors.New("web: If-Match is required")
	// errMergePatchType refuses a PATCH body of another media type.
	errMergePatchType = errors.New("web: body must be a JSON merge patch")
)

// mergePatchType is the media type of a JSON merge patch (RFC 7396).
const mergePatchType = "application/merge-patch+json"

func (h *Handler) routesForwarding() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"lines/{extension}/forwarding",
		h.api(h.apiAuthed(h.apiForwarding)))
	h.mux.Handle("PATCH "+api+"lines/{extension}/forwarding",
		h.api(h.apiAuthed(h.apiPatchForwarding)))
	h.mux.Handle("GET "+p+"forwarding", h.page(h.authed(h.forwardingPage)))
	h.mux.Handle("POST "+p+"forwarding", h.page(h.authed(h.forwardingSubmit)))
}

// ruleView is one forwarding rule in the API.
type ruleView struct {
	Voicemail   bool   `json:"voicemail"`
	Destination string `json:"destination"`
}

// forwardingView is a line's forwarding in the API. The version is also
// the ETag.
type forwardingView struct {
	Extension      string   `json:"extension"`
	Version        int64    `json:"version"`
	CallForwardAll ruleView `json:"callForwardAll"`
	// The busy and no-answer rules are left out while Show Call
	// Forwarding shows Call Forward All only: what a parameter hides is
	// not shown, though it stays stored.
	BusyInternal     *ruleView `json:"busyInternal,omitempty"`
	BusyExternal     *ruleView `json:"busyExternal,omitempty"`
	NoAnswerInternal *ruleView `json:"noAnswerInternal,omitempty"`
	NoAnswerExternal *ruleView `json:"noAnswerExternal,omitempty"`
}

// toForwardingView is f in the API; rules says whether the busy and
// no-answer rules are shown.
func toForwardingView(f selfcare.CallForwarding, rules bool) forwardingView {
	rv := func(k params.ForwardKind) ruleView {
		r := f.Rule(k)
		return ruleView{Voicemail: r.Voicemail, Destination: r.Destination}
	}
	v := forwardingView{Extension: f.Extension, Version: f.Version,
		CallForwardAll: rv(params.ForwardAllCalls)}
	if rules {
		ptr := func(k params.ForwardKind) *ruleView { r := rv(k); return &r }
		v.BusyInternal = ptr(params.ForwardBusyInternal)
		v.BusyExternal = ptr(params.ForwardBusyExternal)
		v.NoAnswerInternal = ptr(params.ForwardNoAnswerInternal)
		v.NoAnswerExternal = ptr(params.ForwardNoAnswerExternal)
	}
	return v
}

// etag is the strong entity tag of a version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatchVersion reads If-Match. It returns errNoIfMatch when the header
// is missing, and -1, which no resource has, for anything but one strong
// tag that etag made: a weak tag, a list or "*" never match, so a client
// that sends them gets 409 rather than an unguarded write.
func ifMatchVersion(r *http.Request) (int64, error) {
	vals := r.Header.Values("If-Match")
	if len(vals) == 0 {
		return 0, errNoIfMatch
	}
	if len(vals) > 1 {
		return -1, nil
	}
	tag := strings.TrimSpace(vals[0])
	if len(tag) < 3 || len(tag) > 20 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return -1, nil
	}
	tag = tag[1 : len(tag)-1]
	if strings.Trim(tag, "0123456789") != "" {
		return -1, nil
	}
	v, err := strconv.ParseInt(tag, 10, 64)
	if err != nil {
		return -1, nil
	}
	return v, nil
}

func (h *Handler) writeForwarding(w http.ResponseWriter, r *http.Request,
	f selfcare.CallForwarding) {
	rules := h.svc.CheckFeature(r.Context(), principalFrom(r.Context()),
		params.FeatureCallForwardRules) == nil
	w.Header().Set("ETag", etag(f.Version))
	writeJSON(w, http.StatusOK, toForwardingView(f, rules))
}

func (h *Handler) apiForwarding(w http.ResponseWriter, r *http.Request) error {
	f, err := h.svc.CallForwarding(r.Context(), principalFrom(r.Context()),
		r.PathValue("extension"))
	if err != nil {
		return err
	}
	h.writeForwarding(w, r, f)
	return nil
}

func (h *Handler) apiPatchForwarding(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodeForwardingPatch(r)
	if err != nil {
		return err
	}
	f, err := h.svc.UpdateCallForwarding(r.Context(), principalFrom(r.Context()),
		r.PathValue("extension"), patch, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeForwarding(w, r, f)
	return nil
}

// decodeForwardingPatch reads a JSON merge patch of a line's forwarding:
// one object whose members are rule names, each null (off) or an object
// with voicemail (true, false or null) and destination (a string or
// null). Members are named exactly and appear once, as in decodeJSON.
func decodeForwardingPatch(r *http.Request) (selfcare.ForwardingPatch, error) {
	var patch selfcare.ForwardingPatch
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return patch, err
	}

	names := map[string]bool{}
	for _, k := range selfcare.ForwardKinds() {
		names[selfcare.ForwardRuleName(k)] = true
	}
	members, err := objectMembers(body, names)
	if err != nil {
		return patch, err
	}
	for _, k := range selfcare.ForwardKinds() {
		name := selfcare.ForwardRuleName(k)
		raw, ok := members[name]
		switch {
		case !ok:
			continue
		case isNull(raw):
			patch.Rules[k] = selfcare.Null[selfcare.ForwardRulePatch]()
			continue
		}
		fields, err := objectMembers(raw, map[string]bool{"voicemail": true,
			"destination": true})
		if err != nil {
			return patch, within(name, err)
		}
		var rp selfcare.ForwardRulePatch
		if rp.Voicemail, err = patchField[bool](fields, "voicemail"); err != nil {
			return patch, within(name, err)
		}
		if rp.Destination, err = patchField[string](fields, "destination"); err != nil {
			return patch, within(name, err)
		}
		patch.Rules[k] = selfcare.Set(rp)
	}
	return patch, nil
}

// objectMembers checks that data is one JSON object with known members,
// named exactly, none repeated at any depth, and returns them undecoded.
func objectMembers(data []byte, known map[string]bool) (map[string]json.RawMessage, error) {
	m, err := strictjson.Members(data, known)
	if err != nil {
		return nil, bodyError(err)
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// patchField reads one member of a merge patch: absent, null, or a value
// of type T and nothing else.
func patchField[T any](m map[string]json.RawMessage, name string) (
	selfcare.PatchField[T], error) {
	raw, ok := m[name]
	switch {
	case !ok:
		return selfcare.PatchField[T]{}, nil
	case isNull(raw):
		return selfcare.Null[T](), nil
	}
	var v T
	if err := strictjson.Decode(raw, &v); err != nil {
		want := "one of the documented values"
		switch any(v).(type) {
		case bool:
			want = "true, false"
		case string:
			want = "a string"
		}
		return selfcare.PatchField[T]{}, memberError(name, "must be "+want+" or null")
	}
	return selfcare.Set(v), nil
}

// forwardingPage is what forwarding.html gets: every page's data, and one
// form per line.
type forwardingPage struct {
	pageData
	Lines []forwardingLine
}

// forwardingLine is one line's form.
type forwardingLine struct {
	Extension string
	Version   int64
	Rules     []forwardingRule
	// Sections are the parts of the form rendered, for its markers.
	Sections []string
	// Error and Notice concern this line's last submission.
	Error, Notice string
}

// forwardingRule is one rule of a line's form, with the message of its
// field error.
type forwardingRule struct {
	Name, Title string
	Voicemail   bool
	Destination string
	Error       string
	// ErrorOnVoicemail says that Error concerns the box, not the number.
	ErrorOnVoicemail bool
}

// forwardingTitles are the rules' labels on the page.
var forwardingTitles = map[params.ForwardKind]string{
	params.ForwardAllCalls:         "Forward all calls",
	params.ForwardBusyInternal:     "When busy, internal callers",
	params.ForwardBusyExternal:     "When busy, external callers",
	params.ForwardNoAnswerInternal: "When not answered, internal callers",
	params.ForwardNoAnswerExternal: "When not answered, external callers",
}

// toForwardingLine shows the rules that the parameters offer.
func toForwardingLine(f selfcare.CallForwarding, feats params.Features) forwardingLine {
	l := forwardingLine{Extension: f.Extension, Version: f.Version}
	for _, k := range selfcare.ForwardKinds() {
		if !feats.AllowsForward(k) {
			continue
		}
		if sec := fwSection(k); !slices.Contains(l.Sections, sec) {
			l.Sections = append(l.Sections, sec)
		}
		r := f.Rule(k)
		l.Rules = append(l.Rules, forwardingRule{Name: selfcare.ForwardRuleName(k),
			Title: forwardingTitles[k], Voicemail: r.Voicemail, Destination: r.Destination})
	}
	return l
}

func (h *Handler) forwardingPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.forwardingLines(r)
	if err != nil {
		return err
	}
	// The saved marker is the extension of the line saved.
	if ext := savedMarker(r); ext != "" {
		for i, l := range d.Lines {
			if l.Extension == ext {
				d.Lines[i].Notice = "Saved."
				d.Notice = "Call forwarding of line " + ext + " has been saved."
			}
		}
	}
	h.renderForwarding(w, r, http.StatusOK, d)
	return nil
}

// forwardingLines loads the page's data: every line of the user's phones.
func (h *Handler) forwardingLines(r *http.Request) (forwardingPage, error) {
	ctx := r.Context()
	p := principalFrom(ctx)
	lines, err := h.svc.ForwardingLines(ctx, p)
	if err != nil {
		return forwardingPage{}, err
	}
	feats := h.svc.Features(ctx, p)
	d := forwardingPage{pageData: pageData{Title: "Call Forwarding", Nav: "forwarding"}}
	for _, f := range lines {
		d.Lines = append(d.Lines, toForwardingLine(f, feats))
	}
	return d, nil
}

// forwardingSubmit saves one line's form: every rule the page offers, as
// posted, against the version the page was rendered with.
func (h *Handler) forwardingSubmit(w http.ResponseWriter, r *http.Request) error {
	version, err := parseVersionedForm(r, "the line")
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	ext := r.PostForm.Get("extension")
	// A box posted with what no box sends is refused beside it, as the
	// service refuses a destination beside it.
	patch, uerr := h.forwardingFormPatch(r)
	if uerr != nil && !errors.Is(uerr, selfcare.ErrInvalid) {
		return uerr
	}
	if uerr == nil {
		saved, err := h.svc.UpdateCallForwarding(ctx, p, ext, patch, version,
			remoteAddr(r))
		if err == nil {
			return h.seeSaved(w, r, "forwarding", nil, saved.Extension)
		}
		uerr = err
	}

	// A refusal shows the page again, from the store, with the outcome
	// beside the line.
	d, err := h.forwardingLines(r)
	if err != nil {
		return err
	}
	i := -1
	for j, l := range d.Lines {
		if l.Extension == ext {
			i = j
		}
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict) && i >= 0:
		status = http.StatusConflict
		d.Lines[i].Error = "This line's forwarding was changed elsewhere after you " +
			"opened this page, so your change was not saved. The settings now in " +
			"force are shown; make your change again."
		d.Error = d.Lines[i].Error
		d.Summary = []problem{{Target: "line-" + ext, Message: "Line " + ext}}
	case errors.Is(uerr, selfcare.ErrInvalid) && i >= 0:
		ae, _ := toAPIError(uerr)
		status = ae.status
		// Show what was typed, with each refusal beside its rule: its
		// destination, or its box when that was posted as no box is.
		msgs, onBox := map[string]string{}, map[string]bool{}
		for _, f := range ae.Fields {
			name, box := strings.CutSuffix(f.Field, ".voicemail")
			name = strings.TrimSuffix(name, ".destination")
			msgs[name], onBox[name] = f.Message, box
		}
		for j, rule := range d.Lines[i].Rules {
			rule.Voicemail = r.PostForm.Get(rule.Name+".voicemail") == "on"
			rule.Destination = r.PostForm.Get(rule.Name + ".destination")
			rule.Error, rule.ErrorOnVoicemail = msgs[rule.Name], onBox[rule.Name]
			d.Lines[i].Rules[j] = rule
			target := "fw-" + ext + "-" + rule.Name + "-dest"
			if rule.ErrorOnVoicemail {
				target = "fw-" + ext + "-" + rule.Name + "-vm"
			}
			if rule.Error != "" {
				d.Summary = append(d.Summary, problem{Target: target,
					Message: rule.Title + ": " + rule.Error})
			}
		}
		d.Lines[i].Error = "Not saved: a rule was refused."
		d.Error = "Call forwarding of line " + ext + " was not saved. See the " +
			"messages beside the destinations."
	case uerr != nil:
		// Not found, hidden, signed out: the error page says it.
		return uerr
	}
	h.renderForwarding(w, r, status, d)
	return nil
}

// The parts of a line's forwarding form (forms.go): Call Forward All, and
// the busy and no-answer rules that Show Call Forwarding can hide.
const (
	fwSectionAll   = "all"
	fwSectionRules = "rules"
)

// fwSection is the part of the form that shows rule k.
func fwSection(k params.ForwardKind) string {
	if k == params.ForwardAllCalls {
		return fwSectionAll
	}
	return fwSectionRules
}

// forwardingFormPatch reads the rules of the parts that the posted form
// names, and only those (forms.go). A part the parameters hide now is
// refused with the gate's error, which names the parameter; a box posted
// as no box is, with a [selfcare.ValidationError] naming it.
func (h *Handler) forwardingFormPatch(r *http.Request) (selfcare.ForwardingPatch, error) {
	var patch selfcare.ForwardingPatch
	f := r.PostForm
	parts := formParts{}
	for _, k := range selfcare.ForwardKinds() {
		name := selfcare.ForwardRuleName(k)
		parts[fwSection(k)] = append(parts[fwSection(k)], name+".voicemail",
			name+".destination")
	}
	named, err := parts.named(f)
	if err != nil {
		return patch, err
	}
	feats := h.svc.Features(r.Context(), principalFrom(r.Context()))
	var bad selfcare.ValidationError
	for _, k := range selfcare.ForwardKinds() {
		sec := fwSection(k)
		if !named[sec] {
			continue
		}
		if !feats.AllowsForward(k) {
			gate := params.FeatureCallForwardRules
			if sec == fwSectionAll {
				gate = params.FeatureCallForwardAll
			}
			if err := h.gatePage(r, gate); err != nil {
				return patch, err
			}
			return patch, badRequest("the form has a part of call forwarding that is " +
				"not offered")
		}
		name := selfcare.ForwardRuleName(k)
		vm := tickBox(f, name+".voicemail", name+".voicemail", &bad)
		patch.Rules[k] = selfcare.Set(selfcare.ForwardRulePatch{
			Voicemail:   selfcare.Set(vm),
			Destination: selfcare.Set(f.Get(name + ".destination")),
		})
	}
	if len(bad.Fields) > 0 {
		return patch, &bad
	}
	return patch, nil
}

// renderForwarding is render for the forwarding page's own data.
func (h *Handler) renderForwarding(w http.ResponseWriter, r *http.Request, status int,
	d forwardingPage) {
	h.renderPage(w, r, status, "forwarding.html", &d.pageData, &d)
}
