package strictjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// level is a name that decodes itself from text, as the portal's enums do.
type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("unknown level %q", b)
	}
	return nil
}

type entry struct {
	Position    int    `json:"position"`
	Destination string `json:"destination"`
	Label       string `json:"label,omitempty"`
	Hidden      string `json:"-"`
}

type Common struct {
	ID string `json:"id"`
}

type body struct {
	Common
	Entries []entry           `json:"entries"`
	Params  map[string]string `json:"params"`
	Nested  *struct {
		Allowed bool   `json:"allowed"`
		Level   level  `json:"level"`
		When    *int64 `json:"when"`
	} `json:"nested"`
	Raw   json.RawMessage `json:"raw"`
	Any   any             `json:"any"`
	Pair  [2]uint8        `json:"pair"`
	Ratio float32         `json:"ratio"`
	At    time.Time       `json:"at"`
	Untag bool
}

func TestDecodeRefusesWhatEncodingJSONForgives(t *testing.T) {
	for _, c := range []struct {
		name, in, want string // want: the error's text, "" for none
	}{
		// Bodies as documented pass.
		{"an empty object passes", `{}`, ""},
		{"every member once passes", `{"id":"a","entries":[{"position":1,` +
			`"destination":"2001","label":"x"}],"params":{"a":"1","b":"2"},` +
			`"nested":{"allowed":true,"level":"high","when":5},"raw":{"x":[1]},` +
			`"any":{"k":[true,null]},"pair":[1,2],"ratio":0.5,` +
			`"at":"2026-01-02T03:04:05Z","Untag":true}`, ""},
		{"white space around the value passes", " \n{ \"id\" : \"a\" }\t", ""},

		// Names: exact case, known, once.
		{"a case variant at the top is refused", `{"ID":"a"}`,
			"ID is not a member; did you mean id?"},
		{"a case variant in a nested object is refused",
			`{"nested":{"allowed":false,"Allowed":true}}`,
			"nested.Allowed is not a member; did you mean allowed?"},
		{"a case variant inside a list is refused",
			`{"entries":[{"position":3,"destination":"1","Destination":"2"}]}`,
			"entries[0].Destination is not a member; did you mean destination?"},
		{"a Unicode fold of a name is refused", `{"entrieſ":[]}`,
			`["entrieſ"] is not a member; did you mean entries?`},
		{"an unknown member is refused", `{"entries":[{"position":1,"foo":1}]}`,
			"entries[0].foo is not a member"},
		{"a hidden field is not a member", `{"entries":[{"Hidden":"x"}]}`,
			"entries[0].Hidden is not a member"},
		{"a member twice at the top is refused", `{"id":"a","id":"b"}`,
			"id appears twice"},
		{"a member twice in a nested object is refused",
			`{"nested":{"allowed":false,"allowed":true}}`, "nested.allowed appears twice"},
		{"a member twice inside a list is refused",
			`{"entries":[{},{"position":1,"position":2}]}`,
			"entries[1].position appears twice"},
		{"a key twice in a map is refused", `{"params":{"agentId":"1","agentId":"2"}}`,
			"params.agentId appears twice"},
		{"a key twice in raw JSON is refused", `{"raw":{"a":1,"a":2}}`,
			"raw.a appears twice"},
		{"a key twice under any is refused", `{"any":[{"a":1,"a":2}]}`,
			"any[0].a appears twice"},
		{"an odd name is quoted in the path", `{"params":{"a.b":"1","a.b":"2"}}`,
			`params["a.b"] appears twice`},

		// Null: where the Go type holds it.
		{"null for a pointer passes", `{"nested":null}`, ""},
		{"null for a slice passes", `{"entries":null}`, ""},
		{"null for a map passes", `{"params":null}`, ""},
		{"null for raw JSON passes", `{"raw":null}`, ""},
		{"null for a pointer inside passes", `{"nested":{"when":null}}`, ""},
		{"null for a bool is refused", `{"nested":{"allowed":null}}`,
			"nested.allowed must not be null"},
		{"null for a string in a map is refused", `{"params":{"a":null}}`,
			"params.a must not be null"},
		{"null for a text name is refused", `{"nested":{"level":null}}`,
			"nested.level must not be null"},
		{"null for the whole body is refused", `null`,
			"the JSON value must not be null"},

		// Types, named by path.
		{"a string for an int is refused", `{"entries":[{"position":"3"}]}`,
			"entries[0].position must be a whole number that fits in 64 bits"},
		{"a fraction for an int is refused", `{"entries":[{"position":1.5}]}`,
			"entries[0].position must be a whole number that fits in 64 bits"},
		{"a number for a string is refused", `{"id":7}`, "id must be a string"},
		{"an object for a bool is refused", `{"Untag":{"a":1}}`,
			"Untag must be true or false"},
		{"an out-of-range uint is refused", `{"pair":[1,256]}`,
			"pair[1] must be a whole number from 0 that fits in 8 bits"},
		{"too many items for an array are refused", `{"pair":[1,2,3]}`,
			"pair must have at most 2 items"},
		{"an unknown text name is refused", `{"nested":{"level":"medium"}}`,
			`nested.level is not valid: unknown level "medium"`},
		{"a bad time is refused", `{"at":"yesterday"}`, "at is not valid: "},
		{"a list for the body is refused", `[]`, "the JSON value must be an object"},

		// Syntax.
		{"nothing is refused", ``, "the JSON value is missing"},
		{"trailing data is refused", `{}{}`, "the JSON value must be followed by nothing"},
		{"a cut-short body is refused", `{"entries":[`, "is not valid JSON"},
		{"deep nesting is refused", `{"any":` + strings.Repeat("[", 100) +
			strings.Repeat("]", 100) + `}`, "nests deeper than 64 levels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got body
			err := strictjson.Decode([]byte(c.in), &got)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Decode(%s) = %v, want no error", c.in, err)
				}
				var loose body
				if err := json.Unmarshal([]byte(c.in), &loose); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(loose, got); d != "" {
					t.Errorf("Decode differs from encoding/json (-json +strict):\n%s", d)
				}
				return
			}
			var se *strictjson.Error
			if !errors.As(err, &se) {
				t.Fatalf("Decode(%s) = %v, want an *Error", c.in, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Decode(%s) = %q, want it to say %q", c.in, err, c.want)
			}
			if d := cmp.Diff(body{}, got); d != "" {
				t.Errorf("a refused text changed the value:\n%s", d)
			}
		})
	}
}

func TestDecodeNeedsAPointer(t *testing.T) {
	var b body
	err := strictjson.Decode([]byte(`{}`), b)
	var se *strictjson.Error
	if err == nil || errors.As(err, &se) {
		t.Fatalf("Decode into a struct value = %v, want a usage error", err)
	}
}

func TestMembersReturnsTheRawMembers(t *testing.T) {
	known := map[string]bool{"enabled": true, "rule": true}
	for _, c := range []struct {
		name, in string
		want     map[string]json.RawMessage
		err      string
	}{
		{"absent and null members are told apart", `{"enabled":null}`,
			map[string]json.RawMessage{"enabled": json.RawMessage("null")}, ""},
		{"a nested object is kept whole", `{"rule": {"a" : [1, 2]} , "enabled":true}`,
			map[string]json.RawMessage{"rule": json.RawMessage(`{"a" : [1, 2]}`),
				"enabled": json.RawMessage("true")}, ""},
		{"a case variant is refused", `{"Enabled":true}`, nil,
			"Enabled is not a member; did you mean enabled?"},
		{"an unknown member is refused", `{"pin":"1"}`, nil, "pin is not a member"},
		{"a member twice is refused", `{"enabled":true,"enabled":false}`, nil,
			"enabled appears twice"},
		{"a member twice inside a value is refused", `{"rule":{"a":1,"a":2}}`, nil,
			"rule.a appears twice"},
		{"a list is refused", `[]`, nil, "the JSON value must be an object"},
		{"trailing data is refused", `{} 1`, nil, "must be followed by nothing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := strictjson.Members([]byte(c.in), known)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Members(%s) = %v, want %q", c.in, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("Members(%s) (-want +got):\n%s", c.in, d)
			}
		})
	}
}

func TestWithinPlacesTheErrorInItsBody(t *testing.T) {
	for _, c := range []struct {
		name, path string
		err        error
		want       string
	}{
		{"a member of a member", "methods[1]", &strictjson.Error{Path: "number",
			Reason: "appears twice"}, "methods[1].number appears twice"},
		{"an item of a member", "schedule", &strictjson.Error{Path: "[0].day",
			Reason: "must not be null"}, "schedule[0].day must not be null"},
		{"the member itself", "parameters", &strictjson.Error{Reason: "must be an object"},
			"parameters must be an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strictjson.Within(c.path, c.err).Error(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if strictjson.Within("x", nil) != nil {
		t.Error("Within(nil) is not nil")
	}
	other := errors.New("other")
	if strictjson.Within("x", other) != other {
		t.Error("Within changed an error that is not an *Error")
	}
}

func ExampleDecode() {
	var policy struct {
		Classes []struct {
			Name    string `json:"name"`
			Allowed bool   `json:"allowed"`
		} `json:"classes"`
	}
	in := `{"classes":[{"name":"emergency","allowed":false,"Allowed":true}]}`
	fmt.Println(strictjson.Decode([]byte(in), &policy))
	// Output: classes[0].Allowed is not a member; did you mean allowed?
}
