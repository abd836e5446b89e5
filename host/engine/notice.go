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

// announcePrompts tells the context's notice function about every CA whose
// installation the store says will make the OS ask the user.
func (e *Engine) announcePrompts(ctx context.Context, roots []*x509.Certificate) error {
	p, ok := e.cfg.Store.(store.Prompter)
	if !ok || len(roots) == 0 {
		return nil
	}
	asks, err := p.Prompts(ctx, roots)
	if err != nil {
		return err
	}
	e.announceRoots(ctx, asks)
	return nil
}

// announceServerPrompts is announcePrompts for the roots trusted for TLS
// servers by policy, on stores where that asks (store.ServerPrompter).
func (e *Engine) announceServerPrompts(ctx context.Context, roots []*x509.Certificate) error {
	p, ok := e.cfg.Store.(store.ServerPrompter)
	if !ok || len(roots) == 0 {
		return nil
	}
	asks, err := p.ServerPrompts(ctx, roots)
	if err != nil {
		return err
	}
	e.announceRoots(ctx, asks)
	return nil
}

// announceRoots tells the context's notice function that the OS will ask
// the user to confirm each of asks.
func (e *Engine) announceRoots(ctx context.Context, asks []*x509.Certificate) {
	fn, _ := ctx.Value(noticeKey{}).(func(Notice))
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
	if fn, _ := ctx.Value(noticeKey{}).(func(Notice)); fn != nil {
		fn(Notice{Kind: NoticeOSAsksKeyUse})
	}
}
