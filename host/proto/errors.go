package proto

import "strings"

// Code is a stable error code. Codes never change meaning; new ones may be
// added in a minor version, and a UI shows Message for codes it does not know.
type Code string

// Error codes that cross the wire.
const (
	CodeBadRequest         Code = "bad_request"
	CodeVersionMismatch    Code = "version_mismatch"
	CodeOriginNotAllowed   Code = "origin_not_allowed"
	CodeUnknownCommand     Code = "unknown_command"
	CodeBusy               Code = "busy"
	CodeBadPassword        Code = "bad_password"
	CodeBadInvitation      Code = "bad_invitation"
	CodeReissueNotAllowed  Code = "reissue_not_allowed"
	CodeInvitationConflict Code = "invitation_conflict"
	CodeCertNotFound       Code = "cert_not_found"
	CodeCertExpired        Code = "cert_expired"
	// Renewal-link refusals from the portal.
	CodeLinkInvalid        Code = "link_invalid"
	CodeLinkExpired        Code = "link_expired"
	CodeLinkUsed           Code = "link_used"
	CodeServerUnreachable  Code = "server_unreachable"
	CodeServerUntrusted    Code = "server_untrusted"
	CodeServerRejected     Code = "server_rejected"
	CodeBadResponse        Code = "bad_response"
	CodeTokenPINIncorrect  Code = "token_pin_incorrect"
	CodeTokenAbsent        Code = "token_absent"
	CodeBackendUnavailable Code = "backend_unavailable"
	// CodeHardwareRequired: policy demands a TPM or token key and there is none.
	CodeHardwareRequired Code = "hardware_required"
	// CodeBackendNotAllowed: the organisation's policy does not allow the
	// key storage asked for.
	CodeBackendNotAllowed Code = "backend_not_allowed"
	CodeStoreFailed       Code = "store_failed"
	CodeUserCancelled     Code = "user_cancelled"
	CodeInternal          Code = "internal"

	// Codes the extension raises itself, about reaching the host.
	CodeHostMissing      Code = "host_missing"
	CodeHostForbidden    Code = "host_forbidden"
	CodeHostDisconnected Code = "host_disconnected"
	CodeHostFailed       Code = "host_failed"
)

// Error is an error as it crosses the wire: a stable code, a message for the
// user in their language, and an optional technical detail for diagnostics.
// Neither Message nor Detail may hold a secret.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
	// Update names the component to update when Code is version_mismatch.
	Update string `json:"update,omitempty"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return string(e.Code) + ": " + e.Detail
	}
	return string(e.Code)
}

// Localize fills Message from the catalogue for lang ("ja", "en", "ja-JP", ...)
// when it is empty, and returns e.
func (e *Error) Localize(lang string) *Error {
	if e.Message == "" {
		e.Message = MessageFor(e.Code, lang)
	}
	return e
}

// MessageFor returns the user-facing message for code in lang, falling back
// to English, then to the internal message.
func MessageFor(code Code, lang string) string {
	m, ok := catalogue[code]
	if !ok {
		m = catalogue[CodeInternal]
	}
	if strings.HasPrefix(strings.ToLower(lang), "ja") {
		return m[1]
	}
	return m[0]
}

// catalogue holds {English, Japanese} per code. Japanese follows the terms of
// the seed procedure (証明書, 更新, 招待コード, パスワード).
var catalogue = map[Code][2]string{
	CodeBadRequest:         {"The request was not understood. Update the extension and try again.", "要求を解釈できませんでした。拡張機能を更新してから再度お試しください。"},
	CodeVersionMismatch:    {"The extension and certrenew-host are different versions. Update the one named below.", "拡張機能と certrenew-host のバージョンが一致しません。下に示す方を更新してください。"},
	CodeOriginNotAllowed:   {"This caller is not allowed to use certrenew-host.", "この呼び出し元には certrenew-host の使用が許可されていません。"},
	CodeUnknownCommand:     {"certrenew-host does not know this command. Update certrenew-host.", "certrenew-host がこの操作に対応していません。certrenew-host を更新してください。"},
	CodeBusy:               {"Another renewal of this certificate is already running.", "この証明書の更新はすでに実行中です。"},
	CodeBadPassword:        {"The user ID or password is incorrect.", "ユーザーIDまたはパスワードが正しくありません。"},
	CodeBadInvitation:      {"The invitation code is not valid. Check it or ask your administrator for a new one.", "招待コードが無効です。確認するか、管理者に新しい招待コードを依頼してください。"},
	CodeReissueNotAllowed:  {"Re-issue of this certificate is not allowed. Ask your administrator to allow re-issue.", "この証明書の再発行は許可されていません。管理者に再発行の許可を依頼してください。"},
	CodeInvitationConflict: {"You already hold a certificate from another invitation code. Ask your administrator to revoke it first.", "別の招待コードで発行された証明書がすでにあります。先に管理者に失効を依頼してください。"},
	CodeCertNotFound:       {"That certificate is no longer installed.", "その証明書はインストールされていません。"},
	CodeCertExpired:        {"This certificate has expired. Renew it from the renewal URL in the user portal.", "この証明書は有効期限が切れています。ユーザーポータルの更新用URLから更新してください。"},
	CodeLinkInvalid:        {"This renewal link is not valid for this user or certificate. Show a new renewal URL in the user portal.", "この更新用URLはこのユーザーまたは証明書では使用できません。ユーザーポータルで更新用URLを表示し直してください。"},
	CodeLinkExpired:        {"This renewal link has expired. Show a new renewal URL in the user portal.", "この更新用URLは有効期限が切れています。ユーザーポータルで更新用URLを表示し直してください。"},
	CodeLinkUsed:           {"This renewal link has already been used. Show a new renewal URL in the user portal.", "この更新用URLはすでに使用されています。ユーザーポータルで更新用URLを表示し直してください。"},
	CodeServerUnreachable:  {"The certificate server cannot be reached. Check your network and try again.", "証明書サーバーに接続できません。ネットワークを確認して再度お試しください。"},
	CodeServerUntrusted:    {"The certificate server's identity could not be verified.", "証明書サーバーの身元を確認できませんでした。"},
	CodeServerRejected:     {"The certificate server refused the request.", "証明書サーバーが要求を拒否しました。"},
	CodeBadResponse:        {"The certificate server sent a response that could not be used. Nothing was changed.", "証明書サーバーの応答を処理できませんでした。変更は行われていません。"},
	CodeTokenPINIncorrect:  {"The PIN of the security token is incorrect.", "セキュリティトークンのPINが正しくありません。"},
	CodeTokenAbsent:        {"The security token is not connected.", "セキュリティトークンが接続されていません。"},
	CodeBackendUnavailable: {"The requested key storage is not available on this computer.", "指定された鍵の保管場所はこのコンピューターでは使用できません。"},
	CodeHardwareRequired:   {"Your organization requires the key to be kept in a TPM or security token, and none was found on this computer.", "組織のポリシーにより鍵はTPMまたはセキュリティトークンに保管する必要がありますが、このコンピューターには見つかりませんでした。"},
	CodeBackendNotAllowed:  {"Your organization does not allow keys to be kept in the key storage you chose. Choose another one.", "組織のポリシーにより、選んだ鍵の保管場所は使用できません。別の保管場所を選んでください。"},
	CodeStoreFailed:        {"The certificate could not be installed. The previous certificate is still in place.", "証明書をインストールできませんでした。以前の証明書はそのまま使用できます。"},
	CodeUserCancelled:      {"Cancelled.", "キャンセルしました。"},
	CodeHostMissing:        {"certrenew-host is not installed or not registered with this browser. Run certrenew-host install.", "certrenew-host がインストールされていないか、このブラウザーに登録されていません。certrenew-host install を実行してください。"},
	CodeHostForbidden:      {"certrenew-host is registered, but not for this extension. Run certrenew-host install again.", "certrenew-host は登録されていますが、この拡張機能には許可されていません。certrenew-host install を再度実行してください。"},
	CodeHostDisconnected:   {"certrenew-host stopped during the operation. If a renewal was running, it is finished or undone the next time certrenew starts.", "処理の途中で certrenew-host が終了しました。更新中だった場合は、次回の起動時に完了または取り消されます。"},
	CodeHostFailed:         {"certrenew-host did not start correctly. See its log, or run certrenew-host version in a terminal.", "certrenew-host が正しく起動しませんでした。ログを確認するか、端末で certrenew-host version を実行してください。"},
	CodeInternal:           {"Something went wrong inside certrenew. The previous certificate is still in place.", "certrenew の内部でエラーが発生しました。以前の証明書はそのまま使用できます。"},
}
