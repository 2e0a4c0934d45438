package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// Errors of the web layer itself; the service's errors are in selfcare.
var (
	errNoRoute     = errors.New("web: no such resource")
	errMethod      = errors.New("web: method not allowed")
	errMediaType   = errors.New("web: unsupported media type")
	errTooLarge    = errors.New("web: request body too large")
	errBadRequest  = errors.New("web: malformed request")
	errCrossOrigin = errors.New("web: cross-origin request refused")
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// apiError is what a client sees: a status, a stable code and a message a
// person can read.
type apiError struct {
	status  int
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []fieldError `json:"fields,omitempty"`
}

// fieldError is one bad field of a request, as the API names it.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusTable maps every error the handlers may return to what the client
// sees. Order matters only where one error wraps another.
var statusTable = []struct {
	err     error
	status  int
	code    string
	message string
}{
	{selfcare.ErrLoginFailed, http.StatusUnauthorized, "login_failed",
		"The user ID or password is not correct, or this account may not sign in."},
	{selfcare.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated",
		"Please sign in."},
	{selfcare.ErrPasswordChangeRequired, http.StatusForbidden, "password_change_required",
		"You must change your password before you continue."},
	{selfcare.ErrWrongPassword, http.StatusForbidden, "wrong_password",
		"The current password is not correct."},
	{selfcare.ErrForbidden, http.StatusForbidden, "forbidden",
		"You are not allowed to do this."},
	{errCrossOrigin, http.StatusForbidden, "cross_origin",
		"This request came from another site and was refused."},
	// Before ErrInvalid: it carries the field errors that name the entries.
	{selfcare.ErrPositionTaken, http.StatusConflict, "conflict", "It already exists."},
	{selfcare.ErrInvalid, http.StatusBadRequest, "invalid", "Some values are not valid."},
	{errFormParts, http.StatusBadRequest, "bad_form", formPartsMessage},
	{errBadRequest, http.StatusBadRequest, "bad_request", "The request is malformed."},
	{errMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Send the body as application/json in UTF-8."},
	{selfcare.ErrNotFound, http.StatusNotFound, "not_found", "Not found."},
	{errNoRoute, http.StatusNotFound, "not_found", "Not found."},
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed",
		"This method is not allowed here."},
	{selfcare.ErrExists, http.StatusConflict, "conflict", "It already exists."},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large", "The request is too large."},
	{selfcare.ErrBusy, http.StatusServiceUnavailable, "busy",
		"The server is busy. Try again in a moment."},
	{selfcare.ErrRateLimited, http.StatusTooManyRequests, "rate_limited",
		"Too many requests. Try again in a moment."},
	// Device activation (onboarding.go). A phone gets one answer for every
	// failure; another user's phone is not found, like a missing one.
	{onboarding.ErrRedeemFailed, http.StatusForbidden, "activation_failed",
		"The phone could not be activated. Check the code, or ask your administrator " +
			"for a new one."},
	{params.ErrFeatureHidden, http.StatusForbidden, "feature_hidden",
		"Your administrator has switched this feature off."},
	{selfcare.ErrActivationOff, http.StatusNotFound, "not_found", "Not found."},
	{onboarding.ErrNotFound, http.StatusNotFound, "not_found", "Not found."},
	{onboarding.ErrExists, http.StatusConflict, "conflict", "It already exists."},
	{onboarding.ErrInvalid, http.StatusBadRequest, "invalid", "Some values are not valid."},
	// Parameters, profiles and servers (params.go); paramsDetail names the
	// parameter in the message and the fields.
	{params.ErrInvalid, http.StatusBadRequest, "invalid", "Some values are not valid."},
	{params.ErrUnknown, http.StatusNotFound, "unknown_parameter", "No such parameter."},
	{params.ErrNotFound, http.StatusNotFound, "not_found", "Not found."},
	{params.ErrInUse, http.StatusConflict, "in_use", "It is still in use."},
	// Call forwarding (forwarding.go): versions in ETag and If-Match.
	{selfcare.ErrVersionConflict, http.StatusConflict, "version_conflict",
		"Someone else changed this since you read it; nothing was changed. " +
			"Read it again and repeat your change."},
	// Remote destinations (remotedest.go): the user's limit.
	{selfcare.ErrRemoteDestinationLimit, http.StatusConflict, "limit_reached",
		"You have as many additional phones as you may have; delete one first, " +
			"or ask your administrator for a higher limit."},
	// Phone contacts (contacts.go): the per-phone limit.
	{selfcare.ErrContactLimit, http.StatusConflict, "limit_reached",
		"This phone already has the most contacts it may keep; delete one first."},
	{errNoIfMatch, http.StatusPreconditionRequired, "precondition_required",
		"Send the ETag of the version you read in If-Match."},
	{errMergePatchType, http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Send the body as application/merge-patch+json in UTF-8."},
	{params.ErrConflict, http.StatusConflict, "conflict",
		"The parameters or servers kept changing while this change was made. " +
			"Reload them and try again."},
	// A store that keeps no such setting (selfcare.ErrDNDOff and the other
	// "keeps no" errors wrap errors.ErrUnsupported): the server cannot do
	// it, whoever asks, so it is neither the client's fault nor a failure.
	{errors.ErrUnsupported, http.StatusNotImplemented, "not_implemented",
		"This portal is not set up to keep this setting. Ask your administrator."},
}

// toAPIError looks err up in the table. An unknown error is an internal one,
// reported to the client without detail.
func toAPIError(err error) (apiError, bool) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errTooLarge
	}
	for _, e := range statusTable {
		if errors.Is(err, e.err) {
			ae := apiError{status: e.status, Code: e.code, Message: e.message}
			var ve *selfcare.ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					ae.Fields = append(ae.Fields, fieldError{f.Field, f.Message})
				}
			}
			jsonDetail(err, &ae)
			paramsDetail(err, &ae)
			return ae, true
		}
	}
	return apiError{status: http.StatusInternalServerError, Code: "internal",
		Message: "Something went wrong on the server."}, false
}

// writeError answers a failed request, in JSON for the API and as a plain
// page elsewhere. Only errors missing from the table are logged: the
// others are the client's, and the service already logged its own causes.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae, known := toAPIError(err)
	if !known {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ae.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	if ae.status == http.StatusUnauthorized && h.isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Cookie realm="selfcare"`)
	}
	if h.isAPI(r) {
		writeJSON(w, ae.status, struct {
			Error apiError `json:"error"`
		}{ae})
		return
	}
	h.render(w, r, ae.status, "error.html", pageData{Title: "Error", Error: ae.Message})
}

func (h *Handler) isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, h.cfg.Prefix+"api/")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// An encoding error here means the client went away; nothing to do.
	_ = json.NewEncoder(w).Encode(v)
}

// api adapts a handler that returns an error.
func (h *Handler) api(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// page adapts a page handler that returns an error; the same table decides
// the status.
func (h *Handler) page(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return h.api(fn)
}
