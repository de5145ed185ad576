#!/usr/bin/env bash
# Starts the native observability stack (built by build.sh) on 127.0.0.1 with compose's ports,
# running the repository's own otel-collector.yaml and prometheus.yml, and returns when every
# part answers. Starts only what is not already running, so it also restarts a stopped part.
#
#   scripts/stack/up.sh                      # collector, jaeger, prometheus
#   scripts/stack/up.sh collector            # just that one
#   scripts/stack/down.sh                    # stop (same VOICEMODE_STACK_STATE)
#
# Ports (defaults = compose):  VOICEMODE_STACK_OTLP_GRPC_PORT 4317, VOICEMODE_STACK_OTLP_HTTP_PORT
# 4318, VOICEMODE_STACK_COLLECTOR_METRICS_PORT 8889 (prometheus exporter),
# VOICEMODE_STACK_COLLECTOR_HEALTH_PORT 13133, VOICEMODE_STACK_COLLECTOR_TELEMETRY_PORT 8888,
# VOICEMODE_STACK_JAEGER_OTLP_PORT 14317 and VOICEMODE_STACK_JAEGER_OTLP_HTTP_PORT 14318 (Jaeger's
# OTLP inputs, not 4317/4318: those are the collector's), VOICEMODE_STACK_JAEGER_QUERY_PORT 16686
# (HTTP API), VOICEMODE_STACK_JAEGER_QUERY_GRPC_PORT 16685, VOICEMODE_STACK_PROMETHEUS_PORT 9090.
# Pid files and logs go to VOICEMODE_STACK_STATE (default <cache>/run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
state="${VOICEMODE_STACK_STATE:-$STACK_CACHE/run}"
mkdir -p "$state"

export VOICEMODE_STACK_HOST=127.0.0.1
export VOICEMODE_STACK_OTLP_GRPC_PORT="${VOICEMODE_STACK_OTLP_GRPC_PORT:-4317}"
export VOICEMODE_STACK_OTLP_HTTP_PORT="${VOICEMODE_STACK_OTLP_HTTP_PORT:-4318}"
export VOICEMODE_STACK_COLLECTOR_METRICS_PORT="${VOICEMODE_STACK_COLLECTOR_METRICS_PORT:-8889}"
export VOICEMODE_STACK_COLLECTOR_HEALTH_PORT="${VOICEMODE_STACK_COLLECTOR_HEALTH_PORT:-13133}"
export VOICEMODE_STACK_COLLECTOR_TELEMETRY_PORT="${VOICEMODE_STACK_COLLECTOR_TELEMETRY_PORT:-8888}"
jaeger_otlp="${VOICEMODE_STACK_JAEGER_OTLP_PORT:-14317}"
jaeger_otlp_http="${VOICEMODE_STACK_JAEGER_OTLP_HTTP_PORT:-14318}"
jaeger_query="${VOICEMODE_STACK_JAEGER_QUERY_PORT:-16686}"
jaeger_query_grpc="${VOICEMODE_STACK_JAEGER_QUERY_GRPC_PORT:-16685}"
prometheus_port="${VOICEMODE_STACK_PROMETHEUS_PORT:-9090}"
export VOICEMODE_STACK_JAEGER_OTLP="127.0.0.1:$jaeger_otlp"

running() { stack_pid "$state" "$1" >/dev/null; }

# start <name> <binary> <args...>: in its own session, with the variables in $start_env,
# output to <state>/<name>.log, pid to <state>/<name>.pid.
start_env=()
start() {
  local name="$1"; shift
  [ -x "$1" ] || { echo "stack: $1 is missing: run scripts/stack/build.sh" >&2; exit 1; }
  if running "$name"; then return 0; fi
  setsid env "${start_env[@]}" "$@" </dev/null >>"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

# wait_ready <name> <url>: until the URL answers 2xx; fails early if the process exits.
wait_ready() {
  local name="$1" url="$2" until=$((SECONDS + ${VOICEMODE_STACK_READY_TIMEOUT:-60}))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! running "$name"; then
      echo "stack: $name exited; last lines of $state/$name.log:" >&2; tail -n 20 "$state/$name.log" >&2; exit 1
    fi
    if [ "$SECONDS" -ge "$until" ]; then echo "stack: $name not ready at $url" >&2; exit 1; fi
    sleep 0.2
  done
}

parts=("$@")
want() { [ ${#parts[@]} -eq 0 ] && return 0; local w; for w in "${parts[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

if want jaeger; then
  # Jaeger's built-in all-in-one config (memory storage, OTLP in, query API) with the listen
  # addresses moved off the collector's ports, and only the parts the stack uses: OTLP in (not
  # its Jaeger/Zipkin inputs), storage and the query API (not remote sampling, health check,
  # expvar, zpages), no metrics of its own (its 8888 would clash with the collector's).
  start jaeger "$JAEGER_BIN" \
    --set=receivers.otlp.protocols.grpc.endpoint="127.0.0.1:$jaeger_otlp" \
    --set=receivers.otlp.protocols.http.endpoint="127.0.0.1:$jaeger_otlp_http" \
    --set=service.pipelines.traces.receivers="[otlp]" \
    --set=service.extensions="[jaeger_storage, jaeger_query]" \
    --set=extensions.jaeger_query.http.endpoint="127.0.0.1:$jaeger_query" \
    --set=extensions.jaeger_query.grpc.endpoint="127.0.0.1:$jaeger_query_grpc" \
    --set=service.telemetry.metrics.level=none
fi
if want collector; then
  start collector "$OTELCOL_BIN" --config="$root/otel-collector.yaml"
fi
if want prometheus; then
  # prometheus.yml targets otel-collector:8889 (the compose name); here that request goes to
  # the collector's exporter as an HTTP proxy (see the comment in prometheus.yml).
  start_env=(-u http_proxy -u NO_PROXY -u no_proxy HTTP_PROXY="http://127.0.0.1:$VOICEMODE_STACK_COLLECTOR_METRICS_PORT")
  start prometheus "$PROMETHEUS_BIN" --config.file="$root/prometheus.yml" --storage.tsdb.path="$state/prometheus-data" \
    --web.listen-address="127.0.0.1:$prometheus_port"
fi

if want jaeger; then wait_ready jaeger "http://127.0.0.1:$jaeger_query/api/services"; fi
if want collector; then wait_ready collector "http://127.0.0.1:$VOICEMODE_STACK_COLLECTOR_HEALTH_PORT/"; fi
if want prometheus; then wait_ready prometheus "http://127.0.0.1:$prometheus_port/-/ready"; fi
echo "stack: up (${parts[*]:-collector jaeger prometheus}): OTLP http://127.0.0.1:$VOICEMODE_STACK_OTLP_HTTP_PORT," \
  "Jaeger API http://127.0.0.1:$jaeger_query, Prometheus http://127.0.0.1:$prometheus_port; logs in $state"
