package engine

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// Enroll obtains a first certificate with an invitation code: a new key, a
// CSR carrying the code as challengePassword, EST simpleenroll with HTTP
// Basic, then install and verify. See RFC 7030, Section 4.2.1.
func (e *Engine) Enroll(ctx context.Context, p EnrollRequest, progress Progress) (*Identity, error) {
	portal, err := checkEnroll(p)
	if err != nil {
		return nil, err
	}
	name, backend, hardware, err := e.chooseBackend(ctx, p.Backend, p.Policy)
	if err != nil {
		return nil, err
	}
	ctx = WithPIN(ctx, p.PIN)
	client, err := e.estClient(portal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	unlock, err := e.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if p.Policy != nil {
		if err := e.savePolicy(p.Policy.ServerTrustCAs); err != nil {
			return nil, err
		}
	}

	ent := state.Entry{ID: newID(), Portal: portal, User: p.User, Backend: name, Enrolled: e.cfg.Now().UTC()}
	ent.Nickname = "certrenew-" + ent.ID
	log := e.cfg.Log.With().Str("op", "enroll").Str("cert_id", ent.ID).Str("portal", portal).Str("user", p.User).Logger()
	entJSON, err := json.Marshal(ent)
	if err != nil {
		return nil, err
	}
	client.OnRetry = e.busyNotice(ctx, log)
	op := &operation{
		rec:      &journal.Record{CertID: ent.ID, Enroll: true, Phase: journal.Started, Started: ent.Enrolled, Entry: entJSON},
		nickname: ent.Nickname,
		backend:  backend,
		keyReq:   hsm.GenerateRequest{Label: "certrenew " + p.User},
		hardware: hardware,
		csr:      pkcs10.Request{Subject: pkix.Name{CommonName: p.User}, ChallengePassword: challengeOf(p)},
		client:   client,
		submit: func(ctx context.Context, csr []byte) (*x509.Certificate, []*x509.Certificate, error) {
			return client.SimpleEnroll(ctx, p.User, p.Password, csr)
		},
		log: log,
	}
	leaf, err := e.run(ctx, op, progress)
	if err != nil {
		return nil, err
	}
	if err := e.journal.Finish(ent.ID); err != nil {
		log.Warn().Err(err).Msg("journal not removed")
	}
	e.confirmNow(ctx, ent.ID)
	step(progress, StepDone)
	log.Info().Str("serial", Serial(leaf)).Msg("enrolled")
	saved, err := e.state.Get(ent.ID)
	if err != nil {
		return nil, err
	}
	id := Describe(leaf, saved, e.cfg.Now(), e.cfg.WarnDays)
	return &id, nil
}

func checkEnroll(p EnrollRequest) (string, error) {
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
	case strings.TrimSpace(p.Invitation) == "" && p.Token == "":
		return "", fmt.Errorf("%w: the invitation code is empty", ErrBadInput)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// challengeOf is what the CSR carries as challengePassword: a renewal-link
// token, which names the certificate lineage on the portal, replaces the
// invitation code.
func challengeOf(p EnrollRequest) string {
	if p.Token != "" {
		return p.Token
	}
	return p.Invitation
}
