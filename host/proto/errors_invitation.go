package proto

// Invitation policy refusals certrenew-portal sends at first enrollment.
const (
	CodeInvitationExpired   Code = "invitation_expired"
	CodeInvitationExhausted Code = "invitation_exhausted"
	CodeInvitationRevoked   Code = "invitation_revoked"
)

func init() {
	catalogue[CodeInvitationExpired] = [2]string{"The invitation code has expired. Ask your administrator for a new one.", "招待コードの有効期限が切れています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeInvitationExhausted] = [2]string{"The invitation code has already been used as often as allowed. Ask your administrator for a new one.", "招待コードは使用回数の上限に達しています。管理者に新しい招待コードを依頼してください。"}
	catalogue[CodeInvitationRevoked] = [2]string{"The invitation code was revoked. Ask your administrator for a new one.", "招待コードは無効化されています。管理者に新しい招待コードを依頼してください。"}
}
