#!/bin/sh
# Builds dist/auditor-extension-<version>.zip (Chromium browsers) and
# dist/auditor-extension-<version>-firefox.zip (Firefox) at the repository root.
# Extra arguments go to the build script, e.g. --out DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/scripts/build.mjs" "$@"
