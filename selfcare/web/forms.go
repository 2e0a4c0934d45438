package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ucselfcare/portal/selfcare"
)

// Sections of a page's form.
//
// A page leaves out what the parameters hide, and the parameters can
// change between the GET that rendered a form and the POST that sends
// it back. A handler that saved "every part the page shows now" would
// then write the parts that were not on the form: blank text and
// unticked boxes over the values that the user never saw. So each form
// says which parts it rendered, with one hidden input per part:
//
//	<input type="hidden" name="section" value="rules">
//
// and its handler changes only the fields of the parts the form names.
// A part is on the form only when its marker is posted: a tick box of
// such a part that is not posted is unticked, while a part not named is
// left as stored. A form of several parts that names none, or that sends
// a field of a part it did not name, or a marker of no part, is refused
// with 400: the page's own forms always name their parts, so only a
// hand-made post is refused, and it is never half read. A part that the
// parameters hide now, but that the form named, is refused with 403
// naming the parameter, as the API refuses a change to a hidden member:
// the user learns that the change was not saved instead of reading
// "saved".
//
// A page of one part, whose whole page a parameter gates, carries its
// marker too; there the page's own gate already refuses a hidden part,
// and a post without the marker is read as that part.

// sectionField is the name of the hidden inputs that mark a form's parts.
const sectionField = "section"

// errFormParts refuses a form whose parts are not those its page renders.
var errFormParts = errors.New("web: the form's parts are not the page's")

// formPartsMessage is what the person who sent such a form reads. The
// page's own forms never get it, so it tells them how to start again.
const formPartsMessage = "This form was not sent as the page shows it: it names a " +
	"part the page does not have, or sends a field of a part it does not name. " +
	"Nothing was saved. Open the page again and send its form."

// formParts lists the parts of one page's form: each part's marker with
// the names of the part's fields.
type formParts map[string][]string

// named returns the parts that a parsed form names. It refuses with
// [errFormParts] (a 400) a marker of no part; and, on a form of several
// parts, a form without a marker or with a field of a part not named.
func (p formParts) named(form url.Values) (map[string]bool, error) {
	named := map[string]bool{}
	for _, v := range form[sectionField] {
		if _, ok := p[v]; !ok {
			return nil, fmt.Errorf("%w: unknown part %q", errFormParts, v)
		}
		named[v] = true
	}
	if len(p) == 1 {
		// A form of one part is that part, named or not.
		for name := range p {
			named[name] = true
		}
		return named, nil
	}
	if len(named) == 0 {
		return nil, fmt.Errorf("%w: no part named", errFormParts)
	}
	for name, fields := range p {
		if i := slices.IndexFunc(fields, form.Has); i >= 0 && !named[name] {
			return nil, fmt.Errorf("%w: %s sent without part %q", errFormParts,
				fields[i], name)
		}
	}
	return named, nil
}

// offered reports whether control name of a parsed form posted what the
// control can send: nothing, or once one of values. A tick box posts its
// value ("on" when the template gives it none) or nothing; a select or a
// group of radio buttons, one of its options. Anything else was typed by
// hand, and reading it as "unticked" or as a default would save what the
// user never chose, so callers refuse it beside the field.
func offered(form url.Values, name string, values ...string) bool {
	vs, ok := form[name]
	if !ok {
		return true
	}
	return len(vs) == 1 && slices.Contains(values, vs[0])
}

// tickRefused is the message beside a tick box posted with a value that
// no box sends.
const tickRefused = "Tick the box, or leave it empty; nothing else is a choice."

// tickBox reads tick box name of a parsed form, whose template gives it
// no value: whether it is ticked. When it posted anything else than "on"
// it adds field with [tickRefused] to bad, for the page to show beside
// the box, and reports false.
func tickBox(form url.Values, name, field string, bad *selfcare.ValidationError) bool {
	if !offered(form, name, "on") {
		bad.Fields = append(bad.Fields, selfcare.FieldError{Field: field,
			Message: tickRefused})
		return false
	}
	return form.Get(name) == "on"
}

// parseVersionedForm parses a posted form and returns its version: the
// version of what the form was rendered from, which the save is checked
// against, so that a change made elsewhere in the meantime is refused
// rather than overwritten. what names that thing in the 400 for a form
// without one, as in "the phone".
func parseVersionedForm(r *http.Request, what string) (int64, error) {
	if err := r.ParseForm(); err != nil {
		return 0, errors.Join(errBadRequest, err)
	}
	version, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil {
		return 0, badRequest("the form lacks " + what + "'s version")
	}
	return version, nil
}
