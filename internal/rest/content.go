package rest

import (
	"sort"
	"strconv"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// NHSNumberSystem is the identifier system of NHS numbers in England,
// Wales and the Isle of Man.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// AllowModifierExtensions sets the modifierExtension urls this server knows.
// Any other modifierExtension is refused: a modifier changes the meaning of
// the element it sits on, and R4 (extensibility.html) says one SHALL NOT be
// processed by a system that does not understand it. Call before serving.
func (s *Service) AllowModifierExtensions(urls []string) {
	s.modifiers = map[string]bool{}
	for _, u := range urls {
		s.modifiers[u] = true
	}
}

// checkContent holds the rules every stored resource keeps beyond what
// fhirjson validates: modifierExtensions this server knows, and NHS numbers
// that pass their check digit. Each failure is an issue at its FHIRPath.
func (s *Service) checkContent(doc *fhir.Document) error {
	var issues []fhirerr.Issue
	s.walkContent(doc.Tree(), doc.Type(), &issues)
	if len(issues) > 0 {
		return fhirerr.WithIssues(fhirerr.Invalid, issues)
	}
	return nil
}

// walkContent checks the element v at path and everything below it,
// contained resources included.
func (s *Service) walkContent(v any, path string, issues *[]fhirerr.Issue) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			s.walkContent(e, path+"["+strconv.Itoa(i)+"]", issues)
		}
	case map[string]any:
		if sys, _ := v["system"].(string); sys == NHSNumberSystem {
			if value, ok := v["value"].(string); ok && !ValidNHSNumber(value) {
				*issues = append(*issues, fhirerr.Issue{Code: "value", Expression: path + ".value",
					Diagnostics: "an NHS number is 10 digits whose last is the modulus 11 check digit of the others; " + strconv.Quote(fhirerr.Clip(value, 30)) + " is not"})
			}
		}
		if mods, ok := v["modifierExtension"].([]any); ok {
			for i, m := range mods {
				ext, _ := m.(map[string]any)
				if url, _ := ext["url"].(string); !s.modifiers[url] {
					*issues = append(*issues, fhirerr.Issue{Code: "not-supported", Expression: path + ".modifierExtension[" + strconv.Itoa(i) + "]",
						Diagnostics: "this server does not know the modifier extension " + strconv.Quote(fhirerr.Clip(url, fhirerr.MaxQuoted)) +
							", so it cannot store what it would change the meaning of (extensibility.html: it SHALL NOT be ignored)"})
				}
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // issues in a stable order
		for _, k := range keys {
			switch v[k].(type) {
			case map[string]any, []any:
				s.walkContent(v[k], path+"."+k, issues)
			}
		}
	}
}

// ValidNHSNumber reports whether s is ten digits whose last is the modulus
// 11 check digit of the first nine (NHS Data Dictionary, "NHS NUMBER").
func ValidNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i < 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	switch check {
	case 11:
		check = 0
	case 10:
		return false // no NHS number is issued with these nine digits
	}
	return int(s[9]-'0') == check
}
