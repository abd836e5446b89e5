package nss

import (
	"context"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
)

// TPM identities: the key stays in the TPM and reaches the browser through
// tpm2-pkcs11. hsm/tpm2pkcs11 links the key and its certificate into the
// token; this store registers the token's module in the database and
// checks the chain, as for any token (token.go).

// tpm2 is the configured tpm2-pkcs11, or its defaults.
func (db *DB) tpm2() *tpm2pkcs11.Config {
	if db.TPM == nil {
		return &tpm2pkcs11.Config{}
	}
	return db.TPM
}

// tpm2Err reports tpm2-pkcs11 being unusable as this store being
// unavailable, which is how the host has always reported it.
func tpm2Err(what string, err error) error {
	if errors.Is(err, tpm2pkcs11.ErrUnavailable) {
		return fmt.Errorf("nss: %s: %w: %w", what, store.ErrUnavailable, err)
	}
	return fmt.Errorf("nss: %s: %w", what, err)
}

func (db *DB) installTPM(ctx context.Context, id store.Identity, k hsm.TSS2Key) error {
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	c := db.tpm2()
	if err := c.Link(ctx, k.TSS2PEM(), id.Cert, id.Nickname, kid); err != nil {
		return tpm2Err("TPM key", err)
	}
	return db.RegisterModule(ctx, c.ModulePath())
}

func (db *DB) verifyTPM(ctx context.Context, id store.Identity) error {
	c := db.tpm2()
	has, err := db.HasModule(ctx, c.ModulePath())
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("%w: tpm2-pkcs11 is not registered in %s", store.ErrNotVerified, db.Dir)
	}
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	linked, err := c.Linked(ctx, kid)
	if err != nil {
		return tpm2Err("TPM key", err)
	}
	if !linked {
		return fmt.Errorf("%w: the TPM key and certificate %x are not in the tpm2-pkcs11 token", store.ErrNotVerified, id.Cert.SerialNumber)
	}
	return db.verifyChain(ctx, id.Cert)
}
