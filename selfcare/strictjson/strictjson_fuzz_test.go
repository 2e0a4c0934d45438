package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// FuzzDecode holds Decode to its promises on any text: it never accepts
// what encoding/json refuses, decodes what it accepts exactly as
// encoding/json does, accepts no text with a repeated member, and refuses
// only with an *Error.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"id":"a","id":"b"}`, `{"ID":"a"}`,
		`{"entries":[{"position":3,"destination":"2001","Destination":"2002"}]}`,
		`{"params":{"agentId":"1","agentId":"2"}}`,
		`{"nested":{"allowed":false,"Allowed":true,"level":"low","when":null}}`,
		`{"raw":{"a":[1,{"b":2}]},"any":[null,true,"x",1e3],"pair":[1,2]}`,
		`{"ratio":1e40}`, `{"at":"2026-01-02T03:04:05Z","Untag":false}`,
		`{"entrie\u017f":[]}`, `{"id":"\ud800"}`, `{"params":{"":"x"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict body
		err := strictjson.Decode(data, &strict)
		if err != nil {
			var se *strictjson.Error
			if !errors.As(err, &se) {
				t.Fatalf("Decode(%q) refused with %T %v, not an *Error", data, err, err)
			}
			if d := cmp.Diff(body{}, strict); d != "" {
				t.Fatalf("Decode(%q) refused but changed the value:\n%s", data, d)
			}
			return
		}

		var loose body
		if err := json.Unmarshal(data, &loose); err != nil {
			t.Fatalf("Decode(%q) accepted what encoding/json refuses: %v", data, err)
		}
		if d := cmp.Diff(loose, strict); d != "" {
			t.Fatalf("Decode(%q) differs from encoding/json (-json +strict):\n%s", data, d)
		}
		if name, ok := repeatedMember(data); ok {
			t.Fatalf("Decode(%q) accepted %q twice in one object", data, name)
		}

		// What the portal writes back, it must read again.
		out, err := json.Marshal(strict)
		if err != nil {
			return // a float out of range for JSON, say
		}
		var again body
		if err := strictjson.Decode(out, &again); err != nil {
			t.Fatalf("Decode refuses its own output %s: %v", out, err)
		}
	})
}

// repeatedMember finds a member name that appears twice in one object,
// by a plain walk that knows nothing of Go types.
func repeatedMember(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		seen   map[string]bool
		keyNow bool // the next string is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		name, isString := tok.(string)
		if isString && top != nil && top.object && top.keyNow {
			if top.seen[name] {
				return name, true
			}
			top.seen[name] = true
			top.keyNow = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, seen: map[string]bool{},
				keyNow: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a member name comes next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].keyNow = true
		}
	}
}
