package web_test

import (
	"bytes"
	"cmp"
	"context"
	encjson "encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// servedOpenAPI fetches the document from h, without a session, and loads
// and validates it.
func servedOpenAPI(tb testing.TB, h http.Handler, prefix string) *openapi3.T {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", prefix+"api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" ||
		rec.Header().Get("Cache-Control") != "no-store" {
		tb.Fatalf("GET openapi.json: %d %v %.200s", rec.Code, rec.Header(), rec.Body)
	}
	return loadOpenAPI(tb, rec.Body.Bytes())
}

func loadOpenAPI(tb testing.TB, data []byte) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		tb.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

func newPlainHandler(tb testing.TB, cfg web.Config) http.Handler {
	tb.Helper()
	h, err := web.New(selfcare.New(memstore.New(), selfcare.Config{}), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestOpenAPIDocumentIsServedAndValid(t *testing.T) {
	cases := []struct {
		name                 string
		cfg                  web.Config
		server, cookie, admC string
	}{
		{"default prefix", web.Config{}, "/ucmuser/api/v1",
			web.DefaultCookieName, web.AdminCookieName},
		{"server follows the prefix", web.Config{Prefix: "/phones/self/"},
			"/phones/self/api/v1", web.DefaultCookieName, web.AdminCookieName},
		{"cookie names follow Secure", web.Config{Secure: true}, "/ucmuser/api/v1",
			"__Host-" + web.DefaultCookieName, "__Host-" + web.AdminCookieName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := c.cfg.Prefix
			if prefix == "" {
				prefix = web.DefaultPrefix
			}
			doc := servedOpenAPI(t, newPlainHandler(t, c.cfg), prefix)
			if len(doc.Servers) != 1 || doc.Servers[0].URL != c.server {
				t.Errorf("servers %v, want one at %s", doc.Servers, c.server)
			}
			schemes := doc.Components.SecuritySchemes
			if got := schemes["session"].Value.Name; got != c.cookie {
				t.Errorf("session cookie %q, want %q", got, c.cookie)
			}
			if got := schemes["adminSession"].Value.Name; got != c.admC {
				t.Errorf("admin cookie %q, want %q", got, c.admC)
			}
			if doc.Paths.Value("/openapi.json") == nil || doc.Paths.Len() < 20 {
				t.Errorf("only %d paths", doc.Paths.Len())
			}
		})
	}
}

func TestOpenAPIMergeRefusesClashes(t *testing.T) {
	base, err := fs.ReadFile(web.OpenAPIFragments, "openapi/base.json")
	if err != nil {
		t.Fatal(err)
	}
	frag := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name  string
		files map[string]string
		want  string // in the error; "" for success
	}{
		{"two fragments merge", map[string]string{
			"openapi/a.json":     `{"paths":{"/a":{}},"components":{"schemas":{"A":{}}}}`,
			"openapi/sub/b.json": `{"paths":{"/b":{}},"components":{"schemas":{"B":{}}}}`},
			""},
		{"same path twice names both files", map[string]string{
			"openapi/a.json":     `{"paths":{"/a":{}}}`,
			"openapi/sub/b.json": `{"paths":{"/a":{}}}`},
			`paths "/a" is defined in both openapi/a.json and openapi/sub/b.json`},
		{"same schema twice names both files", map[string]string{
			"openapi/a.json": `{"components":{"schemas":{"A":{}}}}`,
			"openapi/b.json": `{"components":{"schemas":{"A":{}}}}`},
			`components schemas "A" is defined in both openapi/a.json and openapi/b.json`},
		{"a base component cannot be replaced", map[string]string{
			"openapi/a.json": `{"components":{"schemas":{"Error":{}}}}`},
			`"Error" is defined in both openapi/base.json and openapi/a.json`},
		{"a fragment holds only paths and components", map[string]string{
			"openapi/a.json": `{"info":{"title":"mine"}}`},
			`openapi/a.json: member "info" belongs in openapi/base.json`},
		{"a broken fragment is named", map[string]string{
			"openapi/a.json": `{"paths":`},
			`openapi/a.json`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{"openapi/base.json": &fstest.MapFile{Data: base}}
			for name, data := range c.files {
				fsys[name] = frag(data)
			}
			data, err := web.MergeOpenAPI(fsys, "/x/")
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("merge: %v", err)
			case c.want == "":
				for _, p := range []string{`"/a"`, `"/b"`, `"A"`, `"B"`, `"/x/api/v1"`} {
					if !bytes.Contains(data, []byte(p)) {
						t.Errorf("merged document lacks %s", p)
					}
				}
			case err == nil || !strings.Contains(err.Error(), c.want):
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
}

var wildcard = regexp.MustCompile(`\{([^{}.$]+)(\.\.\.)?\}`)

// apiRoutes returns the API operations that h serves, as "METHOD /path"
// in the document's terms: the path below {prefix}api/v1 with plain
// wildcards. Each pattern read from the source is checked against h.
func apiRoutes(tb testing.TB, h *web.Handler) []string {
	tb.Helper()
	const api = "{prefix}api/v1"
	var out []string
	for _, pat := range muxPatterns(tb) {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			method, path = "", pat
		}
		target := strings.ReplaceAll(path, "{prefix}", web.DefaultPrefix)
		target = strings.TrimSuffix(wildcard.ReplaceAllString(target, "w1"), "{$}")
		req := httptest.NewRequest(cmp.Or(method, "GET"), target, nil)
		want := strings.ReplaceAll(pat, "{prefix}", web.DefaultPrefix)
		switch got := h.RoutePattern(req); got {
		case want:
		case "", web.DefaultPrefix + "api/v1/":
			// Written but not (yet) wired into routes(): not a route.
			tb.Logf("skipping %q: the mux does not serve it", pat)
			continue
		default:
			tb.Errorf("read pattern %q from the source, but the mux serves %s %s with %q",
				pat, req.Method, target, got)
		}
		if method == "" && strings.HasPrefix(path, api+"/") && path != api+"/" {
			// A sub-mux or a handler for every method: what it serves
			// cannot be checked against the document.
			tb.Errorf("%q serves every method below the API; register one pattern "+
				"per method and path, so that each can be documented", pat)
			continue
		}
		if method == "" || !strings.HasPrefix(path, api+"/") {
			continue // a page, or the API's catch-all
		}
		path = strings.TrimSuffix(strings.TrimPrefix(path, api), "{$}")
		out = append(out, method+" "+wildcard.ReplaceAllString(path, "{$1}"))
	}
	slices.Sort(out)
	return out
}

// documented returns the document's operations as "METHOD /path".
func documented(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPICoversEveryRoute fails while a route under api/v1 has no
// operation in the document, or the document has an operation that no
// route serves. To fix the first, add the route to its feature's
// fragment in selfcare/web/openapi/ and rows to the table of
// TestOpenAPIResponsesMatchTheDocument.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	h, err := web.New(selfcare.New(memstore.New(), selfcare.Config{}), web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	routes := apiRoutes(t, h)
	ops := documented(servedOpenAPI(t, h, web.DefaultPrefix))
	if len(routes) < 20 {
		t.Fatalf("read only %d API routes from the source: %v", len(routes), routes)
	}
	var undocumented, unrouted []string
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			unrouted = append(unrouted, o)
		}
	}
	if len(undocumented) > 0 {
		t.Errorf("%d API routes are not in the OpenAPI document (add each to its "+
			"feature's fragment in selfcare/web/openapi/):\n\t%s", len(undocumented),
			strings.Join(undocumented, "\n\t"))
	}
	if len(unrouted) > 0 {
		t.Errorf("%d documented operations have no route:\n\t%s", len(unrouted),
			strings.Join(unrouted, "\n\t"))
	}
}

// apiCase is one request of the response table.
type apiCase struct {
	name string
	as   *browser // nil: the anonymous browser
	// method, path, content type, body and header pairs of the request.
	method, path, ctype, body string
	hdr                       []string
	status                    int
	// hide switches off this feature, by its parameter, for this request.
	// A row that expects a success reads or changes a resource while the
	// parameter hides only a part of it, such as some of its members.
	hide params.Feature
}

// openAPIChecker validates exchanges against the document and records
// which statuses each operation was seen to answer.
type openAPIChecker struct {
	doc    *openapi3.T
	router routers.Router
	seen   map[*openapi3.Operation]map[int]bool
	gated  map[*openapi3.Operation]bool
}

func newOpenAPIChecker(tb testing.TB, doc *openapi3.T) *openAPIChecker {
	tb.Helper()
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &openAPIChecker{doc: doc, router: router,
		seen:  map[*openapi3.Operation]map[int]bool{},
		gated: map[*openapi3.Operation]bool{}}
}

// check validates one exchange: the response must have a documented
// status, headers, content type and body; a request that succeeded must
// itself match the document, so the documented request bodies are ones
// the server takes.
func (c *openAPIChecker) check(tb testing.TB, tc apiCase, res response) {
	tb.Helper()
	req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
	if tc.ctype != "" {
		req.Header.Set("Content-Type", tc.ctype)
	}
	for i := 0; i+1 < len(tc.hdr); i += 2 {
		req.Header.Set(tc.hdr[i], tc.hdr[i+1])
	}
	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		tb.Fatalf("%s %s is not a documented operation: %v", tc.method, tc.path, err)
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams,
		Route: route, Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if res.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			tb.Errorf("the server took a request that the document refuses: %v", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: res.StatusCode, Header: res.Header,
		Body:    io.NopCloser(bytes.NewReader(res.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		tb.Errorf("response does not match the document: %v\nbody: %s", err, res.Body)
	}

	if gate, _ := route.Operation.Extensions["x-feature-gate"].(string); tc.hide != "" &&
		res.StatusCode == http.StatusForbidden && gate != string(tc.hide) {
		tb.Errorf("hiding %s refused the request, but the operation's x-feature-gate is %q",
			tc.hide, gate)
	}

	// kin-openapi accepts any body where the document describes none.
	if doc := route.Operation.Responses.Status(res.StatusCode); doc != nil &&
		len(doc.Value.Content) == 0 && len(res.Body) > 0 {
		tb.Errorf("status %d is documented without a body, but one came: %s",
			res.StatusCode, res.Body)
	}
	if c.seen[route.Operation] == nil {
		c.seen[route.Operation] = map[int]bool{}
	}
	c.seen[route.Operation][res.StatusCode] = true
	if res.StatusCode == http.StatusForbidden &&
		bytes.Contains(res.Body, []byte(`"feature_hidden"`)) {
		c.gated[route.Operation] = true
	}
}

// coverage reports the operations that the table left untested: each
// needs a success, and 401, 404 (for a path naming an object), 400 (for a
// body), 409 and 428 (for If-Match) and its gate where it documents them.
func (c *openAPIChecker) coverage(tb testing.TB) {
	tb.Helper()
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			seen := c.seen[op]
			var missing []string
			if !slices.ContainsFunc([]int{200, 201, 204}, func(s int) bool { return seen[s] }) {
				missing = append(missing, "a success")
			}
			want := func(status int, when bool) {
				if when && op.Responses.Status(status) != nil && !seen[status] {
					missing = append(missing, strconv.Itoa(status))
				}
			}
			want(401, true)
			want(404, strings.Contains(path, "{"))
			want(400, op.RequestBody != nil)
			ifMatch := slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool {
				return p.Value.Name == "If-Match"
			})
			want(409, ifMatch)
			want(428, ifMatch)
			if _, ok := op.Extensions["x-feature-gate"]; ok && !c.gated[op] {
				missing = append(missing, "403 feature_hidden")
			}
			if len(missing) > 0 {
				tb.Errorf("%s %s: the table has no row for %s", method, path,
					strings.Join(missing, ", "))
			}
		}
	}
}

// settingsLessStore keeps what every store must (users, devices, sessions
// and the rest of selfcare.Store) and none of the optional settings.
type settingsLessStore struct{ selfcare.Store }

// newSettingsLessSite serves a portal on a settingsLessStore and signs in
// ann, who owns the phone SEPANN, and the super user sue with the
// administrator cookie.
func newSettingsLessSite(tb testing.TB) (ann, sue *browser) {
	tb.Helper()
	ctx := context.Background()
	svc := selfcare.New(settingsLessStore{memstore.New()}, selfcare.Config{
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		tb.Fatal(err)
	}
	for user, group := range map[string]string{"ann": acl.GroupStandardCCMEndUsers,
		"sue": acl.GroupStandardCCMSuperUsers} {
		if err := svc.CreateUser(ctx, "", selfcare.User{ID: user}, sitePassword,
			sitePIN); err != nil {
			tb.Fatal(err)
		}
		if err := svc.AddGroupMember(ctx, "", group, user); err != nil {
			tb.Fatal(err)
		}
	}
	if err := svc.PutDevice(ctx, "", selfcare.Device{Name: "SEPANN", Owner: "ann",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}); err != nil {
		tb.Fatal(err)
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	site := &activationSite{tb: tb, ctx: ctx, svc: svc, srv: httptest.NewServer(h)}
	tb.Cleanup(site.srv.Close)
	sue = site.signIn("")
	res := sue.do("POST", "/ucmuser/api/v1/admin/session", "application/json",
		`{"userId":"sue","password":"`+sitePassword+`"}`)
	if res.StatusCode != http.StatusCreated {
		tb.Fatalf("admin sign-in: %d %s", res.StatusCode, res.Body)
	}
	return site.signIn("ann"), sue
}

var openAPICode = regexp.MustCompile(`[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{4}`)

// TestOpenAPIResponsesMatchTheDocument sends real requests through the
// real handler, as the signed-in users ann and ben, the phone
// administrator pat, the super user sue (with the administrator cookie)
// and nobody, and validates every answer against the served document.
// Rows run in order and build on each other's changes.
func TestOpenAPIResponsesMatchTheDocument(t *testing.T) {
	s := newForwardingSite(t)
	ctx := s.ctx
	if err := s.svc.CreateUser(ctx, "", selfcare.User{ID: "sue"}, sitePassword,
		sitePIN); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.AddGroupMember(ctx, "", acl.GroupStandardCCMSuperUsers,
		"sue"); err != nil {
		t.Fatal(err)
	}
	const (
		api  = "/ucmuser/api/v1/"
		adm  = api + "admin/"
		json = "application/json"
		mp   = "application/merge-patch+json"
		csv  = "text/csv"
	)
	signInAdmin := func() *browser {
		b := s.signIn("")
		res := b.do("POST", adm+"session", json,
			`{"userId":"sue","password":"`+sitePassword+`"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("admin sign-in: %d %s", res.StatusCode, res.Body)
		}
		return b
	}
	var (
		ann, ben, pat   = s.signIn("ann"), s.signIn("ben"), s.signIn("pat")
		sue, sueBye     = signInAdmin(), signInAdmin()
		bye, anon       = s.signIn("ben"), s.signIn("")
		login           = `{"userId":"ann","password":"` + sitePassword + `"}`
		adminLogin      = `{"userId":"sue","password":"` + sitePassword + `"}`
		badLogin        = `{"userId":"ann","password":"wrong"}`
		cross           = []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
		v0, v1          = []string{"If-Match", `"0"`}, []string{"If-Match", `"1"`}
		v2              = []string{"If-Match", `"2"`}
		conf            = api + "conferencing"
		subs            = api + "phones/SEPANN/services"
		sub             = subs + "/agent"
		rds             = api + "remote-destinations"
		lines           = api + "phones/SEPANN/lines"
		line            = lines + "/1"
		phone           = api + "phones/SEPANN"
		contacts        = api + "phones/SEPANN/contacts"
		destPolicy      = adm + "destination-policy"
		fwd, dials      = api + "lines/4021/forwarding", api + "phones/SEPANN/speed-dials"
		newMAC          = "00A1B2C3D4E6"
		newDevice       = adm + "devices/SEP" + newMAC
		importCSV       = "model,owner,mac,requireActivation\n" + siteModel + ",ben,,false\n"
		badImportCSV    = "model,owner,mac,requireActivation\n" + siteModel + ",nobody,,true\n"
		newPassword     = "Brand-n3w-Passw0rd"
		emChoice, emFar = `{"choice":"8:00"}`, `{"choice":"999:00"}`
	)
	s.provision("ann", "")
	code := openAPICode.FindString(string(ann.get(api + "phones/ready-to-activate").Body))
	if code == "" {
		t.Fatal("no activation code to redeem")
	}
	const ukPolicy = `{"site":{"countryCode":"44","accessCode":"9",` +
		`"internationalPrefix":"00","nationalPrefix":"0","extensionLengths":[4],` +
		`"uriDomains":["example.co.uk"]},"classes":[` +
		`{"name":"emergency","allowed":false,"patterns":["999","112","9999","9112"],` +
		`"message":"Dial emergency numbers directly."},` +
		`{"name":"international","allowed":true,"kinds":["forward"],"patterns":["900!"]},` +
		`{"name":"internal","allowed":true,"patterns":["[1-8]XXX","@example.co.uk"]},` +
		`{"name":"national","allowed":true,"patterns":["90[1-9]XXXXXX!"]}]}`
	// Fixtures of the newer features: ring settings and line labels shown,
	// two phone services, a contact on ann's phone, an additional phone of
	// ann's.
	s.setParam(params.KeyShowRingSettings, "true")
	s.setParam(params.KeyShowLineLabels, "true")
	created := func(b *browser, path, body string) string {
		t.Helper()
		res := b.do("POST", path, json, body)
		var v struct{ ID string }
		if err := encjson.Unmarshal(res.Body, &v); res.StatusCode != http.StatusCreated ||
			err != nil || v.ID == "" {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, res.Body)
		}
		return v.ID
	}
	for _, ps := range []selfcare.PhoneService{
		{ID: "directory", Name: "Directory", Description: "Who is who.",
			Kind: selfcare.PhoneServiceInternal, URL: "http://cucm.example.com/dir",
			Params: []selfcare.ServiceParam{{Name: "floor", DisplayName: "Floor",
				MaxLength: 3, Kind: selfcare.ServiceParamDigits, Default: "1"}}},
		{ID: "agent", Name: "Agent", Kind: selfcare.PhoneServiceInternal,
			URL: "https://agent.example.com/", Params: []selfcare.ServiceParam{
				{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 10,
					Kind: selfcare.ServiceParamDigits},
				{Name: "password", DisplayName: "Password", Required: true, MaxLength: 64,
					Secret: true}}},
	} {
		if err := s.svc.AddPhoneService(ctx, selfcare.LocalCaller(""), ps); err != nil {
			t.Fatal(err)
		}
	}
	bareAnn, bareSue := newSettingsLessSite(t)
	contact := contacts + "/" + created(ann, contacts, `{"firstName":"Cy","lastName":"Ames"}`)
	rd := rds + "/" + created(ann, rds, `{"number":"+14085550100","description":"Mobile"}`)
	activation := `{"mac":"` + siteMAC + `","model":"` + siteModel + `","code":"` + code + `"}`
	wrongActivation := `{"mac":"` + siteMAC + `","model":"` + siteModel +
		`","code":"1111-2222-3333-4444"}`

	cases := []apiCase{
		{"the document needs no session", nil, "GET", api + "openapi.json", "", "", nil, 200, ""},

		// Session and user.
		{"sign in", s.signIn(""), "POST", api + "session", json, login, nil, 201, ""},
		{"sign in with a wrong password", nil, "POST", api + "session", json, badLogin, nil, 401, ""},
		{"sign in with a number for a name", nil, "POST", api + "session", json,
			`{"userId":1,"password":"x"}`, nil, 400, ""},
		{"sign in with an unknown member", nil, "POST", api + "session", json,
			`{"user":"ann"}`, nil, 400, ""},
		{"sign in as a form", nil, "POST", api + "session", "text/plain", login, nil, 415, ""},
		{"sign in with a huge body", nil, "POST", api + "session", json,
			`{"userId":"` + strings.Repeat("a", web.DefaultMaxBodyBytes) + `"}`, nil, 413, ""},
		{"sign in from another site", nil, "POST", api + "session", json, login, cross, 403, ""},
		{"sign out", bye, "DELETE", api + "session", "", "", nil, 204, ""},
		{"me", ann, "GET", api + "me", "", "", nil, 200, ""},
		{"me without a session", nil, "GET", api + "me", "", "", nil, 401, ""},
		{"phones", ann, "GET", api + "phones", "", "", nil, 200, ""},
		{"phones without a session", nil, "GET", api + "phones", "", "", nil, 401, ""},
		{"features", ann, "GET", api + "features", "", "", nil, 200, ""},
		{"features without a session", nil, "GET", api + "features", "", "", nil, 401, ""},
		{"default server before any server", nil, "GET", api + "default-server", "", "", nil, 404, ""},

		// Do Not Disturb.
		{"dnd", ann, "GET", api + "dnd", "", "", nil, 200, ""},
		{"dnd without a session", nil, "GET", api + "dnd", "", "", nil, 401, ""},
		{"dnd hidden", ann, "GET", api + "dnd", "", "", nil, 403, params.FeatureDoNotDisturb},
		{"dnd patch", ann, "PATCH", api + "dnd", mp,
			`{"enabled":true,"option":"callReject","incomingCallAlert":null}`, v0, 200, ""},
		{"dnd patch on a stale version", ann, "PATCH", api + "dnd", mp, `{"enabled":false}`, v0, 409, ""},
		{"dnd patch without If-Match", ann, "PATCH", api + "dnd", mp, `{"enabled":false}`, nil, 428, ""},
		{"dnd patch with a bad option", ann, "PATCH", api + "dnd", mp, `{"option":"loud"}`, v1, 400, ""},
		{"dnd patch as JSON", ann, "PATCH", api + "dnd", json, `{"enabled":false}`, v1, 415, ""},
		{"dnd patch without a session", nil, "PATCH", api + "dnd", mp, `{"enabled":false}`, v1, 401, ""},
		{"dnd patch hidden", ann, "PATCH", api + "dnd", mp, `{"enabled":false}`, v1, 403,
			params.FeatureDoNotDisturb},

		// Conference Now.
		{"conferencing", ann, "GET", conf, "", "", nil, 200, ""},
		{"conferencing without a session", nil, "GET", conf, "", "", nil, 401, ""},
		{"conferencing hidden", ann, "GET", conf, "", "", nil, 403, params.FeatureConferencing},
		{"conferencing patch", ann, "PATCH", conf, mp, `{"enabled":true,"accessCode":"52719"}`,
			v0, 200, ""},
		{"conferencing patch on a stale version", ann, "PATCH", conf, mp, `{"enabled":false}`,
			v0, 409, ""},
		{"conferencing patch without If-Match", ann, "PATCH", conf, mp, `{"enabled":false}`,
			nil, 428, ""},
		{"conferencing patch with a code as a number", ann, "PATCH", conf, mp,
			`{"accessCode":52719}`, v1, 400, ""},
		{"conferencing patch with an easy code", ann, "PATCH", conf, mp,
			`{"accessCode":"12345"}`, v1, 400, ""},
		{"conferencing patch as JSON", ann, "PATCH", conf, json, `{"enabled":false}`, v1,
			415, ""},
		{"conferencing patch without a session", nil, "PATCH", conf, mp, `{"enabled":false}`,
			v1, 401, ""},
		{"conferencing patch hidden", ann, "PATCH", conf, mp, `{"enabled":false}`, v1, 403,
			params.FeatureConferencing},
		{"conferencing off, the code kept", ann, "PATCH", conf, mp, `{"enabled":null}`, v1,
			200, ""},

		// A phone's settings, the display language and the installed locales.
		{"phone", ann, "GET", phone, "", "", nil, 200, ""},
		{"phone of another user", ben, "GET", phone, "", "", nil, 404, ""},
		{"phone without a session", nil, "GET", phone, "", "", nil, 401, ""},
		{"phone patch", ann, "PATCH", phone, mp,
			`{"description":"Front desk","phoneLocale":"fr_FR"}`, v0, 200, ""},
		{"phone while its display language is hidden", ann, "GET", phone, "", "", nil, 200,
			params.FeaturePhoneLocale},
		{"phone patch on a stale version", ann, "PATCH", phone, mp, `{"description":null}`,
			v0, 409, ""},
		{"phone patch without If-Match", ann, "PATCH", phone, mp, `{"description":null}`,
			nil, 428, ""},
		{"phone patch of an administrator's member", ann, "PATCH", phone, mp,
			`{"model":"Cisco 8865"}`, v1, 400, ""},
		{"phone patch with a locale not installed", ann, "PATCH", phone, mp,
			`{"phoneLocale":"xx_XX"}`, v1, 400, ""},
		{"phone patch as JSON", ann, "PATCH", phone, json, `{"description":null}`, v1,
			415, ""},
		{"phone patch of another user", ben, "PATCH", phone, mp, `{"description":null}`,
			v1, 404, ""},
		{"phone patch without a session", nil, "PATCH", phone, mp, `{"description":null}`,
			v1, 401, ""},
		{"phone patch while its display language is hidden", ann, "PATCH", phone, mp,
			`{"description":null}`, v1, 200, params.FeaturePhoneLocale},
		{"language", ann, "GET", api + "language", "", "", nil, 200, ""},
		{"language without a session", nil, "GET", api + "language", "", "", nil, 401, ""},
		{"language patch", ann, "PATCH", api + "language", mp, `{"locale":"de_DE"}`, v0,
			200, ""},
		{"language patch on a stale version", ann, "PATCH", api + "language", mp,
			`{"locale":null}`, v0, 409, ""},
		{"language patch without If-Match", ann, "PATCH", api + "language", mp,
			`{"locale":null}`, nil, 428, ""},
		{"language patch with a locale not installed", ann, "PATCH", api + "language", mp,
			`{"locale":"xx_XX"}`, v1, 400, ""},
		{"language patch of its name", ann, "PATCH", api + "language", mp,
			`{"name":"Deutsch"}`, v1, 400, ""},
		{"language patch as JSON", ann, "PATCH", api + "language", json, `{"locale":null}`,
			v1, 415, ""},
		{"language patch without a session", nil, "PATCH", api + "language", mp,
			`{"locale":null}`, v1, 401, ""},
		{"language back to the default", ann, "PATCH", api + "language", mp,
			`{"locale":null}`, v1, 200, ""},
		{"locales", ann, "GET", api + "locales", "", "", nil, 200, ""},
		{"locales without a session", nil, "GET", api + "locales", "", "", nil, 401, ""},

		// Line settings; the setup shows ring settings and labels, which are
		// hidden by default.
		{"line settings", ann, "GET", lines, "", "", nil, 200, ""},
		{"line settings of another user's phone", ben, "GET", lines, "", "", nil, 404, ""},
		{"line settings without a session", nil, "GET", lines, "", "", nil, 401, ""},
		{"line", ann, "GET", line, "", "", nil, 200, ""},
		{"line of another user's phone", ben, "GET", line, "", "", nil, 404, ""},
		{"no such line", ann, "GET", lines + "/9", "", "", nil, 404, ""},
		{"line without a session", nil, "GET", line, "", "", nil, 401, ""},
		{"line patch", ann, "PATCH", line, mp,
			`{"notOnACallRingPreference":"flashOnly","label":"Reception",` +
				`"messageWaitingAudibleAlertPreference":null,"logMissedCalls":false}`,
			v0, 200, ""},
		{"line patch on a stale version", ann, "PATCH", line, mp, `{"label":null}`, v0,
			409, ""},
		{"line patch without If-Match", ann, "PATCH", line, mp, `{"label":null}`, nil,
			428, ""},
		{"line patch with a blank label", ann, "PATCH", line, mp, `{"label":"   "}`, v1,
			400, ""},
		{"line patch of the extension", ann, "PATCH", line, mp, `{"extension":"4099"}`, v1,
			400, ""},
		{"line patch with an unknown ring", ann, "PATCH", line, mp,
			`{"onACallRingPreference":"loud"}`, v1, 400, ""},
		{"line patch as JSON", ann, "PATCH", line, json, `{"label":null}`, v1, 415, ""},
		{"line patch of another user's phone", ben, "PATCH", line, mp, `{"label":null}`,
			v1, 404, ""},
		{"line patch without a session", nil, "PATCH", line, mp, `{"label":null}`, v1,
			401, ""},
		// The row that hides ring settings resets their parameter after it, to
		// its default: hidden, for the row after it.
		{"line while ring settings are hidden", ann, "GET", line, "", "", nil, 200,
			params.FeatureRingSettings},
		{"line patch of hidden ring settings", ann, "PATCH", line, mp,
			`{"onACallRingPreference":"ring"}`, v1, 403, ""},

		// Call forwarding.
		{"forwarding", ann, "GET", fwd, "", "", nil, 200, ""},
		{"forwarding of another user's line", ben, "GET", fwd, "", "", nil, 404, ""},
		{"forwarding without a session", nil, "GET", fwd, "", "", nil, 401, ""},
		{"forwarding hidden", ann, "GET", fwd, "", "", nil, 403, params.FeatureCallForwardAll},
		{"forwarding patch", ann, "PATCH", fwd, mp,
			`{"callForwardAll":{"voicemail":true},"busyInternal":null}`, v0, 200, ""},
		{"forwarding patch on a stale version", ann, "PATCH", fwd, mp,
			`{"callForwardAll":null}`, v0, 409, ""},
		{"forwarding patch without If-Match", ann, "PATCH", fwd, mp,
			`{"callForwardAll":null}`, nil, 428, ""},
		{"forwarding patch to a refused destination", ann, "PATCH", fwd, mp,
			`{"callForwardAll":{"voicemail":false,"destination":"call me"}}`, v1, 400, ""},
		{"forwarding patch with an unknown rule", ann, "PATCH", fwd, mp,
			`{"always":{"voicemail":true}}`, v1, 400, ""},
		{"forwarding patch of another user's line", ben, "PATCH", fwd, mp,
			`{"callForwardAll":null}`, v1, 404, ""},
		{"forwarding patch without a session", nil, "PATCH", fwd, mp,
			`{"callForwardAll":null}`, v1, 401, ""},
		{"forwarding patch as JSON", ann, "PATCH", fwd, json, `{}`, v1, 415, ""},
		{"forwarding patch hidden", ann, "PATCH", fwd, mp, `{"callForwardAll":null}`, v1,
			403, params.FeatureCallForwardAll},
		{"forwarding while only Call Forward All is shown", ann, "GET", fwd, "", "", nil,
			200, params.FeatureCallForwardRules},
		{"forwarding patch while only Call Forward All is shown", ann, "PATCH", fwd, mp,
			`{"callForwardAll":{"voicemail":false}}`, v1, 200, params.FeatureCallForwardRules},

		// Speed dials.
		{"speed dials", ann, "GET", dials, "", "", nil, 200, ""},
		{"speed dials of another user's phone", ben, "GET", dials, "", "", nil, 404, ""},
		{"speed dials without a session", nil, "GET", dials, "", "", nil, 401, ""},
		{"speed dials hidden", ann, "GET", dials, "", "", nil, 403, params.FeatureSpeedDials},
		{"speed dials put", ann, "PUT", dials, json,
			`{"speedDials":[{"position":1,"destination":"4022","label":"Desk"},` +
				`{"position":2,"destination":"4031"}]}`, v0, 200, ""},
		{"speed dials put on a stale version", ann, "PUT", dials, json,
			`{"speedDials":[]}`, v0, 409, ""},
		{"speed dials put without If-Match", ann, "PUT", dials, json,
			`{"speedDials":[]}`, nil, 428, ""},
		{"speed dials put without a list", ann, "PUT", dials, json, `{}`, v1, 400, ""},
		{"speed dials put on one position twice is a conflict", ann, "PUT", dials, json,
			`{"speedDials":[{"position":1,"destination":"4022"},` +
				`{"position":1,"destination":"4031"}]}`, v1, 409, ""},
		{"speed dials put of another user's phone", ben, "PUT", dials, json,
			`{"speedDials":[]}`, v1, 404, ""},
		{"speed dials put without a session", nil, "PUT", dials, json,
			`{"speedDials":[]}`, v1, 401, ""},
		{"speed dials put as a merge patch", ann, "PUT", dials, mp, `{"speedDials":[]}`,
			v1, 415, ""},
		{"speed dials put hidden", ann, "PUT", dials, json, `{"speedDials":[]}`, v1, 403,
			params.FeatureSpeedDials},
		{"speed dials cleared", ann, "PUT", dials, json, `{"speedDials":[]}`, v1, 200, ""},

		// Phone contacts; ann's phone holds one from the setup, at version 1.
		{"contacts", ann, "GET", contacts, "", "", nil, 200, ""},
		{"contacts of another user's phone", ben, "GET", contacts, "", "", nil, 404, ""},
		{"contacts without a session", nil, "GET", contacts, "", "", nil, 401, ""},
		{"contacts hidden", ann, "GET", contacts, "", "", nil, 403, params.FeaturePhoneContacts},
		{"add a contact", ann, "POST", contacts, json,
			`{"firstName":"Dee","company":null,"methods":[{"type":"work","number":"4031"}]}`,
			nil, 201, ""},
		{"add a contact with no name", ann, "POST", contacts, json,
			`{"methods":[{"type":"mobile","number":"4031"}]}`, nil, 400, ""},
		{"add a contact with its own ID", ann, "POST", contacts, json,
			`{"id":"0123456789abcdef","firstName":"Dee"}`, nil, 400, ""},
		{"add a contact as a form", ann, "POST", contacts, "text/plain", `{}`, nil, 415, ""},
		{"add a contact to another user's phone", ben, "POST", contacts, json,
			`{"firstName":"Dee"}`, nil, 404, ""},
		{"add a contact without a session", nil, "POST", contacts, json,
			`{"firstName":"Dee"}`, nil, 401, ""},
		{"add a contact hidden", ann, "POST", contacts, json, `{"firstName":"Dee"}`, nil,
			403, params.FeaturePhoneContacts},
		{"contact", ann, "GET", contact, "", "", nil, 200, ""},
		{"contact of another user's phone", ben, "GET", contact, "", "", nil, 404, ""},
		{"no such contact", ann, "GET", contacts + "/0000000000000000", "", "", nil, 404, ""},
		{"contact without a session", nil, "GET", contact, "", "", nil, 401, ""},
		{"contact hidden", ann, "GET", contact, "", "", nil, 403, params.FeaturePhoneContacts},
		{"contact patch", ann, "PATCH", contact, mp,
			`{"nickname":"Cy","email":null,"methods":[{"type":"home","number":"4022"}]}`,
			v1, 200, ""},
		{"contact patch on a stale version", ann, "PATCH", contact, mp, `{"nickname":null}`,
			v1, 409, ""},
		{"contact patch without If-Match", ann, "PATCH", contact, mp, `{"nickname":null}`,
			nil, 428, ""},
		{"contact patch with a bad number", ann, "PATCH", contact, mp,
			`{"methods":[{"type":"work","number":"call me"}]}`, v2, 400, ""},
		{"contact patch with an unknown type", ann, "PATCH", contact, mp,
			`{"methods":[{"type":"pager","number":"4031"}]}`, v2, 400, ""},
		{"contact patch as JSON", ann, "PATCH", contact, json, `{"nickname":null}`, v2,
			415, ""},
		{"contact patch of another user's phone", ben, "PATCH", contact, mp,
			`{"nickname":null}`, v2, 404, ""},
		{"contact patch without a session", nil, "PATCH", contact, mp, `{"nickname":null}`,
			v2, 401, ""},
		{"contact patch hidden", ann, "PATCH", contact, mp, `{"nickname":null}`, v2, 403,
			params.FeaturePhoneContacts},
		{"contact delete on a stale version", ann, "DELETE", contact, "", "", v1, 409, ""},
		{"contact delete without If-Match", ann, "DELETE", contact, "", "", nil, 428, ""},
		{"contact delete of another user's phone", ben, "DELETE", contact, "", "", v2,
			404, ""},
		{"contact delete without a session", nil, "DELETE", contact, "", "", v2, 401, ""},
		{"contact delete hidden", ann, "DELETE", contact, "", "", v2, 403,
			params.FeaturePhoneContacts},
		{"contact delete", ann, "DELETE", contact, "", "", v2, 204, ""},
		{"contact delete again", ann, "DELETE", contact, "", "", v2, 404, ""},

		// Additional phones; ann has one from the setup, at version 1.
		{"remote destinations", ann, "GET", rds, "", "", nil, 200, ""},
		{"remote destinations without a session", nil, "GET", rds, "", "", nil, 401, ""},
		{"remote destinations hidden", ann, "GET", rds, "", "", nil, 403,
			params.FeatureAdditionalPhones},
		{"add a remote destination", ann, "POST", rds, json,
			`{"number":"+14085550101","description":"Home","answerTooSoon":2.5,` +
				`"schedule":[{"day":1,"start":"08:00","end":"17:30"}],` +
				`"timeZone":"Europe/Zurich","voicemailAvoidance":null}`, nil, 201, ""},
		{"add a remote destination twice", ann, "POST", rds, json,
			`{"number":"+14085550101"}`, nil, 409, ""},
		{"add one of the user's own lines", ann, "POST", rds, json, `{"number":"4021"}`,
			nil, 400, ""},
		{"add a remote destination with its own ID", ann, "POST", rds, json,
			`{"id":"0123456789abcdef01234567","number":"+14085550109"}`, nil, 403, ""},
		{"add a remote destination as a form", ann, "POST", rds, "text/plain", `{}`, nil,
			415, ""},
		{"add a remote destination without a session", nil, "POST", rds, json,
			`{"number":"+14085550109"}`, nil, 401, ""},
		{"add a remote destination hidden", ann, "POST", rds, json,
			`{"number":"+14085550109"}`, nil, 403, params.FeatureAdditionalPhones},
		{"add a third remote destination", ann, "POST", rds, json,
			`{"number":"+14085550102"}`, nil, 201, ""},
		{"add a fourth remote destination", ann, "POST", rds, json,
			`{"number":"+14085550103"}`, nil, 201, ""},
		{"add a remote destination over the limit", ann, "POST", rds, json,
			`{"number":"+14085550104"}`, nil, 409, ""},
		{"remote destination", ann, "GET", rd, "", "", nil, 200, ""},
		{"remote destination of another user", ben, "GET", rd, "", "", nil, 404, ""},
		{"remote destination without a session", nil, "GET", rd, "", "", nil, 401, ""},
		{"remote destination hidden", ann, "GET", rd, "", "", nil, 403,
			params.FeatureAdditionalPhones},
		{"remote destination patch", ann, "PATCH", rd, mp,
			`{"description":"Mobile phone","delayBeforeRinging":null,"moveToMobile":true}`,
			v1, 200, ""},
		{"remote destination patch on a stale version", ann, "PATCH", rd, mp,
			`{"description":null}`, v1, 409, ""},
		{"remote destination patch without If-Match", ann, "PATCH", rd, mp,
			`{"description":null}`, nil, 428, ""},
		{"remote destination patch with a timer out of range", ann, "PATCH", rd, mp,
			`{"delayBeforeRinging":99}`, v2, 400, ""},
		{"remote destination patch with an overlapping schedule", ann, "PATCH", rd, mp,
			`{"schedule":[{"day":1,"start":"08:00","end":"12:00"},` +
				`{"day":1,"start":"11:00","end":"13:00"}]}`, v2, 400, ""},
		{"remote destination patch of its version", ann, "PATCH", rd, mp,
			`{"version":3}`, v2, 403, ""},
		{"remote destination patch as JSON", ann, "PATCH", rd, json,
			`{"description":null}`, v2, 415, ""},
		{"remote destination patch of another user", ben, "PATCH", rd, mp,
			`{"description":null}`, v2, 404, ""},
		{"remote destination patch without a session", nil, "PATCH", rd, mp,
			`{"description":null}`, v2, 401, ""},
		{"remote destination patch hidden", ann, "PATCH", rd, mp, `{"description":null}`,
			v2, 403, params.FeatureAdditionalPhones},
		{"remote destination delete on a stale version", ann, "DELETE", rd, "", "", v1,
			409, ""},
		{"remote destination delete without If-Match", ann, "DELETE", rd, "", "", nil,
			428, ""},
		{"remote destination delete of another user", ben, "DELETE", rd, "", "", v2,
			404, ""},
		{"remote destination delete without a session", nil, "DELETE", rd, "", "", v2,
			401, ""},
		{"remote destination delete hidden", ann, "DELETE", rd, "", "", v2, 403,
			params.FeatureAdditionalPhones},
		{"remote destination delete", ann, "DELETE", rd, "", "", v2, 204, ""},

		// Phone services; the setup puts two internal services in the catalogue.
		{"phone services", ann, "GET", api + "phone-services", "", "", nil, 200, ""},
		{"phone services without a session", nil, "GET", api + "phone-services", "", "",
			nil, 401, ""},
		{"phone services hidden", ann, "GET", api + "phone-services", "", "", nil, 403,
			params.FeaturePhoneServices},
		{"subscriptions", ann, "GET", subs, "", "", nil, 200, ""},
		{"subscriptions of another user's phone", ben, "GET", subs, "", "", nil, 404, ""},
		{"subscriptions without a session", nil, "GET", subs, "", "", nil, 401, ""},
		{"subscriptions hidden", ann, "GET", subs, "", "", nil, 403,
			params.FeaturePhoneServices},
		{"subscribe", ann, "POST", subs, json,
			`{"serviceId":"agent","parameters":{"agentId":"1234","password":"s3cret"}}`,
			nil, 201, ""},
		{"subscribe twice", ann, "POST", subs, json,
			`{"serviceId":"agent","parameters":{"agentId":"1234","password":"s3cret"}}`,
			nil, 409, ""},
		{"subscribe with letters for digits", ann, "POST", subs, json,
			`{"serviceId":"directory","parameters":{"floor":"third"}}`, nil, 400, ""},
		{"subscribe with a URL", ann, "POST", subs, json,
			`{"serviceId":"directory","url":"http://evil.example/"}`, nil, 400, ""},
		{"subscribe to no such service", ann, "POST", subs, json, `{"serviceId":"nosuch"}`,
			nil, 404, ""},
		{"subscribe another user's phone", ben, "POST", subs, json,
			`{"serviceId":"directory"}`, nil, 404, ""},
		{"subscribe as a form", ann, "POST", subs, "text/plain", `{}`, nil, 415, ""},
		{"subscribe without a session", nil, "POST", subs, json, `{"serviceId":"directory"}`,
			nil, 401, ""},
		{"subscribe hidden", ann, "POST", subs, json, `{"serviceId":"directory"}`, nil, 403,
			params.FeaturePhoneServices},
		{"subscription", ann, "GET", sub, "", "", nil, 200, ""},
		{"subscription of another user's phone", ben, "GET", sub, "", "", nil, 404, ""},
		{"no such subscription", ann, "GET", subs + "/directory", "", "", nil, 404, ""},
		{"subscription without a session", nil, "GET", sub, "", "", nil, 401, ""},
		{"subscription hidden", ann, "GET", sub, "", "", nil, 403,
			params.FeaturePhoneServices},
		{"subscription patch", ann, "PATCH", sub, mp, `{"parameters":{"agentId":"5678"}}`,
			v1, 200, ""},
		{"subscription patch on a stale version", ann, "PATCH", sub, mp,
			`{"parameters":{"agentId":"5678"}}`, v1, 409, ""},
		{"subscription patch without If-Match", ann, "PATCH", sub, mp,
			`{"parameters":{"agentId":"5678"}}`, nil, 428, ""},
		{"subscription patch with letters for digits", ann, "PATCH", sub, mp,
			`{"parameters":{"agentId":"abc"}}`, v2, 400, ""},
		{"subscription patch of its kind", ann, "PATCH", sub, mp, `{"kind":"external"}`,
			v2, 400, ""},
		{"subscription patch as JSON", ann, "PATCH", sub, json, `{"parameters":{}}`, v2,
			415, ""},
		{"subscription patch of another user's phone", ben, "PATCH", sub, mp,
			`{"parameters":{}}`, v2, 404, ""},
		{"subscription patch without a session", nil, "PATCH", sub, mp,
			`{"parameters":{}}`, v2, 401, ""},
		{"subscription patch hidden", ann, "PATCH", sub, mp, `{"parameters":{}}`, v2, 403,
			params.FeaturePhoneServices},
		{"unsubscribe on a stale version", ann, "DELETE", sub, "", "", v1, 409, ""},
		{"unsubscribe without If-Match", ann, "DELETE", sub, "", "", nil, 428, ""},
		{"unsubscribe another user's phone", ben, "DELETE", sub, "", "", v2, 404, ""},
		{"unsubscribe without a session", nil, "DELETE", sub, "", "", v2, 401, ""},
		{"unsubscribe hidden", ann, "DELETE", sub, "", "", v2, 403,
			params.FeaturePhoneServices},
		{"unsubscribe", ann, "DELETE", sub, "", "", v2, 204, ""},

		// A store that keeps none of the optional settings: 501.
		{"forwarding on a store without it", bareAnn, "GET", fwd, "", "", nil, 501, ""},
		{"speed dials on a store without them", bareAnn, "GET", dials, "", "", nil, 501, ""},
		{"dnd on a store without it", bareAnn, "GET", api + "dnd", "", "", nil, 501, ""},
		{"conferencing on a store without it", bareAnn, "GET", conf, "", "", nil, 501, ""},
		{"conferencing patch on a store without it", bareAnn, "PATCH", conf, mp,
			`{"enabled":false}`, v0, 501, ""},
		{"phone on a store without its settings", bareAnn, "GET", phone, "", "", nil,
			501, ""},
		{"language on a store without it", bareAnn, "GET", api + "language", "", "", nil,
			501, ""},
		{"line settings on a store without them", bareAnn, "GET", lines, "", "", nil,
			501, ""},
		{"phone services on a store without them", bareAnn, "GET", api + "phone-services",
			"", "", nil, 501, ""},
		{"subscriptions on a store without them", bareAnn, "GET", subs, "", "", nil,
			501, ""},
		{"remote destinations on a store without them", bareAnn, "GET", rds, "", "", nil,
			501, ""},
		{"contacts on a store without them", bareAnn, "GET", contacts, "", "", nil,
			501, ""},
		{"destination policy on a store without it", bareSue, "GET", destPolicy, "", "",
			nil, 501, ""},
		{"set a param on a store without params", bareSue, "PUT",
			adm + "params/" + params.KeyShowSpeedDials, json, `{"value":false}`, nil,
			501, ""},

		// Device activation.
		{"phones ready to activate", ann, "GET", api + "phones/ready-to-activate", "", "",
			nil, 200, ""},
		{"phones ready to activate without a session", nil, "GET",
			api + "phones/ready-to-activate", "", "", nil, 401, ""},
		{"phones ready to activate hidden", ann, "GET", api + "phones/ready-to-activate",
			"", "", nil, 403, params.FeaturePhonesReadyToActivate},
		{"activation with a wrong code", nil, "POST", api + "activation", json,
			wrongActivation, nil, 403, ""},
		{"activation with a malformed body", nil, "POST", api + "activation", json,
			`{"mac":`, nil, 403, ""},
		{"activation", nil, "POST", api + "activation", json, activation, nil, 200, ""},

		// Device administration, as the phone administrator's user session.
		{"devices", pat, "GET", adm + "devices", "", "", nil, 200, ""},
		{"devices as an end user", ann, "GET", adm + "devices", "", "", nil, 403, ""},
		{"devices without a session", nil, "GET", adm + "devices", "", "", nil, 401, ""},
		{"provision", pat, "POST", adm + "devices", json,
			`{"model":"` + siteModel + `","owner":"ben","mac":"` + newMAC + `"}`, nil, 201, ""},
		{"provision it again", pat, "POST", adm + "devices", json,
			`{"model":"` + siteModel + `","owner":"ben","mac":"` + newMAC + `"}`, nil, 409, ""},
		{"provision for nobody", pat, "POST", adm + "devices", json,
			`{"model":"` + siteModel + `","owner":"nobody"}`, nil, 400, ""},
		{"provision without a session", nil, "POST", adm + "devices", json, `{}`, nil, 401, ""},
		{"provision as an end user", ann, "POST", adm + "devices", json, `{}`, nil, 403, ""},
		{"import", pat, "POST", adm + "devices/import", csv, importCSV, nil, 201, ""},
		{"import a bad row", pat, "POST", adm + "devices/import", csv, badImportCSV, nil,
			400, ""},
		{"import without a session", nil, "POST", adm + "devices/import", csv, importCSV,
			nil, 401, ""},
		{"require activation", pat, "POST", newDevice + "/require-activation", "", "", nil,
			204, ""},
		{"require activation of no device", pat, "POST",
			adm + "devices/SEPFFFFFFFFFFFF/require-activation", "", "", nil, 404, ""},
		{"require activation without a session", nil, "POST",
			newDevice + "/require-activation", "", "", nil, 401, ""},
		{"issue over an outstanding code", pat, "POST", newDevice + "/activation-code",
			"", "", nil, 409, ""},
		{"replace the code", pat, "PUT", newDevice + "/activation-code", "", "", nil, 200, ""},
		{"replace without a session", nil, "PUT", newDevice + "/activation-code", "", "",
			nil, 401, ""},
		{"replace the code of no device", pat, "PUT",
			adm + "devices/SEPFFFFFFFFFFFF/activation-code", "", "", nil, 404, ""},
		{"export the codes", pat, "GET", adm + "activation-codes", "", "", nil, 200, ""},
		{"export the codes as CSV", pat, "GET", adm + "activation-codes", "", "",
			[]string{"Accept", "text/csv"}, 200, ""},
		{"export without a session", nil, "GET", adm + "activation-codes", "", "", nil, 401, ""},
		{"release the code", pat, "DELETE", newDevice + "/activation-code", "", "", nil, 204, ""},
		{"release it again", pat, "DELETE", newDevice + "/activation-code", "", "", nil, 404, ""},
		{"release without a session", nil, "DELETE", newDevice + "/activation-code", "", "",
			nil, 401, ""},
		{"issue a code", pat, "POST", newDevice + "/activation-code", "", "", nil, 201, ""},
		{"issue for no device", pat, "POST", adm + "devices/SEPFFFFFFFFFFFF/activation-code",
			"", "", nil, 404, ""},
		{"issue without a session", nil, "POST", newDevice + "/activation-code", "", "", nil,
			401, ""},
		{"activation counters", pat, "GET", adm + "activation-stats", "", "", nil, 200, ""},
		{"activation counters without a session", nil, "GET", adm + "activation-stats", "", "",
			nil, 401, ""},

		// Parameters, profiles and servers, with the administrator cookie.
		{"admin sign in with a wrong password", nil, "POST", adm + "session", json,
			`{"userId":"sue","password":"wrong"}`, nil, 401, ""},
		{"admin sign in with a bad body", nil, "POST", adm + "session", json, `[]`, nil, 400, ""},
		{"admin sign in", s.signIn(""), "POST", adm + "session", json, adminLogin, nil, 201, ""},
		{"params", sue, "GET", adm + "params", "", "", nil, 200, ""},
		{"params as an end user", ann, "GET", adm + "params", "", "", nil, 403, ""},
		{"params without a session", nil, "GET", adm + "params", "", "", nil, 401, ""},
		{"param", sue, "GET", adm + "params/" + params.KeyShowDoNotDisturb, "", "", nil, 200, ""},
		{"unknown param", sue, "GET", adm + "params/NoSuchThing", "", "", nil, 404, ""},
		{"param without a session", nil, "GET", adm + "params/NoSuchThing", "", "", nil, 401, ""},
		{"set a param", sue, "PUT", adm + "params/" + params.KeyShowSpeedDials, json,
			`{"value":false}`, nil, 200, ""},
		{"set a param to a refused value", sue, "PUT", adm + "params/" + params.KeyShowSpeedDials,
			json, `{"value":"maybe"}`, nil, 400, ""},
		{"set an unknown param", sue, "PUT", adm + "params/NoSuchThing", json,
			`{"value":"1"}`, nil, 404, ""},
		{"set a param without a session", nil, "PUT", adm + "params/NoSuchThing", json,
			`{"value":"1"}`, nil, 401, ""},
		{"reset a param", sue, "DELETE", adm + "params/" + params.KeyShowSpeedDials, "", "",
			nil, 200, ""},
		{"reset an unknown param", sue, "DELETE", adm + "params/NoSuchThing", "", "", nil,
			404, ""},
		{"reset a param without a session", nil, "DELETE", adm + "params/NoSuchThing", "", "",
			nil, 401, ""},

		{"extension mobility without a profile", ann, "PUT", api + "extension-mobility", json,
			emChoice, nil, 403, ""},
		{"create a profile", sue, "PUT", adm + "profiles/EM", json,
			`{"description":"Mobile staff","allowEMMaxLoginTime":true}`, nil, 201, ""},
		{"replace a profile", sue, "PUT", adm + "profiles/EM", json,
			`{"description":"Mobile staff","allowEMMaxLoginTime":true}`, nil, 200, ""},
		{"profile with a bad body", sue, "PUT", adm + "profiles/EM", json,
			`{"allowEMMaxLoginTime":"yes"}`, nil, 400, ""},
		{"profile without a session", nil, "PUT", adm + "profiles/EM", json, `{}`, nil, 401, ""},
		{"profiles", sue, "GET", adm + "profiles", "", "", nil, 200, ""},
		{"profiles without a session", nil, "GET", adm + "profiles", "", "", nil, 401, ""},
		{"profile", sue, "GET", adm + "profiles/EM", "", "", nil, 200, ""},
		{"no such profile", sue, "GET", adm + "profiles/Nobody", "", "", nil, 404, ""},
		{"profile read without a session", nil, "GET", adm + "profiles/EM", "", "", nil,
			401, ""},
		{"assign a profile", sue, "PUT", adm + "users/ann/profile", json,
			`{"profile":"EM"}`, nil, 204, ""},
		{"assign no such profile", sue, "PUT", adm + "users/ann/profile", json,
			`{"profile":"Nobody"}`, nil, 404, ""},
		{"assign with a bad body", sue, "PUT", adm + "users/ann/profile", json,
			`{"profile":7}`, nil, 400, ""},
		{"assign without a session", nil, "PUT", adm + "users/ann/profile", json,
			`{"profile":"EM"}`, nil, 401, ""},
		{"delete a profile in use", sue, "DELETE", adm + "profiles/EM", "", "", nil, 409, ""},
		{"create a spare profile", sue, "PUT", adm + "profiles/Spare", json, `{}`, nil, 201, ""},
		{"delete a profile", sue, "DELETE", adm + "profiles/Spare", "", "", nil, 204, ""},
		{"delete no such profile", sue, "DELETE", adm + "profiles/Spare", "", "", nil, 404, ""},
		{"delete without a session", nil, "DELETE", adm + "profiles/Spare", "", "", nil,
			401, ""},
		{"servers", sue, "GET", adm + "servers", "", "", nil, 200, ""},
		{"servers without a session", nil, "GET", adm + "servers", "", "", nil, 401, ""},
		{"add a server", sue, "PUT", adm + "servers/cucm1.example.com", json,
			`{"publisher":true}`, nil, 200, ""},
		{"add a spare server", sue, "PUT", adm + "servers/cucm2.example.com", json, `{}`, nil,
			200, ""},
		{"add a server with a bad body", sue, "PUT", adm + "servers/cucm3.example.com", json,
			`{"publisher":1}`, nil, 400, ""},
		{"add a server without a session", nil, "PUT", adm + "servers/cucm3.example.com", json,
			`{}`, nil, 401, ""},
		{"remove a server", sue, "DELETE", adm + "servers/cucm2.example.com", "", "", nil,
			204, ""},
		{"remove no such server", sue, "DELETE", adm + "servers/cucm9.example.com", "", "",
			nil, 404, ""},
		{"remove a server without a session", nil, "DELETE", adm + "servers/cucm9.example.com",
			"", "", nil, 401, ""},
		{"default server", nil, "GET", api + "default-server", "", "", nil, 200, ""},

		// The destination policy; rows below it find the built-in one again.
		{"destination policy", sue, "GET", destPolicy, "", "", nil, 200, ""},
		{"destination policy as an end user", ann, "GET", destPolicy, "", "", nil, 403, ""},
		{"destination policy without a session", nil, "GET", destPolicy, "", "", nil, 401, ""},
		{"put a destination policy", sue, "PUT", destPolicy, json, ukPolicy, v0, 200, ""},
		{"put a destination policy on a stale version", sue, "PUT", destPolicy, json,
			ukPolicy, v0, 409, ""},
		{"put a destination policy without If-Match", sue, "PUT", destPolicy, json,
			ukPolicy, nil, 428, ""},
		{"put a destination policy with a bad pattern", sue, "PUT", destPolicy, json,
			strings.Replace(ukPolicy, "900!", "9+00!", 1), v1, 400, ""},
		{"put a destination policy with a misspelt member", sue, "PUT", destPolicy, json,
			strings.Replace(ukPolicy, `"allowed"`, `"alowed"`, 1), v1, 400, ""},
		{"put a destination policy as a form", sue, "PUT", destPolicy, "text/plain",
			ukPolicy, v1, 415, ""},
		{"put a destination policy as an end user", ann, "PUT", destPolicy, json,
			ukPolicy, v1, 403, ""},
		{"put a destination policy without a session", nil, "PUT", destPolicy, json,
			ukPolicy, v1, 401, ""},
		{"reset the destination policy on a stale version", sue, "DELETE", destPolicy, "",
			"", v0, 409, ""},
		{"reset the destination policy without If-Match", sue, "DELETE", destPolicy, "",
			"", nil, 428, ""},
		{"reset the destination policy without a session", nil, "DELETE", destPolicy, "",
			"", v1, 401, ""},
		{"reset the destination policy as an end user", ann, "DELETE", destPolicy, "",
			"", v1, 403, ""},
		{"put a destination policy without classes", sue, "PUT", destPolicy, json,
			`{"site":{"countryCode":"1","accessCode":"","internationalPrefix":"011",` +
				`"nationalPrefix":"","extensionLengths":[]},"classes":[]}`, v1, 400, ""},
		{"put a destination policy without extension lengths", sue, "PUT", destPolicy,
			json, `{"site":{"countryCode":"1","accessCode":"","internationalPrefix":"011",` +
				`"nationalPrefix":"","extensionLengths":null},"classes":[{"name":"national",` +
				`"allowed":true,"patterns":["91XXXXXXXXXX"]}]}`, v1, 200, ""},
		{"reset the destination policy", sue, "DELETE", destPolicy, "", "", v2, 200, ""},
		{"admin sign out", sueBye, "DELETE", adm + "session", "", "", nil, 204, ""},

		// Extension Mobility, now that ann's profile allows it.
		{"extension mobility", ann, "GET", api + "extension-mobility", "", "", nil, 200, ""},
		{"extension mobility without a session", nil, "GET", api + "extension-mobility",
			"", "", nil, 401, ""},
		{"choose a login time without If-Match", ann, "PUT", api + "extension-mobility",
			json, emChoice, nil, 428, ""},
		{"choose a login time", ann, "PUT", api + "extension-mobility", json, emChoice, v0,
			200, ""},
		{"choose a login time from a stale version", ann, "PUT", api + "extension-mobility",
			json, emChoice, v0, 409, ""},
		{"choose a login time out of range", ann, "PUT", api + "extension-mobility", json,
			emFar, v1, 400, ""},
		{"choose a login time without a session", nil, "PUT", api + "extension-mobility",
			json, emChoice, nil, 401, ""},

		// Credentials last: they change what the rows above relied on.
		{"PIN with a wrong password", ann, "PUT", api + "pin", json,
			`{"currentPassword":"wrong","newPin":"27364519"}`, nil, 403, ""},
		{"PIN that breaks the policy", ann, "PUT", api + "pin", json,
			`{"currentPassword":"` + sitePassword + `","newPin":"1111"}`, nil, 400, ""},
		{"PIN without a session", nil, "PUT", api + "pin", json, `{}`, nil, 401, ""},
		{"PIN hidden", ann, "PUT", api + "pin", json,
			`{"currentPassword":"` + sitePassword + `","newPin":"27364519"}`, nil, 403,
			params.FeatureChangePIN},
		{"PIN", ann, "PUT", api + "pin", json,
			`{"currentPassword":"` + sitePassword + `","newPin":"27364519"}`, nil, 204, ""},
		{"password that breaks the policy", ann, "PUT", api + "password", json,
			`{"currentPassword":"` + sitePassword + `","newPassword":"a"}`, nil, 400, ""},
		{"password without a session", nil, "PUT", api + "password", json, `{}`, nil, 401, ""},
		{"password hidden", ann, "PUT", api + "password", json,
			`{"currentPassword":"` + sitePassword + `","newPassword":"` + newPassword + `"}`,
			nil, 403, params.FeatureChangePassword},
		{"password", ann, "PUT", api + "password", json,
			`{"currentPassword":"` + sitePassword + `","newPassword":"` + newPassword + `"}`,
			nil, 204, ""},
	}

	doc := servedOpenAPI(t, s.srv.Config.Handler, web.DefaultPrefix)
	checker := newOpenAPIChecker(t, doc)
	gates := map[params.Feature]params.Gate{}
	for _, g := range params.Gates() {
		gates[g.Feature] = g
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.as
			if b == nil {
				b = anon
			}
			if tc.hide != "" {
				g, ok := gates[tc.hide]
				if !ok {
					t.Fatalf("no gate for %s", tc.hide)
				}
				s.setParam(g.ParamKey, g.Hiding)
				defer func() {
					if _, err := s.svc.ResetParam(ctx, selfcare.LocalCaller(""),
						g.ParamKey); err != nil {
						t.Fatal(err)
					}
				}()
			}
			res := b.do(tc.method, tc.path, tc.ctype, tc.body, tc.hdr...)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, tc.status, res.Body)
			}
			if tc.hide != "" && res.StatusCode >= 400 &&
				(!bytes.Contains(res.Body, []byte(`"feature_hidden"`)) ||
					!bytes.Contains(res.Body, []byte(gates[tc.hide].ParamKey))) {
				t.Errorf("gate answer does not name %s: %s", gates[tc.hide].ParamKey, res.Body)
			}
			checker.check(t, tc, res)
		})
	}
	checker.coverage(t)
}
