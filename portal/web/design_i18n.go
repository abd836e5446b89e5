package web

func init() {
	for k, v := range designMessages {
		messages[k] = v
	}
}

// designMessages are the texts of the certificate pages, the menus and the
// dialogs, {en, ja}.
var designMessages = map[string][2]string{
	"menu_label":                {"Menu: account menu", "メニュー：アカウントメニュー"},
	"menu_intro":                {"Manage your client certificates: see their status, show a renewal URL, or revoke one you no longer use.", "クライアント証明書の管理：状態の確認、更新用URLの表示、使わなくなった証明書の失効ができます。"},
	"m_title_menu":              {"Phone and tablet page", "スマートフォン・タブレット用ページ"},
	"login_help":                {"Use the user ID and password of your organisation.", "組織のユーザーIDとパスワードを使用してください。"},
	"no_such_cert":              {"There is no such certificate among yours.", "該当する証明書はありません。"},
	"error_title":               {"Something went wrong", "エラー"},
	"subject":                   {"Subject", "サブジェクト"},
	"issued":                    {"Issued", "発行日時"},
	"issuer":                    {"Issuer", "発行者"},
	"actions":                   {"Actions", "操作"},
	"details":                   {"Details", "詳細"},
	"cert_menu":                 {"Menu for certificate %s", "証明書 %s のメニュー"},
	"revoke_ellipsis":           {"Revoke…", "失効…"},
	"revoke_title":              {"Revoke this certificate?", "この証明書を失効させますか？"},
	"revoke_confirm":            {"Revoking cannot be undone: the certificate stops working at once, on every device that uses it. To use it again you need a new invitation code from your administrator.", "失効は取り消せません。この証明書は、使用しているすべての端末で直ちに使用できなくなります。再び使用するには、管理者から新しい招待コードを受け取る必要があります。"},
	"cancel":                    {"Cancel", "キャンセル"},
	"none_hint":                 {"Expired or revoked certificates are listed under “Show all”.", "期限切れや失効済みの証明書は「すべて表示」で確認できます。"},
	"st_superseded_grace":       {"superseded (grace period)", "置換済み（猶予期間中）"},
	"revoked_at":                {"Revoked", "失効日時"},
	"key":                       {"Key", "鍵"},
	"key_storage":               {"Key storage", "鍵の保管場所"},
	"hardware":                  {"Hardware binding", "ハードウェアとの結び付け"},
	"device":                    {"Device", "端末"},
	"not_reported":              {"Not reported to the portal", "ポータルには報告されていません"},
	"hw_unverified":             {"Not verified (no key attestation recorded)", "未検証（鍵の構成証明の記録なし）"},
	"hw_verified":               {"Verified: a TPM proved the key is its own", "検証済み: TPM が自身の鍵であることを証明しました"},
	"hw_claimed":                {"Claimed: said to be on a hardware token, not proven", "申告のみ: ハードウェアトークン上とされていますが、証明はありません"},
	"hw_software":               {"Software key (no hardware binding)", "ソフトウェア鍵（ハードウェアとの結び付けなし）"},
	"history":                   {"Renewal history", "更新履歴"},
	"h_enrolled":                {"First enrollment", "初回発行"},
	"h_renewed":                 {"Renewal", "更新"},
	"copy":                      {"Copy", "コピー"},
	"copied":                    {"Copied", "コピーしました"},
	"copy_serial":               {"Copy the serial number", "シリアル番号をコピー"},
	"copy_link":                 {"Copy the renewal URL", "更新用URLをコピー"},
	"select_hint":               {"Select the address to copy it, or use the Copy button.", "アドレスを選択してコピーするか、「コピー」ボタンを使用してください。"},
	"qr_alt":                    {"QR code of the renewal URL", "更新用URLのQRコード"},
	"link_expires":              {"The link expires:", "リンクの有効期限："},
	"renew_renewed":             {"Renewed. The new certificate is installed.", "更新しました。新しい証明書がインストールされました。"},
	"reason_origin_not_allowed": {"This portal is not among the portals the extension is set up for. Ask your administrator to add it to the extension's policy.", "このポータルは拡張機能に設定されたポータルに含まれていません。拡張機能のポリシーに追加するよう管理者に依頼してください。"},
	"reason_origin_mismatch":    {"The link names another portal than the page it was opened on.", "リンクが、開いたページとは別のポータルを指しています。"},
	"reason_bad_message":        {"The extension did not understand the page. Update the extension.", "拡張機能がページを理解できませんでした。拡張機能を更新してください。"},
	"reason_bad_token":          {"The link's one-time token was malformed. Reload the page.", "リンクのワンタイムトークンが不正です。ページを再読み込みしてください。"},
	"reason_bad_serial":         {"The link's certificate serial was malformed.", "リンクの証明書シリアル番号が不正です。"},
	"reason_bad_user":           {"The link's user ID was malformed.", "リンクのユーザーIDが不正です。"},
	"reason_extension_error":    {"The extension did not answer properly. Reload the page; if it keeps failing, restart the browser.", "拡張機能が正しく応答しませんでした。ページを再読み込みし、繰り返す場合はブラウザーを再起動してください。"},
	"reason_internal":           {"The extension failed. Reload the page; if it keeps failing, ask your administrator.", "拡張機能でエラーが発生しました。ページを再読み込みし、繰り返す場合は管理者にお問い合わせください。"},
	"reason_other":              {"Reload the page to try again; if it keeps failing, ask your administrator.", "ページを再読み込みしてもう一度お試しください。繰り返す場合は管理者にお問い合わせください。"},
}
