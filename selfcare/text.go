package selfcare

import (
	"strings"
	"unicode"
)

// Text that people type and others read: phone descriptions, line and
// speed dial labels, contact names, service names.
//
// Such text must look like what it holds. Three checks share the
// characters below, so that every field draws the same line:
//
//   - invisibleRune: a character that shows nothing or something other
//     than itself, refused anywhere: controls, format characters
//     (zero-width, bidirectional overrides), private use, line and
//     paragraph separators, and the default-ignorable fillers (Hangul
//     fillers U+115F, U+1160, U+3164, U+FFA0), which fonts draw as blank
//     letters.
//   - blankText: text that shows nothing once blank characters are set
//     aside (Unicode White_Space, the fillers, variation selectors and the
//     blank braille pattern U+2800) counts as empty, so a required field
//     refuses it and an optional one asks for it to be cleared.
//   - edgeBlank: text that starts or ends with a blank character is
//     refused rather than trimmed. Trimming would store something other
//     than what was sent, and the API and the page would disagree with
//     what the client shows; a refusal names the field and the fix.

// invisibleRune reports a character refused anywhere in typed text.
func invisibleRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Co, unicode.Zl,
		unicode.Zp, unicode.Other_Default_Ignorable_Code_Point)
}

// blankRune reports a character that draws nothing visible on its own.
func blankRune(r rune) bool {
	return r == '\u2800' || unicode.In(r, unicode.White_Space, unicode.Cf,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// blankText reports whether s shows nothing: it is empty or every
// character is blank.
func blankText(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return !blankRune(r) })
}

// edgeBlank reports whether s starts or ends with a blank character.
func edgeBlank(s string) bool {
	return strings.TrimFunc(s, blankRune) != s
}
