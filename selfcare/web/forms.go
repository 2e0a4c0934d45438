package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
// A part is on the form when its marker is posted, or any of its fields
// is (a text field or a select is always posted when rendered); a tick
// box of a part on the form that is not posted is unticked, while one of
// a part not on the form is left as stored. A part that the parameters
// hide now, but that the form sent, is refused with 403 naming the
// parameter, as the API refuses a change to a hidden member: the user
// learns that the change was not saved instead of reading "saved".
//
// A page of one part, whose whole page a parameter gates, carries its
// marker too; there the page's own gate already refuses a hidden part.

// sectionField is the name of the hidden inputs that mark a form's parts.
const sectionField = "section"

// formSections is what a posted form says about its parts.
type formSections struct {
	form   url.Values
	marked map[string]bool
}

// postedSections reads the section markers of a parsed form.
func postedSections(form url.Values) formSections {
	s := formSections{form: form, marked: map[string]bool{}}
	for _, v := range form[sectionField] {
		s.marked[v] = true
	}
	return s
}

// has reports whether the part name, whose fields are fields, was on the
// form: its marker or one of its fields was posted.
func (s formSections) has(name string, fields ...string) bool {
	return s.marked[name] || slices.ContainsFunc(fields, s.form.Has)
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
