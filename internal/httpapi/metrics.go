package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sharedcare/sharedcare/internal/router"
)

// metrics counts and times every request for /metrics (Prometheus text
// format), by interaction, resource type and status.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  gin.HandlerFunc
	known    func(typ string) bool
}

// newMetrics registers the request metrics, the Go runtime and process
// metrics and extra (e.g. the database pool's) on a registry of their own,
// so tests and several servers in one process never collide on the global one.
func newMetrics(known func(typ string) bool, extra []prometheus.Collector) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sharedcare_http_requests_total",
			Help: "HTTP requests served, by FHIR interaction, resource type and status code.",
		}, []string{"interaction", "type", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sharedcare_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by FHIR interaction and resource type.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"interaction", "type"}),
		known: known,
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(extra...)
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	m.handler = func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
	return m
}

// observe is the middleware that records each request once it is answered.
func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	interaction, typ := m.labels(c)
	m.requests.WithLabelValues(interaction, typ, strconv.Itoa(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(interaction, typ).Observe(time.Since(start).Seconds())
}

// matchedKey holds, in the gin context, the route a FHIR request matched.
const matchedKey = "sharedcare.matched"

// matched is a request and the route table's match for it.
type matched struct {
	route *router.Matched
	req   *router.Request
}

// labels names the request's interaction as the route table matched it
// (the request's own kind once a handler ran: a Bundle POSTed to the base
// turns out a batch or a transaction) and its resource type. Types the
// registry does not know are "other"; FHIR paths that matched no route are
// "unknown" and other paths "none", so no client can grow the labels'
// values beyond what the server defines.
func (m *metrics) labels(c *gin.Context) (interaction, typ string) {
	v, ok := c.Get(matchedKey)
	if !ok {
		if p := c.Request.URL.Path; p == FHIRBase || strings.HasPrefix(p, FHIRBase+"/") {
			return "unknown", ""
		}
		return "none", ""
	}
	mt := v.(matched)
	kind := mt.req.Kind()
	if kind == "" {
		kind = mt.route.Kind()
	}
	typ = mt.req.Type
	if typ != "" && !m.known(typ) {
		typ = "other"
	}
	return string(kind), typ
}
