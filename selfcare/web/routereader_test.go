package web_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// muxPatterns reads the patterns that the package's own source registers
// with the handler's mux, the prefix written as {prefix}. The mux cannot
// list its patterns, so the test reads the source; apiRoutes then asks
// the real mux about each one, so a pattern read wrong cannot pass
// unnoticed. A registration the reader cannot follow fails the test
// rather than being left out: a route it did not see would never be
// checked.
func muxPatterns(tb testing.TB) []string {
	tb.Helper()
	return readRoutes(tb, ".")
}

// readRoutes reads the patterns registered by the Go files of dir, test
// files excepted.
func readRoutes(tb testing.TB, dir string) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	rr := &routeReader{fset: token.NewFileSet(), consts: map[string]string{},
		helpers: map[string][]string{}}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(rr.fset, name, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, f)
	}
	rr.readConsts(files)

	// A helper that registers the pattern it is given can be declared
	// after its callers, and can be called by another helper: read until
	// no new helper turns up, then once more for the routes and errors.
	// Each pass follows one more level of helpers; a helper that calls
	// itself with a longer pattern would never settle.
	for pass := 0; ; pass++ {
		before := fmt.Sprint(rr.helpers)
		rr.readFuncs(files)
		if fmt.Sprint(rr.helpers) == before {
			break
		}
		if pass == 16 {
			tb.Fatalf("route helpers still turn up new patterns after %d passes: %q",
				pass, rr.helpers)
		}
	}
	rr.routes, rr.problems = nil, nil
	rr.readFuncs(files)
	for _, p := range rr.problems {
		tb.Error(p)
	}
	return rr.routes
}

// routeReader follows, in the syntax alone, what a method of *Handler
// registers with its mux: h.mux.Handle and HandleFunc, an alias of the
// mux or of its Handle method, and helper methods that register a
// pattern built from their own parameters.
type routeReader struct {
	fset *token.FileSet
	// consts are the package's string constants and variables.
	consts map[string]string
	// helpers maps a method of *Handler to the patterns it registers,
	// with its parameters as markers (see paramMarker).
	helpers map[string][]string

	routes, problems []string
}

// paramMarker stands for the i-th parameter of a helper in its patterns.
func paramMarker(i int) string { return "\x00" + strconv.Itoa(i) + "\x00" }

// readConsts evaluates the package-level string constants and variables
// that are made of literals and of each other.
func (rr *routeReader) readConsts(files []*ast.File) {
	for changed := true; changed; {
		changed = false
		for _, f := range files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, spec := range gd.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok || len(vs.Values) != len(vs.Names) {
						continue
					}
					for i, id := range vs.Names {
						if _, seen := rr.consts[id.Name]; seen {
							continue
						}
						if v, ok := rr.text(vs.Values[i], nil, nil); ok {
							rr.consts[id.Name], changed = v, true
						}
					}
				}
			}
		}
	}
}

// funcScope is what readFuncs knows inside one function.
type funcScope struct {
	recv string
	// vars are local strings; muxes name the mux and its aliases;
	// handles name aliases of the mux's Handle or HandleFunc method.
	vars           map[string]string
	muxes, handles map[string]bool
}

// readFuncs reads every method of *Handler, and every function that is
// given a *Handler.
func (rr *routeReader) readFuncs(files []*ast.File) {
	for _, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			sc := &funcScope{vars: map[string]string{}, muxes: map[string]bool{},
				handles: map[string]bool{}}
			if fn.Recv != nil && len(fn.Recv.List) == 1 && isHandler(fn.Recv.List[0].Type) &&
				len(fn.Recv.List[0].Names) == 1 {
				sc.recv = fn.Recv.List[0].Names[0].Name
			}
			i := 0
			for _, field := range fn.Type.Params.List {
				for _, id := range field.Names {
					if isHandler(field.Type) && sc.recv == "" {
						sc.recv = id.Name
					}
					sc.vars[id.Name] = paramMarker(i)
					i++
				}
				if len(field.Names) == 0 {
					i++
				}
			}
			if sc.recv != "" {
				sc.muxes[sc.recv+".mux"] = true
			}
			rr.readBody(fn, sc)
		}
	}
}

func isHandler(e ast.Expr) bool {
	if st, ok := e.(*ast.StarExpr); ok {
		e = st.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "Handler"
}

// readBody follows the assignments and calls of one function in source
// order.
func (rr *routeReader) readBody(fn *ast.FuncDecl, sc *funcScope) {
	assign := func(lhs []*ast.Ident, rhs []ast.Expr) {
		if len(lhs) != len(rhs) {
			return
		}
		for i, id := range lhs {
			rx := selectorText(rhs[i])
			switch {
			case sc.muxes[rx]:
				sc.muxes[id.Name] = true
			case rx != "" && sc.isRegister(rx):
				sc.handles[id.Name] = true
			default:
				// A variable given something unreadable must not keep
				// the string it held before.
				if v, ok := rr.text(rhs[i], sc.vars, sc); ok {
					sc.vars[id.Name] = v
				} else {
					delete(sc.vars, id.Name)
				}
			}
		}
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			var lhs []*ast.Ident
			for _, e := range n.Lhs {
				id, _ := e.(*ast.Ident)
				if id == nil {
					id = &ast.Ident{Name: "_"}
				}
				lhs = append(lhs, id)
			}
			assign(lhs, n.Rhs)
		case *ast.ValueSpec:
			assign(n.Names, n.Values)
		case *ast.CallExpr:
			rr.readCall(fn, sc, n)
		}
		return true
	})
}

// isRegister reports whether x, a selector chain, is the Handle or
// HandleFunc method of the mux.
func (sc *funcScope) isRegister(x string) bool {
	base, method, ok := cutLast(x)
	return ok && sc.muxes[base] && (method == "Handle" || method == "HandleFunc")
}

func cutLast(x string) (string, string, bool) {
	i := strings.LastIndexByte(x, '.')
	if i < 0 {
		return "", "", false
	}
	return x[:i], x[i+1:], true
}

// readCall records the routes that one call registers.
func (rr *routeReader) readCall(fn *ast.FuncDecl, sc *funcScope, call *ast.CallExpr) {
	at := rr.fset.Position(call.Pos())
	fun := selectorText(call.Fun)
	base, method, _ := cutLast(fun)
	switch {
	case sc.isRegister(fun) || sc.handles[fun]:
		if len(call.Args) == 0 {
			return
		}
		v, ok := rr.text(call.Args[0], sc.vars, sc)
		if !ok {
			rr.problems = append(rr.problems, fmt.Sprintf("%s: cannot read this "+
				"route's pattern; build it from string literals, %s.cfg.Prefix, "+
				"constants and variables made of them", at, sc.recv))
			return
		}
		rr.register(fn, v)
	case base == sc.recv && rr.helpers[method] != nil:
		args := map[string]string{}
		for i, a := range call.Args {
			if v, ok := rr.text(a, sc.vars, sc); ok {
				args[paramMarker(i)] = v
			}
		}
		for _, tmpl := range rr.helpers[method] {
			v, ok := substitute(tmpl, args)
			if !ok {
				rr.problems = append(rr.problems, fmt.Sprintf("%s: cannot read the "+
					"pattern that this call gives %s", at, method))
				continue
			}
			rr.register(fn, v)
		}
	case (method == "Handle" || method == "HandleFunc") && sc.recv == "":
		rr.problems = append(rr.problems, fmt.Sprintf("%s: %s registers a route "+
			"outside a method of *Handler, where the reader cannot tell the mux; "+
			"register routes in a method", at, fun))
	case method == "Handle" || method == "HandleFunc":
		// Another mux, a sub-mux or an alias the reader cannot follow:
		// its routes would be invisible, so say so.
		rr.problems = append(rr.problems, fmt.Sprintf("%s: %s registers a route on "+
			"something other than %s.mux; register every route on the handler's "+
			"own mux", at, fun, sc.recv))
	}
}

// register records a pattern; one built from the function's parameters
// makes the function a helper.
func (rr *routeReader) register(fn *ast.FuncDecl, v string) {
	if !strings.Contains(v, "\x00") {
		rr.routes = append(rr.routes, v)
		return
	}
	if fn.Recv == nil {
		rr.problems = append(rr.problems, fmt.Sprintf("%s: %s registers a pattern "+
			"made of its parameters; make it a method of *Handler",
			rr.fset.Position(fn.Pos()), fn.Name.Name))
		return
	}
	if !slices.Contains(rr.helpers[fn.Name.Name], v) {
		rr.helpers[fn.Name.Name] = append(rr.helpers[fn.Name.Name], v)
	}
}

// substitute puts the call's arguments, by their markers, in place of a
// helper's markers, all at once, so that an argument made of the
// caller's own parameters keeps the caller's markers. It fails when the
// template has a marker of an argument that could not be read.
func substitute(tmpl string, args map[string]string) (string, bool) {
	for _, m := range markerRE.FindAllString(tmpl, -1) {
		if _, ok := args[m]; !ok {
			return "", false
		}
	}
	var pairs []string
	for m, a := range args {
		pairs = append(pairs, m, a)
	}
	return strings.NewReplacer(pairs...).Replace(tmpl), true
}

var markerRE = regexp.MustCompile("\x00[0-9]+\x00")

// selectorText renders a selector chain such as h.cfg.Prefix; "" for
// anything else.
func selectorText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		if x := selectorText(e.X); x != "" {
			return x + "." + e.Sel.Name
		}
	case *ast.ParenExpr:
		return selectorText(e.X)
	}
	return ""
}

// text evaluates a string expression of literals, the prefix, constants
// and the variables in vars (nil outside a function).
func (rr *routeReader) text(e ast.Expr, vars map[string]string, sc *funcScope) (string,
	bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		if v, ok := vars[e.Name]; ok {
			return v, true
		}
		v, ok := rr.consts[e.Name]
		return v, ok
	case *ast.SelectorExpr:
		if sc != nil && selectorText(e) == sc.recv+".cfg.Prefix" {
			return "{prefix}", true
		}
	case *ast.ParenExpr:
		return rr.text(e.X, vars, sc)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, okx := rr.text(e.X, vars, sc)
		y, oky := rr.text(e.Y, vars, sc)
		return x + y, okx && oky
	}
	return "", false
}

// TestRouteReaderFollowsEveryWayOfRegistering reads a handler written
// with every registration the reader follows, and with the ones it must
// refuse rather than miss.
func TestRouteReaderFollowsEveryWayOfRegistering(t *testing.T) {
	var problems []string
	rec := &problemRecorder{TB: t, problems: &problems}
	got := readRoutes(rec, filepath.Join("testdata", "routereader"))
	slices.Sort(got)
	want := []string{
		"DELETE {prefix}api/v1/helper-of-helper",
		"GET {prefix}api/v1/alias",
		"GET {prefix}api/v1/const",
		"GET {prefix}api/v1/declared",
		"GET {prefix}api/v1/handle-func",
		"GET {prefix}api/v1/helper/a",
		"GET {prefix}api/v1/plain",
		"GET {prefix}api/v1/receiver",
		"POST {prefix}api/v1/helper/b",
		"PUT {prefix}api/v1/method-value",
		"{prefix}api/v1/sub/",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("routes (-want +got):\n%s", d)
	}
	wantProblems := []string{
		"cannot read this route's pattern",
		"sub.Handle registers a route on something other than h.mux",
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems %q, want one with each of %q", problems, wantProblems)
	}
	for i, p := range problems {
		if !strings.Contains(p, wantProblems[i]) {
			t.Errorf("problem %q, want one with %q", p, wantProblems[i])
		}
	}
}

// problemRecorder keeps what the reader reports instead of failing.
type problemRecorder struct {
	testing.TB
	problems *[]string
}

func (r *problemRecorder) Error(args ...any) {
	*r.problems = append(*r.problems, fmt.Sprint(args...))
}
