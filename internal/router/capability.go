package router

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/sharedcare/sharedcare/internal/auth/smart"
)

// capabilities returns the CapabilityStatement, generated from the registry.
func (rt *Router) capabilities(_ context.Context, r *Request) (*Response, error) {
	type interaction struct {
		Code string `json:"code"`
	}
	type operation struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	}
	type searchParam struct {
		Name          string `json:"name"`
		Definition    string `json:"definition,omitempty"`
		Type          string `json:"type"`
		Documentation string `json:"documentation,omitempty"`
	}
	type resource struct {
		Type              string        `json:"type"`
		Documentation     string        `json:"documentation,omitempty"`
		Interaction       []interaction `json:"interaction"`
		Versioning        string        `json:"versioning"`
		ReadHistory       bool          `json:"readHistory"`
		UpdateCreate      bool          `json:"updateCreate"`
		ConditionalCreate bool          `json:"conditionalCreate"`
		ConditionalRead   string        `json:"conditionalRead"`
		ConditionalUpdate bool          `json:"conditionalUpdate"`
		ConditionalDelete string        `json:"conditionalDelete"`
		SearchInclude     []string      `json:"searchInclude,omitempty"`
		SearchRevInclude  []string      `json:"searchRevInclude,omitempty"`
		SearchParam       []searchParam `json:"searchParam,omitempty"`
		Operation         []operation   `json:"operation,omitempty"`
	}
	// Operations on types and instances are listed with their type; those
	// on the base with the server.
	byType := map[string][]operation{}
	var system []operation
	for _, op := range rt.opts.Registry.Operations() {
		o := operation{Name: op.Code, Definition: op.URL}
		if op.System {
			system = append(system, o)
		}
		for _, typ := range op.Resource {
			byType[typ] = append(byType[typ], o)
		}
	}
	// revIncludes: for each type, the Source:param pairs that can refer to it.
	revIncludes := map[string][]string{}
	for _, src := range rt.opts.Registry.Names() {
		for _, p := range rt.opts.Registry.Params().Searchable(src) {
			if p.Type != "reference" {
				continue
			}
			for _, target := range p.Target {
				revIncludes[target] = append(revIncludes[target], src+":"+p.Code)
			}
		}
	}
	var resources []resource
	for _, name := range rt.opts.Registry.Names() {
		t, _ := rt.opts.Registry.Lookup(name)
		res := resource{Type: name, Documentation: t.Documentation, Versioning: "versioned", ReadHistory: true,
			UpdateCreate: t.Supports("update"), ConditionalRead: "full-support",
			ConditionalCreate: t.Supports("create") && t.Supports("search-type"),
			ConditionalUpdate: t.Supports("update") && t.Supports("search-type"), ConditionalDelete: "not-supported"}
		if t.Supports("delete") && t.Supports("search-type") {
			res.ConditionalDelete = "single"
		}
		for _, i := range t.Interactions() {
			res.Interaction = append(res.Interaction, interaction{Code: i})
		}
		if t.Supports("search-type") {
			for _, p := range rt.opts.Registry.Params().Searchable(name) {
				res.SearchParam = append(res.SearchParam, searchParam{Name: p.Code, Definition: p.URL, Type: p.Type, Documentation: p.Description})
				if p.Type == "reference" {
					res.SearchInclude = append(res.SearchInclude, name+":"+p.Code)
				}
			}
			res.SearchInclude = append([]string{"*"}, res.SearchInclude...)
			res.SearchRevInclude = revIncludes[name]
		}
		res.Operation = byType[name]
		resources = append(resources, res)
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         rt.started.Format("2006-01-02T15:04:05Z07:00"),
		"publisher":    "sharedcare",
		"kind":         "instance",
		"software":     map[string]any{"name": "sharedcare", "version": rt.opts.Version, "releaseDate": rt.started.Format("2006-01-02T15:04:05Z07:00")},
		"implementation": map[string]any{
			"description": "sharedcare: the shared cancer care record between hospital oncology teams and general practice",
			"url":         r.Base,
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json"},
		"patchFormat": []string{"application/json-patch+json", "application/fhir+json"},
		"rest": []map[string]any{{
			"mode":          "server",
			"documentation": "FHIR R4 REST/JSON. Every write is validated and stored in one transaction; every version is kept.",
			"resource":      resources,
			"interaction":   []interaction{{Code: "transaction"}, {Code: "batch"}, {Code: "history-system"}, {Code: "search-system"}},
			"operation":     system,
			"security":      smart.Security(r.Base, !rt.opts.AuthOff),
		}},
	}
	body, err := json.Marshal(cs)
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: body, Header: http.Header{"Last-Modified": {rt.started.UTC().Format(http.TimeFormat)}}}, nil
}
