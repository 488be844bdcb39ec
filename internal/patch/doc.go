// Package patch applies the two patch formats FHIR R4 allows on the patch
// interaction (http.html#patch) to a resource's JSON: JSON Patch (RFC 6902,
// application/json-patch+json) and FHIRPath Patch (a Parameters resource,
// fhirpatch.html).
//
// It exists so that patching is pure data manipulation, testable without HTTP
// or a database: the REST layer reads the current version, calls JSON or
// FHIRPath, and then validates and stores the result exactly like an update.
// So this package does not know FHIR's rules beyond what navigating its JSON
// needs (choice elements, the "_name" companions of primitives); whatever it
// produces still goes through the validator.
//
// Both entry points are atomic: they work on a private copy and return either
// the whole patched result or an error, never a half-applied resource. Both
// refuse a patch that changes the resource's resourceType or id (the server
// owns those), and both tidy the result by dropping empty objects, empty
// arrays and null members, which FHIR JSON forbids and which removing the
// last element of a list would otherwise leave behind.
//
// Errors are *fhirerr.Error values: fhirerr.Invalid (400) when the patch
// document itself is malformed, fhirerr.Unprocessable (422) when a
// well-formed patch cannot be applied to this resource.
package patch
