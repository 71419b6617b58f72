#!/usr/bin/env bash
# `make bench`: the orch benchmark (bench/README.md). Cluster work runs inside a private network
# namespace (only loopback up), like the tests.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export ORCH_TESTBIN=${ORCH_TESTBIN:-$(bash tests/cluster/build/build-binaries.sh | tail -n1)}
command -v /usr/bin/time >/dev/null || { echo "bench needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if [ $# -eq 0 ]; then   # the whole bench; --scale-only / --cleanup-only run their part alone
  .venv/bin/python bench/lint_bench.py   # offline: orch workflow lint on 20 workflows
fi
exec unshare -n sh -c 'ip link set lo up && exec .venv/bin/python bench/bench.py "$@"' bench "$@"
