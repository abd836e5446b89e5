package proto

import (
	"bytes"
	"encoding/json"
)

// RequestID recovers the id of a request frame that failed to decode, so
// the UI can match the error to it. It reads the object's members in order
// up to "id", so a request broken further on (truncated, say) still has
// its id; nothing else is kept.
func RequestID(frame []byte) string {
	dec := json.NewDecoder(bytes.NewReader(frame))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k == "id" {
			v, err := dec.Token()
			if id, ok := v.(string); err == nil && ok && len(id) <= 64 {
				return id
			}
			return ""
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}
