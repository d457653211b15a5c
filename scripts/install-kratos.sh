#!/usr/bin/env bash
# Builds the Ory Kratos server from its published Go module, with SQLite, for the tests against a real
# Kratos (docs/how-to/real-kratos.md). Needs Go (1.24 or newer) and a C compiler (SQLite is
# cgo). The version is the one tools/kratos/go.mod requires; the binary goes to build/kratos/ (git-ignored)
# as kratos-<version>, and a second run with it present does nothing. Progress goes to stderr; the last
# line on stdout is the binary's absolute path, so `KRATOS="$(bash scripts/install-kratos.sh)"` works.
# With --installed it builds nothing: it prints the path if the binary is there and exits 1 if not.
#
# Why v1.3.1: it is the newest Kratos the Go module proxy serves. Kratos' later releases (v25.4.0,
# v26.2.0) are tagged without the /v25, /v26 suffix their module path would need, so Go can reach them
# only by commit pseudo-version, and the proxy refuses those (docs/how-to/real-kratos.md says what v1.3.1 lacks).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
module="$root/tools/kratos"
version="$(awk '$1 == "github.com/ory/kratos" { print $2; exit }' "$module/go.mod")"
if [[ -z "$version" ]]; then
  echo "install-kratos: tools/kratos/go.mod requires no github.com/ory/kratos version" >&2
  exit 1
fi
out_dir="$root/build/kratos"
binary="$out_dir/kratos-$version"

if [[ "${1:-}" == "--installed" ]]; then
  [[ -x "$binary" ]] && echo "$binary" && exit 0
  exit 1
fi
if [[ -x "$binary" ]]; then
  echo "install-kratos: Ory Kratos $version is already built" >&2
  echo "$binary"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-kratos: Go is not installed (Go 1.24 or newer is needed to build Ory Kratos $version)" >&2
  exit 1
fi
if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
  echo "install-kratos: no C compiler (${CC:-gcc}): Kratos' SQLite driver is cgo" >&2
  exit 1
fi

mkdir -p "$out_dir"
tmp="$(mktemp "$out_dir/.kratos-$version.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
echo "install-kratos: building Ory Kratos $version with SQLite (a cold build takes several minutes)" >&2
start=$SECONDS
(
  cd "$module"
  # -mod=readonly: the build uses exactly the versions and checksums committed in go.mod and go.sum.
  # The -X flag stamps the version, which `kratos version` and Kratos' logs print ("master" otherwise).
  CGO_ENABLED=1 GOFLAGS=-mod=readonly go build -tags sqlite -trimpath \
    -ldflags "-X github.com/ory/kratos/driver/config.Version=$version" -o "$tmp" github.com/ory/kratos
) >&2
chmod 0755 "$tmp"
mv -f "$tmp" "$binary"
trap - EXIT
echo "install-kratos: built $("$binary" version 2>/dev/null | awk '/Version:/ { print $2 }' || true) in $((SECONDS - start)) s" >&2
echo "$binary"
