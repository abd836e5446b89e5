package cakeys

import (
	"context"
	"crypto"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/p11uri"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/portal/ca"
)

// Token is the CA's key store on a PKCS#11 token, through the hsm/pkcs11
// backend (crypto11). Its signers are safe for concurrent use: crypto11
// gives each operation a session of its own from a pool.
type Token struct {
	cfg     Config
	backend hsm.Backend
	// ctx carries the PIN (hsm.WithPIN) to the backend's one login.
	ctx context.Context
}

var _ ca.KeyStore = (*Token)(nil)

// Open returns where c keeps the CA's keys, for ca.Config: nil for files;
// for a token, the token, logged in with the PIN read now from c's source
// (so a wrong PIN, an absent token or a missing module fails here, with a
// message that says which). Close the Token when done.
func Open(c Config) (*Token, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if !c.IsToken() {
		return nil, nil
	}
	if err := needCgo(); err != nil {
		return nil, err
	}
	pin, err := c.readPIN()
	if err != nil {
		return nil, err
	}
	u, _ := p11uri.Parse(c.Token) // checked by Check
	t := &Token{
		cfg:     c,
		backend: pkcs11.New(pkcs11.Config{Module: c.Module, Token: u.Token, Serial: u.Serial}),
		ctx:     hsm.WithPIN(context.Background(), pin),
	}
	if l, ok := t.backend.(hsm.Lister); ok {
		if _, err := l.List(t.ctx); err != nil {
			t.Close()
			return nil, t.explain(err)
		}
	}
	return t, nil
}

// CAConfig is the ca.Config of keys kept in t (nil: files).
func (t *Token) CAConfig() ca.Config {
	if t == nil {
		return ca.Config{}
	}
	return ca.Config{Keys: t}
}

// Config is the configuration t was opened with.
func (t *Token) Config() Config {
	if t == nil {
		return Config{KeyStore: StoreFile}
	}
	return t.cfg
}

// Close logs out of the token. A nil Token closes nothing.
func (t *Token) Close() error {
	if t == nil {
		return nil
	}
	if c, ok := t.backend.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// String implements ca.KeyStore.
func (t *Token) String() string {
	return fmt.Sprintf("PKCS#11 token %s (module %s)", t.cfg.Token, t.cfg.Module)
}

// Generate implements ca.KeyStore: an ECDSA P-256 key pair made on the
// token, its private key sensitive and not extractable (hsm/pkcs11), with
// a fresh CKA_ID and label as CKA_LABEL. The reference is the key's URI
// without module path or PIN source: DATA/ca-keys.json says how to reach
// the token.
func (t *Token) Generate(label string) (crypto.Signer, string, error) {
	k, err := t.backend.Generate(t.ctx, hsm.GenerateRequest{Algorithm: hsm.ECDSAP256, Label: label, ID: hsm.NewKeyID()})
	if err != nil {
		return nil, "", t.explain(err)
	}
	if err := checkProtected(k); err != nil {
		_ = t.backend.Delete(t.ctx, k.URI())
		return nil, "", err
	}
	u, err := p11uri.Parse(k.URI())
	if err != nil {
		return nil, "", err
	}
	u.ModulePath, u.ModuleName, u.PINSource, u.PINValue = "", "", "", ""
	return k, u.String(), nil
}

// Open implements ca.KeyStore.
func (t *Token) Open(ref string) (crypto.Signer, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	k, err := t.backend.Open(t.ctx, ref)
	if err != nil {
		return nil, t.explain(err)
	}
	if err := checkProtected(k); err != nil {
		return nil, err
	}
	return k, nil
}

// ErrNotProtected reports a CA key the token would let out, or cannot say.
var ErrNotProtected = errors.New("the CA key on the token is not sensitive and non-extractable")

// checkProtected asks the token whether k is sensitive and not
// extractable (hsm/pkcs11 Key.CheckProtected): a CA key whose value could
// be read off the token is refused, at generation and at every load.
func checkProtected(k hsm.Key) error {
	p, ok := k.(interface{ CheckProtected() error })
	if !ok {
		return fmt.Errorf("%w: the backend cannot tell", ErrNotProtected)
	}
	if err := p.CheckProtected(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotProtected, err)
	}
	return nil
}

// Delete implements ca.KeyStore.
func (t *Token) Delete(ref string) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	return t.explain(t.backend.Delete(t.ctx, ref))
}

// checkRef refuses a reference that is not a token key's URI, or that
// would take the PIN or the module from the CA directory.
func checkRef(ref string) error {
	u, err := p11uri.Parse(ref)
	if err != nil {
		return fmt.Errorf("key reference: %w", err)
	}
	if len(u.ID) == 0 || u.PINSource != "" || u.PINValue != "" || u.ModulePath != "" || u.ModuleName != "" {
		return fmt.Errorf("key reference %q: want a key's id on a token, without module or PIN", ref)
	}
	return nil
}

// explain says which of the conditions an operator can fix went wrong.
// The backend's errors name return codes, never the PIN.
func (t *Token) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hsm.ErrPINIncorrect):
		return fmt.Errorf("the token %s refused the PIN from the %s: %w", t.cfg.Token, t.cfg.pinSource(), err)
	case errors.Is(err, hsm.ErrTokenAbsent):
		return fmt.Errorf("no token %s in PKCS#11 module %s (is it plugged in and initialized?): %w", t.cfg.Token, t.cfg.Module, err)
	case errors.Is(err, hsm.ErrNotFound):
		return fmt.Errorf("the CA key is not on the token %s (deleted, or another token?): %w", t.cfg.Token, err)
	case errors.Is(err, hsm.ErrUnavailable):
		return fmt.Errorf("the PKCS#11 module %s cannot be used: %w", t.cfg.Module, err)
	}
	return err
}
