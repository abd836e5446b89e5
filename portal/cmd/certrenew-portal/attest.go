package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/attest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// maxEKRootFile bounds an EK root file (a few CA certificates).
const maxEKRootFile = 1 << 20

// ekRootsAdd adds the CA certificates of a PEM file as EK roots (see
// docs/hardware-trust.md): the TPM manufacturers' CAs whose endorsement
// key certificates the portal accepts. Self-signed ones are roots, others
// intermediates below them.
func ekRootsAdd(*flags) action {
	return action{do: func(c *call) error {
		data, err := os.ReadFile(c.args[0])
		if err != nil {
			return err
		}
		if len(data) > maxEKRootFile {
			return fmt.Errorf("%s: larger than %d bytes", c.args[0], maxEKRootFile)
		}
		var certs []*x509.Certificate
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return fmt.Errorf("%s: %w", c.args[0], err)
			}
			if !cert.IsCA {
				return fmt.Errorf("%s: %q is not a CA certificate", c.args[0], cert.Subject)
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 {
			return fmt.Errorf("%s: no PEM certificate", c.args[0])
		}
		for _, cert := range certs {
			sum := sha256.Sum256(cert.Raw)
			err := c.store.AddEKRoot(c.ctx, store.EKRoot{Hash: sum[:], DER: cert.Raw, Added: time.Now()})
			if errors.Is(err, store.ErrExists) {
				continue
			}
			if err != nil {
				return err
			}
			c.log.Info().Hex("sha256", sum[:]).Str("subject", cert.Subject.String()).Msg("EK root added")
			if err := c.println(hex.EncodeToString(sum[:])); err != nil {
				return err
			}
		}
		return nil
	}}
}

// ekRootsList prints the EK roots.
func ekRootsList(*flags) action {
	return action{do: func(c *call) error {
		roots, err := c.store.EKRoots(c.ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, r := range roots {
			subject, notAfter := "(unparsable)", ""
			if cert, err := x509.ParseCertificate(r.DER); err == nil {
				subject, notAfter = cert.Subject.String(), cert.NotAfter.UTC().Format(time.RFC3339)
			}
			rows = append(rows, []string{hex.EncodeToString(r.Hash), subject, notAfter})
		}
		return c.table("SHA256\tSUBJECT\tNOT AFTER", rows)
	}}
}

// ekRootsRemove removes an EK root by its SHA-256 (as list prints it).
func ekRootsRemove(*flags) action {
	return removeBySHA256("ek-roots", "EK root", (*sqlstore.DB).RemoveEKRoot)
}

// removeBySHA256 is the action of "<cmd> remove": its argument is the
// SHA-256 that "<cmd> list" prints; what names the object in the log.
func removeBySHA256(cmd, what string, remove func(*sqlstore.DB, context.Context, []byte) error) action {
	return action{do: func(c *call) error {
		sum, err := hex.DecodeString(strings.ToLower(c.args[0]))
		if err != nil || len(sum) != sha256.Size {
			return usagef("%s remove needs the SHA-256 that %s list prints", cmd, cmd)
		}
		if err := remove(c.store, c.ctx, sum); err != nil {
			return err
		}
		c.log.Info().Hex("sha256", sum).Msg(what + " removed")
		return nil
	}}
}

// ekCRLsAdd adds a CRL file (PEM "X509 CRL" or DER) of an EK CA (see
// docs/hardware-trust.md): the EK certificates, or CAs, it lists are
// refused from then on. The CRL must be signed by a configured EK root or
// by a configured intermediate that chains to one; any other is refused
// and nothing stored.
func ekCRLsAdd(*flags) action {
	return action{do: func(c *call) error {
		f, err := os.Open(c.args[0])
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(f, attest.MaxCRLFile+1))
		f.Close()
		if err != nil {
			return err
		}
		crl, err := attest.ParseCRL(data)
		if err != nil {
			return fmt.Errorf("%s: %w", c.args[0], err)
		}
		roots, err := c.store.EKRoots(c.ctx)
		if err != nil {
			return err
		}
		var certs []*x509.Certificate
		for _, r := range roots {
			if cert, err := x509.ParseCertificate(r.DER); err == nil {
				certs = append(certs, cert)
			}
		}
		signer, err := attest.CRLIssuer(crl, certs, time.Now())
		if err != nil {
			return fmt.Errorf("%s: not a CRL of a configured EK CA (ek-roots list): %w", c.args[0], err)
		}
		sum := sha256.Sum256(crl.Raw)
		err = c.store.AddEKCRL(c.ctx, store.EKCRL{Hash: sum[:], DER: crl.Raw, Added: time.Now()})
		if errors.Is(err, store.ErrExists) {
			return nil
		}
		if err != nil {
			return err
		}
		c.log.Info().Hex("sha256", sum[:]).Str("issuer", signer.Subject.String()).
			Int("revoked", len(crl.RevokedCertificateEntries)).Msg("EK CRL added")
		if time.Now().After(crl.NextUpdate) {
			c.log.Warn().Time("next_update", crl.NextUpdate).Msg("EK CRL past its next update: applied, but the CA has a newer one")
		}
		return c.println(hex.EncodeToString(sum[:]))
	}}
}

// ekCRLsList prints the EK CRLs.
func ekCRLsList(*flags) action {
	return action{do: func(c *call) error {
		crls, err := c.store.EKCRLs(c.ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, r := range crls {
			issuer, this, next, n := "(unparsable)", "", "", ""
			if crl, err := x509.ParseRevocationList(r.DER); err == nil {
				issuer, this, n = crl.Issuer.String(), crl.ThisUpdate.UTC().Format(time.RFC3339), strconv.Itoa(len(crl.RevokedCertificateEntries))
				if !crl.NextUpdate.IsZero() {
					next = crl.NextUpdate.UTC().Format(time.RFC3339)
				}
			}
			rows = append(rows, []string{hex.EncodeToString(r.Hash), issuer, this, next, n})
		}
		return c.table("SHA256\tISSUER\tTHIS UPDATE\tNEXT UPDATE\tREVOKED", rows)
	}}
}

// ekCRLsRemove removes an EK CRL by its SHA-256 (as list prints it).
func ekCRLsRemove(*flags) action {
	return removeBySHA256("ek-crls", "EK CRL", (*sqlstore.DB).RemoveEKCRL)
}
