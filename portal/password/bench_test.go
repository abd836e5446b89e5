package password

import "testing"

// BenchmarkVerify is one password check as every EST request with HTTP
// Basic makes it (argon2id at this package's parameters): it bounds the
// portal's renewals per second at about GOMAXPROCS / (its time).
func BenchmarkVerify(b *testing.B) {
	h, err := Hash("bench-secret-password")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := Verify(h, "bench-secret-password"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
