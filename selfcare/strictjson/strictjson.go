// Package strictjson decodes JSON that a person or a program sends to the
// portal, holding it to the names of the Go type it fills.
//
// encoding/json is forgiving where the portal must not be: it matches
// member names without regard to case, keeps the last of two members
// with the same name, drops unknown members, and reads null into a bool
// or a string as "leave it alone". A body such as
// {"allowed":false,"Allowed":true} then means the opposite of what a
// reviewer reads first. [Decode] refuses all of these, at every depth,
// and says where: each refusal is an [*Error] whose Path names the
// member, such as classes[2].Allowed.
//
// Types that decode themselves (json.Unmarshaler, encoding.TextUnmarshaler)
// are leaves: their names are theirs to judge, but a member repeated
// inside them is still refused, since no value of the portal's API has
// one.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// MaxDepth is how deeply objects and lists may nest. The portal's bodies
// nest a few levels; the bound keeps a body of a million brackets from
// growing the stack instead of being refused.
const MaxDepth = 64

// Error is one way a JSON text breaks the rules: where, and why.
type Error struct {
	// Path names the member, such as speedDials[0].destination; it is
	// empty when the whole text is meant.
	Path string
	// Reason completes the sentence that starts with the path, such as
	// "appears twice".
	Reason string
}

func (e *Error) Error() string {
	subject := e.Path
	if subject == "" {
		subject = "the JSON value"
	}
	return subject + " " + e.Reason
}

// Within places err, found in a member taken out of a larger text, at path
// in that text: Within("methods[1]", err) turns "number appears twice"
// into "methods[1].number appears twice". Other errors, and nil, are
// returned unchanged.
func Within(path string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	full := path + "." + e.Path
	switch {
	case e.Path == "":
		full = path
	case path == "" || strings.HasPrefix(e.Path, "["):
		full = path + e.Path
	}
	return &Error{Path: full, Reason: e.Reason}
}

// Decode decodes data, one JSON value, into v, a non-nil pointer, after
// checking it against v's type: member names exactly as the json tags
// spell them, no unknown member, no member twice (in maps too), null only
// where the Go type can hold it (pointers, slices, maps, interfaces and
// types that decode themselves), each value of its field's JSON type,
// nothing after the value. A refusal is an [*Error]; v is then left alone.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictjson: Decode needs a non-nil pointer, not %T", v)
	}
	w := newWalker(data)
	if err := w.value(rv.Type().Elem(), "", 0); err != nil {
		return err
	}
	if err := w.end(); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The walk checks what encoding/json checks; reaching here means
		// a case it does not know, refused all the same.
		return &Error{Reason: "cannot be read: " + trimJSON(err)}
	}
	return nil
}

// Members checks that data is one JSON object whose member names are all
// in known, exactly, none twice and none repeated inside the values
// either, and returns the members undecoded, for a merge patch to tell an
// absent member from a null one. A refusal is an [*Error].
func Members(data []byte, known map[string]bool) (map[string]json.RawMessage, error) {
	w := newWalker(data)
	tok, err := w.token("", 0)
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, &Error{Reason: "must be an object"}
	}
	out := map[string]json.RawMessage{}
	for w.dec.More() {
		name, err := w.key("")
		if err != nil {
			return nil, err
		}
		path := joinPath("", name)
		if !known[name] {
			return nil, unknown(path, name, func(yield func(string) bool) {
				for k := range known {
					if !yield(k) {
						return
					}
				}
			})
		}
		if _, ok := out[name]; ok {
			return nil, &Error{Path: path, Reason: "appears twice"}
		}
		start := w.dec.InputOffset()
		if err := w.value(nil, path, 1); err != nil {
			return nil, err
		}
		out[name] = w.raw(start)
	}
	if _, err := w.token("", 0); err != nil { // the closing brace
		return nil, err
	}
	return out, w.end()
}

// walker reads a JSON text token by token alongside the Go type it fills.
type walker struct {
	data []byte
	dec  *json.Decoder
	// started is set once a token was read, after which the end of the
	// text means one cut short rather than none sent.
	started bool
}

func newWalker(data []byte) *walker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &walker{data: data, dec: dec}
}

// end refuses anything but white space after the value.
func (w *walker) end() error {
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Reason: "must be followed by nothing"}
	}
	return nil
}

func (w *walker) token(path string, depth int) (json.Token, error) {
	if depth > MaxDepth {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("nests deeper than %d levels",
			MaxDepth)}
	}
	tok, err := w.dec.Token()
	switch {
	case errors.Is(err, io.EOF) && w.started:
		return nil, &Error{Path: path, Reason: "is not valid JSON: the text ends early"}
	case errors.Is(err, io.EOF):
		return nil, &Error{Path: path, Reason: "is missing"}
	case err != nil:
		return nil, &Error{Path: path, Reason: "is not valid JSON: " + trimJSON(err)}
	}
	w.started = true
	return tok, nil
}

// key reads a member name inside an object at path.
func (w *walker) key(path string) (string, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return "", &Error{Path: path, Reason: "is not valid JSON: " + trimJSON(err)}
	}
	name, _ := tok.(string)
	return name, nil
}

// raw returns the text of the value that ended at the decoder's offset
// and began after start, without the separator and white space before it.
func (w *walker) raw(start int64) json.RawMessage {
	b := w.data[start:w.dec.InputOffset()]
	return bytes.TrimLeft(b, " \t\r\n:,")
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether encoding/json hands values of t to t's own
// method: the leaves of the walk.
func decodesItself(t reflect.Type) (jsonSelf, textSelf bool) {
	if t.Kind() == reflect.Interface {
		return false, false
	}
	pt := reflect.PointerTo(t)
	jsonSelf = t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler)
	textSelf = t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
	return jsonSelf, textSelf
}

// value walks one value that fills type t (nil: anything, checked only
// for repeated members) at path.
func (w *walker) value(t reflect.Type, path string, depth int) error {
	start := w.dec.InputOffset()
	tok, err := w.token(path, depth)
	if err != nil {
		return err
	}
	if t == nil {
		return w.rest(tok, nil, path, depth)
	}

	// A pointer reads null as nil and anything else as what it points to.
	for t.Kind() == reflect.Pointer {
		jsonSelf, textSelf := decodesItself(t)
		if jsonSelf || textSelf || tok == nil {
			break
		}
		t = t.Elem()
	}

	if jsonSelf, textSelf := decodesItself(t); jsonSelf || textSelf {
		return w.leaf(t, tok, start, path, depth, jsonSelf)
	}
	if tok == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return nil
		}
		return &Error{Path: path, Reason: "must not be null"}
	}

	switch t.Kind() {
	case reflect.Interface:
		return w.rest(tok, nil, path, depth)
	case reflect.Struct:
		if tok != json.Delim('{') {
			return w.wrongType(tok, "an object", path, depth)
		}
		return w.object(structFields(t), nil, path, depth)
	case reflect.Map:
		if tok != json.Delim('{') {
			return w.wrongType(tok, "an object", path, depth)
		}
		return w.object(nil, t.Elem(), path, depth)
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			if ji, ti := decodesItself(t.Elem()); !ji && !ti {
				return w.leaf(t, tok, start, path, depth, false)
			}
		}
		if tok != json.Delim('[') {
			return w.wrongType(tok, "a list", path, depth)
		}
		return w.list(t, path, depth)
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return w.wrongType(tok, "true or false", path, depth)
		}
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return w.wrongType(tok, "a string", path, depth)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); !ok || err != nil {
			return w.wrongType(tok, fmt.Sprintf("a whole number that fits in %d bits",
				t.Bits()), path, depth)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Uintptr:
		n, ok := tok.(json.Number)
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); !ok || err != nil {
			return w.wrongType(tok, fmt.Sprintf("a whole number from 0 that fits in "+
				"%d bits", t.Bits()), path, depth)
		}
	case reflect.Float32, reflect.Float64:
		n, ok := tok.(json.Number)
		if _, err := strconv.ParseFloat(string(n), t.Bits()); !ok || err != nil {
			return w.wrongType(tok, "a number", path, depth)
		}
	default:
		return &Error{Path: path, Reason: "cannot be sent in JSON"}
	}
	return nil
}

// wrongType refuses a value for its JSON type, after reading the rest of
// it so that the refusal is about this value and not a later syntax error.
func (w *walker) wrongType(tok json.Token, want, path string, depth int) error {
	if err := w.rest(tok, nil, path, depth); err != nil {
		return err
	}
	return &Error{Path: path, Reason: "must be " + want}
}

// leaf reads the rest of a value that t decodes itself, refusing members
// repeated inside it, then lets t judge the text.
func (w *walker) leaf(t reflect.Type, tok json.Token, start int64, path string,
	depth int, jsonSelf bool) error {
	if err := w.rest(tok, nil, path, depth); err != nil {
		return err
	}
	if tok == nil && !jsonSelf && !nullable(t) {
		return &Error{Path: path, Reason: "must not be null"}
	}
	if err := json.Unmarshal(w.raw(start), reflect.New(t).Interface()); err != nil {
		return &Error{Path: path, Reason: "is not valid: " + trimJSON(err)}
	}
	return nil
}

func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

// rest reads what remains of a value whose first token is tok, refusing
// members repeated in any object inside it. With fields, tok is an
// object's brace and its members must be among fields.
func (w *walker) rest(tok json.Token, elem reflect.Type, path string, depth int) error {
	switch tok {
	case json.Delim('{'):
		return w.object(nil, elem, path, depth)
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		_, err := w.token(path, depth)
		return err
	}
	return nil
}

// object reads the members of an object whose brace was read: those of a
// struct when fields is not nil, else those of a map of elem (nil: of
// anything).
func (w *walker) object(fields map[string]reflect.Type, elem reflect.Type, path string,
	depth int) error {
	seen := map[string]bool{}
	for w.dec.More() {
		name, err := w.key(path)
		if err != nil {
			return err
		}
		member := joinPath(path, name)
		t := elem
		if fields != nil {
			ft, ok := fields[name]
			if !ok {
				return unknown(member, name, func(yield func(string) bool) {
					for k := range fields {
						if !yield(k) {
							return
						}
					}
				})
			}
			t = ft
		}
		if seen[name] {
			return &Error{Path: member, Reason: "appears twice"}
		}
		seen[name] = true
		if err := w.value(t, member, depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path, depth) // the closing brace
	return err
}

func (w *walker) list(t reflect.Type, path string, depth int) error {
	n := 0
	for ; w.dec.More(); n++ {
		if t.Kind() == reflect.Array && n >= t.Len() {
			return &Error{Path: path, Reason: fmt.Sprintf("must have at most %d items",
				t.Len())}
		}
		if err := w.value(t.Elem(), path+"["+strconv.Itoa(n)+"]", depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path, depth) // the closing bracket
	return err
}

// unknown refuses the member name at path, suggesting the name it differs
// from only in case: the mistake encoding/json would have forgiven.
func unknown(path, name string, names func(yield func(string) bool)) error {
	best := ""
	for k := range names {
		// The least of several candidates, so that the message is stable.
		if strings.EqualFold(k, name) && (best == "" || k < best) {
			best = k
		}
	}
	if best == "" {
		return &Error{Path: path, Reason: "is not a member"}
	}
	return &Error{Path: path, Reason: "is not a member; did you mean " + best + "?"}
}

// structFields maps the JSON member names of struct type t to their
// types, as encoding/json finds them: tags name members, "-" hides a
// field, fields of an untagged embedded struct count as the outer
// struct's unless a shallower field has the name; two at the same depth
// cancel out unless exactly one is tagged. A ",string" field maps to nil.
func structFields(t reflect.Type) map[string]reflect.Type {
	type found struct {
		typ    reflect.Type
		depth  int
		tagged bool
		clash  bool
	}
	all := map[string]*found{}
	var walk func(t reflect.Type, depth int, visited map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, visited map[reflect.Type]bool) {
		if visited[t] {
			return
		}
		visited[t] = true
		defer delete(visited, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
				if name == "" && ft.Kind() == reflect.Struct {
					walk(ft, depth+1, visited)
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if !tagged {
				name = sf.Name
			}
			typ := sf.Type
			if hasOption(opts, "string") && quotable(sf.Type) {
				typ = nil
			}
			f := &found{typ: typ, depth: depth, tagged: tagged}
			prev, ok := all[name]
			switch {
			case !ok || depth < prev.depth:
				all[name] = f
			case depth == prev.depth && tagged && !prev.tagged:
				all[name] = f
			case depth == prev.depth && tagged == prev.tagged:
				prev.clash = true
			}
		}
	}
	walk(t, 0, map[reflect.Type]bool{})
	out := make(map[string]reflect.Type, len(all))
	for name, f := range all {
		if !f.clash {
			out[name] = f.typ
		}
	}
	return out
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// quotable reports whether encoding/json honours ",string" on type t.
func quotable(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int8, reflect.Int16,
		reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Uintptr, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// joinPath names member name of the value at path. A name that is not a
// plain word is quoted, so that a dot or a bracket in it, or a control
// character, cannot pass for structure; a long one is cut short.
func joinPath(path, name string) string {
	if !plain(name) {
		if len(name) > 64 {
			name = name[:64] + "..."
		}
		return path + "[" + strconv.Quote(name) + "]"
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func plain(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		ok := r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' ||
			r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// trimJSON drops encoding/json's "json: " prefix from err's text, which
// says nothing to the person who reads the refusal.
func trimJSON(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
