package errcode

// table holds every code's row. Japanese follows the terms of the seed
// procedure (証明書, 更新, 招待コード, パスワード).
var rows = [...]row{
	{BadRequest, entry{
		en:      "The request was not understood. Update the extension and try again.",
		ja:      "要求を解釈できませんでした。拡張機能を更新してから再度お試しください。",
		problem: &problem{status: 400, title: "Bad request", shownAs: ServerRejected},
	}},
	{VersionMismatch, entry{
		en: "The extension and certrenew-host are different versions. Update the one named below.",
		ja: "拡張機能と certrenew-host のバージョンが一致しません。下に示す方を更新してください。",
	}},
	{OriginNotAllowed, entry{
		en: "This caller is not allowed to use certrenew-host.",
		ja: "この呼び出し元には certrenew-host の使用が許可されていません。",
	}},
	{UnknownCommand, entry{
		en: "certrenew-host does not know this command. Update certrenew-host.",
		ja: "certrenew-host がこの操作に対応していません。certrenew-host を更新してください。",
	}},
	{Busy, entry{
		en: "Another renewal of this certificate is already running.",
		ja: "この証明書の更新はすでに実行中です。",
	}},
	{CertNotFound, entry{
		en: "That certificate is no longer installed.",
		ja: "その証明書はインストールされていません。",
	}},
	{ServerUnreachable, entry{
		en: "The certificate server cannot be reached. Check your network and try again.",
		ja: "証明書サーバーに接続できません。ネットワークを確認して再度お試しください。",
	}},
	{ServerUntrusted, entry{
		en: "The certificate server's identity could not be verified.",
		ja: "証明書サーバーの身元を確認できませんでした。",
	}},
	{ServerRejected, entry{
		en: "The certificate server refused the request.",
		ja: "証明書サーバーが要求を拒否しました。",
	}},
	{BadResponse, entry{
		en: "The certificate server sent a response that could not be used. Nothing was changed.",
		ja: "証明書サーバーの応答を処理できませんでした。変更は行われていません。",
	}},
	{RequestPending, entry{
		en: "The certificate server accepted the request but has not issued the certificate yet. Your current certificate stays in use; certrenew asks for the new one again the next time it starts.",
		ja: "証明書サーバーは要求を受け付けましたが、まだ証明書を発行していません。現在の証明書は引き続き使用できます。certrenew は次回起動時に新しい証明書を再度取得します。",
	}},
	{TokenPINIncorrect, entry{
		en: "The PIN of the security token is incorrect.",
		ja: "セキュリティトークンのPINが正しくありません。",
	}},
	{TokenAbsent, entry{
		en: "The security token is not connected.",
		ja: "セキュリティトークンが接続されていません。",
	}},
	{BackendUnavailable, entry{
		en: "The requested key storage is not available on this computer.",
		ja: "指定された鍵の保管場所はこのコンピューターでは使用できません。",
	}},
	{HardwareRequired, entry{
		en: "Your organization requires the key to be kept in a TPM or security token, and none was found on this computer.",
		ja: "組織のポリシーにより鍵はTPMまたはセキュリティトークンに保管する必要がありますが、このコンピューターには見つかりませんでした。",
	}},
	{BackendNotAllowed, entry{
		en: "Your organization does not allow keys to be kept in the key storage you chose. Choose another one.",
		ja: "組織のポリシーにより、選んだ鍵の保管場所は使用できません。別の保管場所を選んでください。",
	}},
	{RemovalNotAllowed, entry{
		en: "Your organization does not allow removing certificates from this computer. Nothing was removed.",
		ja: "組織のポリシーにより、このコンピューターから証明書を削除することはできません。何も削除していません。",
	}},
	{StoreFailed, entry{
		en: "The certificate could not be installed. The previous certificate is still in place.",
		ja: "証明書をインストールできませんでした。以前の証明書はそのまま使用できます。",
	}},
	{UserCancelled, entry{
		en: "Cancelled.",
		ja: "キャンセルしました。",
	}},
	{Internal, entry{
		en:      "Something went wrong inside certrenew. The previous certificate is still in place.",
		ja:      "certrenew の内部でエラーが発生しました。以前の証明書はそのまま使用できます。",
		problem: &problem{status: 500, title: "Internal error", shownAs: ServerRejected},
	}},
	{BadPassword, entry{
		en: "The user ID or password is incorrect.",
		ja: "ユーザーIDまたはパスワードが正しくありません。",
		// A renewal asks for the password only.
		renewEn: "The password is incorrect. Your current certificate still works. Enter the password again.",
		renewJa: "パスワードが正しくありません。現在の証明書は引き続き使用できます。もう一度パスワードを入力してください。",
		problem: &problem{status: 401, title: "User ID or password is incorrect"},
	}},
	{BadInvitation, entry{
		en:      "The invitation code is not valid. Check it or ask your administrator for a new one.",
		ja:      "招待コードが無効です。確認するか、管理者に新しい招待コードを依頼してください。",
		problem: &problem{status: 403, title: "Invitation code is not valid for this user"},
	}},
	{ReissueNotAllowed, entry{
		en:      "Re-issue of this certificate is not allowed. Ask your administrator to allow re-issue.",
		ja:      "この証明書の再発行は許可されていません。管理者に再発行の許可を依頼してください。",
		problem: &problem{status: 403, title: "Re-issue is not allowed for this user"},
	}},
	{InvitationConflict, entry{
		en:      "You already hold a certificate from another invitation code. Ask your administrator to revoke it first.",
		ja:      "別の招待コードで発行された証明書がすでにあります。先に管理者に失効を依頼してください。",
		problem: &problem{status: 403, title: "A certificate from another invitation is still valid"},
	}},
	{InvitationExpired, entry{
		en:      "The invitation code has expired. Ask your administrator for a new one.",
		ja:      "招待コードの有効期限が切れています。管理者に新しい招待コードを依頼してください。",
		problem: &problem{status: 403, title: "The invitation code has expired"},
	}},
	{InvitationExhausted, entry{
		en:      "The invitation code has already been used as often as allowed. Ask your administrator for a new one.",
		ja:      "招待コードは使用回数の上限に達しています。管理者に新しい招待コードを依頼してください。",
		problem: &problem{status: 403, title: "The invitation code has been used as often as allowed"},
	}},
	{InvitationRevoked, entry{
		en:      "The invitation code was revoked. Ask your administrator for a new one.",
		ja:      "招待コードは無効化されています。管理者に新しい招待コードを依頼してください。",
		problem: &problem{status: 403, title: "The invitation code was revoked"},
	}},
	{AlreadyEnrolled, entry{
		en:      "You already have a valid certificate from this invitation code. Renew that certificate instead of enrolling again.",
		ja:      "この招待コードで発行された有効な証明書がすでにあります。再度登録するのではなく、その証明書を更新してください。",
		problem: &problem{status: 403, title: "A valid certificate from this invitation is already issued; renew it instead of enrolling again"},
	}},
	{TooManyAttempts, entry{
		en:      "Too many wrong passwords. Wait a while (about 15 minutes) and try again, or ask your administrator to unlock your account.",
		ja:      "パスワードの誤りが続いたため、一時的にロックされています。しばらく（15分程度）待ってから再度お試しいただくか、管理者にロック解除を依頼してください。",
		problem: &problem{status: 429, title: "Too many failed password attempts; try again later"},
	}},
	{AccountDisabled, entry{
		en:      "Your account is disabled. Ask your administrator.",
		ja:      "アカウントが無効になっています。管理者にお問い合わせください。",
		problem: &problem{status: 403, title: "The account is disabled; ask the administrator"},
	}},
	{ServerBusy, entry{
		en:      "The portal is busy. Wait a few seconds and try again.",
		ja:      "ポータルが混み合っています。数秒待ってから再度お試しください。",
		problem: &problem{status: 503, title: "The portal is busy; try again in a moment"},
	}},
	{PasswordRequired, entry{
		en:      "The portal needs your password to renew this certificate.",
		ja:      "この証明書の更新にはパスワードが必要です。",
		problem: &problem{status: 401, title: "The password is required to renew this certificate"},
	}},
	{DirectoryUnavailable, entry{
		en:      "Your password cannot be checked right now: the organisation's directory does not answer. This did not count as a wrong password. Try again later, or tell your administrator.",
		ja:      "組織のディレクトリが応答しないため、現在パスワードを確認できません。パスワードの誤りとしては数えられていません。しばらくしてから再度お試しいただくか、管理者にお知らせください。",
		problem: &problem{status: 503, title: "The directory that checks passwords is unavailable; nothing was counted, try again later"},
	}},
	{CertExpired, entry{
		en:      "This certificate has expired. Renew it from the renewal URL in the user portal.",
		ja:      "この証明書は有効期限が切れています。ユーザーポータルの更新用URLから更新してください。",
		problem: &problem{status: 403, title: "The certificate has expired; renew it through a renewal URL from the user portal"},
	}},
	{CertRevoked, entry{
		en:      "This certificate has been revoked and can no longer be renewed. Ask your administrator for a new invitation code.",
		ja:      "この証明書は失効しているため、更新できません。管理者に新しい招待コードを依頼してください。",
		problem: &problem{status: 403, title: "The certificate is revoked; it cannot be renewed"},
	}},
	{LinkInvalid, entry{
		en:      "This renewal link is not valid for this user or certificate. Show a new renewal URL in the user portal.",
		ja:      "この更新用URLはこのユーザーまたは証明書では使用できません。ユーザーポータルで更新用URLを表示し直してください。",
		problem: &problem{status: 403, title: "The renewal link is not valid for this user"},
		page:    "invalid",
	}},
	{LinkExpired, entry{
		en:      "This renewal link has expired. Show a new renewal URL in the user portal.",
		ja:      "この更新用URLは有効期限が切れています。ユーザーポータルで更新用URLを表示し直してください。",
		problem: &problem{status: 403, title: "The renewal link has expired; show a new one in the user portal"},
		page:    "expired",
	}},
	{LinkUsed, entry{
		en:      "This renewal link has already been used. Show a new renewal URL in the user portal.",
		ja:      "この更新用URLはすでに使用されています。ユーザーポータルで更新用URLを表示し直してください。",
		problem: &problem{status: 403, title: "The renewal link was already used; show a new one in the user portal"},
		page:    "used",
	}},
	{LinkCertRequired, entry{
		en:      "This certificate is still valid, so it can be renewed only on the computer that holds it. Open the renewal link there, or renew from the certrenew extension's list.",
		ja:      "この証明書はまだ有効なため、証明書が入っているコンピューターでのみ更新できます。そのコンピューターで更新用URLを開くか、certrenew 拡張機能の一覧から更新してください。",
		problem: &problem{status: 403, title: "The certificate is still valid: renew it with the certificate itself (on the computer that holds it), or through a renewal link once it has expired"},
	}},
	{KeyRefused, entry{
		en:      "The renewal was interrupted and has been undone. Renew again.",
		ja:      "更新が中断されたため取り消しました。もう一度更新してください。",
		problem: &problem{status: 409, title: "This key cannot be certified (again); make a new key"},
	}},
	{AttestationRequired, entry{
		en:      "Your organisation accepts only keys proven to be in this computer's TPM, and this key has no such proof. Choose the TPM as key storage (or ask your administrator) and try again.",
		ja:      "組織の方針により、このコンピューターの TPM 内にあることが証明された鍵しか受け付けられませんが、この鍵にはその証明がありません。鍵の保管先に TPM を選んで (または管理者に相談して) 再度お試しください。",
		problem: &problem{status: 403, title: "The hardware-attested policy needs a key with valid TPM evidence"},
	}},
	{AttestationInvalid, entry{
		en:      "The proof that the key is in this computer's TPM was not valid. Try again; if it recurs, contact your administrator.",
		ja:      "鍵がこのコンピューターの TPM 内にあることの証明が無効でした。再度お試しください。繰り返す場合は管理者に連絡してください。",
		problem: &problem{status: 403, title: "The key's TPM evidence does not verify"},
	}},
	{AttestationKeyMismatch, entry{
		en:      "The TPM's proof was for another key than the one in the request. Try again; if it recurs, contact your administrator.",
		ja:      "TPM の証明が要求内の鍵とは別の鍵に対するものでした。再度お試しください。繰り返す場合は管理者に連絡してください。",
		problem: &problem{status: 403, title: "The TPM evidence certifies another key than the CSR's"},
	}},
	{AttestationNotActivated, entry{
		en:      "The TPM's proof did not answer the portal's challenge (it expired or was used already). Try again.",
		ja:      "TPM の証明がポータルのチャレンジに対応していませんでした (期限切れまたは使用済み)。再度お試しください。",
		problem: &problem{status: 403, title: "The evidence answers no open attestation challenge"},
	}},
	{EKUntrusted, entry{
		en:      "This computer's TPM is not one your organisation trusts (its endorsement key certificate is from an unknown manufacturer CA). Contact your administrator.",
		ja:      "このコンピューターの TPM は組織が信頼するものではありません (エンドースメントキー証明書の発行元が不明です)。管理者に連絡してください。",
		problem: &problem{status: 403, title: "The TPM's endorsement key certificate does not chain to a configured EK root"},
	}},
	{ClientCertRequired, entry{
		problem: &problem{status: 403, title: "A valid client certificate is required", shownAs: ServerRejected},
	}},
	{KeyReuse, entry{
		problem: &problem{status: 400, title: "Re-enrollment must use a new key", shownAs: ServerRejected},
	}},
	{NotIssued, entry{
		problem: &problem{status: 404, title: "No certificate was issued for this key, and none will be", shownAs: KeyRefused},
	}},
	{HostMissing, entry{
		en: "certrenew-host is not installed for this browser. Install it, then run `certrenew-host install` and open this window again.",
		ja: "このブラウザーには certrenew-host がインストールされていません。インストール後に `certrenew-host install` を実行し、このウィンドウを開き直してください。",
	}},
	{HostForbidden, entry{
		en: "certrenew-host does not allow this extension. Run `certrenew-host install` to register it again, then open this window again. If your organisation built its own copy of the extension, add its ID to allowedOrigins in certrenew-host's config.json.",
		ja: "certrenew-host がこの拡張機能を許可していません。`certrenew-host install` を実行して登録し直し、このウィンドウを開き直してください。組織で独自にビルドした拡張機能の場合は、その ID を certrenew-host の config.json の allowedOrigins に追加してください。",
	}},
	{HostDisconnected, entry{
		en: "The connection to certrenew-host was lost before it finished. Your previous certificate is still in place; try again.",
		ja: "処理の完了前に certrenew-host との接続が切れました。以前の証明書はそのまま使用できます。再度お試しください。",
	}},
	{HostFailed, entry{
		en: "certrenew-host stopped before it answered. Run `certrenew-host install` to repair it, then try again.",
		ja: "certrenew-host が応答する前に終了しました。`certrenew-host install` を実行して修復し、再度お試しください。",
	}},
	{NoExtension, entry{
		en: "This page works only inside the certrenew browser extension.",
		ja: "このページは certrenew 拡張機能の中でのみ動作します。",
	}},
	{LinkNotHeld, entry{
		en: "This renewal link is no longer held by the extension (it was used, or the browser restarted). Open the link from the portal again.",
		ja: "この更新リンクは拡張機能にもう保持されていません (使用済み、またはブラウザーの再起動)。ポータルからリンクを開き直してください。",
	}},
	{LinkOtherUser, entry{
		page: "other_user",
	}},
	{NotRenewable, entry{
		en:   "This certificate cannot be renewed from a link (revoked or already renewed).",
		ja:   "この証明書はリンクから更新できません（失効済みまたは更新済み）。",
		page: string(NotRenewable), // the state is named as the code.
	}},
	{LoginNeeded, entry{
		page: "relogin",
	}},
	{FormExpired, entry{
		en: "The form expired. Go back and try again.",
		ja: "フォームの有効期限が切れました。戻って再度お試しください。",
	}},
	{OriginRefused, entry{
		page: "failed",
	}},
}
