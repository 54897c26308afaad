#!/usr/bin/env bash
# `make test`: the type check and lint beside the Jest run (they need a few seconds of CPU while Jest's set-up
# mostly waits for servers); their output is shown after Jest's, and any failure fails the whole.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
checks=$(mktemp -d)
trap 'rm -rf "$checks"' EXIT

npx tsc --noEmit -p tsconfig.json >"$checks/tsc" 2>&1 &
tsc_pid=$!
npx eslint src test bench >"$checks/eslint" 2>&1 &
eslint_pid=$!

npx jest --ci --maxWorkers="${TEST_WORKERS:-3}"
jest_status=$?

failed=0
wait "$tsc_pid" || { echo "tsc --noEmit found type errors:"; failed=1; }
cat "$checks/tsc"
wait "$eslint_pid" || { echo "eslint found problems:"; failed=1; }
cat "$checks/eslint"
[[ $jest_status -eq 0 ]] || failed=1
exit $failed
