package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Shipped content (the HNA Questionnaire) is what the server loads at
// start-up and its own rules depend on: one DELETE through the API would
// break every HNA until a restart. So it is protected at the write path,
// where every interaction (create, update, patch, delete, their conditional
// forms, batch and transaction entries) passes, and only the server's own
// start-up writes (the system principal, auth.AsSystem) may change it,
// e.g. to a new version shipped in a new release.

// Protect makes typ/id content the server ships: the API can read it but
// not change or delete it (403). source names where it comes from, for the
// refusal's message. Register before serving, like hooks.
func (s *Service) Protect(typ, id, source string) {
	if s.protected == nil {
		s.protected = map[string]string{}
	}
	s.protected[typ+"/"+id] = source
}

// guard refuses a change to protected content unless the server makes it.
func (s *Service) guard(ctx context.Context, typ, id, change string) error {
	source, protected := s.protected[typ+"/"+id]
	if !protected || auth.PrincipalFrom(ctx).IsSystem() {
		return nil
	}
	return fhirerr.New(fhirerr.Forbidden, "forbidden", "",
		"%s/%s is content this server ships (%s) and cannot be %s through the API; it changes only with a new release of the server",
		typ, id, source, change)
}
