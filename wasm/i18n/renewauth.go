package i18n

// RenewAuth holds the password step's texts for the portal's renewal-auth
// policy (issue 13), apart from Strings so the tables grow without
// conflicts.
type RenewAuth struct {
	// Checking shows while the host asks the portal what the renewal
	// takes.
	Checking string
	// NoPassword says the portal renews this certificate on itself alone.
	NoPassword string
}

var renewAuthEN = RenewAuth{
	Checking:   "Checking what the certificate portal needs…",
	NoPassword: "Your organization renews this certificate without a password: the current certificate is enough. Press Activate to renew it.",
}

var renewAuthJA = RenewAuth{
	Checking:   "証明書ポータルに必要な情報を確認しています…",
	NoPassword: "この証明書はパスワードなしで更新できます（現在の証明書で認証します）。「アクティベート」を押すと更新します。",
}

// RenewAuth returns the texts of RenewAuth in s's language.
func (s *Strings) RenewAuth() *RenewAuth {
	if s != nil && s.Lang == "ja" {
		return &renewAuthJA
	}
	return &renewAuthEN
}
