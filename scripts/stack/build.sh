#!/usr/bin/env bash
# Builds the real observability stack from Go modules: the OpenTelemetry Collector (with the
# Collector Builder and otelcol-builder.yaml), Jaeger 2 and Prometheus 3. Binaries go to a cache
# folder outside the repository keyed by component and version, so a second run on the same
# machine only checks that they exist. Needs only `go` and the Go module proxy.
#
#   scripts/stack/build.sh            # prints the three binary paths when done
#   VOICEMODE_STACK_CACHE=/some/dir scripts/stack/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
mkdir -p "$STACK_CACHE"
# Use the installed toolchain (never download another one); static binaries need no C compiler.
export GOTOOLCHAIN=local CGO_ENABLED=0
unset GOBIN

# build_once <dir> <binary> <command...>: runs the command with $out set to a scratch folder and
# moves it into place only if it produced the binary, so an interrupted build is never reused.
build_once() {
  local dir="$1" bin="$2"; shift 2
  if [ -x "$dir/bin/$bin" ]; then return 0; fi
  local out="$dir.partial"
  rm -rf "$out"; mkdir -p "$out/bin"
  echo "stack: building $(basename "$dir") (first time on this machine)" >&2
  out="$out" "$@"
  [ -x "$out/bin/$bin" ] || { echo "stack: $bin was not built" >&2; return 1; }
  rm -rf "$dir"; mv "$out" "$dir"
}

build_collector() {
  GOBIN="$out/bin" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
  cp "$here/otelcol-builder.yaml" "$out/manifest.yaml"
  (cd "$out" && GOFLAGS="${GOFLAGS:-} -mod=mod" ./bin/builder --config manifest.yaml)
  mv "$out/dist/otelcol-voicemode" "$out/bin/otelcol-voicemode"
  rm -rf "$out/dist"
}
# Jaeger's go.mod has a replace directive, which `go install pkg@version` refuses: build it
# from a throwaway main module that requires Jaeger and carries the same replace lines over.
build_jaeger() {
  local mod=github.com/jaegertracing/jaeger
  mkdir -p "$out/src"
  (
    cd "$out/src"
    go mod init voicemode-events-stack/jaeger 2>/dev/null
    local upstream
    upstream="$(go mod download -json "$mod@v$JAEGER_MODULE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    if grep -q '^replace (' "$upstream"; then echo "stack: $upstream has a replace block; update build.sh" >&2; exit 1; fi
    grep '^replace ' "$upstream" >>go.mod || true
    GOFLAGS="${GOFLAGS:-} -mod=mod" go get "$mod/cmd/jaeger@v$JAEGER_MODULE_VERSION"
    GOFLAGS="${GOFLAGS:-} -mod=mod" go build -trimpath -o "$out/bin/jaeger" \
      -ldflags "-X $mod/internal/version.latestVersion=v$JAEGER_RELEASE" "$mod/cmd/jaeger"
  )
  rm -rf "$out/src"
}
build_prometheus() {
  GOBIN="$out/bin" go install -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_RELEASE" \
    "github.com/prometheus/prometheus/cmd/prometheus@v$PROMETHEUS_MODULE_VERSION"
}

build_once "$OTELCOL_DIR" otelcol-voicemode build_collector
build_once "$JAEGER_DIR" jaeger build_jaeger
build_once "$PROMETHEUS_DIR" prometheus build_prometheus

printf '%s\n' "$OTELCOL_BIN" "$JAEGER_BIN" "$PROMETHEUS_BIN"
