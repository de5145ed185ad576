# Shared by build.sh, up.sh and down.sh (sourced): versions, the cache folder, binary paths.
# shellcheck source=versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
STACK_CACHE="${VOICEMODE_STACK_CACHE:-$HOME/.cache/voicemode-events-stack}"
# The collector's folder is also keyed by its manifest, so editing the manifest rebuilds it.
OTELCOL_DIR="$STACK_CACHE/otelcol-$OTELCOL_VERSION-$(sha256sum "$(dirname "${BASH_SOURCE[0]}")/otelcol-builder.yaml" | cut -c1-8)"
JAEGER_DIR="$STACK_CACHE/jaeger-$JAEGER_MODULE_VERSION"
PROMETHEUS_DIR="$STACK_CACHE/prometheus-$PROMETHEUS_MODULE_VERSION"
OTELCOL_BIN="$OTELCOL_DIR/bin/otelcol-voicemode"
JAEGER_BIN="$JAEGER_DIR/bin/jaeger"
PROMETHEUS_BIN="$PROMETHEUS_DIR/bin/prometheus"

# stack_pid <state folder> <part>: the pid in <part>.pid if that process is still the part's
# binary (a pid file can outlive its process and the number be reused by another program).
stack_pid() {
  local pidfile="$1/$2.pid" bin pid
  case "$2" in collector) bin="$OTELCOL_BIN" ;; jaeger) bin="$JAEGER_BIN" ;; prometheus) bin="$PROMETHEUS_BIN" ;; *) return 1 ;; esac
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  case "$(ps -p "$pid" -o args= 2>/dev/null)" in "$bin"*) echo "$pid" ;; *) return 1 ;; esac
}
