#!/usr/bin/env bash
# Builds the test platform's binaries from pinned Go modules (tests/cluster/gomod/<component>),
# each component into its own cache directory outside the repository, keyed by that
# component's go.mod/go.sum, its build recipe below and the Go version: changing one
# component's pin rebuilds only that component. The binaries of all components are then
# linked into one directory keyed by all component keys, printed on the last line of stdout.
# A second call with nothing changed only prints that directory.
#
# Usage: build-binaries.sh [component ...]   (default: every component in COMPONENTS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gomod="$root/gomod"
cache_root=${ORCH_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-testbin}
export CGO_ENABLED=0 GOFLAGS=-mod=mod
log() { echo "[build-binaries] $*" >&2; }

# Each component: a function build_<name> OUT that builds into OUT (run inside gomod/<name>).
COMPONENTS=(etcd kwok k8s knative-operator helm olm opm rhdh-operator)

build_etcd() {
  go build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  go build -trimpath -ldflags "-s -w" -o "$1/kwok" sigs.k8s.io/kwok/cmd/kwok
  # kwok's stage definitions live in its module source, not in the binary.
  local dir
  dir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  mkdir -p "$1/kwok-stages"
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
     "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-ready.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-complete.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-delete.yaml "$1/kwok-stages/"
  chmod u+w "$1"/kwok-stages/*
}

build_k8s() {
  local version minor ldflags pkg cmd
  version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
  minor=$(echo "$version" | cut -d. -f2)
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean"
    ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    log "  $cmd ($version)"
    go build -trimpath -tags=selinux,notest -ldflags "$ldflags" -o "$1/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
}

# The Knative operator (KnativeServing/KnativeEventing) and the manifests it applies: its kodata
# (KO_DATA_PATH) and its CRDs live in the module source, not in the binary.
build_knative_operator() {
  go build -trimpath -ldflags "-s -w" -o "$1/knative-operator" knative.dev/operator/cmd/operator
  local dir
  dir=$(go list -m -f '{{.Dir}}' knative.dev/operator)
  mkdir -p "$1/knative-operator-data"
  cp -r "$dir/cmd/operator/kodata" "$1/knative-operator-data/kodata"
  cp -r "$dir/config/crd/bases" "$1/knative-operator-data/crds"
  chmod -R u+w "$1/knative-operator-data"
}

# OLM: olm-operator, catalog-operator, package-server, and OLM's own CRDs from its module.
build_olm() {
  local cmd pkg=github.com/operator-framework/operator-lifecycle-manager
  for cmd in olm catalog package-server; do
    log "  $cmd"
    go build -trimpath -ldflags "-s -w" -o "$1/olm-$cmd" "$pkg/cmd/$cmd"
  done
  mkdir -p "$1/olm-crds"
  cp "$(go list -m -f '{{.Dir}}' $pkg)"/deploy/chart/crds/*.yaml "$1/olm-crds/"
  chmod u+w "$1"/olm-crds/*
}

# opm serves the test tree's file-based catalog over gRPC.
build_opm() {
  go build -trimpath -tags=json1,containers_image_openpgp -ldflags "-s -w" -o "$1/opm" \
    github.com/operator-framework/operator-registry/cmd/opm
}

# The RHDH operator (Backstage CR) and its default configuration (LOCALBIN) and CRD.
build_rhdh_operator() {
  local pkg=github.com/redhat-developer/rhdh-operator dir
  go build -trimpath -ldflags "-s -w" -o "$1/rhdh-operator" "$pkg/cmd"
  dir=$(go list -m -f '{{.Dir}}' $pkg)
  mkdir -p "$1/rhdh-operator-data"
  cp -r "$dir/config/profile/rhdh" "$1/rhdh-operator-data/profile"
  cp -r "$dir/config/crd/bases" "$1/rhdh-operator-data/crds"
  chmod -R u+w "$1/rhdh-operator-data"
}

build_helm() {  # the chart engine of `orch workflow install` (helm.sh/helm/v3, as upstream's Makefile stamps it)
  local version pkg=helm.sh/helm/v3
  version=$(go list -m -f '{{.Version}}' "$pkg")
  go build -trimpath -ldflags "-s -w -X $pkg/internal/version.version=$version -X $pkg/internal/version.gitTreeState=clean" \
    -o "$1/helm" "$pkg/cmd/helm"
}

component_key() {
  { go version; declare -f "build_${1//-/_}"; cat "$gomod/$1/go.mod" "$gomod/$1/go.sum"; } | sha256sum | cut -c1-16
}

build_component() {  # prints the component's cache directory
  local name=$1 key out start
  key=$(component_key "$name")
  out="$cache_root/components/$name-$key"
  mkdir -p "$cache_root/components"
  # Two runs at once (parallel checkouts, CI retries) must not build into the same directory.
  exec {lock}>"$out.lock"
  flock "$lock"
  if [[ ! -f "$out/.complete" ]]; then
    rm -rf "$out" && mkdir -p "$out"
    log "building $name"
    start=$(date +%s)
    (cd "$gomod/$name" && "build_${name//-/_}" "$out")
    echo "$(( $(date +%s) - start ))" > "$out/.build-seconds"
    touch "$out/.complete"
    log "$name done in $(cat "$out/.build-seconds") s"
  fi
  exec {lock}>&-
  echo "$out"
}

selected=("$@")
[[ ${#selected[@]} -gt 0 ]] || selected=("${COMPONENTS[@]}")
dirs=()
for name in "${selected[@]}"; do
  declare -F "build_${name//-/_}" >/dev/null || { log "unknown component $name"; exit 2; }
  dirs+=("$(build_component "$name")")
done
combined_key=$(printf '%s\n' "${dirs[@]}" | sha256sum | cut -c1-16)
out="$cache_root/$combined_key"
exec {lock}>"$out.lock"
flock "$lock"
if [[ ! -f "$out/.complete" ]]; then
  rm -rf "$out" && mkdir -p "$out"
  total=0
  for dir in "${dirs[@]}"; do
    for entry in "$dir"/*; do ln -s "$entry" "$out/$(basename "$entry")"; done
    total=$(( total + $(cat "$dir/.build-seconds") ))
  done
  echo "$total" > "$out/.build-seconds"
  touch "$out/.complete"
fi
echo "$out"
