package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/openapi"
)

// openAPIDoc is the swag-generated document (regenerate with `make openapi`).
func openAPIDoc() string { return openapi.SwaggerInfo.ReadDoc() }

// serveOpenAPI serves the generated OpenAPI document.
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", []byte(openAPIDoc()))
}

// serveDocs serves Swagger UI for the OpenAPI document. The UI's script and
// style come from a CDN, so the page needs the browser to have internet access.
func serveDocs(c *gin.Context) {
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sharedcare API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script>
</body></html>`))
}
