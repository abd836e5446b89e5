package wire

import (
	"strings"

	"github.com/certrenew/certrenew/host/proto"
)

// NoticeText is the sentence a UI shows for a notice, in lang.
func NoticeText(n proto.Notice, lang string) string {
	ja := strings.HasPrefix(strings.ToLower(lang), "ja")
	switch n.Kind {
	case proto.NoticeOSConfirmsRoot:
		if ja {
			return "次に OS が認証局「" + n.Subject + "」を信頼するか確認します。組織の認証局であれば許可してください。"
		}
		return "Your system will now ask you to trust the certificate authority \"" + n.Subject + "\". Allow it if it is your organisation's."
	}
	return n.Kind
}
