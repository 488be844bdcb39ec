package search

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Limits on what one search may ask of the database. Each is far beyond
// what a real client sends (the FHIR examples, HAPI's and Medplum's test
// suites and our own clients stay within a tenth of them) and each stops a
// request whose cost would otherwise grow without bound: before the
// limits, 200 _has clauses kept PostgreSQL planning for 23 s. Each is
// refused with a 400 whose OperationOutcome names the limit, before any
// SQL runs, identically on both databases. The README's "Limits" section
// lists them.
const (
	// MaxParams bounds the parameter occurrences (name=value pairs, the
	// query string and a _search body together) in one search. Each filter
	// is a subquery the planner must place, and PostgreSQL's planning time
	// grows faster than their number: 30 took 0.1 s, 50 0.3 s, 100 1.3-1.9 s
	// on the test machine. Real clients send fewer than 15.
	MaxParams = 50
	// MaxValues bounds the comma-separated values (ORs) over the whole
	// search, as sent: enough for a list of a thousand ids, and counted
	// before they are parsed, so a megabyte of commas costs nothing.
	MaxValues = 1000
	// MaxConditions bounds the index conditions the search becomes once
	// chains fan out over their target types and a system search over the
	// types it covers: what the database actually evaluates.
	MaxConditions = 2000
	// MaxSortKeys bounds _sort. Each key is a correlated subquery, and the
	// keyset condition of a next page grows with the square of the keys.
	MaxSortKeys = 5
	// MaxChainDepth bounds the links of one chain
	// (subject:Patient.organization.name is two).
	MaxChainDepth = 3
	// MaxChains bounds the chained parameters in one search.
	MaxChains = 10
	// MaxHasDepth bounds the nesting of _has (_has:A:p:_has:B:q:x is two).
	MaxHasDepth = 3
	// MaxHas bounds the _has parameters in one search: their nested
	// subqueries are what kept PostgreSQL planning for 23 s.
	MaxHas = 5
	// MaxIncludeParams bounds the _include and _revinclude parameters.
	MaxIncludeParams = 10
	// MaxIncluded bounds the resources _include, _revinclude and :iterate
	// add to one page. Beyond it the page carries the first MaxIncluded and
	// a warning in its outcome entry (HAPI and the Microsoft FHIR server do
	// the same at 1,000): the matches stay complete and pageable, and the
	// client is told rather than refused.
	MaxIncluded = 1000
	// MaxPageBytes bounds the bodies on one search page (matches, then
	// includes). The spec lets the server choose the page size: a page that
	// would be larger ends early, with a next link, rather than build a
	// gigantic response. A page always has at least one match.
	MaxPageBytes = 8 << 20
)

// limited is the error for a search beyond one of the limits.
func limited(name string, limit int, format string, args ...any) error {
	e := fhirerr.New(fhirerr.Invalid, "too-costly", "", format, args...)
	e.Issues[0].Diagnostics += "; the limit " + name + " is " + strconv.Itoa(limit)
	return e
}

// checkShape refuses, from the raw parameters alone, a search beyond the
// limits that do not need parsing: how many parameters, values, sort keys,
// chains and _has clauses, and how deep.
func checkShape(values url.Values) error {
	var params, ors, chains, has, includes int
	for name, vs := range values {
		params += len(vs)
		base, _, _ := strings.Cut(name, ":")
		for _, v := range vs {
			switch {
			case name == "_sort":
				if n := strings.Count(v, ",") + 1; n > MaxSortKeys {
					return limited("MaxSortKeys", MaxSortKeys, "_sort has %d keys", n)
				}
			case base == "_include" || base == "_revinclude":
				includes++
			case !resultParams[name]:
				ors += strings.Count(v, ",") + 1
			}
		}
		if resultParams[name] || base == "_include" || base == "_revinclude" {
			continue
		}
		depth := strings.Count(name, "_has:")
		if depth > MaxHasDepth {
			return limited("MaxHasDepth", MaxHasDepth, "%s nests _has %d deep", quoteName(name), depth)
		}
		if depth > 0 {
			has += len(vs)
		}
		links := strings.Count(name, ".")
		if links > MaxChainDepth {
			return limited("MaxChainDepth", MaxChainDepth, "%s chains %d links", quoteName(name), links)
		}
		if links > 0 {
			chains += len(vs)
		}
	}
	switch {
	case params > MaxParams:
		return limited("MaxParams", MaxParams, "the search has %d parameters", params)
	case ors > MaxValues:
		return limited("MaxValues", MaxValues, "the search has %d values", ors)
	case chains > MaxChains:
		return limited("MaxChains", MaxChains, "the search has %d chained parameters", chains)
	case has > MaxHas:
		return limited("MaxHas", MaxHas, "the search has %d _has parameters", has)
	case includes > MaxIncludeParams:
		return limited("MaxIncludeParams", MaxIncludeParams, "the search has %d _include and _revinclude parameters", includes)
	}
	return nil
}

// CheckCost refuses a parsed search whose conditions, once chains fan out
// over their targets and a system search over its types, exceed
// MaxConditions. Call it when q.Types is final.
func (q *Query) CheckCost() error {
	n := 0
	for i := range q.Clauses {
		n += q.Clauses[i].conditions()
	}
	if q.Type == "" {
		n *= max(len(q.Types), 1)
	}
	if n > MaxConditions {
		return limited("MaxConditions", MaxConditions, "the search expands to %d index conditions", n)
	}
	return nil
}

// conditions counts what a clause asks of the index.
func (c *Clause) conditions() int {
	switch {
	case c.Missing != nil:
		return 1
	case c.Has != nil:
		return 1 + c.Has.Inner.conditions()
	case c.Chain != nil:
		n := 1
		for _, t := range c.Chain.Targets {
			n += t.Inner.conditions()
		}
		return n
	case len(c.Composite) > 0:
		n := 0
		for _, parts := range c.Composite {
			n += len(parts)
		}
		return n
	}
	return max(len(c.Preds), 1)
}
