package est

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/certrenew/certrenew/errcode"
	"github.com/rs/zerolog"
)

// Problem is an error with a stable code (errcode, which also holds each
// code's HTTP status and title), an HTTP status and a message safe to show
// the client. Detail never holds a password, code or key.
type Problem struct {
	Status int          `json:"-"`
	Code   errcode.Code `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail,omitempty"`
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter string `json:"-"`
}

func (p *Problem) Error() string { return string(p.Code) + ": " + p.Detail }

// NewProblem returns the Problem for code with the given safe detail; a
// code the portal does not send becomes internal.
func NewProblem(code errcode.Code, detail string) *Problem {
	status, title, ok := errcode.Problem(code)
	if !ok {
		code = errcode.Internal
		status, title, _ = errcode.Problem(code)
	}
	return &Problem{Status: status, Code: code, Title: title, Detail: detail}
}

// WriteError is the one place errors become HTTP responses. A *Problem is
// sent as is; anything else is logged and sent as a bare errcode.Internal.
func WriteError(w http.ResponseWriter, log zerolog.Logger, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		log.Error().Err(err).Msg("internal error")
		p = NewProblem(errcode.Internal, "")
	} else {
		log.Info().Str("code", string(p.Code)).Int("status", p.Status).Msg("request refused")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="certrenew", charset="UTF-8"`)
	}
	if p.RetryAfter != "" {
		w.Header().Set("Retry-After", p.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
