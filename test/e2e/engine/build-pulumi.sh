#!/usr/bin/env bash
# Builds the Pulumi CLI from its Go module at the version of @pulumi/pulumi in package-lock.json, once, into a
# version-keyed cache outside the repository. Nothing prebuilt is downloaded: only Go modules from the module proxy.
# pkg/v3's own go.mod replaces sdk/v3 with ../sdk (a path inside pulumi's repository) and atotto/clipboard with a
# fork; a dependent module ignores those replaces, so a wrapper module requires sdk/v3 at the same tag and repeats
# the clipboard replace.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
version="$(node -p 'require(process.argv[1]).packages["node_modules/@pulumi/pulumi"].version' "$root/package-lock.json")"
cache="${E2E_CACHE:-/var/cache/ai-assistant-e2e}/pulumi-v$version"
if [ -x "$cache/bin/pulumi" ]; then echo "pulumi v$version: cached in $cache"; exit 0; fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<MOD
module ai-assistant-e2e/pulumi

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
printf 'package tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
start=$SECONDS
echo "pulumi v$version: resolving modules"
GOFLAGS=-mod=mod go mod tidy 2>&1 | tail -3 || true
echo "pulumi v$version: building (nice 19, -p ${GO_PARALLEL:-1}) after $((SECONDS-start))s"
mkdir -p "$cache/bin.tmp"
nice -n 19 go build -p "${GO_PARALLEL:-1}" -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
  -o "$cache/bin.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$cache/bin.tmp" "$cache/bin"
echo "pulumi v$version: built in $((SECONDS-start))s -> $cache/bin/pulumi"
