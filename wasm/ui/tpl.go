package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// tpl is a piece of a screen's markup as data: HTML-like text parsed on
// first use into nodes, which one renderer turns into go-app elements at
// every render. A screen written as app.Elem(..).ID(..).Class(..).Body(..)
// chains costs a few hundred bytes of WASM code per method call (Go's WASM
// back end makes every call resumable); the same screen as a template costs
// its text. See docs/extension.md, "Size and start-up".
//
// The syntax, a small subset of HTML:
//
//	<tag name=value name="two words" …>children</tag>
//	<input …>                  input, img and wbr take no children and no </tag>
//	{name}                     in text and attribute values: a value given to ui
//	name?={x}                  the attribute only when its value is not ""
//	?name / !name              the element only when value name is (not) true
//	@event=handler             handler (with {holes}) goes to the view's event method
//	{*name}                    the UI the view's part method returns for name
//	{*name:x}                  the same for name, a space and the value x
//
// A value is true unless it is "" or "false" (boolAttr gives "true" and
// "false"). Text that holds a line break is trimmed, and dropped when
// nothing is left, so templates can be indented; " " on one line stays.
type tpl struct {
	src   string
	nodes []*tnode
}

// tnode is one element, text or part.
type tnode struct {
	tag   string // "" text, "*" part
	text  string // text with {holes}, or the part's name
	cond  string // value that must be true (or false with neg)
	neg   bool
	void  bool
	attrs []string // name, value pairs; a name ending in "?" is optional
	ons   []string // event, handler pairs
	kids  []*tnode
}

// eventer receives a template's @event handlers by name.
type eventer interface {
	event(ctx app.Context, e app.Event, name string)
}

// parter makes a template's {*name} parts.
type parter interface {
	part(name string) app.UI
}

// ui renders the template with the values vals (name, value pairs); on is
// the view, an eventer and parter where the template needs it. A template
// of several nodes gives them all, as siblings.
func (t *tpl) ui(on any, vals ...string) app.UI {
	if t.nodes == nil {
		p := tparser{s: t.src}
		t.nodes = p.nodes()
	}
	if len(t.nodes) == 1 {
		return t.nodes[0].ui(on, vals)
	}
	out := make([]app.UI, 0, len(t.nodes))
	for _, n := range t.nodes {
		if u := n.ui(on, vals); u != nil {
			out = append(out, u)
		}
	}
	return group(out...)
}

func (n *tnode) ui(on any, vals []string) app.UI {
	if n.cond != "" && truth(look(vals, n.cond)) == n.neg {
		return nil
	}
	switch n.tag {
	case "":
		return app.Text(fill(n.text, vals))
	case "*":
		name, hole, ok := strings.Cut(n.text, ":")
		if ok {
			name += " " + look(vals, hole)
		}
		return on.(parter).part(name)
	}
	if n.void {
		e := app.ElemSelfClosing(n.tag)
		for i := 0; i < len(n.attrs); i += 2 {
			if k, v, ok := attr(n.attrs[i], n.attrs[i+1], vals); ok {
				e.Attr(k, v)
			}
		}
		for i := 0; i < len(n.ons); i += 2 {
			name := fill(n.ons[i+1], vals)
			e.On(n.ons[i], handler(on, name), name, views)
		}
		return e
	}
	e := app.Elem(n.tag)
	for i := 0; i < len(n.attrs); i += 2 {
		if k, v, ok := attr(n.attrs[i], n.attrs[i+1], vals); ok {
			e.Attr(k, v)
		}
	}
	for i := 0; i < len(n.ons); i += 2 {
		name := fill(n.ons[i+1], vals)
		e.On(n.ons[i], handler(on, name), name, views)
	}
	if len(n.kids) > 0 {
		kids := make([]app.UI, 0, len(n.kids))
		for _, k := range n.kids {
			if u := k.ui(on, vals); u != nil {
				kids = append(kids, u)
			}
		}
		e.Body(kids...)
	}
	return e
}

func attr(k, v string, vals []string) (string, string, bool) {
	v = fill(v, vals)
	if opt := strings.TrimSuffix(k, "?"); opt != k {
		return opt, v, v != ""
	}
	return k, v, true
}

// views counts the screen views Root has made (Root.keep). With the name,
// it is every handler's go-app scope: go-app keeps an element's old handler
// when the new one has the same function and scope, and every handler here
// has the same function, so without it an element that a new screen reuses
// would call the view before (the enroll form patched into the settings
// form would submit an enrollment).
var views int

// handler calls the view's event method with name. Not inlined: 0.6 KB
// of WASM in tnode.ui.
//
//go:noinline
func handler(on any, name string) app.EventHandler {
	ev := on.(eventer)
	return func(ctx app.Context, e app.Event) { ev.event(ctx, e, name) }
}

func truth(s string) bool { return s != "" && s != "false" }

// look is the value named name in vals.
// Not inlined: ~1 KB of WASM in its callers.
//
//go:noinline
func look(vals []string, name string) string {
	for i := 0; i+1 < len(vals); i += 2 {
		if vals[i] == name {
			return vals[i+1]
		}
	}
	panic("ui: template value not given: " + name)
}

// fill replaces each {name} in s with its value.
func fill(s string, vals []string) string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		j := strings.IndexByte(s[i:], '}')
		b.WriteString(s[:i])
		b.WriteString(look(vals, s[i+1:i+j]))
		s = s[i+j+1:]
		i = strings.IndexByte(s, '{')
	}
	b.WriteString(s)
	return b.String()
}

type tparser struct {
	s string
	i int
}

// nodes reads nodes up to the end or a closing tag, which it consumes.
func (p *tparser) nodes() []*tnode {
	var out []*tnode
	for p.i < len(p.s) {
		rest := p.s[p.i:]
		switch {
		case strings.HasPrefix(rest, "</"):
			p.i += strings.IndexByte(rest, '>') + 1
			return out
		case rest[0] == '<':
			out = append(out, p.elem())
		default:
			j := strings.IndexByte(rest, '<')
			if j < 0 {
				j = len(rest)
			}
			p.i += j
			out = appendText(out, rest[:j])
		}
	}
	return out
}

// appendText adds a run of text, split at its {*parts}.
func appendText(out []*tnode, run string) []*tnode {
	for run != "" {
		text, part := run, ""
		if i := strings.Index(run, "{*"); i >= 0 {
			j := strings.IndexByte(run[i:], '}')
			text, part, run = run[:i], run[i+2:i+j], run[i+j+1:]
		} else {
			run = ""
		}
		if strings.ContainsRune(text, '\n') {
			text = strings.TrimSpace(text)
		}
		if text != "" {
			out = append(out, &tnode{text: text})
		}
		if part != "" {
			out = append(out, &tnode{tag: "*", text: part})
		}
	}
	return out
}

func (p *tparser) elem() *tnode {
	p.i++ // <
	n := &tnode{tag: p.word()}
	n.void = n.tag == "input" || n.tag == "img" || n.tag == "wbr"
	for {
		for p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' {
			p.i++
		}
		if p.s[p.i] == '>' {
			p.i++
			break
		}
		k, v := p.word(), ""
		if p.s[p.i] == '=' {
			p.i++
			if p.s[p.i] == '"' {
				j := strings.IndexByte(p.s[p.i+1:], '"')
				v = p.s[p.i+1 : p.i+1+j]
				p.i += j + 2
			} else {
				v = p.word()
			}
		}
		switch k[0] {
		case '?', '!':
			n.cond, n.neg = k[1:], k[0] == '!'
		case '@':
			n.ons = append(n.ons, k[1:], v)
		default:
			n.attrs = append(n.attrs, k, v)
		}
	}
	if !n.void {
		n.kids = p.nodes()
	}
	return n
}

// word reads up to white space, '=' or '>'. '=' inside {…} is part of it.
func (p *tparser) word() string {
	start, depth := p.i, 0
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '{':
			depth++
		case c == '}':
			depth--
		case depth == 0 && (c == ' ' || c == '\n' || c == '\t' || c == '>' || c == '='):
			return p.s[start:p.i]
		}
	}
	return p.s[start:]
}

// group is nodes as one UI: go-app's If(true, …), whose nodes go-app puts
// in the parent element. One call, not If inlined at every caller.
//
//go:noinline
func group(nodes ...app.UI) app.UI { return app.If(true, nodes...) }
