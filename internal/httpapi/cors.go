package httpapi

import (
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// corsMiddleware lets browser applications at the configured origins call
// the API: gin-contrib/cors answers preflights (204) and adds the
// Access-Control-* headers, for those origins only. A FHIR client in the
// browser needs to send the conditional and Prefer headers and to read the
// Location, ETag and versioning headers of the answers. No credentials:
// the API takes no cookies, and a bearer token is a header like any other.
//
// A request from any other origin passes through untouched, without CORS
// headers, so the browser keeps the answer from the page: gin-contrib/cors
// would refuse it with 403, which would also refuse a same-origin request
// whose Host a reverse proxy rewrote.
func corsMiddleware(origins []string) gin.HandlerFunc {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	apply := cors.New(cors.Config{
		AllowOrigins: origins,
		AllowMethods: []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		AllowHeaders: []string{"Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match",
			"If-None-Exist", "If-Modified-Since", "Prefer", RequestIDHeader},
		ExposeHeaders: []string{"Location", "ETag", "Last-Modified", "Content-Location", RequestIDHeader},
		MaxAge:        10 * time.Minute,
	})
	return func(c *gin.Context) {
		if allowed[c.GetHeader("Origin")] {
			apply(c)
		}
	}
}
