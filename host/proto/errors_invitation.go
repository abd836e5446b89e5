package proto

// Invitation policy refusals certrenew-portal sends at first enrollment.
const (
	CodeInvitationExpired   Code = "invitation_expired"
	CodeInvitationExhausted Code = "invitation_exhausted"
	CodeInvitationRevoked   Code = "invitation_revoked"
	// CodeAlreadyEnrolled: the user still holds a valid certificate from
	// this invitation; it is renewed, not enrolled again.
	CodeAlreadyEnrolled Code = "already_enrolled"
)

func init() {
	catalogue[CodeInvitationExpired] = [2]string{"The invitation code has expired. Ask your administrator for a new one.", "招待コードの有効期限が切れています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeInvitationExhausted] = [2]string{"The invitation code has already been used as often as allowed. Ask your administrator for a new one.", "招待コードは使用回数の上限に達しています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeAlreadyEnrolled] = [2]string{"You already have a valid certificate from this invitation code. Renew that certificate instead of enrolling again.", "この招待コードで発行された有効な証明書がすでにあります。再度登録するのではなく、その証明書を更新してください。"}
	catalogue[CodeInvitationRevoked] = [2]string{"The invitation code was revoked. Ask your administrator for a new one.", "招待コードは無効化されています。管理者に新しい招待コードを依頼してください。"}
}
