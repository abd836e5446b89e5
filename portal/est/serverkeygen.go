package est

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// serverkeygen is RFC 7030, Section 4.4: the portal makes the key (ECDSA
// P-256) and answers it with the certificate. It is served only where the
// tenant enables server-made keys (Handler.ServerKeygen), since such a key
// is not hardware-bound. The client's CSR says who and how, not which key
// (Section 4.4.1: its key is the client's to choose and is not used): its
// subject and challengePassword go into a CSR signed by the new key, which
// then takes the path its authentication names, simplereenroll with a
// client certificate (Section 4.2.2), else simpleenroll (Section 4.2.1),
// under every rule of those. The answer is multipart/mixed (Section
// 4.4.2): the key as an unencrypted application/pkcs8 part, then the
// certs-only CMS. The key is kept nowhere.
func (h *Handler) serverkeygen(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	req, err := readRequest(w, r)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := pkcs10.Create(key, pkcs10.Request{Subject: req.CSR.Subject, ChallengePassword: req.Challenge})
	if err != nil {
		return NewProblem(errcode.BadRequest, "the CSR's subject cannot be used")
	}
	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader([]byte(base64.StdEncoding.EncodeToString(csr))))
	inner.ContentLength = -1
	// The key is the portal's: software, whatever the client claims.
	inner.Header.Del(KeyStorageHeader)
	rec := &recorder{header: http.Header{}}
	op := h.enroll
	if ClientLeaf(r) != nil {
		op = h.reenroll
	}
	if err := op(rec, inner, log.With().Bool("server_key", true).Logger()); err != nil {
		return err
	}
	if rec.status != http.StatusOK {
		return fmt.Errorf("serverkeygen: the enrollment answered %d", rec.status)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct {
		typ  string
		data []byte
	}{
		{"application/pkcs8", []byte(base64.StdEncoding.EncodeToString(der))},
		{ContentTypeCertOnly, bytes.TrimSpace(rec.body.Bytes())},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.typ}, "Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return err
		}
		if _, err := pw.Write(part.data); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
	log.Info().Str("audit", "server_key").Msg("server-made key sent with its certificate")
	return nil
}

// recorder keeps the answer of the enrollment serverkeygen runs, to send
// it inside the multipart answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
