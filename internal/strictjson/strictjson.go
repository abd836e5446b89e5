// Package strictjson decodes a small configuration file strictly: capped
// in size, no unknown fields, nothing after the one JSON value.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode decodes data, at most max bytes, into v. A field v lacks, or
// anything after the JSON value, is an error.
func Decode(data []byte, max int, v any) error {
	if len(data) > max {
		return fmt.Errorf("the file is over %d bytes", max)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
