package engine

import (
	"context"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// Enroll obtains a first certificate with an invitation code: a new key, a
// CSR carrying the code as challengePassword, EST simpleenroll with HTTP
// Basic, then install and verify. See RFC 7030, Section 4.2.1.
func (e *Engine) Enroll(ctx context.Context, p proto.EnrollParams, progress Progress) (*proto.EnrollResult, error) {
	portal, err := checkEnroll(p)
	if err != nil {
		return nil, err
	}
	scheme := p.Backend
	if scheme == "" || scheme == "auto" {
		scheme = e.cfg.DefaultBackend
		if scheme == "" {
			scheme = "soft"
		}
	}
	backend, err := e.cfg.Keys.Backend(scheme)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
	}
	client, err := est.New(portal, e.cfg.Roots)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	if _, err := e.recoverLocked(ctx); err != nil {
		return nil, err
	}

	ent := state.Entry{ID: newID(), Portal: portal, User: p.User, Backend: scheme, Enrolled: e.cfg.Now().UTC()}
	ent.Nickname = "certrenew-" + ent.ID
	log := e.cfg.Log.With().Str("op", "enroll").Str("cert_id", ent.ID).Str("portal", portal).Str("user", p.User).Logger()
	entJSON, _ := json.Marshal(ent)
	rec := &journal.Record{CertID: ent.ID, Enroll: true, Phase: journal.Started, Started: ent.Enrolled, Entry: entJSON}
	if err := e.journal.Begin(rec); err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished {
			if uerr := e.undo(context.WithoutCancel(ctx), rec); uerr != nil {
				log.Error().Err(uerr).Msg("undo failed; the journal keeps it for the next start")
			}
		}
	}()

	step(progress, proto.StepKeygen)
	key, err := backend.Generate(ctx, hsm.GenerateRequest{Label: "certrenew " + p.User})
	if err != nil {
		return nil, err
	}
	rec.NewKeyURI = key.URI()
	if err := e.advance(rec, journal.KeyMade); err != nil {
		return nil, err
	}

	step(progress, proto.StepCSR)
	req, err := pkcs10.Create(key, pkcs10.Request{Subject: pkix.Name{CommonName: p.User}, ChallengePassword: p.Invitation})
	if err != nil {
		return nil, err
	}

	step(progress, proto.StepSubmit)
	leaf, extra, err := client.SimpleEnroll(ctx, p.User, p.Password, req)
	if err != nil {
		return nil, err
	}
	chain, err := checkIssued(ctx, client, leaf, extra, nil)
	if err != nil {
		return nil, err
	}
	rec.NewCert, rec.NewChain = leaf.Raw, state.DERs(chain)
	if err := e.advance(rec, journal.Issued); err != nil {
		return nil, err
	}
	log.Info().Str("serial", Serial(leaf)).Msg("certificate issued")

	step(progress, proto.StepInstall)
	id := store.Identity{Nickname: ent.Nickname, Cert: leaf, Key: key}
	if err := e.install(ctx, id, chain); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Installed); err != nil {
		return nil, err
	}

	step(progress, proto.StepVerify)
	if err := e.cfg.Store.VerifyIdentity(ctx, id); err != nil {
		return nil, err
	}
	if err := e.commit(rec); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Verified); err != nil {
		return nil, err
	}
	finished = true
	if err := e.journal.Finish(rec.CertID); err != nil {
		log.Warn().Err(err).Msg("journal not removed")
	}
	step(progress, proto.StepDone)
	log.Info().Str("serial", Serial(leaf)).Msg("enrolled")
	saved, err := e.state.Get(ent.ID)
	if err != nil {
		return nil, err
	}
	return &proto.EnrollResult{Cert: Describe(leaf, saved, e.cfg.Now(), e.cfg.WarnDays)}, nil
}

func checkEnroll(p proto.EnrollParams) (string, error) {
	portal := strings.TrimSpace(p.Portal)
	u, err := url.Parse(portal)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w: the portal URL must be an https:// address", ErrBadInput)
	}
	switch {
	case strings.TrimSpace(p.User) == "":
		return "", fmt.Errorf("%w: the user ID is empty", ErrBadInput)
	case p.Password == "":
		return "", fmt.Errorf("%w: the password is empty", ErrBadInput)
	case strings.TrimSpace(p.Invitation) == "":
		return "", fmt.Errorf("%w: the invitation code is empty", ErrBadInput)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}
