package ui

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// tplView records the handlers and parts a template asks for.
type tplView struct{ events []string }

func (v *tplView) event(ctx app.Context, e app.Event, name string) { v.events = append(v.events, name) }

func (v *tplView) part(name string) app.UI {
	if name == "none" {
		return nil
	}
	return app.Elem("i").Text(name)
}

// TestTemplate: what each piece of the template syntax makes, read back
// as the tree go-app gets.
func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		vals      []string
		want      string
	}{
		{"attributes", `<p id=a class="b c" data-x={x} aria-busy={busy}>t</p>`, []string{"x", "1 2", "busy", "false"},
			`<p aria-busy="false" class="b c" data-x="1 2" id="a"  self=false>
  "t"
`},
		{"empty and optional", `<img alt="" src=/i.png title?={t} aria-current?={c}>`, []string{"t", "", "c", "page"},
			`<img alt="" aria-current="page" src="/i.png"  self=true>
`},
		{"conditions", `<div><p ?a>A</p><p !a>not A</p><p ?b>B</p><p !b>not B</p></div>`, []string{"a", "true", "b", "false"},
			`<div   self=false>
  <p   self=false>
    "A"
  <p   self=false>
    "not B"
`},
		{"text", "<p>\n  {x} and {y}.\n</p><p>{e}</p><p> <b>k</b> {x}</p>", []string{"x", "X", "y", "", "e", ""},
			`<p   self=false>
  "X and ."
<p   self=false>
  ""
<p   self=false>
  " "
  <b   self=false>
    "k"
  " X"
`},
		{"parts", `<ul>{*one}{*none}{*two:x}</ul>`, []string{"x", "y z"},
			`<ul   self=false>
  <i   self=false>
    "one"
  <i   self=false>
    "two y z"
`},
		{"events", `<form @submit=save><input @input="set {x}"></form>`, []string{"x", "a"},
			`<form  @submit self=false>
  <input  @input self=true>
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := tpl{src: tc.src}
			var b strings.Builder
			dumpUI(&b, tp.ui(&tplView{}, tc.vals...), 0)
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestTemplateHandler: a handler reaches the view's event method with its
// name filled in.
func TestTemplateHandler(t *testing.T) {
	v := &tplView{}
	handler(v, "set a")(nil, app.Event{})
	if len(v.events) != 1 || v.events[0] != "set a" {
		t.Errorf("events %q", v.events)
	}
}

// TestTemplateMissingValue: a value the template names and the view does
// not give is a programming error, found by the first render.
func TestTemplateMissingValue(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "nope") {
			t.Errorf("recovered %v, want a panic naming the value", r)
		}
	}()
	tp := tpl{src: `<p>{nope}</p>`}
	tp.ui(nil)
}

// TestIndentJSON: the diagnostics report reads as json.MarshalIndent
// wrote it.
func TestIndentJSON(t *testing.T) {
	v := map[string]any{
		"s":     "a \"quoted\" \\ {not} [json], : x <&> 日本",
		"empty": map[string]any{}, "none": []int{}, "list": []any{1, "two", nil, true, map[string]int{"n": 3}},
		"host": &proto.DoctorResult{HostVersion: "1", Backends: []proto.DoctorCheck{{Name: "soft", OK: true}}},
	}
	want, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if got := indentJSON(b); got != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestHandlerScopeNewView: a handler of the same name made for a new view
// has another go-app scope, so go-app replaces the old one (which calls the
// old view) on an element the new screen reuses.
func TestHandlerScopeNewView(t *testing.T) {
	scope := func() string {
		tp := tpl{src: `<form @submit=submit></form>`}
		el := reflect.ValueOf(tp.ui(&tplView{})).Elem().Field(0)
		h := el.FieldByName("eventHandlers").MapIndex(reflect.ValueOf("submit"))
		return h.FieldByName("scope").String()
	}
	before := scope()
	if again := scope(); again != before {
		t.Fatalf("same view: scope %q, then %q", before, again)
	}
	r := &Root{screen: screenSettings}
	r.keep(&settingsView{host: r})
	if after := scope(); after == before {
		t.Errorf("scope %q for a new view, as for the one before", after)
	}
}
