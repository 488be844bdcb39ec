package fhirjson

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

const xhtmlNS = "http://www.w3.org/1999/xhtml"

// narrativeElements are the XHTML elements FHIR narrative may use (R4
// narrative.html, txt-1: HTML 4.0 basic formatting, lists, tables, links,
// images). Anything else (script, style, form, iframe, object, ...) is refused.
var narrativeElements = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`a abbr acronym address b bdo big blockquote br caption cite code col colgroup
		dd del dfn div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins kbd li ol p pre q samp small span strong sub sup
		table tbody td tfoot th thead tr tt u ul var`) {
		narrativeElements[e] = true
	}
}

// checkXHTML applies the narrative rules a receiving system relies on before
// it renders a div: well-formed XHTML rooted in a div in the XHTML namespace
// (txt-3), only basic formatting elements and no event handlers or script
// URLs (txt-1). It returns "" when the div is fine. txt-2 (some content) is
// not enforced: official R4 examples break it and nothing unsafe follows.
func checkXHTML(div string) string {
	dec := xml.NewDecoder(strings.NewReader(div))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "narrative is not well-formed XHTML: " + err.Error()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if depth == 0 && (name != "div" || t.Name.Space != xhtmlNS) {
				return fmt.Sprintf(`narrative must be a <div xmlns=%q>, not <%s>`, xhtmlNS, name)
			}
			if t.Name.Space != xhtmlNS || !narrativeElements[name] {
				return fmt.Sprintf("narrative may not contain <%s>", name)
			}
			for _, a := range t.Attr {
				n, v := strings.ToLower(a.Name.Local), strings.ToLower(strings.TrimSpace(a.Value))
				if strings.HasPrefix(n, "on") {
					return fmt.Sprintf("narrative may not contain event handlers (%s on <%s>)", a.Name.Local, name)
				}
				if (n == "href" || n == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:")) {
					return fmt.Sprintf("narrative may not contain script URLs (%s on <%s>)", a.Name.Local, name)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return "narrative has text outside its <div>"
			}
		case xml.ProcInst, xml.Directive:
			return "narrative may not contain processing instructions or DTDs"
		}
	}
	return ""
}
