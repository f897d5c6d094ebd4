#!/usr/bin/env bash
# `npm run bench [-- name]`: runs every bench/*.bench.ts, or those whose name contains the argument.
set -euo pipefail
cd "$(dirname "$0")/.."
for file in bench/*.bench.ts; do
  case "$file" in *"${1:-}"*) ;; *) continue ;; esac
  echo "== $file"
  node --conditions=react-server --import tsx "$file"
done
