package i18n

import "github.com/certrenew/certrenew/errcode"

// Extra holds the texts of issue 17's "no dead ends": removing a
// certificate, its details, a portal that cannot be reached, and what each
// error screen adds (whether the current certificate still works, help).
type Extra struct {
	MenuDetails, MenuRemove, RemoveLocked string
	RemoveTitle, RemoveButton             string
	RemoveBody                            Text // {1} the certificate
	Removed                               Text // {1} the certificate
	RemoveFailed                          string

	DetailsTitle, Subject, Issuer, Fingerprint string
	ValidFrom, ValidUntil, PortalLabel         string
	Copy                                       string
	CopyField, Copied                          Text // {1} the field
	Hardware, SoftwareKey                      string

	StatusUnreachable string
	// Unreachable: the portal ({1}, its host) cannot be reached since a
	// time ({2}); the certificate still works until a date ({3}).
	Unreachable Text
	// RowLabel tells apart certificates that share a name.
	RowLabel Text // {1} name, {2} portal host, {3} key storage, {4} expiry

	CertStillWorks Text // {1} until
	CertExpiredNow string
	EnrollNothing  string
	HostCertsFine  string
	RemoveNothing  string
	// RemoveHalfway: a removal that failed may have stopped half-way.
	RemoveHalfway string
	// NothingChanged: an error outside an operation.
	NothingChanged string
	Help           string
	OpenDiag       string
	HostTitles     Table // by errcode.Code
	HostHelp       string
}

// X returns the texts of Extra in s's language.
func (s *Strings) X() *Extra {
	if s != nil && s.Lang == "ja" {
		return &extraJA
	}
	return &extraEN
}

var extraEN = Extra{
	MenuDetails:  "Details",
	MenuRemove:   "Remove…",
	RemoveLocked: "Removing certificates is turned off by your organization",
	RemoveTitle:  "Remove this certificate?",
	RemoveButton: "Remove",
	RemoveBody:   Text("The certificate “{1}” and its key are deleted from this computer. Sites that ask for it will no longer get it, and it can no longer be renewed. This cannot be undone. The portal is not told: ask your administrator to revoke it if it should stop working everywhere."),
	Removed:      Text("Removed “{1}”."),
	RemoveFailed: "The certificate was not removed",

	DetailsTitle: "Certificate details",
	Subject:      "Subject",
	Issuer:       "Issuer",
	Fingerprint:  "SHA-256 fingerprint",
	ValidFrom:    "Valid from",
	ValidUntil:   "Valid until",
	PortalLabel:  "Portal",
	Copy:         "Copy",
	CopyField:    Text("Copy {1}"),
	Copied:       Text("Copied: {1}."),
	Hardware:     "hardware-bound: the key cannot leave it",
	SoftwareKey:  "not hardware-bound",

	StatusUnreachable: "Portal unreachable",
	Unreachable:       Text("{1} cannot be reached since {2}. This certificate still works until {3}, but it cannot be renewed until the portal is back. If the portal is gone for good, remove the certificate."),
	RowLabel:          Text("{1} ({2}, {3}, expires {4})"),

	CertStillWorks: Text("Your current certificate still works until {1}. Nothing was changed."),
	CertExpiredNow: "Your current certificate has expired: sites no longer accept it.",
	EnrollNothing:  "Nothing was installed. Your other certificates are not affected.",
	HostCertsFine:  "Your installed certificates keep working: the browser uses them without certrenew-host, which only renewing and enrolling need.",
	RemoveNothing:  "The certificate is still installed and still works.",
	RemoveHalfway:  "The removal may have stopped half-way: certrenew-host finishes it the next time it starts. Try again to finish it now.",
	NothingChanged: "Nothing was changed: your installed certificates keep working.",
	Help:           "Help: what to do",
	OpenDiag:       "Open diagnostics",
	HostTitles: Table{
		string(errcode.HostMissing), "certrenew-host is not installed",
		string(errcode.HostForbidden), "certrenew-host does not allow this extension",
		string(errcode.HostDisconnected), "certrenew-host stopped",
		string(errcode.HostFailed), "certrenew-host could not start",
	},
	HostHelp: "How to install certrenew-host",
}

var extraJA = Extra{
	MenuDetails:  "詳細",
	MenuRemove:   "削除…",
	RemoveLocked: "組織のポリシーにより証明書は削除できません",
	RemoveTitle:  "この証明書を削除しますか?",
	RemoveButton: "削除",
	RemoveBody:   Text("証明書「{1}」とその鍵をこのコンピューターから削除します。この証明書を求めるサイトでは使用できなくなり、更新もできなくなります。元に戻すことはできません。ポータルには通知しません。どこでも使えないようにする必要がある場合は、管理者に失効を依頼してください。"),
	Removed:      Text("「{1}」を削除しました。"),
	RemoveFailed: "証明書を削除できませんでした",

	DetailsTitle: "証明書の詳細",
	Subject:      "サブジェクト",
	Issuer:       "発行者",
	Fingerprint:  "SHA-256 フィンガープリント",
	ValidFrom:    "有効期間の開始",
	ValidUntil:   "有効期限",
	PortalLabel:  "ポータル",
	Copy:         "コピー",
	CopyField:    Text("{1}をコピー"),
	Copied:       Text("コピーしました: {1}"),
	Hardware:     "ハードウェア内: 鍵は取り出せません",
	SoftwareKey:  "ハードウェアではありません",

	StatusUnreachable: "ポータルに接続不可",
	Unreachable:       Text("{1} に {2} から接続できません。この証明書は {3} まで使用できますが、ポータルが復旧するまで更新できません。ポータルが廃止された場合は、証明書を削除してください。"),
	RowLabel:          Text("{1} ({2}、{3}、有効期限 {4})"),

	CertStillWorks: Text("現在の証明書は {1} まで引き続き使用できます。変更は行われていません。"),
	CertExpiredNow: "現在の証明書は有効期限が切れているため、サイトで使用できません。",
	EnrollNothing:  "何もインストールしていません。ほかの証明書には影響ありません。",
	HostCertsFine:  "インストール済みの証明書は引き続き使用できます。ブラウザーは certrenew-host なしで証明書を使用します。certrenew-host が必要なのは更新と申請だけです。",
	RemoveNothing:  "証明書はインストールされたままで、引き続き使用できます。",
	RemoveHalfway:  "削除が途中で止まった可能性があります。certrenew-host の次回起動時に削除を完了します。今すぐ完了するには再試行してください。",
	NothingChanged: "変更は行われていません。インストール済みの証明書は引き続き使用できます。",
	Help:           "ヘルプ: 対処方法",
	OpenDiag:       "診断を開く",
	HostTitles: Table{
		string(errcode.HostMissing), "certrenew-host がインストールされていません",
		string(errcode.HostForbidden), "certrenew-host がこの拡張機能を許可していません",
		string(errcode.HostDisconnected), "certrenew-host が停止しました",
		string(errcode.HostFailed), "certrenew-host を起動できませんでした",
	},
	HostHelp: "certrenew-host のインストール方法",
}
