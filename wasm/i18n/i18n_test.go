package i18n

import (
	"reflect"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
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
			if s.StepNames.Of(string(st)) == "" {
				t.Errorf("%s: no name for step %s", s.Lang, st)
			}
		}
		for _, c := range []errcode.Code{errcode.HostMissing, errcode.HostForbidden, errcode.HostDisconnected, errcode.HostFailed, errcode.NoExtension, errcode.LinkNotHeld} {
			if m := s.Message(&proto.Error{Code: c, Message: "worker text"}); m == "" || m == "worker text" || m == errcode.Message(errcode.Internal, s.Lang) {
				t.Errorf("%s: no message for %s: %q", s.Lang, c, m)
			}
		}
		// The More table too: every field filled, every backend and
		// doctor status named.
		m := s.More()
		mv := reflect.ValueOf(*m)
		for i := 0; i < mv.NumField(); i++ {
			if mv.Field(i).IsZero() {
				t.Errorf("%s: More.%s is empty", s.Lang, mv.Type().Field(i).Name)
			}
		}
		for _, b := range append([]string{"auto"}, proto.KeyBackends...) {
			if m.BackendNames.Of(b) == "" {
				t.Errorf("%s: no name for backend %s", s.Lang, b)
			}
		}
		for _, st := range []string{proto.DoctorAvailable, proto.DoctorKeys, proto.DoctorNotInspected, proto.DoctorNSSReady,
			proto.DoctorNSSMissing, proto.DoctorTLSVerified, proto.DoctorHTTPStatus, proto.DoctorFailed} {
			if txt, _ := m.DiagStatus(st, 2); txt == "" {
				t.Errorf("%s: no words for doctor status %s", s.Lang, st)
			}
		}
		for _, c := range []string{proto.CmdEnroll, proto.CmdRenew} {
			if m.DiagOp(c) == c {
				t.Errorf("%s: operation %s not named", s.Lang, c)
			}
		}
	}
}

// version_mismatch is said by the UI in the user's language, naming the
// component to update in it, whatever English the worker sent.
func TestVersionMismatchLocalized(t *testing.T) {
	e := &proto.Error{Code: errcode.VersionMismatch, Message: "The extension and certrenew-host speak different protocol versions. Update the browser extension.", Update: "the browser extension"}
	ja := For("ja").Message(e)
	if !strings.Contains(ja, "ブラウザーの拡張機能を更新") || strings.Contains(ja, "Update") {
		t.Errorf("ja: %q", ja)
	}
	if en := For("en").Message(e); !strings.Contains(en, "Update the browser extension") {
		t.Errorf("en: %q", en)
	}
	if ja := For("ja").Message(&proto.Error{Code: errcode.VersionMismatch, Update: "certrenew-host"}); !strings.Contains(ja, "certrenew-hostを更新") {
		t.Errorf("ja host: %q", ja)
	}
}

func TestMessage(t *testing.T) {
	ja := For("ja")
	if got := ja.Message(&proto.Error{Code: errcode.BadPassword}); got != errcode.Message(errcode.BadPassword, "ja") {
		t.Errorf("catalogue fallback: %q", got)
	}
	if got := ja.Message(&proto.Error{Code: "new_code", Message: "from host"}); got != "from host" {
		t.Errorf("host message: %q", got)
	}
	if got := For("en").Message(&proto.Error{Code: errcode.HostMissing, Message: "worker text"}); got == "worker text" {
		t.Error("host_missing should use the UI's own localized text")
	}
	if For("ja").CertListTitle != "証明書一覧" || For("ja").Activate != "アクティベート" || For("ja").Apply != "申請開始" {
		t.Error("Japanese terms differ from the seed")
	}
}

// The enroll heading and its button say the same word (issue 17), and the
// enroll progress note speaks of the enrollment, not the renewal.
func TestEnrollWordsAgree(t *testing.T) {
	en, ja := For("en"), For("ja")
	if !strings.Contains(en.EnrollTitle, "Enroll") || !strings.Contains(strings.ToLower(en.Apply), "enroll") {
		t.Errorf("en: heading %q, button %q", en.EnrollTitle, en.Apply)
	}
	if !strings.Contains(ja.EnrollTitle, "申請") || !strings.Contains(ja.Apply, "申請") {
		t.Errorf("ja: heading %q, button %q", ja.EnrollTitle, ja.Apply)
	}
	if h := en.ProgressHintEnroll; !strings.Contains(h, "enrollment") || strings.Contains(h, "renewal") {
		t.Errorf("en enroll progress hint %q", h)
	}
	if h := ja.ProgressHintEnroll; !strings.Contains(h, "申請") || strings.Contains(h, "更新") {
		t.Errorf("ja enroll progress hint %q", h)
	}
	e := &proto.Error{Code: errcode.BadPassword, Message: "The user ID or password is incorrect."}
	if m := en.MessageAt(proto.CmdRenew, e); m != errcode.RenewalMessage(errcode.BadPassword, "en") {
		t.Errorf("renewal bad_password: %q", m)
	}
	if m := ja.MessageAt(proto.CmdEnroll, e); m != "The user ID or password is incorrect." {
		t.Errorf("enroll bad_password: %q", m)
	}
}
