package router

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/authz"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// Builtin are the generic $operations the router itself carries out, by
// code: like the workflow's, each has its OperationDefinition under api/.
func (rt *Router) Builtin() []Operation {
	return []Operation{{Code: "validate", Methods: []string{http.MethodPost}, Handler: rt.validate}}
}

// Builtin lists the router's own operations without a Router, for checks
// such as CheckOperations.
func Builtin() []Operation { return (&Router{}).Builtin() }

// validateNeeds is the permission each $validate mode's dry run needs.
var validateNeeds = map[string]scope.Permission{"create": scope.Create, "update": scope.Update, "delete": scope.Delete}

// errDryRun ends the transaction $validate runs a write in, so that nothing
// it did is kept.
var errDryRun = errors.New("router.validate: dry run, rolled back")

// validate runs the write a resource (or a deletion) would be through the
// real write path, in a transaction that is always rolled back, and reports
// what that write would have said.
// See docPostTypeValidate in internal/httpapi/docs_routes.go for its
// OpenAPI description.
func (rt *Router) validate(ctx context.Context, r *Request) (*Response, error) {
	in, err := validateInput(r)
	if err != nil {
		return nil, err
	}
	// The definition declares c, what the default mode tries; the others
	// try an update or a delete, and need what those need.
	if err := authz.Need(auth.PrincipalFrom(ctx), r.Type, validateNeeds[in.mode]); err != nil {
		return nil, err
	}
	var issues []fhirerr.Issue
	if in.profile != "" && in.profile != "http://hl7.org/fhir/StructureDefinition/"+r.Type {
		issues = append(issues, fhirerr.Issue{Code: "not-supported", Expression: "Parameters.parameter.where(name = 'profile')",
			Diagnostics: "profile " + in.profile + " is not known here: this server validates against the base R4 specification only"})
	}
	ctx, warnings := rest.WithWarnings(ctx)
	err = r.Service.InTx(ctx, func(tx *rest.Service) error {
		var err error
		switch in.mode {
		case "create":
			_, _, err = tx.Create(ctx, r.Type, in.resource, rest.CreateOptions{})
		case "update":
			_, _, err = tx.Update(ctx, r.Type, r.ID, in.resource, 0)
		case "delete":
			_, err = tx.Delete(ctx, r.Type, r.ID, 0)
		}
		if err != nil {
			return err
		}
		return errDryRun
	})
	var fe *fhirerr.Error
	switch {
	case errors.Is(err, errDryRun):
	case errors.As(err, &fe) && writeVerdict[fe.Kind]:
		for _, is := range fe.Issues {
			if is.Severity == "" {
				is.Severity = "error"
			}
			issues = append(issues, is)
		}
	default: // the write could not be tried: that is no answer about the resource
		return nil, err
	}
	issues = append(issues, warnings.Issues()...)
	if len(issues) == 0 {
		issues = []fhirerr.Issue{{Severity: "information", Code: "informational", Diagnostics: "no issues"}}
	}
	return &Response{Status: http.StatusOK, Body: fhir.Outcome(issues...)}, nil
}

// writeVerdict are the error kinds that are the write's verdict on the
// resource; any other (the database unavailable, a deadline, an internal
// error) means the write could not be tried, and is the operation's error.
var writeVerdict = map[fhirerr.Kind]bool{
	fhirerr.Invalid: true, fhirerr.Unprocessable: true, fhirerr.Conflict: true, fhirerr.PreconditionFailed: true,
	fhirerr.Forbidden: true, fhirerr.TooLarge: true, fhirerr.NotSupported: true, fhirerr.MethodNotAllowed: true,
}

// validateParams is what $validate takes.
type validateParams struct {
	resource []byte
	mode     string
	profile  string
}

// validateInput reads the body of a $validate: the resource itself, or a
// Parameters.
func validateInput(r *Request) (validateParams, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
		Parameter    []struct {
			Name           string          `json:"name"`
			Resource       json.RawMessage `json:"resource"`
			ValueCode      string          `json:"valueCode"`
			ValueURI       string          `json:"valueUri"`
			ValueCanonical string          `json:"valueCanonical"`
		} `json:"parameter"`
	}
	if err := json.Unmarshal(r.Body, &head); err != nil {
		return validateParams{}, fhirerr.Invalidf("", "$validate takes a resource or a Parameters: %v", err)
	}
	var in validateParams
	if head.ResourceType == "Parameters" && r.Type != "Parameters" {
		for _, p := range head.Parameter {
			switch p.Name {
			case "resource":
				in.resource = p.Resource
			case "mode":
				in.mode = p.ValueCode
			case "profile":
				in.profile = p.ValueURI + p.ValueCanonical
			}
		}
	} else {
		in.resource = r.Body
	}
	switch in.mode {
	case "":
		in.mode = "create"
		if r.ID != "" {
			in.mode = "update"
		}
	case "create":
	case "update", "delete":
		if r.ID == "" {
			return in, fhirerr.Invalidf("Parameters.parameter.where(name = 'mode')",
				"mode %s needs the instance level: POST [base]/%s/[id]/$validate", in.mode, r.Type)
		}
	default:
		return in, fhirerr.Invalidf("Parameters.parameter.where(name = 'mode')", "mode %q is not one of create, update, delete", in.mode)
	}
	if in.mode != "delete" && len(in.resource) == 0 {
		return in, fhirerr.New(fhirerr.Invalid, "required", "Parameters.parameter.where(name = 'resource')",
			"$validate needs the resource unless mode is delete")
	}
	return in, nil
}
