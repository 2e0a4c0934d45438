package web_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// The text of the 400 that refuses a form whose parts are not its page's.
const formPartsRefused = "This form was not sent as the page shows it"

// TestFormsRefuseWhatTheirPageCannotSend posts each page's own form,
// changed as only a hand-made post can be, and wants a 400 that says why
// and leaves what the API shows untouched.
func TestFormsRefuseWhatTheirPageCannotSend(t *testing.T) {
	const (
		fwPage    = "/ucmuser/forwarding"
		phonePage = "/ucmuser/phones/SEPANN/settings"
		confPage  = "/ucmuser/conferencing"
		dndPage   = "/ucmuser/dnd"
		rdPage    = "/ucmuser/additional-phones"
		emPage    = "/ucmuser/extension-mobility"
		emAPI     = "/ucmuser/api/v1/extension-mobility"
		rdAPI     = "/ucmuser/api/v1/remote-destinations"
		fwMarker  = `name="extension" value="4021"`
		lsMarker  = `name="index" value="2"`
		rdMarker  = `id="rd-new-number"`
	)
	sections := func(names ...string) func(url.Values) {
		return func(f url.Values) { f[sectionField] = names }
	}
	set := func(k string, vs ...string) func(url.Values) {
		return func(f url.Values) { f[k] = vs }
	}
	for _, c := range []struct {
		name, page, marker, api string
		change                  []func(url.Values)
		want                    string // in the 400's body
	}{
		// A form of several parts reads only the parts it names.
		{"forwarding: a busy rule sent with only Call Forward All named",
			fwPage, fwMarker, fwdPath, []func(url.Values){sections("all"),
				set("busyInternal.destination", "2006")}, formPartsRefused},
		{"forwarding: Call Forward All sent with only the rules named",
			fwPage, fwMarker, fwdPath, []func(url.Values){sections("rules"),
				set("callForwardAll.destination", "2006")}, formPartsRefused},
		{"forwarding: no part named", fwPage, fwMarker, fwdPath,
			[]func(url.Values){sections()}, formPartsRefused},
		{"line settings: a label sent without its part", lsPagePath, lsMarker, lsPath,
			[]func(url.Values){sections("ring", "mwi", "history"), set("label", "Qux")},
			formPartsRefused},
		{"line settings: no part named", lsPagePath, lsMarker, lsPath,
			[]func(url.Values){sections()}, formPartsRefused},
		{"phone settings: a description sent with only the language named",
			phonePage, `name="description"`, phonePath,
			[]func(url.Values){sections("locale")}, formPartsRefused},
		{"phone settings: no part named", phonePage, `name="description"`, phonePath,
			[]func(url.Values){sections()}, formPartsRefused},

		// A part no page has is refused on forms of one part too.
		{"forwarding: an unknown part", fwPage, fwMarker, fwdPath,
			[]func(url.Values){sections("all", "rules", "bogus")}, formPartsRefused},
		{"line settings: an unknown part", lsPagePath, lsMarker, lsPath,
			[]func(url.Values){sections("ring", "bogus")}, formPartsRefused},
		{"Do Not Disturb: an unknown part", dndPage, `value="dnd"`, dndPath,
			[]func(url.Values){sections("bogus"), set("enabled", "on")}, formPartsRefused},
		{"conferencing: an unknown part", confPage, `name="accessCode"`, confPath,
			[]func(url.Values){sections("bogus"), set("enabled", "on")}, formPartsRefused},
		{"additional phones: an unknown part", rdPage, rdMarker, rdAPI,
			[]func(url.Values){sections("bogus"), set("number", "+41791234567")},
			formPartsRefused},

		// A box posts "on" or nothing; a select or radio one of its options.
		{"line settings: logMissedCalls=maybe", lsPagePath, lsMarker, lsPath,
			[]func(url.Values){set("logMissedCalls", "maybe")},
			`id="ls-SEPANN-2-logMissedCalls-err">Tick the box`},
		{"forwarding: busyInternal.voicemail=maybe", fwPage, fwMarker, fwdPath,
			[]func(url.Values){set("busyInternal.voicemail", "maybe")},
			`id="fw-4021-busyInternal-err">Tick the box`},
		{"forwarding: callForwardAll.voicemail=1", fwPage, fwMarker, fwdPath,
			[]func(url.Values){set("callForwardAll.voicemail", "1"),
				set("callForwardAll.destination", "2006")},
			`aria-invalid="true" aria-describedby="fw-4021-callForwardAll-err"`},
		{"forwarding: a box posted twice", fwPage, fwMarker, fwdPath,
			[]func(url.Values){set("busyExternal.voicemail", "on", "on")},
			`id="fw-4021-busyExternal-err">Tick the box`},
		{"conferencing: enabled=maybe", confPage, `name="accessCode"`, confPath,
			[]func(url.Values){set("enabled", "maybe")},
			`id="conf-on-error">Tick the box`},
		{"additional phones: singleNumberReach=yes", rdPage, rdMarker, rdAPI,
			[]func(url.Values){set("number", "+41791234567"),
				set("singleNumberReach", "yes")},
			`id="rd-new-singleNumberReach-err">Tick the box`},
		{"additional phones: moveToMobile= (empty)", rdPage, rdMarker, rdAPI,
			[]func(url.Values){set("number", "+41791234567"), set("moveToMobile", "")},
			`id="rd-new-moveToMobile-err">Tick the box`},
		{"additional phones: an avoidance not offered", rdPage, rdMarker, rdAPI,
			[]func(url.Values){set("number", "+41791234567"),
				set("voicemailAvoidance", "loud")},
			`id="rd-new-voicemailAvoidance-err">Choose one`},
		{"Do Not Disturb: an alert posted twice", dndPage, `value="dnd"`, dndPath,
			[]func(url.Values){set("alert", "beepOnly", "flashOnly")},
			`id="dnd-alert-err">Choose No alert`},
		{"Extension Mobility: two choices", emPage, `value="login-time"`, emAPI,
			[]func(url.Values){set("choice", "none", "default")},
			"Choose one of the three options."},
	} {
		t.Run(c.name+" gets 400 and saves nothing", func(t *testing.T) {
			_, ann := newA11ySite(t)
			form := pageForm(t, ann.get(c.page).Body, c.marker)
			for _, change := range c.change {
				change(form)
			}
			before := ann.get(c.api)
			res := postPage(ann, c.page, form)
			if res.StatusCode != 400 || !strings.Contains(string(res.Body), c.want) {
				t.Errorf("post %v: %d, want 400 with %q:\n%s", form, res.StatusCode,
					c.want, res.Body)
			}
			if after := ann.get(c.api); !bytes.Equal(after.Body, before.Body) {
				t.Errorf("the refused form changed %s:\n%s\nnow\n%s", c.api,
					before.Body, after.Body)
			}
		})
	}
}

// TestFormsAcceptWhatTheirPageSends is the other half: the page's own
// forms, as rendered, are saved, and a form of one part may leave its
// marker out.
func TestFormsAcceptWhatTheirPageSends(t *testing.T) {
	for _, c := range []struct {
		name, page, marker string
		drop               bool // post without the section markers
	}{
		{"forwarding as rendered", "/ucmuser/forwarding", `name="extension" value="4021"`,
			false},
		{"line settings as rendered", lsPagePath, `name="index" value="2"`, false},
		{"phone settings as rendered", "/ucmuser/phones/SEPANN/settings",
			`name="description"`, false},
		{"conferencing without its marker", "/ucmuser/conferencing", `name="accessCode"`,
			true},
		{"Do Not Disturb without its marker", "/ucmuser/dnd", `value="dnd"`, true},
	} {
		t.Run(c.name+" is saved", func(t *testing.T) {
			_, ann := newA11ySite(t)
			form := pageForm(t, ann.get(c.page).Body, c.marker)
			if c.drop {
				form.Del(sectionField)
			}
			if res := postPage(ann, c.page, form); res.StatusCode != 303 {
				t.Errorf("post %v: %d %s", form, res.StatusCode, res.Body)
			}
		})
	}
}

// sectionField is the name of the forms' part markers.
const sectionField = "section"
