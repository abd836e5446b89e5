package engine

import (
	"context"
	"crypto/x509"

	"github.com/certrenew/certrenew/host/store"
)

type noticeKey struct{}

// WithNotice returns a context whose operations tell fn, before the
// operating system asks the user something (a root CA confirmation on
// Windows or macOS), what it is about to ask.
func WithNotice(ctx context.Context, fn func(Notice)) context.Context {
	return context.WithValue(ctx, noticeKey{}, fn)
}

// Notify tells ctx's notice function (WithNotice) n, if it has one.
func Notify(ctx context.Context, n Notice) {
	if fn := noticeOf(ctx); fn != nil {
		fn(n)
	}
}

// announcePrompts tells the context's notice function about every CA whose
// installation the store says will make the OS ask the user: as a trust
// anchor, or with server, as one for TLS servers too (trust.go).
func (e *Engine) announcePrompts(ctx context.Context, roots []*x509.Certificate, server bool) error {
	asks, err := e.prompts(ctx, roots, server)
	if err != nil {
		return err
	}
	e.announceRoots(ctx, asks)
	return nil
}

// prompts returns which of roots the store says the OS will ask the user
// to confirm: as trust anchors (store.Prompter), or with server, as
// anchors for TLS servers (store.ServerPrompter). Stores that never ask
// return none.
func (e *Engine) prompts(ctx context.Context, roots []*x509.Certificate, server bool) ([]*x509.Certificate, error) {
	if len(roots) == 0 {
		return nil, nil
	}
	if p, ok := e.cfg.Store.(store.ServerPrompter); ok && server {
		return p.ServerPrompts(ctx, roots)
	}
	if p, ok := e.cfg.Store.(store.Prompter); ok && !server {
		return p.Prompts(ctx, roots)
	}
	return nil, nil
}

// noticeOf is the context's notice function; nil if it has none (no UI).
func noticeOf(ctx context.Context) func(Notice) {
	fn, _ := ctx.Value(noticeKey{}).(func(Notice))
	return fn
}

// announceRoots tells the context's notice function that the OS will ask
// the user to confirm each of asks.
func (e *Engine) announceRoots(ctx context.Context, asks []*x509.Certificate) {
	fn := noticeOf(ctx)
	for _, c := range asks {
		e.cfg.Log.Info().Str("subject", c.Subject.String()).Msg("the OS will ask the user to confirm a root CA")
		if fn != nil {
			fn(Notice{Kind: NoticeOSConfirmsRoot, Subject: c.Subject.String()})
		}
	}
}

// announceKeyUse tells the context's notice function, before the identity
// is installed, that the OS will ask the user when a browser first uses
// its key (store.KeyUsePrompter).
func (e *Engine) announceKeyUse(ctx context.Context) {
	p, ok := e.cfg.Store.(store.KeyUsePrompter)
	if !ok || !p.KeyUsePrompt() {
		return
	}
	if fn := noticeOf(ctx); fn != nil {
		fn(Notice{Kind: NoticeOSAsksKeyUse})
	}
}
