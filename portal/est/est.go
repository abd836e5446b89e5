// Package est serves the Enrollment over Secure Transport endpoints of
// RFC 7030 under /.well-known/est/: cacerts (Section 4.1), simpleenroll
// (Section 4.2.1) and simplereenroll (Section 4.2.2). Enrollment is bound
// to an invitation code carried as the CSR's challengePassword; renewal is
// bound to the current certificate over mutual TLS plus the password.
package est

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/store"
)

// PathPrefix is the EST base path, RFC 7030, Section 3.2.2.
const PathPrefix = "/.well-known/est/"

// Handler serves EST. Set the exported fields before use.
type Handler struct {
	CA *ca.CA
	// CAFunc, when set, returns the current CA (it changes at a rebuild)
	// and takes precedence over CA.
	CAFunc func() *ca.CA
	Store  store.Store
	Log    zerolog.Logger
	// Validity of issued client certificates; 0 means ca.DefaultClientValidity.
	Validity time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Limiter throttles HTTP Basic password failures, shared with the user
	// portal's login so neither is a way around the other's lockout. nil
	// means one on Store.
	Limiter *limit.Limiter
	// Passwords checks passwords (the table, the directory); nil means
	// the table alone.
	Passwords *passcheck.Checker
	// Failpoint, when set, is called at the points of an issuance a test
	// interrupts (a lost answer): "received" (the request passed every
	// check, nothing is recorded) and "committed" (the certificate is
	// recorded, the answer not yet sent).
	Failpoint func(point string)
	// Lookups bounds, per client address, the lost-answer lookups
	// (IssuedPath) that write: anyone can make a key and ask about it, and
	// a lookup that finds nothing records the key as refused. The zero
	// Window takes its defaults.
	Lookups limit.Window
	// ServerKeygen serves serverkeygen (RFC 7030, Section 4.4): keys made
	// by the portal, not hardware-bound, so off unless the tenant enables
	// them.
	ServerKeygen bool
	// Issuance bounds the re-enrollments being issued at once (after
	// their authentication) and the queue in front of them; beyond it a
	// re-enrollment is answered 503 server_busy with Retry-After. nil
	// means NewIssuanceGate().
	Issuance *limit.Gate
	// Challenges bounds, per client address (an IPv6 /64), the
	// key-attestation challenges (keyattest.ChallengePath), which anyone
	// may ask for and each of which writes a row (gone 5 minutes later).
	// A zero Max means DefaultChallengesMax, other zero fields take the
	// Window's defaults.
	Challenges limit.Window

	once, issuanceOnce, challengesOnce sync.Once
	ekRootCerts                        derCache[*x509.Certificate]
	ekCRLs                             derCache[*x509.RevocationList]
}

// NewIssuanceGate is the default issuance gate: signing and recording a
// certificate costs far less than a password hash and waits mostly on the
// database, so it has more slots than CPUs.
func NewIssuanceGate() *limit.Gate {
	return &limit.Gate{Slots: 4 * runtime.GOMAXPROCS(0)}
}

func (h *Handler) issuance() *limit.Gate {
	h.issuanceOnce.Do(func() {
		if h.Issuance == nil {
			h.Issuance = NewIssuanceGate()
		}
	})
	return h.Issuance
}

func (h *Handler) limiter() *limit.Limiter {
	h.once.Do(func() {
		if h.Limiter == nil {
			h.Limiter = limit.New(h.Store, h.now)
		}
		if h.Passwords == nil {
			h.Passwords = &passcheck.Checker{Store: h.Store, Log: h.Log, Now: h.Now}
		}
	})
	return h.Limiter
}

func (h *Handler) passwords() *passcheck.Checker {
	h.limiter() // sets the defaults.
	return h.Passwords
}

// Register adds the EST routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathPrefix+"cacerts", h.cacerts)
	mux.HandleFunc("POST "+PathPrefix+"simpleenroll", h.wrap(h.enroll))
	mux.HandleFunc("POST "+PathPrefix+"simplereenroll", h.wrap(h.reenroll))
	mux.HandleFunc("POST "+IssuedPath, h.wrap(h.issued))
	mux.HandleFunc("POST "+ConfirmPath, h.wrap(h.confirm))
	mux.HandleFunc("GET "+RenewalAuthPath, h.wrap(h.renewalAuth))
	mux.HandleFunc("POST "+keyattest.ChallengePath, h.wrap(h.attestChallenge))
	mux.HandleFunc("GET "+keyattest.ChallengePath, h.wrap(h.attestOffer))
	if h.ServerKeygen {
		mux.HandleFunc("POST "+PathPrefix+"serverkeygen", h.wrap(h.serverkeygen))
	}
}

func (h *Handler) failpoint(point string) {
	if h.Failpoint != nil {
		h.Failpoint(point)
	}
}

func (h *Handler) ca() *ca.CA {
	if h.CAFunc != nil {
		return h.CAFunc()
	}
	return h.CA
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// wrap runs an EST operation and sends its error, if any, through the one
// error writer.
func (h *Handler) wrap(op func(http.ResponseWriter, *http.Request, zerolog.Logger) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := h.Log.With().Str("op", strings.TrimPrefix(r.URL.Path, PathPrefix)).Str("remote", r.RemoteAddr).Logger()
		if err := op(w, r, log); err != nil {
			WriteError(w, log, err)
		}
	}
}

// cacerts answers RFC 7030, Section 4.1: the issuing CA and the root as a
// certs-only CMS.
func (h *Handler) cacerts(w http.ResponseWriter, r *http.Request) {
	der, err := certsOnly(h.ca().Chain()...)
	if err != nil {
		WriteError(w, h.Log, err)
		return
	}
	writeCMS(w, ContentTypeCACerts, der)
}

// authenticate checks HTTP Basic credentials (RFC 7617) under the limiter
// the login form uses (see portal/limit): the attempt is counted before
// the hash runs, a key without attempts left is refused
// (too_many_attempts) without hashing, and a full hash queue is answered
// server_busy (503, Retry-After). Unknown users and wrong passwords cost
// the same and return the same problem.
//
// cur, when not nil, is the valid client certificate the request presented
// (mutual TLS): the attempt then counts against that certificate alone,
// not the user ID or the address, so guesses by someone without the
// certificate, which lock the user ID, never lock its holder out of
// renewal; the holder's own guesses are held to the same five per window.
// The Basic user ID must be the certificate's owner, checked before any
// hash, so the certificate's count guesses no other user's password.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, cur *store.Cert) (store.User, error) {
	id, pw, ok := r.BasicAuth()
	if !ok {
		return store.User{}, NewProblem(errcode.BadPassword, "HTTP Basic credentials are required")
	}
	if !limit.ValidUserID(id) {
		return store.User{}, NewProblem(errcode.BadPassword, "")
	}
	// Take the body in now (bounded): the server notices a client that
	// went away only once its body is consumed, and a wait for a hash
	// slot must end with the client.
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodySize))
	if err != nil {
		return store.User{}, NewProblem(errcode.BadRequest, "request body unreadable or too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	keys := []limit.Key{limit.UserKey(id), limit.AddrKey(limit.ClientAddr(r))}
	if cur != nil {
		if id != cur.UserID {
			return store.User{}, NewProblem(errcode.BadPassword, "the user ID does not own the client certificate")
		}
		keys = []limit.Key{limit.CertKey(cur.Serial)}
	}
	var u store.User
	right, err := h.limiter().Check(ctx, keys, func() (ok bool, err error) {
		u, ok, err = h.passwords().Check(ctx, id, pw)
		return ok, err
	})
	if err != nil {
		return store.User{}, limitProblem(err)
	}
	if !right {
		return store.User{}, NewProblem(errcode.BadPassword, "")
	}
	if u.Disabled { // told only to who knows the password.
		return store.User{}, NewProblem(errcode.AccountDisabled, "")
	}
	return u, nil
}

// limitProblem maps the limiter's refusals to problems; other errors pass.
func limitProblem(err error) error {
	var busy *limit.BusyError
	switch {
	case errors.Is(err, limit.ErrLocked):
		return NewProblem(errcode.TooManyAttempts, "")
	case errors.As(err, &busy):
		p := NewProblem(errcode.ServerBusy, "")
		p.RetryAfter = busy.RetryAfterSeconds()
		return p
	case errors.Is(err, passcheck.ErrUnavailable):
		return NewProblem(errcode.DirectoryUnavailable, "")
	}
	return err
}

// readRequest reads and parses the CSR body, RFC 7030, Section 4.2.1.
func readRequest(w http.ResponseWriter, r *http.Request) (*Request, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		return nil, NewProblem(errcode.BadRequest, "request body unreadable or too large")
	}
	req, err := ParseRequest(body)
	if err != nil {
		// Parse errors describe structure only, never attribute values.
		return nil, NewProblem(errcode.BadRequest, "bad CSR: "+err.Error())
	}
	req.ClaimsHardware = r.Header.Get(KeyStorageHeader) == "hardware"
	return req, nil
}

// issue signs the certificate for userID and sends it as certs-only CMS,
// RFC 7030, Section 4.2.3. record stores it before the response goes out.
func (h *Handler) issue(w http.ResponseWriter, req *Request, userID string, record func(store.Cert) error) (store.Cert, error) {
	h.failpoint("received")
	cert, err := h.ca().IssueClient(req.CSR.PublicKey, userID, h.Validity)
	if err != nil {
		return store.Cert{}, err
	}
	sum := sha256.Sum256(req.CSR.Raw)
	kh, err := KeyHash(req.CSR.PublicKey)
	if err != nil {
		return store.Cert{}, err
	}
	sc := store.Cert{
		KeyHash:   kh,
		CSRHash:   sum[:],
		Serial:    cert.SerialNumber.Text(16),
		UserID:    userID,
		Status:    store.StatusActive,
		NotBefore: cert.NotBefore,
		NotAfter:  cert.NotAfter,
		DER:       cert.Raw,
		Hardware:  req.Hardware,
	}
	if err := record(sc); errors.Is(err, store.ErrKeyClaimed) {
		return sc, NewProblem(errcode.KeyRefused, "")
	} else if err != nil {
		return sc, err
	}
	h.failpoint("committed")
	der, err := certsOnly(cert)
	if err != nil {
		return sc, err
	}
	writeCMS(w, ContentTypeCertOnly, der)
	return sc, nil
}

// replay answers a CSR that was already granted with the same certificate
// (idempotent issuance: a client whose response was lost retries safely,
// even after its invitation or link is spent). It reports whether it
// answered.
func (h *Handler) replay(ctx context.Context, w http.ResponseWriter, req *Request, userID string, log zerolog.Logger) (bool, error) {
	sum := sha256.Sum256(req.CSR.Raw)
	c, err := h.Store.CertByCSR(ctx, userID, sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.Status == store.StatusRevoked {
		return false, nil
	}
	cert, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return false, err
	}
	der, err := certsOnly(cert)
	if err != nil {
		return false, err
	}
	writeCMS(w, ContentTypeCertOnly, der)
	log.Info().Str("serial", c.Serial).Msg("same CSR again: same certificate")
	return true, nil
}
