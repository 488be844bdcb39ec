package handover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// A hospital system that times out waiting for the answer to a handover
// sends it again. Bundle.identifier (system and value) names the handover,
// so that the retry can be told from a new handover and answered with the
// first outcome instead of handing the same Tasks to the GP twice; the
// Fingerprint of the Bundle as sent tells a true retry from a different
// Bundle reusing an identifier.

// Key is the handover's identity, Bundle.identifier as system|value ("|"
// cannot occur in a system, which is a URI), or "" when the Bundle has no
// identifier with both.
func Key(bundle map[string]any) string {
	system, value := identifier(bundle)
	if system == "" || value == "" {
		return ""
	}
	return system + "|" + value
}

func identifier(bundle map[string]any) (system, value string) {
	id, _ := bundle["identifier"].(map[string]any)
	return str(id["system"]), str(id["value"])
}

// checkIdentifier requires Bundle.identifier with a system and a value.
func (c *checker) checkIdentifier(bundle map[string]any) {
	system, value := identifier(bundle)
	switch {
	case system == "" && value == "":
		c.add("required", "Bundle.identifier",
			"a handover needs Bundle.identifier (system and value), unique to it, so that a retry after a timeout is recognised and not stored twice")
	case system == "":
		c.add("required", "Bundle.identifier.system", "Bundle.identifier needs a system, so that the identifier is unique across the systems that hand over")
	case value == "":
		c.add("required", "Bundle.identifier.value", "Bundle.identifier needs a value")
	}
}

// Fingerprint is the hex SHA-256 of a Bundle as sent, in a canonical form:
// object members sorted, insignificant whitespace dropped, numbers and
// strings as written. A retry of the same Bundle has the same fingerprint
// however it is formatted; any change of content changes it.
func Fingerprint(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("handover.Fingerprint: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // encodes map keys sorted
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("handover.Fingerprint: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}
