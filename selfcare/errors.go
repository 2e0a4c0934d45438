package selfcare

import (
	"errors"
	"strings"
)

// Errors returned by the [Service]. Callers decide with [errors.Is]; the web
// layer maps each one to a status and a message.
var (
	// ErrLoginFailed is the one refusal that [Service.Login] gives, whatever
	// the real cause, so that a caller cannot tell an unknown user from a
	// wrong password, a locked account or a throttled address.
	ErrLoginFailed = errors.New("selfcare: user ID or password is not correct")
	// ErrUnauthenticated means a missing, unknown or expired session.
	ErrUnauthenticated = errors.New("selfcare: not logged in")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = errors.New("selfcare: not allowed")
	// ErrPasswordChangeRequired means the user must change their password
	// before anything else.
	ErrPasswordChangeRequired = errors.New("selfcare: password must be changed first")
	// ErrWrongPassword is returned by the credential changes when the
	// current password does not match.
	ErrWrongPassword = errors.New("selfcare: current password is not correct")
	// ErrLocked is returned, together with ErrWrongPassword, by the credential
	// changes of a logged-in user whose account is locked out. Login never
	// returns it.
	ErrLocked = errors.New("selfcare: account is locked, try again later")
	// ErrBusy means the caller's context ended while waiting for a hashing
	// slot: the server is saturated with password checks.
	ErrBusy = errors.New("selfcare: too many requests, try again later")
	// ErrInvalid marks bad input; a [*ValidationError] matches it.
	ErrInvalid = errors.New("selfcare: invalid input")
	// ErrBadHash means a stored credential hash cannot be parsed.
	ErrBadHash = errors.New("selfcare: malformed credential hash")
)

// FieldError is one bad field of a request.
type FieldError struct {
	// Field names the input, such as "newPassword" or "newPin".
	Field string
	// Message is a sentence for a person. It never repeats a secret.
	Message string
}

// ValidationError lists every bad field of a request. errors.Is(err,
// [ErrInvalid]) is true for it.
type ValidationError struct {
	Fields []FieldError
}

// Error joins the field messages.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// add records one problem with a field.
func (e *ValidationError) add(field, msg string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: msg})
}

// err returns e when it holds a problem, or nil, so that callers can write
// `return v.err()` without a typed-nil interface.
func (e *ValidationError) err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}
