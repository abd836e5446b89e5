// Package scep serves the Simple Certificate Enrolment Protocol (RFC 8894)
// at /scep: GetCACaps (Section 3.5.2), GetCACert (Section 4.2) and
// PKIOperation (Section 4.3) with PKCSReq and RenewalReq, for devices
// without the certrenew extension (an Apple configuration profile's SCEP
// payload). The HTTP transport is github.com/micromdm/scep/v2's server;
// the CMS messages are its github.com/smallstep/scep and pkcs7. A request
// is authorised by a one-time challenge (NewChallenge) bound to a user and
// to the re-issue of one certificate; the issued certificate continues that
// certificate's lineage, through the same store transaction as every other
// re-issue (store.Store.ReissueWithSCEPChallenge).
package scep

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	kitlog "github.com/go-kit/kit/log"
	scepserver "github.com/micromdm/scep/v2/server"
	"github.com/rs/zerolog"
	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/store"
)

// Path is where SCEP is served (the URL a profile names).
const Path = "/scep"

// MaxMessageSize bounds a PKIOperation message (POST body, or GET message
// parameter, decoded): a PKCSReq with an RSA-4096 CSR and its self-signed
// signer certificate is under 10 KiB.
const MaxMessageSize = 64 << 10

func init() {
	// The CertRep's envelope (RFC 8894, Section 3.2.2) is encrypted with
	// pkcs7's package-wide algorithm, DES-CBC unless set: AES-128-CBC is
	// what GetCACaps's "AES" promises and every current client decrypts.
	pkcs7.ContentEncryptionAlgorithm = pkcs7.EncryptionAlgorithmAES128CBC
}

// Handler serves SCEP. Set the exported fields before use.
type Handler struct {
	// CAFunc returns the current CA (it changes at a rebuild).
	CAFunc func() *ca.CA
	Store  store.Store
	Log    zerolog.Logger
	// Validity of issued certificates; 0 means ca.DefaultClientValidity.
	Validity time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Refusals bounds, per client address (an IPv6 /64), the PKIOperation
	// messages that end in no certificate: anyone may send one, and each
	// costs a decryption with the RA key, a signature check and store
	// reads before it is refused. A message is counted before any of that
	// and given back when it is answered with a certificate, so a device
	// that enrolls is never held back by its neighbours behind one NAT
	// address. Beyond the window: 503 with Retry-After. The zero Window
	// takes limit's defaults (10 per 15 minutes).
	Refusals limit.Window

	mu sync.Mutex
	ra *Identity
}

// refundKey is the request context key of the refusal budget's give-back
// (Handler.Refusals) for a PKIOperation.
type refundKey struct{}

// counted gives back ctx's PKIOperation use of the refusal budget: the
// operation issued a certificate.
func counted(ctx context.Context) {
	if refund, ok := ctx.Value(refundKey{}).(func()); ok {
		refund()
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// RA returns the RA identity for the current CA, made at first use.
func (h *Handler) RA() (*Identity, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.CAFunc()
	if h.ra != nil && h.ra.Cert.CheckSignatureFrom(c.Issuing) == nil && c.Now().Add(identityValidity/4).Before(h.ra.Cert.NotAfter) {
		return h.ra, nil
	}
	ra, err := LoadIdentity(IdentityDir(c), RoleRA, c)
	if err != nil {
		return nil, err
	}
	h.ra = ra
	return ra, nil
}

// Register adds the SCEP routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	svc := &service{h: h}
	inner := scepserver.MakeHTTPHandler(scepserver.MakeServerEndpoints(svc), svc, kitlog.NewNopLogger())
	mux.Handle(Path, h.bounded(inner))
}

// bounded refuses a PKIOperation from an address over its refusal budget
// (Refusals: 503 + Retry-After) and messages over MaxMessageSize, before
// the library reads them (its own cap is 2 MiB, and silent): 413 for a
// body, 414 for a query. The body is read here, once, and handed on.
func (h *Handler) bounded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// base64 of MaxMessageSize, URL-escaped at worst thrice as long.
		if len(r.URL.RawQuery) > 4*MaxMessageSize {
			http.Error(w, "SCEP message too large", http.StatusRequestURITooLong)
			return
		}
		if r.URL.Query().Get("operation") == "PKIOperation" {
			refund, err := h.Refusals.Take(limit.ClientAddr(r))
			if err != nil {
				var busy *limit.BusyError
				if errors.As(err, &busy) {
					w.Header().Set("Retry-After", busy.RetryAfterSeconds())
				}
				http.Error(w, "too many refused SCEP requests from this address; try again later", http.StatusServiceUnavailable)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), refundKey{}, refund))
		}
		if r.Method == http.MethodPost {
			if r.ContentLength > MaxMessageSize {
				http.Error(w, "SCEP message too large", http.StatusRequestEntityTooLarge)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxMessageSize))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, "SCEP message too large", http.StatusRequestEntityTooLarge)
					return
				}
				http.Error(w, "SCEP message unreadable", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// service implements the library's scepserver.Service.
type service struct{ h *Handler }

var _ scepserver.Service = (*service)(nil)

// GetCACaps is RFC 8894, Section 3.5.2. No SHA-1 or DES3: every client of
// this portal (iOS, macOS, micromdm's) does SHA-256 and AES.
func (s *service) GetCACaps(context.Context) ([]byte, error) {
	return []byte("POSTPKIOperation\nRenewal\nSHA-256\nAES\nSCEPStandard"), nil
}

// GetCACert is RFC 8894, Section 4.2.1.2: the RA certificate first, then
// the issuing CA and the root, as a degenerate certificates-only CMS.
func (s *service) GetCACert(context.Context, string) ([]byte, int, error) {
	ra, err := s.h.RA()
	if err != nil {
		s.h.Log.Error().Err(err).Msg("SCEP RA identity")
		return nil, 0, errors.New("internal error")
	}
	c := s.h.CAFunc()
	certs := append([]byte{}, ra.Cert.Raw...)
	for _, x := range c.Chain() {
		certs = append(certs, x.Raw...)
	}
	der, err := pkcs7.DegenerateCertificate(certs)
	return der, 1 + len(c.Chain()), err
}

// GetNextCACert is not offered (GetCACaps does not list GetNextCACert).
func (s *service) GetNextCACert(context.Context) ([]byte, error) {
	return nil, errors.New("GetNextCACert is not supported")
}
