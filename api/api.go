// Package api holds the FHIR contract sharedcare owns as data: the served
// resource types and their interactions, element metadata, and (as they land)
// search parameters, OperationDefinitions, Questionnaires and CodeSystems.
// The files are embedded in the binary and checked at start-up by the registry.
package api

import "embed"

// FS holds the contract files.
//
//go:embed *.json
var FS embed.FS
