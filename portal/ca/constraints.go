package ca

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
)

// Constraints are the X.509 name constraints (RFC 5280, Section 4.2.1.10)
// a CA generation carries, in its root and in its issuing CA: the DNS names
// and IP addresses its certificates may name. An organisation that trusts
// its portal's CA for TLS servers (certrenew-host's serverTrustCAs policy)
// should constrain it, so that even then its key can vouch only for the
// organisation's own names. The zero value constrains nothing.
//
// Permitted subtrees name DNS names and IP addresses only; a client
// certificate names neither (its subject is the user ID, RFC 5280 puts no
// DNS constraint on a subject's common name), so client certificates are
// issued as before.
type Constraints struct {
	// DNS are permitted DNS domains: "example.com" permits it and every
	// name under it, ".example.com" only the names under it.
	DNS []string
	// IPs are permitted address ranges.
	IPs []*net.IPNet
}

// ParseConstraints reads a comma-separated list of DNS domains, IP
// addresses and CIDR ranges ("corp.example,10.0.0.0/8,127.0.0.1").
func ParseConstraints(list string) (Constraints, error) {
	var c Constraints
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
			continue
		case strings.Contains(f, "/"):
			_, n, err := net.ParseCIDR(f)
			if err != nil {
				return Constraints{}, fmt.Errorf("ca: name constraint %q: %w", f, err)
			}
			c.IPs = append(c.IPs, n)
		case net.ParseIP(f) != nil:
			ip := net.ParseIP(f)
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			c.IPs = append(c.IPs, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
		default:
			d := strings.ToLower(f)
			if strings.ContainsAny(d, " *:@") || strings.Trim(d, ".") == "" {
				return Constraints{}, fmt.Errorf("ca: name constraint %q is not a DNS domain, IP address or CIDR range", f)
			}
			c.DNS = append(c.DNS, d)
		}
	}
	return c, nil
}

// IsZero reports whether c constrains nothing.
func (c Constraints) IsZero() bool { return len(c.DNS) == 0 && len(c.IPs) == 0 }

// String is the list ParseConstraints reads.
func (c Constraints) String() string {
	var out []string
	out = append(out, c.DNS...)
	for _, n := range c.IPs {
		out = append(out, n.String())
	}
	return strings.Join(out, ",")
}

// apply puts c into a CA certificate template, critical as RFC 5280
// requires.
func (c Constraints) apply(tmpl *x509.Certificate) {
	if c.IsZero() {
		return
	}
	tmpl.PermittedDNSDomainsCritical = true
	tmpl.PermittedDNSDomains = c.DNS
	tmpl.PermittedIPRanges = c.IPs
}

// constraintsOf returns the name constraints ca carries.
func constraintsOf(ca *x509.Certificate) Constraints {
	return Constraints{DNS: ca.PermittedDNSDomains, IPs: ca.PermittedIPRanges}
}

// permits reports whether a certificate under c may name host (a DNS name
// or an IP literal), with Go's reading of RFC 5280's subtrees. A kind of
// name c has no subtree for is unconstrained.
func (c Constraints) permits(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		if len(c.IPs) == 0 {
			return true
		}
		for _, n := range c.IPs {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	}
	if len(c.DNS) == 0 {
		return true
	}
	host = strings.ToLower(host)
	for _, d := range c.DNS {
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(host, d) {
				return true
			}
		} else if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
