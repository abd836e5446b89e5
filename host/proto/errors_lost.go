package proto

// CodeKeyRefused: the portal refuses the renewal's new key because an
// interrupted renewal with it was declared never issued (certrenew-portal
// key_refused). Renewing again makes a new key.
const CodeKeyRefused Code = "key_refused"

func init() {
	catalogue[CodeKeyRefused] = [2]string{"The renewal was interrupted and has been undone. Renew again.", "更新が中断されたため取り消しました。もう一度更新してください。"}
}
