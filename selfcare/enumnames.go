package selfcare

import "fmt"

// The portal's small enumerations (ring settings, Do Not Disturb options,
// phone service kinds and the like) are uint8 values that the API and the
// forms name by a string, each from its own table. These three serve every
// table, so that a value without a name prints, marshals and parses the
// same way whatever its type.

// enumString returns v's name, or typ(v) for a value without one, so that
// a stray value still shows where it came from in a log.
func enumString[T ~uint8](names map[T]string, v T, typ string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("%s(%d)", typ, uint8(v))
}

// enumMarshal returns v's name. A value without one is an [ErrInvalid]
// naming what it is, rather than a number, which the API would not read
// back.
func enumMarshal[T ~uint8](names map[T]string, v T, what string) ([]byte, error) {
	if n, ok := names[v]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("selfcare: unknown %s %d: %w", what, uint8(v), ErrInvalid)
}

// enumUnmarshal sets *v to the value named b, or returns an [ErrInvalid]
// naming what it is; *v is left alone then.
func enumUnmarshal[T ~uint8](names map[T]string, v *T, b []byte, what string) error {
	for k, n := range names {
		if n == string(b) {
			*v = k
			return nil
		}
	}
	return fmt.Errorf("selfcare: unknown %s %q: %w", what, b, ErrInvalid)
}
