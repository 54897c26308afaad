#!/usr/bin/env bash
# Tally compiled to JavaScript in .build/ (tsc without its type check: `make typecheck` does that), which
# bin/tally runs instead of compiling the TypeScript sources at every start, while no source is newer.
#   scripts/compiled-cli.sh ensure   builds it unless it is fresh
# Sourced (by bin/tally and scripts/setup.sh) it defines compiled_cli_fresh and compiled_cli_build.
compiled_cli_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compiled_cli_dir="$compiled_cli_root/.build"
compiled_cli_main="$compiled_cli_dir/src/cli/main.js"

compiled_cli_fresh() {
  [[ -f "$compiled_cli_dir/.fresh" && -f "$compiled_cli_main" ]] || return 1
  local newer
  newer=$(find "$compiled_cli_root/src" "$compiled_cli_root/tsconfig.json" "$compiled_cli_root/tsconfig.build.json" \
    "$compiled_cli_root/package-lock.json" -newer "$compiled_cli_dir/.fresh" -print -quit 2>/dev/null) || return 1
  [[ -z "$newer" ]]
}

compiled_cli_build() {
  # The mark is taken before compiling: a source saved during the build counts as newer than the output.
  local started="$compiled_cli_dir/.started-$$"
  mkdir -p "$compiled_cli_dir" && touch "$started" || return 1
  rm -f "$compiled_cli_dir/compile-cache.bin"   # bin/tally's code cache (src/cli/compile-cache.ts) starts anew
  if (cd "$compiled_cli_root" && node_modules/.bin/tsc -p tsconfig.build.json --noCheck); then
    mv -f "$started" "$compiled_cli_dir/.fresh"
  else
    rm -f "$started"
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    ensure) compiled_cli_fresh || compiled_cli_build ;;
    *) echo "usage: $0 ensure" >&2; exit 2 ;;
  esac
fi
