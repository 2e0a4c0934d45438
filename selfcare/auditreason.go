package selfcare

import (
	"errors"
	"strings"
)

// auditReason says in one line why err refused a change, for the Detail
// of an audit event: the sentences the person was shown, not the Go
// error chain. A [*ValidationError] gives its fields and messages, a
// [*DestinationError] its message; any other error its text with the
// package prefixes taken out. Joined errors (errors.Join puts a line
// break between them) become one line, so that the trail stays one
// event per line for whoever reads or greps it.
func auditReason(err error) string {
	if err == nil {
		return ""
	}
	var v *ValidationError
	if errors.As(err, &v) && len(v.Fields) > 0 {
		parts := make([]string, len(v.Fields))
		for i, f := range v.Fields {
			parts[i] = f.Field + ": " + oneLine(f.Message)
		}
		return strings.Join(parts, "; ")
	}
	var de *DestinationError
	if errors.As(err, &de) && de.Message != "" {
		return oneLine(de.Message)
	}
	msg := err.Error()
	for _, prefix := range []string{"selfcare: ", "params: ", "acl: ", "onboarding: "} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	return oneLine(msg)
}

// oneLine joins the non-empty lines of s with "; ".
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var parts []string
	for line := range strings.FieldsFuncSeq(s, func(r rune) bool {
		return r == '\n' || r == '\r'
	}) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}
