package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files/v2"

	"github.com/sharedcare/sharedcare/openapi"
)

// openAPIDoc is the swag-generated document (regenerate with `make openapi`).
func openAPIDoc() string { return openapi.SwaggerInfo.ReadDoc() }

// serveOpenAPI serves the generated OpenAPI document, its host, scheme,
// base path and token URL set to the server's public FHIR base (SHAREDCARE_BASE_URL,
// or the one derived from the request as for every link), so "try it out"
// and generated clients call the server where it is, behind a proxy too.
func (a *API) serveOpenAPI(c *gin.Context) {
	base, err := a.origin.baseURL(c.Request)
	if err != nil {
		a.writeError(c, err)
		return
	}
	u, err := url.Parse(base)
	if err != nil {
		a.writeError(c, fmt.Errorf("httpapi.serveOpenAPI: base %q: %w", base, err))
		return
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(openAPIDoc()), &doc); err != nil {
		a.writeError(c, fmt.Errorf("httpapi.serveOpenAPI: %w", err))
		return
	}
	doc["host"], doc["schemes"], doc["basePath"] = u.Host, []string{u.Scheme}, cmp.Or(u.Path, "/")
	// The token URL too: Swagger 2.0 has no relative URLs to resolve.
	if defs, ok := doc["securityDefinitions"].(map[string]any); ok {
		if smart, ok := defs["smart"].(map[string]any); ok {
			smart["tokenUrl"] = base + tokenPath
		}
	}
	c.JSON(http.StatusOK, doc)
}

// docsPage is Swagger UI for the OpenAPI document. Its script and style are
// swaggo/files' copy of swagger-ui-dist, embedded in the binary and served
// under /docs/, so the page works where the browser has no internet (a
// hospital network, an air-gapped test rig). The start-up script is a file
// too, not inline, so a Content-Security-Policy without 'unsafe-inline'
// (set by a proxy in front) does not break it.
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sharedcare API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body></html>`

const docsStart = `window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});`

// docsAssets are the files of swagger-ui-dist the page uses, with their
// content types (stated here: the system's mime.types could differ, and
// nosniff makes a browser refuse a script not labelled as one); nothing
// else of the package (its demo page points at the Petstore) is served.
var docsAssets = map[string]string{
	"swagger-ui.css":       "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"favicon-32x32.png":    "image/png",
	"favicon-16x16.png":    "image/png",
}

// serveDocs serves the Swagger UI page.
func serveDocs(c *gin.Context) {
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(docsPage))
}

// serveDocsAsset serves the page's script, style and icons.
func (a *API) serveDocsAsset(c *gin.Context) {
	name := path.Base(c.Param("file"))
	if name == "start.js" {
		c.Data(http.StatusOK, "text/javascript; charset=utf-8", []byte(docsStart))
		return
	}
	typ, ok := docsAssets[name]
	if !ok || "/"+name != c.Param("file") {
		a.writeError(c, notFoundPath(c.Request.URL.Path))
		return
	}
	b, err := fs.ReadFile(swaggerFiles.FS, name)
	if err != nil {
		a.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, typ, b)
}
