package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/attest"
	"github.com/certrenew/certrenew/portal/store"
)

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
	return action{do: func(c *call) error {
		sum, err := hex.DecodeString(strings.ToLower(c.args[0]))
		if err != nil || len(sum) != sha256.Size {
			return usagef("ek-crls remove needs the SHA-256 that ek-crls list prints")
		}
		if err := c.store.RemoveEKCRL(c.ctx, sum); err != nil {
			return err
		}
		c.log.Info().Hex("sha256", sum).Msg("EK CRL removed")
		return nil
	}}
}
