#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
# and kwok from the pinned Go modules under tests/cluster/gomod, into a cache
# directory outside the repository keyed by the modules' go.sum files, this
# script and the Go version. A second call with the same key only prints the
# directory. Prints the binary directory on the last line of stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gomod="$root/gomod"
cache_root=${ORCH_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-testbin}
key=$( { go version; cat "$0" "$gomod"/*/go.mod "$gomod"/*/go.sum; } | sha256sum | cut -c1-16)
out="$cache_root/$key"
if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"
log() { echo "[build-binaries] $*" >&2; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)

k8s_version=$(cd "$gomod/k8s" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$k8s_version" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "building etcd"
(cd "$gomod/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
log "building kwok"
(cd "$gomod/kwok" && go build -trimpath -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  log "building $cmd ($k8s_version)"
  (cd "$gomod/k8s" && go build -trimpath -tags=selinux,notest -ldflags "$ldflags" \
      -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
done
# kwok's stage definitions live in its module source, not in the binary.
kwok_dir=$(cd "$gomod/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
mkdir -p "$out/kwok-stages"
cp "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml \
   "$kwok_dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
   "$kwok_dir"/kustomize/stage/pod/fast/pod-ready.yaml \
   "$kwok_dir"/kustomize/stage/pod/fast/pod-complete.yaml \
   "$kwok_dir"/kustomize/stage/pod/fast/pod-delete.yaml "$out/kwok-stages/"
chmod u+w "$out"/kwok-stages/*
echo "$(( $(date +%s) - start ))" > "$out/.build-seconds"
touch "$out/.complete"
log "done in $(cat "$out/.build-seconds") s"
echo "$out"
