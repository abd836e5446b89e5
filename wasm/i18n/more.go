package i18n

import "fmt"

// More holds the texts of the settings, diagnostics and renewal-link
// screens (kept apart from Strings so that the tables grow without
// conflicts).
type More struct {
	Settings, Diagnostics                           string
	SettingsTitle, PortalURLs, PortalURLsHint       string
	WarningDays, WarningDaysHint, AllowedBackends   string
	HardwareRequired, AutoRenew, Save, Saved        string
	Locked, LockedHint                              string
	BackendNames                                    map[string]string
	CheckNow                                        string
	MenuMute, MenuUnmute, Muted                     string
	DiagTitle, DiagHost, DiagProtocol, DiagBackends string
	DiagTokens, DiagNSS, DiagPortals, DiagLastOp    string
	DiagNone, DiagCopy, DiagCopied, DiagRunning     string
	DiagExtension                                   string
	OKWord, NGWord                                  string
	LinkFrom                                        func(portal string) string
	LinkEnrollHint                                  string
	LinkExpired                                     string
	InvalidWarningDays                              string
	InvalidPortal                                   func(u string) string
	// Next (次へ) and its hint: the screen a notification opens.
	Next, NextHint string
}

// More returns the extra texts in s's language.
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
	AllowedBackends:  "Key storage",
	HardwareRequired: "Require a hardware key (TPM or token)",
	AutoRenew:        "Renew automatically",
	Save:             "Save", Saved: "Saved.",
	Locked:       "Set by your organisation",
	LockedHint:   "Settings marked as set by your organisation cannot be changed here.",
	BackendNames: map[string]string{"auto": "Automatic", "tpm": "TPM", "pkcs11": "Security token", "soft": "Software"},
	CheckNow:     "Check expiry now",
	MenuMute:     "Don't remind me again", MenuUnmute: "Remind me again", Muted: "No reminders",
	DiagTitle: "Diagnostics",
	DiagHost:  "certrenew-host", DiagProtocol: "Protocol",
	DiagBackends: "Key backends", DiagTokens: "Tokens", DiagNSS: "Certificate databases (NSS)",
	DiagPortals: "Portals (reachability and TLS)", DiagLastOp: "Last enrollment or renewal",
	DiagNone: "none", DiagCopy: "Copy report", DiagCopied: "Copied. The report holds no passwords or keys.",
	DiagRunning: "Checking…", DiagExtension: "Extension",
	OKWord: "OK", NGWord: "Problem",
	LinkFrom:           func(p string) string { return "Renewal link from " + p },
	LinkEnrollHint:     "No certificate on this computer matches the link: enroll a new one with it.",
	LinkExpired:        "This renewal link is no longer held by the extension (it was used, or the browser restarted). Open the link from the portal again.",
	InvalidWarningDays: "Enter whole numbers of days, for example 30, 14, 7.",
	InvalidPortal:      func(u string) string { return fmt.Sprintf("%q is not an https URL.", u) },
	Next:               "Next",
	NextHint:           "Renewing makes a new key and certificate. Next, enter the password of your portal account.",
}

var moreJA = More{
	Settings: "設定", Diagnostics: "診断",
	SettingsTitle:    "設定",
	PortalURLs:       "ポータルの URL",
	PortalURLsHint:   "1 行に 1 つ、https の URL。更新リンクはこのポータルからのみ受け付けます。",
	WarningDays:      "有効期限の何日前に通知するか",
	WarningDaysHint:  "カンマ区切り。例: 30, 14, 7, 3, 1",
	AllowedBackends:  "鍵の保管場所",
	HardwareRequired: "ハードウェア鍵 (TPM またはトークン) を必須にする",
	AutoRenew:        "自動で更新する",
	Save:             "保存", Saved: "保存しました。",
	Locked:       "組織により設定",
	LockedHint:   "「組織により設定」の項目はここでは変更できません。",
	BackendNames: map[string]string{"auto": "自動", "tpm": "TPM", "pkcs11": "セキュリティトークン", "soft": "ソフトウェア"},
	CheckNow:     "今すぐ有効期限を確認",
	MenuMute:     "今後通知しない", MenuUnmute: "通知を再開する", Muted: "通知しない",
	DiagTitle: "診断",
	DiagHost:  "certrenew-host", DiagProtocol: "プロトコル",
	DiagBackends: "鍵のバックエンド", DiagTokens: "トークン", DiagNSS: "証明書データベース (NSS)",
	DiagPortals: "ポータル (接続と TLS)", DiagLastOp: "直近の申請・更新",
	DiagNone: "なし", DiagCopy: "レポートをコピー", DiagCopied: "コピーしました。レポートにパスワードや鍵は含まれません。",
	DiagRunning: "確認中…", DiagExtension: "拡張機能",
	OKWord: "正常", NGWord: "問題あり",
	LinkFrom:           func(p string) string { return p + " からの更新リンク" },
	LinkEnrollHint:     "このコンピューターにはリンクに合う証明書がありません。このリンクで新しく申請します。",
	LinkExpired:        "この更新リンクは拡張機能にもう保持されていません (使用済み、またはブラウザーの再起動)。ポータルからリンクを開き直してください。",
	InvalidWarningDays: "日数を整数で入力してください。例: 30, 14, 7",
	InvalidPortal:      func(u string) string { return fmt.Sprintf("%q は https の URL ではありません。", u) },
	Next:               "次へ",
	NextHint:           "新しい鍵と証明書を作成して更新します。「次へ」を押して、ポータルのアカウントのパスワードを入力してください。",
}
