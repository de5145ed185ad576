# The versions of the real observability stack that the tests run (sourced by build.sh/up.sh).
# docker-compose.yml pins the matching images; test/otel/stack-config.test.ts checks they agree.
# Collector core and contrib are released together; core's stable modules (confmap providers)
# carry a 1.x number released with the same 0.x version.
OTELCOL_VERSION=0.148.0
OTELCOL_STABLE_VERSION=1.54.0
# Jaeger publishes each 2.x release also as a v1.x Go-module tag: v1.76.0 is Jaeger 2.13.0.
JAEGER_MODULE_VERSION=1.76.0
JAEGER_RELEASE=2.13.0
# Prometheus 3.x is the Go module github.com/prometheus/prometheus at v0.3xx: v0.316.0 is 3.16.0.
PROMETHEUS_MODULE_VERSION=0.316.0
PROMETHEUS_RELEASE=3.16.0
