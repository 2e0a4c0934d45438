package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
)

const (
	annContacts     = "/ucmuser/api/v1/phones/SEPANN/contacts"
	benContacts     = "/ucmuser/api/v1/phones/SEPBEN/contacts"
	contactFormType = "application/x-www-form-urlencoded"
)

// contactJSON is a contact as the API answers it.
type contactJSON struct {
	ID, Device, FirstName, LastName, Nickname, Company, Email string
	Methods                                                   []struct{ Type, Number string }
	Version                                                   int64
}

// contactPost sends a JSON body with POST.
func (b *browser) contactPost(path, body string) response {
	b.tb.Helper()
	return b.do("POST", path, "application/json", body)
}

// contactDelete sends DELETE with the If-Match value, unless it is "-".
func (b *browser) contactDelete(path, ifMatch string) response {
	b.tb.Helper()
	var hdr []string
	if ifMatch != "-" {
		hdr = []string{"If-Match", ifMatch}
	}
	return b.do("DELETE", path, "", "", hdr...)
}

// decodeContact reads a contact answer.
func decodeContact(tb testing.TB, res response) contactJSON {
	tb.Helper()
	var c contactJSON
	if err := json.Unmarshal(res.Body, &c); err != nil {
		tb.Fatalf("contact %q: %v", res.Body, err)
	}
	return c
}

// mustCreateContact adds a contact through the API and fails on an error.
func mustCreateContact(tb testing.TB, b *browser, path, body string) contactJSON {
	tb.Helper()
	res := b.contactPost(path, body)
	if res.StatusCode != 201 {
		tb.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	return decodeContact(tb, res)
}

func TestContactsAPI(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")

	res := ann.get(annContacts)
	if res.StatusCode != 200 || string(res.Body) !=
		`{"device":"SEPANN","limit":200,"contacts":[]}`+"\n" {
		t.Fatalf("fresh list: %d %s", res.StatusCode, res.Body)
	}
	res = ann.contactPost(annContacts, `{"firstName":"Ada","lastName":"Lovelace",`+
		`"company":"Analytical","email":"ada@example.com","methods":[`+
		`{"type":"mobile","number":"+447700900123"},{"type":"work","number":"4031"}]}`)
	c := decodeContact(t, res)
	if res.StatusCode != 201 || res.Header.Get("ETag") != `"1"` || c.Version != 1 ||
		res.Header.Get("Location") != annContacts+"/"+c.ID || len(c.Methods) != 2 ||
		c.Methods[0].Type != "mobile" || c.Device != "SEPANN" {
		t.Fatalf("create: %d %v %s", res.StatusCode, res.Header, res.Body)
	}
	item := annContacts + "/" + c.ID
	if res = ann.get(item); res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` ||
		decodeContact(t, res).Email != "ada@example.com" {
		t.Fatalf("read: %d %s", res.StatusCode, res.Body)
	}

	// Absent members stay, null empties, a value sets; methods go whole.
	res = ann.patch(item, `"1"`, `{"email":null,"nickname":"Countess",`+
		`"methods":[{"type":"home","number":"ada@example.org"}]}`)
	got := decodeContact(t, res)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"2"` || got.Email != "" ||
		got.Nickname != "Countess" || got.LastName != "Lovelace" ||
		len(got.Methods) != 1 || got.Methods[0].Number != "ada@example.org" {
		t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
	}
	for _, c := range []struct {
		name   string
		res    response
		status int
		code   string
	}{
		{"PATCH without If-Match is 428", ann.patch(item, "-", `{"nickname":"x"}`), 428,
			"precondition_required"},
		{"a stale PATCH is 409", ann.patch(item, `"1"`, `{"nickname":"x"}`), 409,
			"version_conflict"},
		{"PATCH as plain JSON is 415", ann.do("PATCH", item, "application/json",
			`{"nickname":"x"}`, "If-Match", `"2"`), 415, "unsupported_media_type"},
		{"DELETE without If-Match is 428", ann.contactDelete(item, "-"), 428,
			"precondition_required"},
		{"a stale DELETE is 409", ann.contactDelete(item, `"1"`), 409, "version_conflict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.res.StatusCode != c.status || errCode(t, c.res) != c.code {
				t.Errorf("%d %s, want %d %s", c.res.StatusCode, c.res.Body, c.status,
					c.code)
			}
		})
	}
	if res = ann.get(item); decodeContact(t, res).Version != 2 {
		t.Fatalf("a refused request changed the contact: %s", res.Body)
	}
	if res = ann.contactDelete(item, `"2"`); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.get(item); res.StatusCode != 404 {
		t.Errorf("deleted contact: %d %s", res.StatusCode, res.Body)
	}
}

func TestContactsAPIRefusesBadInput(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	c := mustCreateContact(t, ann, annContacts, `{"firstName":"Ada"}`)
	item := annContacts + "/" + c.ID

	cases := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"no name is 400", `{"firstName":null,"email":"a@example.com"}`, 400, "invalid", "firstName"},
		{"a name with a line break is 400", `{"firstName":"A\nB"}`, 400, "invalid",
			"firstName"},
		{"a name of 65 characters is 400", `{"lastName":"` + strings.Repeat("x", 65) +
			`"}`, 400, "invalid", "lastName"},
		{"a bidi override is 400", `{"company":"a\u202eb"}`, 400, "invalid", "company"},
		{"a bad e-mail is 400", `{"firstName":"A","email":"a@b@c"}`, 400, "invalid",
			"email"},
		{"spaces in a number are 400", `{"firstName":"A","methods":[{"type":"work",` +
			`"number":"408 555 0100"}]}`, 400, "invalid", "methods[0].number"},
		{"a missing type is 400", `{"firstName":"A","methods":[{"number":"4031"}]}`, 400,
			"invalid", "methods[0].type"},
		{"six numbers are 400", `{"firstName":"A","methods":[` + strings.Repeat(
			`{"type":"work","number":"4031"},`, 5) + `{"type":"work","number":"4031"}]}`,
			400, "invalid", "methods"},
		{"an unknown type is 400", `{"firstName":"A","methods":[{"type":"fax",` +
			`"number":"4031"}]}`, 400, "bad_request", ""},
		{"an unknown member is 400", `{"firstName":"A","birthday":"1815-12-10"}`, 400,
			"bad_request", ""},
		{"an unknown member of a number is 400", `{"firstName":"A","methods":[` +
			`{"type":"work","number":"4031","speedDial":1}]}`, 400, "bad_request", ""},
		{"a name as a number is 400", `{"firstName":7}`, 400, "bad_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, res := range []response{ann.contactPost(annContacts, c.body),
				ann.patch(item, `"1"`, c.body)} {
				if res.StatusCode != c.status || errCode(t, res) != c.code {
					t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status,
						c.code)
				}
				if c.field == "" {
					continue
				}
				f := fieldErrors(t, res)
				if len(f) != 1 || !strings.HasPrefix(f[0], c.field+": ") {
					t.Errorf("fields %q, want one for %s", f, c.field)
				}
			}
		})
	}

	// Members the server sets are refused by name, in both requests.
	for _, m := range []string{"id", "device", "version", "owner"} {
		body := `{"firstName":"A","` + m + `":"x"}`
		for _, res := range []response{ann.contactPost(annContacts, body),
			ann.patch(item, `"1"`, body)} {
			if f := fieldErrors(t, res); res.StatusCode != 400 || len(f) != 1 ||
				!strings.HasPrefix(f[0], m+": ") {
				t.Errorf("%s: %d %s", m, res.StatusCode, res.Body)
			}
		}
	}

	list := ann.get(annContacts)
	if n := strings.Count(string(list.Body), `"id":`); n != 1 ||
		decodeContact(t, ann.get(item)).Version != 1 {
		t.Errorf("refused requests stored something: %s", list.Body)
	}
}

// TestContactsOfAnotherUserAreNotFound has ben try every endpoint on
// ann's phone and contact; each answer must be the one for a phone or a
// contact that does not exist, and ann's contacts stay as they were.
func TestContactsOfAnotherUserAreNotFound(t *testing.T) {
	s := newForwardingSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	mine := mustCreateContact(t, ann, annContacts, `{"firstName":"Ada",`+
		`"methods":[{"type":"work","number":"4031"}]}`)
	mustCreateContact(t, ben, benContacts, `{"firstName":"Ben's"}`)
	before := ann.get(annContacts)

	const ghost = "0123456789abcdef"
	patch := `{"firstName":"Mallory"}`
	for _, c := range []struct {
		name          string
		theirs, ghost func() response
	}{
		{"listing ann's phone",
			func() response { return ben.get(annContacts) },
			func() response { return ben.get("/ucmuser/api/v1/phones/SEPNONE/contacts") }},
		{"adding to ann's phone",
			func() response { return ben.contactPost(annContacts, patch) },
			func() response {
				return ben.contactPost("/ucmuser/api/v1/phones/SEPNONE/contacts", patch)
			}},
		{"reading ann's contact",
			func() response { return ben.get(annContacts + "/" + mine.ID) },
			func() response { return ben.get(annContacts + "/" + ghost) }},
		{"reading ann's contact through ben's phone",
			func() response { return ben.get(benContacts + "/" + mine.ID) },
			func() response { return ben.get(benContacts + "/" + ghost) }},
		{"patching ann's contact",
			func() response { return ben.patch(annContacts+"/"+mine.ID, `"1"`, patch) },
			func() response { return ben.patch(annContacts+"/"+ghost, `"1"`, patch) }},
		{"patching ann's contact through ben's phone",
			func() response { return ben.patch(benContacts+"/"+mine.ID, `"1"`, patch) },
			func() response { return ben.patch(benContacts+"/"+ghost, `"1"`, patch) }},
		{"deleting ann's contact",
			func() response { return ben.contactDelete(annContacts+"/"+mine.ID, `"1"`) },
			func() response { return ben.contactDelete(annContacts+"/"+ghost, `"1"`) }},
		{"deleting ann's contact through ben's phone",
			func() response { return ben.contactDelete(benContacts+"/"+mine.ID, `"1"`) },
			func() response { return ben.contactDelete(benContacts+"/"+ghost, `"1"`) }},
	} {
		t.Run(c.name+" answers as for one that does not exist", func(t *testing.T) {
			theirs, missing := c.theirs(), c.ghost()
			if theirs.StatusCode != 404 || missing.StatusCode != 404 ||
				string(theirs.Body) != string(missing.Body) {
				t.Errorf("ann's: %d %s; missing: %d %s", theirs.StatusCode, theirs.Body,
					missing.StatusCode, missing.Body)
			}
		})
	}

	// The page: reading, and each form posted at ann's phone or contact.
	pageCases := []struct {
		name string
		res  response
	}{
		{"the page of ann's phone", ben.get("/ucmuser/contacts?device=SEPANN")},
		{"editing ann's contact on ben's phone",
			ben.get("/ucmuser/contacts?device=SEPBEN&edit=" + mine.ID)},
	}
	for _, form := range []url.Values{
		{"action": {"add"}, "device": {"SEPANN"}, "firstName": {"Planted"}},
		{"action": {"save"}, "device": {"SEPANN"}, "id": {mine.ID}, "version": {"1"},
			"firstName": {"Mallory"}},
		{"action": {"save"}, "device": {"SEPBEN"}, "id": {mine.ID}, "version": {"1"},
			"firstName": {"Mallory"}},
		{"action": {"delete"}, "device": {"SEPANN"}, "id": {mine.ID}, "version": {"1"}},
		{"action": {"delete"}, "device": {"SEPBEN"}, "id": {mine.ID}, "version": {"1"}},
	} {
		pageCases = append(pageCases, struct {
			name string
			res  response
		}{"posting " + form.Encode(), ben.do("POST", "/ucmuser/contacts", contactFormType,
			form.Encode())})
	}
	for _, c := range pageCases {
		t.Run(c.name+" is not found", func(t *testing.T) {
			if c.res.StatusCode != 404 {
				t.Errorf("%d %s", c.res.StatusCode, c.res.Body)
			}
		})
	}

	if after := ann.get(annContacts); string(after.Body) != string(before.Body) {
		t.Errorf("ann's contacts changed:\n%s\n%s", before.Body, after.Body)
	}
}

// TestContactsConcurrentPatchesOneWins sends two patches with the same
// If-Match at once: one is saved, the other is refused, and the stored
// contact is the winner's.
func TestContactsConcurrentPatchesOneWins(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	item := annContacts + "/" + mustCreateContact(t, ann, annContacts,
		`{"firstName":"Ada"}`).ID
	names := []string{"First", "Second"}
	results := make([]response, len(names))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			<-start
			results[i] = ann.patch(item, `"1"`, `{"nickname":"`+n+`"}`)
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, res := range results {
		switch res.StatusCode {
		case 200:
			if winner >= 0 {
				t.Fatalf("two winners: %s and %s", results[winner].Body, res.Body)
			}
			winner = i
		case 409:
		default:
			t.Fatalf("patch %d: %d %s", i, res.StatusCode, res.Body)
		}
	}
	if winner < 0 {
		t.Fatal("no patch won")
	}
	got := decodeContact(t, ann.get(item))
	if got.Nickname != names[winner] || got.Version != 2 {
		t.Errorf("stored %+v, want %s's nickname at version 2", got, names[winner])
	}
}

func TestContactsPage(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/contacts")
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, `<option value="SEPANN" selected>`) ||
		strings.Contains(body, "SEPBEN") || !strings.Contains(body, "no contacts yet") ||
		!strings.Contains(string(ann.get("/ucmuser/phones").Body),
			`href="/ucmuser/contacts"`) {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}
	post := func(form url.Values) response {
		return ann.do("POST", "/ucmuser/contacts", contactFormType, form.Encode())
	}
	blank := []string{"", "", "", "", ""}
	types := []string{"work", "mobile", "work", "work", "work"}

	// A refused add shows each message beside its field and in a summary,
	// keeps what was typed, and stores nothing.
	res := post(url.Values{"action": {"add"}, "device": {"SEPANN"},
		"email": {"not an address"}, "methodType": types,
		"methodNumber": {"", "079 123 45 67", "", "", ""}})
	body = string(res.Body)
	for _, want := range []string{
		`id="ct-new-first" name="firstName" value="" maxlength="64" autocomplete="off" ` +
			`aria-invalid="true" aria-describedby="ct-new-first-err"`,
		`<span class="field-error" id="ct-new-first-err">Enter a first name`,
		`aria-describedby="ct-new-email-err"`,
		`id="ct-new-number-1" name="methodNumber" value="079 123 45 67"`,
		`aria-describedby="ct-new-number-1-err"`,
		`<a href="#ct-new-number-1">Number 2: Spaces`,
		`class="error-summary"`, "The contact was not saved",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("refused add lacks %q", want)
		}
	}
	if res.StatusCode != 400 || strings.Contains(string(ann.get(annContacts).Body), `"id"`) {
		t.Fatalf("refused add: %d, stored %s", res.StatusCode, ann.get(annContacts).Body)
	}

	res = ann.followSaved(post(url.Values{"action": {"add"}, "device": {"SEPANN"},
		"firstName": {"<Ada>"}, "lastName": {"Lovelace"}, "methodType": types,
		"methodNumber": {"", "+447700900123", "", "", ""}}))
	body = string(res.Body)
	if res.StatusCode != 200 || !strings.Contains(body, "&lt;Ada&gt; Lovelace has been saved") ||
		!strings.Contains(body, "Mobile: &#43;447700900123") || strings.Contains(body, "<Ada>") {
		t.Fatalf("add: %d %s", res.StatusCode, body)
	}
	var list struct{ Contacts []contactJSON }
	if err := json.Unmarshal(ann.get(annContacts).Body, &list); err != nil ||
		len(list.Contacts) != 1 {
		t.Fatalf("stored: %+v, %v", list, err)
	}
	id := list.Contacts[0].ID

	// Edit: the form holds the stored values and the version.
	edit := ann.get("/ucmuser/contacts?device=SEPANN&edit=" + id)
	if !strings.Contains(string(edit.Body), `name="version" value="1"`) ||
		!strings.Contains(string(edit.Body), `value="Lovelace"`) {
		t.Fatalf("edit page: %d %s", edit.StatusCode, edit.Body)
	}
	save := url.Values{"action": {"save"}, "device": {"SEPANN"}, "id": {id},
		"version": {"1"}, "firstName": {"Ada"}, "lastName": {"King"},
		"methodType": types, "methodNumber": blank}
	if res = ann.followSaved(post(save)); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "Ada King has been saved") {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	// The same form again is stale: 409, and the values now stored.
	save.Set("lastName", "Byron")
	res = post(save)
	if res.StatusCode != 409 || !strings.Contains(string(res.Body), "changed elsewhere") ||
		!strings.Contains(string(res.Body), `value="King"`) ||
		!strings.Contains(string(res.Body), `name="version" value="2"`) {
		t.Fatalf("stale save: %d %s", res.StatusCode, res.Body)
	}
	del := url.Values{"action": {"delete"}, "device": {"SEPANN"}, "id": {id},
		"version": {"1"}}
	if res = post(del); res.StatusCode != 409 {
		t.Errorf("stale delete: %d", res.StatusCode)
	}
	del.Set("version", "2")
	if res = ann.followSaved(post(del)); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "has been deleted") ||
		!strings.Contains(string(res.Body), "no contacts yet") {
		t.Errorf("delete: %d %s", res.StatusCode, res.Body)
	}
}

func TestContactsLimit(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	// The site's service has the default limit; filling it over HTTP
	// shows the limit holds on the real path.
	for i := range 200 {
		res := ann.contactPost(annContacts, `{"firstName":"C`+string(rune('a'+i%26))+`"}`)
		if res.StatusCode != 201 {
			t.Fatalf("contact %d: %d %s", i, res.StatusCode, res.Body)
		}
	}
	res := ann.contactPost(annContacts, `{"firstName":"One too many"}`)
	if res.StatusCode != 409 || errCode(t, res) != "limit_reached" {
		t.Errorf("over the limit: %d %s", res.StatusCode, res.Body)
	}
	page := ann.get("/ucmuser/contacts")
	if !strings.Contains(string(page.Body), "200 of at most 200") ||
		strings.Contains(string(page.Body), `value="add"`) {
		t.Errorf("full page still offers the add form")
	}
	form := url.Values{"action": {"add"}, "device": {"SEPANN"}, "firstName": {"X"}}
	if res = ann.do("POST", "/ucmuser/contacts", contactFormType, form.Encode()); res.StatusCode !=
		409 || !strings.Contains(string(res.Body), "the most it may keep") {
		t.Errorf("add on a full phone by form: %d", res.StatusCode)
	}
}

func TestContactsGate(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	item := annContacts + "/" + mustCreateContact(t, ann, annContacts,
		`{"firstName":"Ada"}`).ID
	s.setParam(params.KeyShowPhoneContacts, "false")
	for _, res := range []response{ann.get(annContacts), ann.get(item),
		ann.contactPost(annContacts, `{"firstName":"B"}`),
		ann.patch(item, `"1"`, `{"firstName":"B"}`), ann.contactDelete(item, `"1"`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowPhoneContacts) {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get("/ucmuser/contacts"); res.StatusCode != 403 {
		t.Errorf("hidden page: %d", res.StatusCode)
	}
	form := url.Values{"action": {"add"}, "device": {"SEPANN"}, "firstName": {"X"}}
	if res := ann.do("POST", "/ucmuser/contacts", contactFormType, form.Encode()); res.StatusCode !=
		403 {
		t.Errorf("hidden page POST: %d", res.StatusCode)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="/ucmuser/contacts"`) {
		t.Error("navigation still offers the hidden page")
	}
}
