package proto

import "github.com/certrenew/certrenew/errcode"

// Error is an error as it crosses the wire: a stable code (declared, with
// its texts, in errcode), a message for the user in their language, and an
// optional technical detail for diagnostics. Neither Message nor Detail
// may hold a secret.
type Error struct {
	_       noCompare
	Code    errcode.Code `json:"code"`
	Message string       `json:"message"`
	Detail  string       `json:"detail,omitempty"`
	// Update names the component to update when Code is version_mismatch.
	Update string `json:"update,omitempty"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return string(e.Code) + ": " + e.Detail
	}
	return string(e.Code)
}

// Localize fills Message with errcode's text for lang ("ja", "en",
// "ja-JP", ...) when it is empty, and returns e.
func (e *Error) Localize(lang string) *Error {
	if e.Message == "" {
		e.Message = errcode.Message(e.Code, lang)
	}
	return e
}
