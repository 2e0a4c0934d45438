package web

import (
	"net/http"
	"net/url"
	"sort"
)

// How every page's form ends, whatever the setting.
//
// A save that worked is answered with 303 See Other to the page's own
// address, with a marker that says what was saved, so that the page the
// browser then shows came from a GET (Post/Redirect/Get). Reloading it
// reads the page again; without the redirect, reloading would post the
// form a second time, with the version that the first post used up, and
// the user would be told of a conflict although the save worked.
//
// A refused save is answered with the form itself, with what was typed,
// the refusal's status, the messages beside their fields, and one error
// summary at the top of the page (templates/pagestatus.html) that links
// to each refused field. Nothing was saved, so there is nothing to read
// back, and the typed values exist only in this answer.

// savedParam is the query parameter that carries what a save changed.
const savedParam = "saved"

// seeSaved answers a successful form post with 303 See Other to page, a
// path below the prefix, with the query keep (the choice the page needs,
// such as the phone shown) and the saved marker. The page's GET turns the
// marker into its notice; see savedMarker.
func (h *Handler) seeSaved(w http.ResponseWriter, r *http.Request, page string,
	keep url.Values, saved string) error {
	q := url.Values{}
	for k, vs := range keep {
		q[k] = vs
	}
	q.Set(savedParam, saved)
	http.Redirect(w, r, h.cfg.Prefix+page+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// savedMarker returns the saved marker of a page's GET, "" for none. It
// is typed by whoever wrote the address, so a page shows a notice only
// for a marker that names something on the page, and never shows the
// marker's text itself.
func savedMarker(r *http.Request) string { return r.URL.Query().Get(savedParam) }

// problem is one line of a page's error summary: the message, and the id
// of the element it is about, to which the line links; "" links nowhere.
type problem struct{ Target, Message string }

// formField names one field of a form for the error summary: its name in
// the service's field errors, the id of its element, and its label.
type formField struct{ Name, ID, Label string }

// summarize returns the error summary of the messages msgs (by field
// name), in the order of the form's fields, each line led by the field's
// label and linked to its element. A message about a field the form does
// not know is listed last, unlinked, so that no refusal goes unsaid.
func summarize(msgs map[string]string, fields ...formField) []problem {
	var out []problem
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Name] = true
		if m := msgs[f.Name]; m != "" {
			out = append(out, problem{Target: f.ID, Message: f.Label + ": " + m})
		}
	}
	var rest []string
	for name := range msgs {
		if !known[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, problem{Message: msgs[name]})
	}
	return out
}
