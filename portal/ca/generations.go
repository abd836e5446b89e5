package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// generation is an earlier generation kept in DIR/gen-N/ by a rebuild.
type generation struct {
	num     int
	root    *x509.Certificate
	issuing *x509.Certificate
	key     crypto.Signer // the issuing key: signs that generation's CRL.
}

// loadHistory reads the earlier generations (issuing CA, root, issuing key)
// and the link certificates of every retained rebuild: the current
// directory's (generation N against N-1) and each gen-K directory's (K
// against K-1).
func (c *CA) loadHistory(cfg Config) error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	var gens []int
	for _, e := range entries {
		if n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), genPrefix)); err == nil && e.IsDir() && strings.HasPrefix(e.Name(), genPrefix) {
			gens = append(gens, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(gens)))
	if err := c.loadLinks(c.dir); err != nil {
		return err
	}
	for _, g := range gens {
		dir := filepath.Join(c.dir, genPrefix+strconv.Itoa(g))
		gen, err := cfg.readGeneration(dir, g)
		if err != nil {
			return err
		}
		c.history = append(c.history, gen)
		c.Previous = append(c.Previous, gen.issuing)
		if err := c.loadLinks(dir); err != nil {
			return err
		}
	}
	return nil
}

// readGeneration reads generation num's root, issuing CA and issuing key
// from dir (the CA directory or a gen-N one), checking that the key matches.
func (cfg Config) readGeneration(dir string, num int) (generation, error) {
	gen := generation{num: num}
	var err error
	if gen.root, err = readCert(filepath.Join(dir, RootCertFile)); err != nil {
		return gen, err
	}
	if gen.issuing, err = readCert(filepath.Join(dir, IssuingCert)); err != nil {
		return gen, err
	}
	gen.key, err = cfg.readKey(dir, IssuingKeyFile, gen.issuing.PublicKey)
	return gen, err
}

// loadLinks appends dir's link certificates, if any.
func (c *CA) loadLinks(dir string) error {
	for _, name := range []string{NewWithOldFile, OldWithNewFile} {
		l, err := readCert(filepath.Join(dir, name))
		if errors.Is(err, ErrIncomplete) {
			continue
		}
		if err != nil {
			return err
		}
		c.Links = append(c.Links, l)
		if name == NewWithOldFile {
			c.NewWithOld = append(c.NewWithOld, l)
		}
	}
	return nil
}

// Generations lists the generation numbers this CA signs CRLs for, newest
// (the current one) first.
func (c *CA) Generations() []int {
	out := []int{c.Generation}
	for _, g := range c.history {
		out = append(out, g.num)
	}
	return out
}

// IssuingOf returns generation gen's issuing CA certificate, or nil.
func (c *CA) IssuingOf(gen int) *x509.Certificate {
	if gen == c.Generation {
		return c.Issuing
	}
	for _, g := range c.history {
		if g.num == gen {
			return g.issuing
		}
	}
	return nil
}

// GenerationOf returns the generation whose issuing CA issued cert, or 0.
func (c *CA) GenerationOf(cert *x509.Certificate) int {
	for _, g := range c.Generations() {
		if iss := c.IssuingOf(g); bytes.Equal(cert.RawIssuer, iss.RawSubject) && cert.CheckSignatureFrom(iss) == nil {
			return g
		}
	}
	return 0
}

func (c *CA) signerOf(gen int) (*x509.Certificate, crypto.Signer) {
	if gen == c.Generation {
		return c.Issuing, c.issuingKey
	}
	for _, g := range c.history {
		if g.num == gen {
			return g.issuing, g.key
		}
	}
	return nil, nil
}
