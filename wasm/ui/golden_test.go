package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

var update = flag.Bool("update", false, "rewrite testdata/render/*.txt")

// dumpUI writes the tree go-app gets from a Render: tags, every attribute
// (sorted), the events with a handler, texts and children, read from
// go-app's unexported fields so that nothing it keeps is left out.
func dumpUI(b *strings.Builder, u app.UI, depth int) {
	if u == nil {
		return
	}
	v := reflect.ValueOf(u)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return
	}
	ind := strings.Repeat("  ", depth)
	switch u.Kind() {
	case app.SimpleText:
		fmt.Fprintf(b, "%s%q\n", ind, v.Elem().FieldByName("value").String())
		return
	case app.Component:
		fmt.Fprintf(b, "%s<%T>\n", ind, u)
		return
	case app.Selector:
		for _, c := range app.FilterUIElems(u) {
			dumpUI(b, c, depth)
		}
		return
	}
	el := v.Elem().Field(0) // htmlElement
	var attrs []string
	it := el.FieldByName("attributes").MapRange()
	for it.Next() {
		attrs = append(attrs, fmt.Sprintf("%s=%q", it.Key().String(), it.Value().String()))
	}
	sort.Strings(attrs)
	var evs []string
	it = el.FieldByName("eventHandlers").MapRange()
	for it.Next() {
		evs = append(evs, "@"+it.Key().String())
	}
	sort.Strings(evs)
	fmt.Fprintf(b, "%s<%s %s %s self=%v>\n", ind, el.FieldByName("tag").String(), strings.Join(attrs, " "), strings.Join(evs, " "), el.FieldByName("isSelfClosing").Bool())
	kids := el.FieldByName("children")
	for i := 0; i < kids.Len(); i++ {
		k := kids.Index(i)
		if k.IsNil() {
			continue
		}
		// An unexported field: read through its address.
		k = reflect.NewAt(k.Type(), unsafe.Pointer(k.UnsafeAddr())).Elem()
		dumpUI(b, k.Interface().(app.UI), depth+1)
	}
}

// renderCases are screens in the states the browser tests reach, in both
// languages.
func renderCases(lang string) map[string]interface{ Render() app.UI } {
	s := i18n.For(lang)
	at := time.Date(2027, 6, 21, 12, 0, 0, 0, time.UTC)
	certs := []proto.Cert{
		{ID: "c1", Subject: "CN=alice,O=X", Serial: "01:02", Portal: "https://a.example", Backend: "soft", NotAfter: at, DaysLeft: 200, Status: proto.StatusValid},
		{ID: "c2", Subject: "CN=alice,O=X", Serial: "03", Portal: "https://b.example", Backend: "tpm", NotAfter: at, DaysLeft: 5, Status: proto.StatusExpiring, PortalUnreachableSince: at.Add(-time.Hour)},
		{ID: "c3", Subject: "CN=bob", Serial: "04", Backend: "pkcs11", NotAfter: at, DaysLeft: -2, Status: proto.StatusExpired},
	}
	set := &bridge.Settings{
		Values: bridge.SettingValues{PortalURLs: []string{"https://a.example"}, WarningDays: []int{30, 7}, AllowedBackends: []string{"auto", "soft", "tpm"}, HardwareRequired: true},
		Locked: []string{"warningDays", "removalAllowed", "hardwareRequired"}, LastCheck: float64(at.UnixMilli()),
	}
	list := &proto.ListResult{Certs: certs}
	res := &proto.DoctorResult{HostVersion: "1.0", Executable: "/x/host", Protocol: "1",
		Backends: []proto.DoctorCheck{{Name: "soft", OK: true, Status: proto.DoctorAvailable}, {Name: "tpm", OK: false, Detail: "no /dev/tpmrm0", Status: "weird"}},
		Portals:  []proto.DoctorCheck{{Name: "https://a.example", OK: false, Detail: "dial tcp", Status: proto.DoctorFailed}},
		LastOp:   &proto.DoctorLastOp{Command: proto.CmdRenew, At: at, OK: false, Code: errcode.ServerUnreachable}}
	hostMissing := &proto.Error{Code: errcode.HostMissing, Detail: "not found"}
	notice := &proto.Notice{Kind: proto.NoticeOSAsksKeyUse}
	cases := map[string]interface{ Render() app.UI }{
		"list":          &listView{S: s, List: list, Refreshing: true, WarnDays: 30, Muted: map[string]bool{"c1": true}, CanMute: true, Status: "Removed x"},
		"list-menu":     &listView{S: s, List: list, WarnDays: 30, CanMute: true, RemoveLocked: true, menuFor: "c2"},
		"list-menu2":    &listView{S: s, List: list, WarnDays: 30, menuFor: "c1"},
		"list-confirm":  &listView{S: s, List: list, confirming: &certs[1]},
		"list-remove":   &listView{S: s, List: list, confirming: &certs[0], removing: true},
		"list-empty":    &listView{S: s, List: &proto.ListResult{}},
		"settings":      &settingsView{S: s, Settings: set},
		"settings-bad":  &settingsView{S: s, Settings: &bridge.Settings{Values: bridge.SettingValues{AllowedBackends: []string{"soft"}, RemovalAllowed: true}, Locked: []string{"portalURLs", "allowedBackends"}}, problem: "bad days", portalProblem: "bad url", saved: true},
		"settings-none": &settingsView{S: s},
		"diag-running":  &diagnosticsView{S: s},
		"diag-result":   &diagnosticsView{S: s, State: &doctorState{result: res}, copied: true},
		"diag-error":    &diagnosticsView{S: s, State: &doctorState{err: hostMissing}},
		"diag-noop":     &diagnosticsView{S: s, State: &doctorState{result: &proto.DoctorResult{LastOp: &proto.DoctorLastOp{Command: proto.CmdEnroll, At: at, OK: true}}}},
		"error-missing": &errorView{S: s, Err: hostMissing, NoBack: true},
		"error-expired": &errorView{S: s, Err: &proto.Error{Code: errcode.CertExpired, Detail: "d", Update: "host"}, Command: proto.CmdRenew, Cert: &certs[2], Portal: "https://a.example"},
		"error-auth":    &errorView{S: s, Err: &proto.Error{Code: errcode.BadPassword}, Command: proto.CmdRenew, Cert: &certs[0]},
		"password-wait": &passwordView{S: s, Cert: &certs[1]},
		"password":      &passwordView{S: s, Cert: &certs[1], Auth: proto.RenewalAuthPassword, missing: true, password: "p", pin: "1"},
		"password-ok":   &passwordView{S: s, Cert: &certs[0], Auth: proto.RenewalAuthPassword},
		"password-cert": &passwordView{S: s, Cert: &certs[1], Auth: proto.RenewalAuthCertificate},
		"next":          &nextView{S: s, Cert: &certs[1]},
		"next-expired":  &nextView{S: s, Cert: &certs[2]},
		"next-ok":       &nextView{S: s, Cert: &certs[0]},
		"enroll":        &enrollView{S: s, Draft: &enrollDraft{Portal: "https://a.example"}, NeedPIN: true, Backends: []string{"auto", "soft", "tpm"}},
		"enroll-bad":    &enrollView{S: s, Draft: &enrollDraft{}, ByLink: true, problems: map[string]string{"enroll-portal": "need", "enroll-user": "need"}, Backends: []string{"soft"}},
		"progress":      &progressView{S: s, Command: proto.CmdRenew, Steps: []proto.Step{proto.Steps[0], proto.Steps[1]}, Cert: &certs[0], Notice: notice},
		"progress-new":  &progressView{S: s, Command: proto.CmdEnroll},
		"done":          &doneView{S: s, Op: &bridge.Op{Command: proto.CmdRenew, Notice: notice}, Cert: &certs[0]},
		"done-enroll":   &doneView{S: s, Op: &bridge.Op{Command: proto.CmdEnroll}, Cert: &certs[0]},
		"details":       &detailsView{S: s, Cert: &proto.Cert{ID: "c1", Subject: "CN=a", SHA256: "00:11:22:33:44:55:66:77:88", Backend: "tpm", NotAfter: at, NotBefore: at}, Label: "a", copied: "Serial"},
		"details-soft":  &detailsView{S: s, Cert: &certs[0], Label: "alice"},
		"refused":       &refusedView{S: s, Origin: "https://evil.example", Locked: true},
		"refused-none":  &refusedView{S: s},
	}
	for _, sc := range []screen{screenLoading, screenList, screenSettings, screenDiagnostics, screenPassword, screenEnroll} {
		cases[fmt.Sprintf("root-%d", sc)] = &Root{s: s, screen: sc, wide: sc == screenSettings, list: list, link: &bridge.Link{Portal: "https://a.example"}}
	}
	cases["root-pre"] = &Root{}
	return cases
}

// TestRenderUnchanged compares each screen's tree with the one recorded in
// testdata/render: the screens may be written differently, their DOM may
// not change unnoticed (go test ./wasm/ui -update records a new one).
func TestRenderUnchanged(t *testing.T) {
	t.Setenv("TZ", "Asia/Tokyo")
	time.Local = time.FixedZone("UTC+9", 9*3600)
	for _, lang := range []string{"en", "ja"} {
		for name, c := range renderCases(lang) {
			var b strings.Builder
			dumpUI(&b, c.Render(), 0)
			file := filepath.Join("testdata", "render", name+"."+lang+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("%s (%s) renders differently:\n%s\nwant:\n%s", name, lang, b.String(), want)
			}
		}
	}
}
