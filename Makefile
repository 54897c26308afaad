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

# Every test, on real servers the test setup starts on free ports; two Jest workers, each with its own
# Temporal namespace.
test: setup
	@npx tsc --noEmit -p tsconfig.json
	@npx eslint src test bench
	@npx jest --ci --maxWorkers=2

lint:
	@npx eslint src test bench

typecheck:
	@npx tsc --noEmit -p tsconfig.json

bench: setup
	@npx tsx bench/projector.bench.ts
