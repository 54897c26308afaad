.PHONY: setup

# Installs everything (npm deps, slapd, PostgreSQL, Temporal CLI, mongod) into .tools/; idempotent and fast when done.
setup:
	@scripts/setup.sh



.PHONY: start test lint typecheck bench

# The main job on the embedded stack: Temporal dev server + UI, mongod, example LDAP and PostgreSQL
# resources, the worker and the HTTP API; Ctrl-C stops everything.
start: setup
	@scripts/compiled-cli.sh ensure
	@bin/tally dev

# Every test, on real servers the test setup starts on free ports; TEST_WORKERS Jest workers (3: on 2 cores
# the tests wait for servers and timers often enough that a third keeps both cores busy), each with its own
# Temporal namespace. The type check and lint run beside the tests (scripts/test.sh); any failing fails the target.
TEST_WORKERS ?= 3
test: setup
	@TEST_WORKERS=$(TEST_WORKERS) scripts/test.sh

lint:
	@npx eslint src test bench

typecheck:
	@npx tsc --noEmit -p tsconfig.json

bench: setup
	@npx tsx bench/projector.bench.ts
