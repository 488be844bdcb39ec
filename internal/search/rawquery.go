package search

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// ParseQuery reads a raw query string (a URL's query, a _search form body,
// If-None-Exist criteria) into its parameters, in order, or fails with an
// Invalid error naming the first parameter that cannot be read.
//
// It exists because url.ParseQuery, and with it URL.Query() and gin's
// c.Query, skip a pair they cannot unescape and carry on: for
// Patient?family=O%Brien&gender=female they answer gender=female alone, and
// a conditional update on that silently overwrote another patient. Here a
// malformed %-escape, a value that is not UTF-8 once unescaped, or a NUL is
// the whole request's failure. Both databases would also disagree on such
// bytes (PostgreSQL refuses them, SQLite stores them), and must not.
//
// Unlike url.ParseQuery, a ';' is an ordinary character, not a (refused)
// separator: FHIR separates parameters with '&' only, so name=a;b is "a;b".
// '+' means a space, as in every form encoding.
func ParseQuery(raw string) (url.Values, error) {
	values := url.Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, malformed("", rawKey, "name has a malformed %-escape")
		}
		if reason := unfit(key); reason != "" {
			return nil, malformed("", rawKey, "name "+reason)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, malformed(key, rawValue, "has a malformed %-escape")
		}
		if reason := unfit(value); reason != "" {
			return nil, malformed(key, rawValue, reason)
		}
		values[key] = append(values[key], value)
	}
	return values, nil
}

// unfit says why an unescaped name or value cannot be searched with ("" when
// it can).
func unfit(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// maxQuoted bounds how much of the offending input a message repeats.
const maxQuoted = 100

// malformed is the error for one unreadable parameter. key is "" when the
// name itself is at fault (raw is then the name as sent).
func malformed(key, raw, reason string) error {
	if key == "" {
		return fhirerr.New(fhirerr.Invalid, "invalid", "", "the query parameter %s: its %s", quote(raw), reason)
	}
	return fhirerr.New(fhirerr.Invalid, "invalid", "", "the query parameter %s %s: %s", quoteName(key), reason, quote(raw))
}

// quote renders client input for a message: cut short, and quoted so that
// control characters and broken UTF-8 come out as escapes.
func quote(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// quoteName renders a parameter name for a message: as is when it is plain
// (family, subject:Patient.name), quoted when it holds anything surprising.
func quoteName(name string) string {
	if len(name) > maxQuoted {
		return quote(name)
	}
	for _, r := range name {
		if r <= ' ' || r == '"' || r >= 0x7f {
			return quote(name)
		}
	}
	return name
}
