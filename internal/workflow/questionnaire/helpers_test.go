package questionnaire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// The project's published HNA artefacts, relative to this package.
const (
	hnaFile        = "../../../api/questionnaire-hna.json"
	codeSystemFile = "../../../api/codesystem-hna-concern.json"
)

// readFile returns a file's bytes.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode parses JSON the way the server does, numbers as json.Number.
func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %.80s: %v", data, err)
	}
	return m
}

// load decodes a JSON file.
func load(t *testing.T, path string) map[string]any {
	t.Helper()
	return decode(t, readFile(t, path))
}

// children is a JSON tree's item array as objects (nil when absent).
func children(m map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := m["item"].([]any)
	for _, r := range list {
		c, _ := r.(map[string]any)
		out = append(out, c)
	}
	return out
}

// jsonNum is n as the decoder gives it.
func jsonNum(n int) json.Number { return json.Number(fmt.Sprint(n)) }

// readFileF and decodeF serve fuzz setup, where there is no *testing.T.
func readFileF(path string) ([]byte, error) { return os.ReadFile(path) }

func decodeF(data []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
