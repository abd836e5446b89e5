package bridge

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// jsValue is an app.Value over what encoding/json decodes into an any:
// the JavaScript object a port message is, outside a browser.
type jsValue struct {
	app.Value // not used: panics if called
	v         any
	present   bool
}

func jsOf(v any) jsValue { return jsValue{v: v, present: true} }

func (j jsValue) Type() app.Type {
	switch j.v.(type) {
	case nil:
		if !j.present {
			return app.TypeUndefined
		}
		return app.TypeNull
	case string:
		return app.TypeString
	case float64:
		return app.TypeNumber
	case bool:
		return app.TypeBoolean
	}
	return app.TypeObject
}

// Get panics where syscall/js does: on anything but an object.
func (j jsValue) Get(p string) app.Value {
	switch v := j.v.(type) {
	case map[string]any:
		x, present := v[p]
		return jsValue{v: x, present: present}
	case []any:
		if p == "length" {
			return jsOf(float64(len(v)))
		}
		if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(v) {
			return jsOf(v[i])
		}
		return jsValue{}
	}
	panic(fmt.Sprintf("syscall/js: call of Value.Get on type %d", j.Type()))
}

func (j jsValue) Index(i int) app.Value { return j.Get(strconv.Itoa(i)) }

func (j jsValue) String() string { return j.v.(string) }
func (j jsValue) Int() int       { return int(j.v.(float64)) }

// fullList is a list in which every field of proto.Cert is set, in one
// certificate or another (TestFullListSetsEveryField holds that).
func fullList(t testing.TB) proto.ListResult {
	t.Helper()
	tokyo := time.FixedZone("", 9*3600)
	return proto.ListResult{WarnDays: 30, Certs: []proto.Cert{{
		ID: "c1", Subject: "CN=alice,O=X", Issuer: "CN=CA", Serial: "01:02",
		NotBefore: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), NotAfter: time.Date(2027, 1, 2, 3, 4, 5, 600, tokyo),
		DaysLeft: 200, Status: "valid", Backend: "soft", Portal: "https://a.example", User: "alice",
		SHA256: "AB:CD", PortalUnreachableSince: time.Date(2026, 11, 30, 20, 0, 0, 0, tokyo), Hardware: proto.HardwareVerified,
	}, {
		ID: "c2", Subject: "CN=bob", NotAfter: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), DaysLeft: -2, Status: "expired", Backend: "tpm",
	}}}
}

func TestFullListSetsEveryField(t *testing.T) {
	typ := reflect.TypeFor[proto.Cert]()
	set := make([]bool, typ.NumField())
	for _, c := range fullList(t).Certs {
		v := reflect.ValueOf(c)
		for i := range set {
			set[i] = set[i] || !v.Field(i).IsZero()
		}
	}
	for i, ok := range set {
		if !ok && typ.Field(i).IsExported() { // _ noCompare carries no data
			t.Errorf("fullList sets no proto.Cert.%s: set it, and read it in Queued.CachedList", typ.Field(i).Name)
		}
	}
}

// queued is m as early.js queues it: through JSON, as a port carries it.
func queued(t testing.TB, m any) Queued {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return Queued{jsOf(v)}
}

// TestCachedListAsEncodingJSON: the list CachedList reads is the one
// encoding/json decodes from the same message, field for field.
func TestCachedListAsEncodingJSON(t *testing.T) {
	l := fullList(t)
	q := queued(t, Message{Kind: KindState, State: &State{List: &l, Hello: &proto.Hello{Protocol: "1"}}})
	got := q.CachedList()
	var want Message
	b, _ := json.Marshal(Message{Kind: KindState, State: &State{List: &l}})
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want.State.List) {
		t.Errorf("CachedList = %+v\nencoding/json: %+v", got, want.State.List)
	}
	empty := queued(t, Message{Kind: KindState, State: &State{List: &proto.ListResult{}}}).CachedList()
	if empty == nil || empty.Certs != nil {
		t.Errorf("empty list: CachedList = %+v, want an empty list", empty)
	}
}

func TestCachedListNone(t *testing.T) {
	l := fullList(t)
	for name, m := range map[string]any{
		"reply":            Message{Kind: KindReply, Reply: &proto.Reply{Type: proto.TypeResult}},
		"state, no list":   Message{Kind: KindState, State: &State{Hello: &proto.Hello{}}},
		"state, op":        Message{Kind: KindState, State: &State{List: &l, Op: &Op{ID: "x", Command: proto.CmdRenew}}},
		"no state":         map[string]any{"kind": KindState},
		"certs not a list": map[string]any{"kind": KindState, "state": map[string]any{"list": map[string]any{"certs": "x"}}},
		"cert not object":  map[string]any{"kind": KindState, "state": map[string]any{"list": map[string]any{"certs": []any{1}}}},
		"bad time":         map[string]any{"kind": KindState, "state": map[string]any{"list": map[string]any{"certs": []any{map[string]any{"notAfter": "soon"}}}}},
		"certs an object":  map[string]any{"kind": KindState, "state": map[string]any{"list": map[string]any{"certs": map[string]any{"length": 1e12}}}},
		"not an object":    "state",
		"time a number":    map[string]any{"kind": KindState, "state": map[string]any{"list": map[string]any{"certs": []any{map[string]any{"notAfter": 5}}}}},
	} {
		if got := queued(t, m).CachedList(); got != nil {
			t.Errorf("%s: CachedList = %+v, want nil", name, got)
		}
	}
}

// FuzzCachedList: any message a port could carry gives nil or the list
// encoding/json reads from it, and never a panic.
func FuzzCachedList(f *testing.F) {
	l := fullList(f)
	for _, m := range []Message{
		{Kind: KindState, State: &State{List: &l}},
		{Kind: KindState, State: &State{List: &proto.ListResult{}}},
		{Kind: KindReply, Reply: &proto.Reply{Type: proto.TypeHello}},
	} {
		b, _ := json.Marshal(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		got := Queued{jsOf(v)}.CachedList()
		if got == nil {
			return
		}
		if foldedKey(v) {
			return // encoding/json matches "Certs" to "certs"; the worker writes the names as they are
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			return // JavaScript objects have no duplicate keys, types json would refuse, ...
		}
		if m.State == nil || m.State.List == nil {
			t.Fatalf("CachedList read a list where encoding/json reads none: %s", b)
		}
		if !reflect.DeepEqual(got, m.State.List) {
			t.Fatalf("CachedList = %+v, encoding/json %+v, from %s", got, m.State.List, b)
		}
	})
}

// foldedKey reports whether v has a key that is one of the message's JSON
// names in another case.
func foldedKey(v any) bool {
	lower, exact := map[string]bool{}, map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[Message](), reflect.TypeFor[State](), reflect.TypeFor[Op](), reflect.TypeFor[proto.ListResult](), reflect.TypeFor[proto.Cert]()} {
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			lower[strings.ToLower(name)], exact[name] = true, true
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if lower[strings.ToLower(k)] && !exact[k] || foldedKey(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if foldedKey(x) {
				return true
			}
		}
	}
	return false
}
