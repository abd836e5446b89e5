//go:build cgo

package cakeys

// needCgo is nil: this build loads PKCS#11 modules.
func needCgo() error { return nil }
