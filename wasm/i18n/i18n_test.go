package i18n

import (
	"reflect"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
)

// Every string and func in both tables is filled in, and every step and
// extension-side code has a text.
func TestTablesComplete(t *testing.T) {
	for _, s := range []*Strings{For("en-US"), For("ja-JP")} {
		v := reflect.ValueOf(*s)
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), v.Type().Field(i).Name
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if f.IsZero() {
				t.Errorf("%s: %s is empty", s.Lang, name)
			}
		}
		for _, st := range proto.Steps {
			if s.StepNames[st] == "" {
				t.Errorf("%s: no name for step %s", s.Lang, st)
			}
		}
		for _, c := range []proto.Code{CodeHostMissing, CodeHostForbidden, CodeHostDisconnected, CodeHostFailed, CodeNoExtension} {
			if s.ownMessages[c] == "" {
				t.Errorf("%s: no message for %s", s.Lang, c)
			}
		}
	}
}

func TestMessage(t *testing.T) {
	ja := For("ja")
	if got := ja.Message(&proto.Error{Code: proto.CodeBadPassword}); got != proto.MessageFor(proto.CodeBadPassword, "ja") {
		t.Errorf("catalogue fallback: %q", got)
	}
	if got := ja.Message(&proto.Error{Code: "new_code", Message: "from host"}); got != "from host" {
		t.Errorf("host message: %q", got)
	}
	if got := For("en").Message(&proto.Error{Code: CodeHostMissing, Message: "worker text"}); got == "worker text" {
		t.Error("host_missing should use the UI's own localized text")
	}
	if For("ja").CertListTitle != "証明書一覧" || For("ja").Activate != "アクティベート" || For("ja").Apply != "申請開始" {
		t.Error("Japanese terms differ from the seed")
	}
}
