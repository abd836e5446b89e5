package proto

// Policy refusals certrenew-portal sends (invitations, lockout, ...).
const (
	CodeInvitationExpired   Code = "invitation_expired"
	CodeInvitationExhausted Code = "invitation_exhausted"
	CodeInvitationRevoked   Code = "invitation_revoked"
	// CodeAlreadyEnrolled: the user still holds a valid certificate from
	// this invitation; it is renewed, not enrolled again.
	CodeAlreadyEnrolled Code = "already_enrolled"
	// CodeTooManyAttempts: the portal locked the user ID or this address
	// out after repeated wrong passwords.
	CodeTooManyAttempts Code = "too_many_attempts"
	// CodeCertRevoked: the certificate to renew has been revoked.
	CodeCertRevoked Code = "cert_revoked"
	// CodeAccountDisabled: the administrator disabled the account.
	CodeAccountDisabled Code = "account_disabled"
	// CodeServerBusy: the portal's password checks are at capacity;
	// nothing was counted, retry after its Retry-After.
	CodeServerBusy Code = "server_busy"
	// CodeLinkCertRequired: the renewal link's certificate is still
	// valid, so the renewal must present it (it is not on this computer,
	// or could not be used).
	CodeLinkCertRequired Code = "link_cert_required"
)

func init() {
	catalogue[CodeInvitationExpired] = [2]string{"The invitation code has expired. Ask your administrator for a new one.", "招待コードの有効期限が切れています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeInvitationExhausted] = [2]string{"The invitation code has already been used as often as allowed. Ask your administrator for a new one.", "招待コードは使用回数の上限に達しています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeAlreadyEnrolled] = [2]string{"You already have a valid certificate from this invitation code. Renew that certificate instead of enrolling again.", "この招待コードで発行された有効な証明書がすでにあります。再度登録するのではなく、その証明書を更新してください。"}
	catalogue[CodeTooManyAttempts] = [2]string{"Too many wrong passwords. Wait a while (about 15 minutes) and try again, or ask your administrator to unlock your account.", "パスワードの誤りが続いたため、一時的にロックされています。しばらく（15分程度）待ってから再度お試しいただくか、管理者にロック解除を依頼してください。"}
	catalogue[CodeCertRevoked] = [2]string{"This certificate has been revoked and can no longer be renewed. Ask your administrator for a new invitation code.", "この証明書は失効しているため、更新できません。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeAccountDisabled] = [2]string{"Your account is disabled. Ask your administrator.", "アカウントが無効になっています。管理者にお問い合わせください。"}
	catalogue[CodeServerBusy] = [2]string{"The portal is busy. Wait a few seconds and try again.", "ポータルが混み合っています。数秒待ってから再度お試しください。"}
	catalogue[CodeLinkCertRequired] = [2]string{"This certificate is still valid, so it can be renewed only on the computer that holds it. Open the renewal link there, or renew from the certrenew extension's list.", "この証明書はまだ有効なため、証明書が入っているコンピューターでのみ更新できます。そのコンピューターで更新用URLを開くか、certrenew 拡張機能の一覧から更新してください。"}
	catalogue[CodeInvitationRevoked] = [2]string{"The invitation code was revoked. Ask your administrator for a new one.", "招待コードは無効化されています。管理者に新しい招待コードを依頼してください。"}
}
