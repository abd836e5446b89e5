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
