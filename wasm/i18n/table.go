package i18n

// Table is a small map written as key, value pairs. A package-level map
// literal is code that builds the map when the program starts; a slice of
// constant strings is data, and the UI's WASM is downloaded, compiled and
// started at every popup open.
type Table []string

// Get returns the value for k and whether there is one.
func (t Table) Get(k string) (string, bool) {
	for i := 0; i+1 < len(t); i += 2 {
		if t[i] == k {
			return t[i+1], true
		}
	}
	return "", false
}

// Of is the value for k, "" when there is none.
func (t Table) Of(k string) string {
	v, _ := t.Get(k)
	return v
}
