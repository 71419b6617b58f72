# orch — developer entry points. `make demo` and `make test` set everything up
# on a fresh machine (Python venv, Go builds of the control plane) and run.
SHELL := /bin/bash
PY := .venv/bin/python
FLAVOR ?= openshift
PYTEST_ARGS ?=
K ?=
BIN_DIR = $(shell bash tests/cluster/build/build-binaries.sh | tail -n1)

.PHONY: sysdeps benchdeps setup venv binaries test test-reliability test-unit test-e2e demo cluster-up cluster-down bench bench-lint bench-scale bench-cleanup clean

setup: venv binaries

# System packages: unshare/nsenter (util-linux) and ip (iproute2) run the cluster
# in a private network namespace.
sysdeps:
	@command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq util-linux iproute2; }

# The benchmark reads peak memory from GNU time.
benchdeps:
	@test -x /usr/bin/time || { apt-get update -qq && apt-get install -y -qq time; }

venv: .venv/.installed

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[test]'
	touch $@

binaries:
	@bash tests/cluster/build/build-binaries.sh

# The whole suite (fault injection included), inside a private network namespace with only
# loopback up.
test: sysdeps setup
	ORCH_TESTBIN=$(BIN_DIR) unshare -n sh -c 'ip link set lo up && exec .venv/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS) tests'

# Only the fault-injection suite (docs/reliability.md); K=<pattern> selects tests.
test-reliability: sysdeps setup
	ORCH_TESTBIN=$(BIN_DIR) unshare -n sh -c 'ip link set lo up && exec .venv/bin/pytest -q -p no:cacheprovider tests/e2e/test_reliability.py tests/unit/test_reliability.py $(if $(K),-k "$(K)") $(PYTEST_ARGS)'

test-unit: venv
	.venv/bin/pytest -q tests/unit $(PYTEST_ARGS)

test-e2e: sysdeps setup
	ORCH_TESTBIN=$(BIN_DIR) unshare -n sh -c 'ip link set lo up && exec .venv/bin/pytest -q -p no:cacheprovider tests/e2e $(if $(K),-k "$(K)") $(PYTEST_ARGS)'

# The main job: the OpenShift-flavoured local cluster with simulated platform (FLAVOR=vanilla: plain Kubernetes)
# operators, and `orch install --use-default` against it.
demo: sysdeps setup
	FLAVOR=$(FLAVOR) bash tests/cluster/demo

cluster-up: sysdeps setup
	tests/cluster/cluster-up $(FLAVOR)

cluster-down:
	tests/cluster/cluster-down

bench: sysdeps benchdeps setup
	bash bench/run.sh

# Only the scale part of `make bench`: status / list-namespaces at 10, 100, 500 workflow namespaces.
bench-scale: sysdeps benchdeps setup
	bash bench/run.sh --scale-only

# Only the cleanup part of `make bench`: install, add-namespace, then `orch cleanup` against an independent observer.
bench-cleanup: sysdeps benchdeps setup
	bash bench/run.sh --cleanup-only

# `orch workflow lint` on a generated project of 20 workflows (offline; also part of `make bench`).
bench-lint: venv
	.venv/bin/python bench/lint_bench.py

clean: cluster-down
	rm -rf .venv .cluster
