package i18n

import (
	"fmt"
	"strconv"

	"github.com/certrenew/certrenew/host/proto"
)

// More holds the texts of the settings, diagnostics and renewal-link
// screens (kept apart from Strings so that the tables grow without
// conflicts).
type More struct {
	Settings, Diagnostics                           string
	SettingsTitle, PortalURLs, PortalURLsHint       string
	WarningDays, WarningDaysHint, AllowedBackends   string
	HardwareRequired, Save, Saved                   string
	Locked, LockedHint                              string
	BackendNames                                    Table // by backend ("auto", "tpm", …)
	CheckNow                                        string
	MenuMute, MenuUnmute, Muted                     string
	DiagTitle, DiagHost, DiagProtocol, DiagBackends string
	DiagTokens, DiagNSS, DiagPortals, DiagLastOp    string
	DiagNone, DiagCopy, DiagCopied, DiagRunning     string
	DiagExtension                                   string
	OKWord, NGWord                                  string
	LinkFrom                                        Text // {1} the portal
	LinkEnrollHint                                  string
	InvalidWarningDays                              string
	InvalidPortalURL                                Text // {1} the URL, quoted (InvalidPortal)
	// RestartHint, on a finished renewal: a browser keeps the certificate
	// it already chose for a site until it restarts (docs/renewal.md).
	RestartHint string
	// Next (次へ) and its hint: the screen a notification opens.
	Next, NextHint string
	// DiagWords words the statuses of diagnostics checks
	// (proto.DoctorCheck.Status; the DoctorHTTPStatus words hold a %d for
	// the HTTP status), DiagKeys the DoctorKeys count. See DiagStatus.
	DiagWords  Table
	DiagKeys   Text // {1} how many; DiagOneKey for 1
	DiagOneKey string
	// DiagOps names the operations of the host's log ("enroll", "renew").
	DiagOps Table
	// VersionMismatch says which side to update ({1}); Component names it
	// (proto.Error.Update: "certrenew-host" or "the browser extension").
	VersionMismatch Text
	Components      Table // by proto.Error.Update; see Component
	// LastChecked says when the expiry check last ran; NeverChecked that
	// it has not yet.
	LastChecked  Text // {1} when
	NeverChecked string
	// A renewal link from a page that is not a configured portal.
	LinkRefusedTitle string
	// LinkRefusedHere: the portals are the user's, in Settings; Locked:
	// the organisation set them. {1} the origin. See LinkRefused.
	LinkRefusedHere, LinkRefusedLocked Text
	// Screens after the screenshot review.
	IssuedTo, SerialLabel, Expiry string
	RenewFailed, EnrollFailed     string
	OpenPortal, DiagReport        string
	KeyStorage, KeyOf             string // enroll form label; list line
	// The portal's record of the key's hardware binding (proto.Cert.Hardware):
	// in the list line, and in the details' key storage.
	KeyAttested, KeyUnproven         string
	StorageAttested, StorageUnproven string
}

// More returns the extra texts in s's language.
// technicalStatus holds the statuses (problems) beside whose words the
// host's own Detail is worth showing, the same in every language.
func technicalStatus(status string) bool {
	return status == proto.DoctorNSSMissing || status == proto.DoctorFailed
}

// DiagStatus words a diagnostics check (proto.DoctorCheck.Status, with its
// N); technical: the host's own Detail is worth showing too. "" for a
// status this UI does not know.
func (m *More) DiagStatus(status string, n int) (text string, technical bool) {
	if status == proto.DoctorKeys {
		if n == 1 {
			return m.DiagOneKey, false
		}
		return m.DiagKeys.With(strconv.Itoa(n)), false
	}
	w, ok := m.DiagWords.Get(status)
	if ok && status == proto.DoctorHTTPStatus {
		w = fmt.Sprintf(w, n)
	}
	return w, technicalStatus(status)
}

// DiagOp names an operation of the host's log; one this UI does not know
// by its command.
func (m *More) DiagOp(command string) string {
	if w, ok := m.DiagOps.Get(command); ok {
		return w
	}
	return command
}

// More returns the texts of More in s's language. Not inlined: it is
// called in two dozen places of the UI.
//
//go:noinline
func (s *Strings) More() *More {
	if s != nil && s.Lang == "ja" {
		return &moreJA
	}
	return &moreEN
}

var moreEN = More{
	Settings: "Settings", Diagnostics: "Diagnostics",
	SettingsTitle:    "Settings",
	PortalURLs:       "Portal URLs",
	PortalURLsHint:   "One https URL per line. Renewal links are accepted only from these portals.",
	WarningDays:      "Remind me before expiry (days)",
	WarningDaysHint:  "Comma-separated, for example 30, 14, 7, 3, 1",
	AllowedBackends:  "Key storage that may be used",
	HardwareRequired: "Require a hardware key (TPM or token)",
	Save:             "Save", Saved: "Saved.",
	Locked:       "Set by your organisation",
	LockedHint:   "Settings marked as set by your organisation cannot be changed here.",
	BackendNames: Table{"auto", "Automatic", "tpm", "TPM", "pkcs11", "Security token", "soft", "Software"},
	CheckNow:     "Check expiry now",
	MenuMute:     "Don't remind me again", MenuUnmute: "Remind me again", Muted: "Reminders off",
	DiagTitle: "Diagnostics",
	DiagHost:  "certrenew-host", DiagProtocol: "Protocol",
	DiagBackends: "Key storage", DiagTokens: "Keys in each storage", DiagNSS: "Certificate databases (NSS)",
	DiagPortals: "Portals (reachability and TLS)", DiagLastOp: "Last enrollment or renewal",
	DiagNone: "none", DiagCopy: "Copy report", DiagCopied: "Copied. The report holds no passwords or keys.",
	DiagRunning: "Checking…", DiagExtension: "Extension",
	OKWord: "OK", NGWord: "Problem",
	LinkFrom:           Text("Renewal link from {1}"),
	LinkEnrollHint:     "No certificate on this computer matches the link: enroll a new one with it.",
	InvalidWarningDays: "Enter whole numbers of days, for example 30, 14, 7.",
	InvalidPortalURL:   Text("{1} is not an https URL (like https://portal.example.com). Nothing was saved."),
	DiagWords: Table{
		proto.DoctorAvailable, "ready to make keys",
		proto.DoctorNotInspected, "not inspected",
		proto.DoctorNSSReady, "found",
		proto.DoctorNSSMissing, "not found: no browser has created it yet",
		proto.DoctorTLSVerified, "reachable, server certificate verified",
		proto.DoctorHTTPStatus, "server certificate verified, but the certificate server answered HTTP %d",
		proto.DoctorFailed, "error",
	},
	DiagKeys: Text("{1} keys"), DiagOneKey: "1 key",
	DiagOps:           Table{proto.CmdEnroll, "Enrollment", proto.CmdRenew, "Renewal"},
	VersionMismatch:   Text("The extension and certrenew-host speak different protocol versions. Update {1}, then open this window again."),
	Components:        Table{"certrenew-host", "certrenew-host", "the browser extension", "the browser extension"},
	LastChecked:       Text("Last checked for expiring certificates: {1}"),
	NeverChecked:      "Not checked for expiring certificates yet.",
	LinkRefusedTitle:  "Renewal link refused",
	IssuedTo:          "Issued to",
	SerialLabel:       "Serial number",
	Expiry:            "Expiry",
	RenewFailed:       "The certificate was not renewed",
	RestartHint:       "Sites where you already used the previous certificate keep using it until you restart the browser. It stays valid for a few days, so nothing stops working meanwhile.",
	EnrollFailed:      "The certificate was not issued",
	OpenPortal:        "Open the portal",
	DiagReport:        "Report for your help desk (no passwords, PINs or keys)",
	KeyStorage:        "Key storage",
	KeyOf:             "Key",
	KeyAttested:       "TPM-attested",
	KeyUnproven:       "hardware not proven",
	StorageAttested:   "hardware-bound, proven to the portal by TPM attestation",
	StorageUnproven:   "hardware-bound by the token's word; not proven to the portal",
	LinkRefusedLocked: Text("A renewal link came from {1}, which is not one of the portals your organisation set. Nothing was done with it. If it should be, ask your administrator to add it."),
	LinkRefusedHere:   Text("A renewal link came from {1}, which is not one of your portals in Settings. Nothing was done with it. If it is your organisation's portal, add it in Settings and open the link again."),
	Next:              "Next",
	NextHint:          "Renewing makes a new key and certificate. Next, enter the password of your portal account.",
}

var moreJA = More{
	Settings: "設定", Diagnostics: "診断",
	SettingsTitle:    "設定",
	PortalURLs:       "ポータルURL",
	PortalURLsHint:   "1 行に 1 つ、https の URL。更新リンクはこのポータルからのみ受け付けます。",
	WarningDays:      "通知する日 (有効期限の何日前)",
	WarningDaysHint:  "カンマ区切り。例: 30, 14, 7, 3, 1",
	AllowedBackends:  "使用を許可する鍵の保管場所",
	HardwareRequired: "ハードウェア鍵 (TPM・トークン) を必須にする",
	Save:             "保存", Saved: "保存しました。",
	Locked:       "組織により設定",
	LockedHint:   "「組織により設定」の項目はここでは変更できません。",
	BackendNames: Table{"auto", "自動", "tpm", "TPM", "pkcs11", "セキュリティトークン", "soft", "ソフトウェア"},
	CheckNow:     "今すぐ有効期限を確認",
	MenuMute:     "今後通知しない", MenuUnmute: "通知を再開する", Muted: "期限の通知: オフ (今後通知しない)",
	DiagTitle: "診断",
	DiagHost:  "certrenew-host", DiagProtocol: "プロトコル",
	DiagBackends: "鍵の保管場所", DiagTokens: "保管場所ごとの鍵", DiagNSS: "証明書データベース (NSS)",
	DiagPortals: "ポータル (接続と TLS)", DiagLastOp: "直近の申請・更新",
	DiagNone: "なし", DiagCopy: "レポートをコピー", DiagCopied: "コピーしました。レポートにパスワードや鍵は含まれません。",
	DiagRunning: "確認中…", DiagExtension: "拡張機能",
	OKWord: "正常", NGWord: "問題あり",
	LinkFrom:           Text("{1} からの更新リンク"),
	LinkEnrollHint:     "このコンピューターにはリンクに合う証明書がありません。このリンクで新しく申請します。",
	InvalidWarningDays: "日数を整数で入力してください。例: 30, 14, 7",
	InvalidPortalURL:   Text("{1} は https の URL (例: https://portal.example.com) ではありません。保存していません。"),
	DiagWords: Table{
		proto.DoctorAvailable, "鍵を作成できます",
		proto.DoctorNotInspected, "未確認",
		proto.DoctorNSSReady, "あり",
		proto.DoctorNSSMissing, "見つかりません (ブラウザーがまだ作成していません)",
		proto.DoctorTLSVerified, "接続できます (サーバー証明書を確認済み)",
		proto.DoctorHTTPStatus, "サーバー証明書は確認済みですが、証明書サーバーが HTTP %d を返しました",
		proto.DoctorFailed, "エラー",
	},
	DiagKeys: Text("鍵 {1} 個"), DiagOneKey: "鍵 1 個",
	DiagOps:           Table{proto.CmdEnroll, "申請", proto.CmdRenew, "更新"},
	VersionMismatch:   Text("拡張機能と certrenew-host のプロトコルのバージョンが一致しません。{1}を更新してから、このウィンドウを開き直してください。"),
	LastChecked:       Text("有効期限の最終確認: {1}"),
	NeverChecked:      "有効期限はまだ確認していません。",
	LinkRefusedTitle:  "更新リンクを拒否しました",
	IssuedTo:          "発行先",
	SerialLabel:       "シリアル番号",
	Expiry:            "有効期限",
	RenewFailed:       "証明書を更新できませんでした",
	RestartHint:       "以前の証明書を使ったことのあるサイトでは、ブラウザーを再起動するまで以前の証明書が使われます。以前の証明書も数日間は有効なので、その間も利用できます。",
	EnrollFailed:      "証明書を発行できませんでした",
	OpenPortal:        "ポータルを開く",
	DiagReport:        "ヘルプデスク用レポート (パスワード・PIN・鍵は含みません)",
	KeyStorage:        "鍵の保管場所",
	KeyOf:             "鍵",
	KeyAttested:       "TPM 証明済み",
	KeyUnproven:       "ハードウェア未証明",
	StorageAttested:   "ハードウェア内: TPM の証明をポータルが検証済み",
	StorageUnproven:   "ハードウェア内 (トークンの申告のみ、ポータルへの証明なし)",
	LinkRefusedLocked: Text("{1} から更新リンクが届きましたが、組織が設定したポータルではないため何もしていません。必要な場合は管理者にポータルの追加を依頼してください。"),
	LinkRefusedHere:   Text("{1} から更新リンクが届きましたが、設定のポータルにないため何もしていません。組織のポータルであれば、設定で追加してからリンクを開き直してください。"),
	Components:        Table{"certrenew-host", "certrenew-host", "the browser extension", "ブラウザーの拡張機能"},
	Next:              "次へ",
	NextHint:          "新しい鍵と証明書を作成して更新します。「次へ」を押して、ポータルのアカウントのパスワードを入力してください。",
}

// InvalidPortal says that u, which the user entered, is not a portal URL.
func (m *More) InvalidPortal(u string) string { return m.InvalidPortalURL.With(strconv.Quote(u)) }

// Component names the side to update (proto.Error.Update) in m's language.
func (m *More) Component(update string) string {
	if n, ok := m.Components.Get(update); ok {
		return n
	}
	return update
}

// LinkRefused says that a renewal link from origin was refused; locked: the
// organisation set the portals.
func (m *More) LinkRefused(origin string, locked bool) string {
	if locked {
		return m.LinkRefusedLocked.With(origin)
	}
	return m.LinkRefusedHere.With(origin)
}
