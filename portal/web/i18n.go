package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/errcode"
)

// langCookie remembers the language picked with ?lang= (RFC 6265).
const langCookie = "lang"

// rememberLang sets the lang cookie when the request picks a language with
// ?lang=, so the choice holds on the next pages.
func rememberLang(w http.ResponseWriter, r *http.Request) {
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
}

// langLinks returns the targets of the language switch links: the current
// page with its query (e.g. all=1) and lang=ja / lang=en. A page that
// answered a POST is not reachable by GET (and must not be repeated), so
// its switch links go to getPath, the page the user came from.
func langLinks(r *http.Request, getPath string) (ja, en string) {
	path, q := getPath, url.Values{}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		path, q = r.URL.Path, r.URL.Query()
		q.Del("done") // a one-time banner, not part of the page.
	}
	link := func(l string) string {
		q.Set("lang", l)
		return path + "?" + q.Encode()
	}
	return link("ja"), link("en")
}

// lang picks "ja" or "en": ?lang=, then the lang cookie, then
// Accept-Language (RFC 9110, Section 12.5.4; first listed language wins).
func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "ja" || c.Value == "en") {
		return c.Value
	}
	al := strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language")))
	if strings.HasPrefix(al, "ja") {
		return "ja"
	}
	return "en"
}

// messages holds {en, ja} per key of the pages' own texts; terms follow
// the seed procedure. A key that is an error code (errcode) has its texts
// there.
var messages = map[string][2]string{
	"title":               {"certrenew user portal", "certrenew ユーザーポータル"},
	"login":               {"Log in", "ログイン"},
	"user":                {"User ID", "ユーザーID"},
	"password":            {"Password", "パスワード"},
	"disabled":            {"This account is disabled. Ask your administrator.", "このアカウントは無効になっています。管理者にお問い合わせください。"},
	"locked":              {"Too many failed attempts. Try again later.", "失敗が続いたため、しばらくログインできません。時間をおいて再度お試しください。"},
	"too_many_links":      {"You have too many renewal URLs that are still open. Use one of them, or wait until they expire.", "未使用の更新用URLが多すぎます。いずれかを使用するか、期限切れになるまでお待ちください。"},
	"login_busy":          {"The portal is busy. Wait a few seconds and log in again.", "ポータルが混み合っています。数秒待ってから再度ログインしてください。"},
	"bad_form":            {"The form could not be read. Go back and try again.", "フォームを読み取れませんでした。戻って再度お試しください。"},
	"logout":              {"Log out", "ログアウト"},
	"menu":                {"Menu", "メニュー"},
	"account_menu":        {"Account menu", "アカウントメニュー"},
	"cert_mgmt":           {"Certificate management", "証明書管理"},
	"certs":               {"Certificates", "証明書一覧"},
	"show_all":            {"Show all (including expired and revoked)", "すべて表示（期限切れ・失効済みを含む）"},
	"show_current":        {"Show current only", "有効なもののみ表示"},
	"serial":              {"Serial", "シリアル番号"},
	"status":              {"Status", "状態"},
	"expires":             {"Expires", "有効期限"},
	"none":                {"No certificates.", "証明書はありません。"},
	"show_link":           {"Show renewal URL", "更新用URLを表示"},
	"revoke":              {"Revoke", "失効"},
	"revoked_ok":          {"The certificate was revoked.", "証明書を失効させました。"},
	"st_active":           {"valid", "有効"},
	"st_expired":          {"expired", "期限切れ"},
	"st_revoked":          {"revoked", "失効"},
	"st_superseded":       {"superseded (awaiting confirmation)", "置換済み（新しい証明書の確認待ち）"},
	"link_title":          {"Renewal URL", "更新用URL"},
	"link_help":           {"Scan the QR code, or open the link on the computer where the certificate is installed, and log in to this portal as %s. The link renews the certificate once. It holds no password or secret.", "QRコードを読み取るか、証明書がインストールされているコンピューターでリンクを開き、このポータルに %s としてログインしてください。リンクで更新できるのは1回のみです。リンクにパスワードや秘密情報は含まれません。"},
	"link_open":           {"Open the renewal link", "更新用リンクを開く"},
	"back":                {"Back to certificates", "証明書一覧に戻る"},
	"renew_title":         {"Renew your certificate", "証明書の更新"},
	"renew_working":       {"Handing the renewal to the certrenew extension…", "certrenew 拡張機能に更新を引き継いでいます…"},
	"renew_handed":        {"The certrenew extension has taken over. Continue in its window: enter your password and renew. This page shows the result when the renewal is done.", "certrenew 拡張機能に引き継ぎました。拡張機能の画面でパスワードを入力して更新してください。更新が完了すると、このページに結果が表示されます。"},
	"renew_failed_once":   {"The renewal has not completed: the extension's window says why. Try again there; this page shows the result when the renewal is done.", "更新は完了していません。理由は拡張機能の画面に表示されています。そちらでもう一度お試しください。更新が完了すると、このページに結果が表示されます。"},
	"renew_refused":       {"The certrenew extension could not use this link:", "certrenew 拡張機能はこのリンクを使用できませんでした："},
	"renew_noext":         {"The certrenew browser extension is needed to renew from this link, and it did not answer.", "このリンクから更新するには certrenew ブラウザー拡張機能が必要ですが、応答がありませんでした。"},
	"renew_install":       {"Install the certrenew extension and certrenew-host (ask your administrator for the package), then open the renewal link again. The link stays usable until it is used or expires.", "certrenew 拡張機能と certrenew-host をインストールし（パッケージは管理者にお問い合わせください）、もう一度更新用リンクを開いてください。リンクは使用されるか期限が切れるまで有効です。"},
	"renew_nojs":          {"This page hands the renewal to the certrenew browser extension and needs JavaScript for that. Enable JavaScript for this page and open the link again.", "このページは更新を certrenew ブラウザー拡張機能に引き継ぎます。そのために JavaScript が必要です。このページで JavaScript を有効にしてから、もう一度リンクを開いてください。"},
	"renew_used":          {"This renewal link has already been used to renew the certificate. If you need another, show a new renewal URL in certificate management.", "この更新用URLはすでに証明書の更新に使用されました。必要な場合は、証明書管理で新しい更新用URLを表示してください。"},
	"renew_expired":       {"This renewal link has expired. Show a new renewal URL in certificate management.", "この更新用URLは有効期限が切れています。証明書管理で新しい更新用URLを表示してください。"},
	"renew_invalid":       {"This renewal link is not valid. Check that the whole URL was opened, or show a new renewal URL in certificate management.", "この更新用URLは無効です。URL全体を開いたか確認するか、証明書管理で新しい更新用URLを表示してください。"},
	"renew_other_user":    {"This renewal link was made for another user ID. Log out, log in with the user ID of the certificate, and open the link again.", "この更新用URLは別のユーザーID用に作成されました。ログアウトし、証明書のユーザーIDでログインしてから、もう一度リンクを開いてください。"},
	"renew_not_renewable": {"The certificate of this link can no longer be renewed from a link (revoked or already renewed).", "このリンクの証明書はリンクから更新できなくなりました（失効済みまたは更新済み）。"},
	"renew_relogin":       {"Your login to the portal has ended. Open the renewal link again and log in.", "ポータルへのログインが終了しました。もう一度更新用リンクを開いてログインしてください。"},
	"renew_failed":        {"The portal could not prepare the renewal. Reload this page to try again; if it keeps failing, ask your administrator.", "ポータルで更新の準備ができませんでした。このページを再読み込みしてもう一度お試しください。繰り返し失敗する場合は管理者にお問い合わせください。"},
	"renew_open_again":    {"Open the renewal link again", "更新用リンクを開き直す"},

	// The certificate pages, the menus and the dialogs.
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

	// The mobile page.
	"m_title":                {"Your certificates", "証明書"},
	"m_reissue":              {"Re-issue certificate", "証明書の再発行"},
	"m_device":               {"This device", "この端末"},
	"m_ios":                  {"iPhone / iPad", "iPhone / iPad"},
	"m_macos":                {"Mac", "Mac"},
	"m_key":                  {"The new key is made on this device and never leaves it.", "新しい鍵はこの端末内で作成され、端末の外に出ることはありません。"},
	"m_steps_ios":            {"What you will see: a configuration profile downloads. Open Settings, tap “Profile Downloaded”, tap Install, enter the device passcode, and tap Install again. Done.", "この後の流れ：構成プロファイルがダウンロードされます。「設定」を開き、「プロファイルがダウンロードされました」をタップし、「インストール」をタップして、端末のパスコードを入力し、もう一度「インストール」をタップします。これで完了です。"},
	"m_steps_macos":          {"What you will see: a configuration profile downloads. Open System Settings, go to Privacy & Security → Profiles (or General → Device Management), double-click the downloaded profile, click Install and enter your password. Done.", "この後の流れ：構成プロファイルがダウンロードされます。「システム設定」を開き、「プライバシーとセキュリティ」→「プロファイル」（または「一般」→「デバイス管理」）でダウンロードしたプロファイルをダブルクリックし、「インストール」をクリックしてパスワードを入力します。これで完了です。"},
	"m_no_delete":            {"You do not need to delete the old profile first: the new one replaces it.", "古いプロファイルを先に削除する必要はありません。新しいプロファイルが古いものを置き換えます。"},
	"m_other":                {"Re-issue on this page is for iPhone, iPad and Mac. On a Windows or Linux computer, renew with the certrenew extension, or use the renewal URL from certificate management.", "このページでの再発行は iPhone・iPad・Mac 用です。Windows や Linux のコンピューターでは、certrenew 拡張機能で更新するか、証明書管理の更新用URLを使用してください。"},
	"m_none":                 {"You have no certificate to re-issue. A first certificate needs an invitation code from your administrator.", "再発行できる証明書がありません。最初の証明書の発行には、管理者から受け取った招待コードが必要です。"},
	"m_attestation_required": {"Your organisation accepts only keys proven to be in a computer's TPM. A phone cannot prove that of its key, so this certificate cannot be put on a phone. Renew it on your computer with the certrenew extension, or ask your administrator.", "組織の方針により、コンピューターの TPM 内にあることが証明された鍵しか受け付けられません。スマートフォンは鍵についてそれを証明できないため、この証明書をスマートフォンに入れることはできません。コンピューターで certrenew 拡張機能を使って更新するか、管理者にお問い合わせください。"},
	"m_failed":               {"The profile could not be made. Try again; if it keeps failing, ask your administrator.", "プロファイルを作成できませんでした。もう一度お試しください。繰り返し失敗する場合は管理者にお問い合わせください。"},
	"m_all":                  {"Certificate management (all certificates)", "証明書管理（すべての証明書）"},

	// The Android download.
	"m_android":          {"Download for Android", "Android 用にダウンロード"},
	"m_android_note":     {"For Android, the key is made on the portal's server and sent to the phone: unlike a key made on the device, it is not hardware-bound.", "Android 用の鍵はポータルのサーバーで作成されて端末に送られます。端末内で作成される鍵と異なり、ハードウェアに結び付いていません。"},
	"m_android_title":    {"Certificate for Android", "Android 用の証明書"},
	"m_android_password": {"Password for the certificate file. Write it down now: it is shown only once and is not stored anywhere.", "証明書ファイルのパスワードです。今すぐ控えてください。表示はこの一度だけで、どこにも保存されません。"},
	"m_android_steps":    {"Tap Download. Open the downloaded file (or Settings → Security → Encryption & credentials → Install a certificate → VPN & app user certificate), enter the password, give the certificate a name and tap OK.", "「ダウンロード」をタップします。ダウンロードしたファイルを開き（または「設定」→「セキュリティ」→「暗号化と認証情報」→「証明書のインストール」→「VPN とアプリのユーザー証明書」）、パスワードを入力し、証明書の名前を付けて「OK」をタップします。"},
	"m_android_once":     {"The file can be downloaded once, within 10 minutes. The server keeps no copy of the key.", "ファイルをダウンロードできるのは10分以内に1回だけです。サーバーは鍵の複製を保持しません。"},
	"m_download":         {"Download", "ダウンロード"},
	"m_download_spent":   {"That download was already made or has expired. Press “Download for Android” again.", "そのダウンロードはすでに使用済みか、有効期限が切れています。もう一度「Android 用にダウンロード」を押してください。"},
}

// T returns the message for key in lang: the page's own text, else
// errcode's for a key that is an error code, else key itself.
func T(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		if c := errcode.Code(key); errcode.HasMessage(c) {
			return errcode.Message(c, lang)
		}
		return key
	}
	if lang == "ja" {
		return m[1]
	}
	return m[0]
}
