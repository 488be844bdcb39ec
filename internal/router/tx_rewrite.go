package router

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
)

// narrativeLink finds href and src attributes in narrative XHTML.
var narrativeLink = regexp.MustCompile(`(href|src)="([^"]*)"`)

// rewrite points the entry's placeholders and conditional references at
// the resources they name, and renders the resource anew if it changed.
func (t *txRun) rewrite(ctx context.Context, e *txEntry) error {
	if e.method == http.MethodGet || e.method == http.MethodHead {
		q, err := t.substitute(ctx, e.query, nil)
		if err == nil && q != e.query {
			e.rawURL, e.rewritten = strings.SplitN(e.rawURL, "?", 2)[0]+"?"+q, true
		}
		return err
	}
	if e.tree == nil {
		return nil
	}
	rt, _ := e.tree["resourceType"].(string)
	changed := false
	err := fhir.RewriteStrings(rt, e.tree, func(path, key, value string) (string, error) {
		out, err := t.rewriteString(ctx, path, key, value)
		if out != value {
			changed = true
		}
		return out, err
	})
	if err != nil {
		return err
	}
	if e.method == http.MethodPut && e.criteria != "" && e.tree["id"] == nil {
		e.tree["id"], changed = e.id, true // the update needs the id its criteria found
	}
	if changed {
		e.rewritten = true
		if e.raw, err = json.Marshal(e.tree); err != nil {
			return fmt.Errorf("router.rewrite: %w", err)
		}
	}
	return nil
}

func (t *txRun) rewriteString(ctx context.Context, path, key, value string) (string, error) {
	if dep, ok := t.placeholders[value]; ok {
		if dep.id == "" {
			return value, fhirerr.Invalidf(path, "%q names %s, which writes no resource", value, dep.at())
		}
		return dep.target(), nil
	}
	switch {
	case key == "div":
		return narrativeLink.ReplaceAllStringFunc(value, func(attr string) string {
			m := narrativeLink.FindStringSubmatch(attr)
			if dep, ok := t.placeholders[m[2]]; ok && dep.id != "" {
				return m[1] + `="` + dep.target() + `"`
			}
			return attr
		}), nil
	case key != "reference":
		return value, nil
	case strings.HasPrefix(value, "urn:uuid:"), strings.HasPrefix(value, "urn:oid:"):
		return value, fhirerr.Invalidf(path, "reference %q names no entry of this transaction (no entry has it as fullUrl)", value)
	}
	typ, criteria, conditional := strings.Cut(value, "?")
	if !conditional || strings.Contains(typ, ":") || strings.Contains(typ, "/") {
		return value, nil
	}
	if resolved, ok := t.conditional[value]; ok { // bundles repeat them (every Task's requester)
		return resolved, nil
	}
	resolved, err := t.conditionalReference(ctx, path, typ, criteria)
	if err == nil {
		t.conditional[value] = resolved
	}
	return resolved, err
}

// conditionalReference resolves a reference such as
// Patient?identifier=sys|1: to an entry with the same conditional criteria,
// else to the one resource the search matches.
func (t *txRun) conditionalReference(ctx context.Context, path, typ, criteria string) (string, error) {
	if _, err := search.ParseQuery(criteria); err != nil {
		return "", relocate(err, path)
	}
	criteria, err := t.substitute(ctx, criteria, nil)
	if err != nil {
		return "", err
	}
	want, err := search.ParseQuery(criteria)
	if err != nil {
		return "", relocate(err, path)
	}
	for _, e := range t.entries {
		if e.criteria != "" && e.typ == typ && e.id != "" && e.method != http.MethodDelete {
			if have, err := search.ParseQuery(e.criteria); err == nil && have.Encode() == want.Encode() {
				return e.target(), nil
			}
		}
	}
	if err := t.rt.criteria(auth.PrincipalFrom(ctx), typ, "the conditional reference "+typ+"?…", want); err != nil {
		return "", relocate(err, path)
	}
	matches, err := t.tx.Match(ctx, typ, criteria)
	if err != nil {
		return "", relocate(err, path)
	}
	switch len(matches) {
	case 0:
		return "", fhirerr.New(fhirerr.Invalid, "not-found", path, "conditional reference %s?%s matches no resource", typ, criteria)
	case 1:
		return typ + "/" + matches[0].ID, nil
	}
	return "", fhirerr.New(fhirerr.PreconditionFailed, "multiple-matches", path,
		"conditional reference %s?%s matches more than one resource", typ, criteria)
}
