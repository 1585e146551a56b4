#!/usr/bin/env bash
# Builds the portal into OUT_DIR/dist and writes OUT_CC, the C++ source that
# embeds those files into the piaojue binary. Called by CMake
# (portal/CMakeLists.txt); docs/PORTAL.md.
#
#   portal/scripts/build.sh OUT_DIR OUT_CC
#
# Installs the npm packages of package-lock.json first when they are missing
# or stale (npm ci, offline when the npm cache has them).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out_dir="$1"
out_cc="$2"
cd "$here"

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.piaojue-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "portal: installing npm packages from package-lock.json"
  # --ignore-scripts: no package needs an install script (esbuild finds its
  # platform binary through its optional dependency).
  npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

node scripts/gen-schema.mjs ../ledger/schema/piaojue.capnp .gen/schema.js
node build.mjs "$out_dir/dist"
node scripts/embed.mjs "$out_dir/dist" "$out_cc"
