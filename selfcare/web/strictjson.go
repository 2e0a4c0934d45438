package web

import (
	"errors"
	"strings"

	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// Every JSON body the API reads goes through strictjson, at every depth:
// member names exactly as documented, each once, null only where the
// member may be absent. The refusal names the member by its path in the
// body, so that a client sees which of its members was not taken.

// decodeStrict decodes body into v, refusing with a 400 that names the
// member at fault.
func decodeStrict(body []byte, v any) error {
	return bodyError(strictjson.Decode(body, v))
}

// bodyError makes err, a refusal of a body's JSON, a 400; nil stays nil.
func bodyError(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(errBadRequest, err)
}

// within places err, found in the member at path of a body, at its place
// in the whole body, as a 400.
func within(path string, err error) error {
	return bodyError(strictjson.Within(path, err))
}

// memberError refuses the member at path for reason, as a 400 whose
// message names it.
func memberError(path, reason string) error {
	return bodyError(&strictjson.Error{Path: path, Reason: reason})
}

// jsonDetail shows a client which member of its body was refused, and
// why; the other 400s keep the table's message, since their detail may
// name the portal's Go types.
func jsonDetail(err error, ae *apiError) {
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return
	}
	what := se.Path
	if what == "" {
		what = "the body"
	}
	ae.Message = strings.TrimSuffix(ae.Message, ".") + ": " + what + " " + se.Reason + "."
}
