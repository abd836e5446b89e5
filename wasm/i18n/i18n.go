// Package i18n holds every string the certrenew UI shows, in English and
// Japanese. The Japanese terms follow the seed procedure (証明書一覧, 更新,
// パスワード, アクティベート, 招待コード, 申請開始).
//
// Messages for error codes, the host's and the extension's own, are
// errcode's (errcode.Message); this package only picks which to show.
package i18n

import (
	"strconv"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
)

// ownCodes are the codes the extension and this UI raise, never the host: the
// UI says them in the user's language with errcode's texts, whatever
// English the worker sent with them.
func ownCode(c errcode.Code) bool {
	switch c {
	case errcode.HostMissing, errcode.HostForbidden, errcode.HostDisconnected,
		errcode.HostFailed, errcode.NoExtension, errcode.LinkNotHeld:
		return true
	}
	return false
}

// Strings is the table of UI texts for one language. A Text has holes
// for the values it is said with ({1}, …), so that word order can differ
// per language; a function field is a text with a rule of its own.
type Strings struct {
	Lang string

	AppName        string
	Loading        string
	CertListTitle  string
	EmptyList      string
	EmptyListHint  string
	EnrollButton   string
	Refresh        string
	MenuLabel      Text // {1} the common name
	MenuRenew      string
	StatusValid    string
	StatusExpiring string
	StatusExpired  string
	Serial         string
	ExpiresIn      Text // {1} date, {2} days left; see Expires
	ExpiresIn1Day  Text // ExpiresIn for one day left
	ExpiredOn      Text // {1} the date

	ConfirmTitle string
	ConfirmBody  Text // {1} the common name
	OK           string
	Cancel       string

	RenewTitle   string
	Password     string
	PasswordHint string
	// TokenPIN labels the security-token PIN field (hardware keys).
	TokenPIN      string
	TokenPINHint  string
	Activate      string
	RenewingCert  Text // {1} the common name
	EnrollTitle   string
	Portal        string
	PortalHint    string
	UserID        string
	Invitation    string
	Apply         string
	FieldRequired Text // {1} the field
	PortalHTTPS   string

	ProgressRenew  string
	ProgressEnroll string
	ProgressHint   string // renewal
	// ProgressHintEnroll is ProgressHint for an enrollment.
	ProgressHintEnroll string
	StepNames          Table // by proto.Step

	DoneRenew  string
	DoneEnroll string
	NewSerial  string
	ValidUntil string
	BackToList string
	Back       string
	TryAgain   string
	ErrorTitle string
	Details    string
	UpdateThis Text // {1} the component
}

// For returns the table for a BCP 47 language tag such as navigator.language:
// Japanese for "ja" and "ja-*", English otherwise.
func For(lang string) *Strings {
	if strings.HasPrefix(strings.ToLower(lang), "ja") {
		return &ja
	}
	return &en
}

// Message is the text to show for a wire error. For the host's codes it is
// the message the host sent (already in the request's language), else
// errcode's text; codes raised by the extension get errcode's text in s's
// language, and version_mismatch (which the worker may raise) is said here.
func (s *Strings) Message(e *proto.Error) string {
	if e == nil {
		return ""
	}
	if e.Code == errcode.VersionMismatch {
		// The worker's own text is English; say it here, with the
		// component to update in the user's words.
		m := s.More()
		return m.VersionMismatch.With(m.Component(orDefault(e.Update, "certrenew-host")))
	}
	if e.Message != "" && !ownCode(e.Code) {
		return e.Message
	}
	return errcode.Message(e.Code, s.Lang)
}

// MessageAt is Message for an error that ended command cmd (proto.CmdRenew,
// proto.CmdEnroll, "" for none): a renewal says what only it asked for.
func (s *Strings) MessageAt(cmd string, e *proto.Error) string {
	if cmd == proto.CmdRenew && e != nil {
		if m := errcode.RenewalMessage(e.Code, s.Lang); m != "" {
			return m
		}
	}
	return s.Message(e)
}

// Step names a progress step; unknown steps (from a newer host) show as is.
func (s *Strings) Step(st proto.Step) string {
	if n, ok := s.StepNames.Get(string(st)); ok {
		return n
	}
	return string(st)
}

var en = Strings{
	Lang:           "en",
	AppName:        "certrenew",
	Loading:        "Loading certificates…",
	CertListTitle:  "Certificates",
	EmptyList:      "No certificates yet",
	EmptyListHint:  "Enroll a client certificate with the invitation code from your administrator.",
	EnrollButton:   "Enroll a certificate",
	Refresh:        "Refresh",
	MenuLabel:      Text("Actions for {1}"),
	MenuRenew:      "Renew",
	StatusValid:    "Valid",
	StatusExpiring: "Expiring soon",
	StatusExpired:  "Expired",
	Serial:         "Serial",
	ExpiresIn:      Text("Expires {1} ({2} days left)"), ExpiresIn1Day: "Expires {1} (1 day left)",
	ExpiredOn: Text("Expired on {1}"),

	ConfirmTitle: "Renew this certificate?",
	ConfirmBody:  Text("A new key and certificate will be made for {1}. The old certificate is removed only after the new one is installed and checked."),
	OK:           "OK",
	Cancel:       "Cancel",

	RenewTitle:    "Renew certificate",
	Password:      "Password",
	PasswordHint:  "The password of your account on the certificate portal.",
	TokenPIN:      "Security token PIN",
	TokenPINHint:  "Your key is on a security token. The PIN unlocks it for this renewal only and is not stored.",
	Activate:      "Activate",
	RenewingCert:  Text("Certificate: {1}"),
	EnrollTitle:   "Enroll a certificate",
	Portal:        "Portal URL",
	PortalHint:    "For example https://portal.example.com",
	UserID:        "User ID",
	Invitation:    "Invitation code",
	Apply:         "Start enrollment",
	FieldRequired: Text("{1} is required."),
	PortalHTTPS:   "The portal URL must start with https://",

	ProgressRenew:      "Renewing certificate…",
	ProgressEnroll:     "Enrolling certificate…",
	ProgressHint:       "You can close this window; the renewal goes on in the background.",
	ProgressHintEnroll: "You can close this window; the enrollment goes on in the background.",
	StepNames: Table{
		string(proto.StepKeygen), "Create a new key",
		string(proto.StepCSR), "Prepare the request",
		string(proto.StepSubmit), "Send to the certificate server",
		string(proto.StepInstall), "Install the certificate",
		string(proto.StepVerify), "Check the installed certificate",
		string(proto.StepCleanup), "Remove the old certificate",
		string(proto.StepDone), "Done",
	},

	DoneRenew:  "Certificate renewed",
	DoneEnroll: "Certificate enrolled",
	NewSerial:  "New serial",
	ValidUntil: "Valid until",
	BackToList: "Back to list",
	Back:       "Back",
	TryAgain:   "Try again",
	ErrorTitle: "Something went wrong",
	Details:    "Technical details",
	UpdateThis: Text("Update: {1}"),
}

var ja = Strings{
	Lang:           "ja",
	AppName:        "certrenew",
	Loading:        "証明書を読み込んでいます…",
	CertListTitle:  "証明書一覧",
	EmptyList:      "証明書はまだありません",
	EmptyListHint:  "管理者から受け取った招待コードでクライアント証明書を申請してください。",
	EnrollButton:   "証明書を申請",
	Refresh:        "再読み込み",
	MenuLabel:      Text("{1} の操作"),
	MenuRenew:      "更新",
	StatusValid:    "有効",
	StatusExpiring: "まもなく期限切れ",
	StatusExpired:  "期限切れ",
	Serial:         "シリアル番号",
	ExpiresIn:      Text("有効期限 {1}（残り {2} 日）"), ExpiresIn1Day: "有効期限 {1}（残り 1 日）",
	ExpiredOn: Text("有効期限切れ（{1}）"),

	ConfirmTitle: "この証明書を更新しますか？",
	ConfirmBody:  Text("{1} の新しい鍵と証明書を作成します。古い証明書は、新しい証明書のインストールと確認が終わってから削除されます。"),
	OK:           "OK",
	Cancel:       "キャンセル",

	RenewTitle:    "証明書の更新",
	Password:      "パスワード",
	PasswordHint:  "証明書ポータルのアカウントのパスワードです。",
	TokenPIN:      "セキュリティトークンのPIN",
	TokenPINHint:  "鍵はセキュリティトークンにあります。PINは今回の操作でだけ使われ、保存されません。",
	Activate:      "アクティベート",
	RenewingCert:  Text("証明書: {1}"),
	EnrollTitle:   "証明書の申請",
	Portal:        "ポータルURL",
	PortalHint:    "例: https://portal.example.com",
	UserID:        "ユーザーID",
	Invitation:    "招待コード",
	Apply:         "申請開始",
	FieldRequired: Text("{1}を入力してください。"),
	PortalHTTPS:   "ポータルURLは https:// で始めてください。",

	ProgressRenew:      "証明書を更新しています…",
	ProgressEnroll:     "証明書を申請しています…",
	ProgressHint:       "このウィンドウを閉じても、更新はバックグラウンドで続きます。",
	ProgressHintEnroll: "このウィンドウを閉じても、申請はバックグラウンドで続きます。",
	StepNames: Table{
		string(proto.StepKeygen), "新しい鍵を作成",
		string(proto.StepCSR), "証明書署名要求を作成",
		string(proto.StepSubmit), "証明書サーバーへ送信",
		string(proto.StepInstall), "証明書をインストール",
		string(proto.StepVerify), "インストールした証明書を確認",
		string(proto.StepCleanup), "古い証明書を削除",
		string(proto.StepDone), "完了",
	},

	DoneRenew:  "証明書を更新しました",
	DoneEnroll: "証明書を発行しました",
	NewSerial:  "新しいシリアル番号",
	ValidUntil: "有効期限",
	BackToList: "証明書一覧に戻る",
	Back:       "戻る",
	TryAgain:   "再試行",
	ErrorTitle: "エラーが発生しました",
	Details:    "詳細情報",
	UpdateThis: Text("更新が必要: {1}"),
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Expires says when a certificate expires (date) and in how many days.
func (s *Strings) Expires(date string, days int) string {
	if days == 1 {
		return s.ExpiresIn1Day.With(date)
	}
	return s.ExpiresIn.With(date, strconv.Itoa(days))
}
