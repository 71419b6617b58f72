#!/usr/bin/env bash
# Regenerates tests/cluster/gomod/k8s/go.mod for a Kubernetes version.
# k8s.io/kubernetes pins its staging modules at v0.0.0 and resolves them with
# local replace lines that consumers ignore, so we derive our own replace list
# from the real go.mod served by the Go module proxy (never typed by hand).
set -euo pipefail
K8S_VERSION=${1:-v1.36.3}
STAGING_VERSION="v0${K8S_VERSION#v1}"
here=$(cd "$(dirname "$0")/../gomod/k8s" && pwd)
cd "$here"
upstream_mod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
rm -f go.mod go.sum
go mod init orch.test/k8sbin >/dev/null 2>&1
go mod edit -go=1.26.0 -godebug=default=go1.26
grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$upstream_mod" | awk '{print $1}' |
  while read -r mod; do go mod edit "-replace=${mod}=${mod}@${STAGING_VERSION}"; done
go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  go mod edit -tool="k8s.io/kubernetes/cmd/${cmd}"
done
go mod tidy
echo "generated $(grep -c '=> k8s.io' go.mod) staging replace lines for ${K8S_VERSION}"
