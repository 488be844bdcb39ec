package httpapi

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/router"
)

const (
	fhirJSON      = router.FHIRJSON
	plainJSON     = router.PlainJSON
	jsonPatchType = router.JSONPatchType
)

// jsonTypes are the media types (and _format shorthands) that mean FHIR JSON.
var jsonTypes = map[string]bool{fhirJSON: true, plainJSON: true, "application/json+fhir": true, "json": true}

// responseType picks the Content-Type of the response from _format and
// Accept, or fails with 406 when the client accepts only something else
// (such as XML). Clients that ask for plain application/json get it.
func responseType(r *http.Request, query url.Values) (string, error) {
	if f := strings.ReplaceAll(query.Get("_format"), " ", "+"); f != "" { // an unescaped + arrives as a space
		mt := strings.ToLower(strings.TrimSpace(strings.Split(f, ";")[0]))
		if !jsonTypes[mt] {
			return "", fhirerr.New(fhirerr.NotAcceptable, "not-supported", "",
				"_format %q is not supported: this server speaks FHIR JSON only (json, application/fhir+json)", f)
		}
		if mt == plainJSON {
			return plainJSON, nil
		}
		return fhirJSON, nil
	}
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return fhirJSON, nil
	}
	plainOnly := false
	for _, part := range strings.Split(strings.Join(accept, ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && strings.Trim(q, "0.") == "" {
			continue // q=0: explicitly not acceptable
		}
		switch {
		case mt == fhirJSON || mt == "application/json+fhir" || mt == "*/*" || mt == "application/*":
			return fhirJSON, nil
		case mt == plainJSON:
			plainOnly = true
		}
	}
	if plainOnly {
		return plainJSON, nil
	}
	return "", fhirerr.New(fhirerr.NotAcceptable, "not-supported", "",
		"cannot produce %q: this server speaks FHIR JSON only (application/fhir+json)", strings.Join(accept, ", "))
}

// checkRequestType refuses bodies that are not JSON. A request without a
// Content-Type is read as JSON, the only format this server takes.
func checkRequestType(r *http.Request, allowed ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, a := range allowed {
			if mt == a {
				return nil
			}
		}
	}
	return fhirerr.New(fhirerr.UnsupportedMediaType, "not-supported", "",
		"Content-Type %q is not supported: send %s", ct, strings.Join(allowed, " or "))
}
