.PHONY: setup

# Installs everything (npm deps, slapd, PostgreSQL, Temporal CLI, FerretDB) into .tools/; idempotent and fast when done.
setup:
	@scripts/setup.sh

# start: and test: targets (setup + `tally dev`, setup + the whole suite) are added by their owners below.
