"""InstallConfig: the validated answers one `orch install` works from (frozen, built once)."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.generations import Generation, get_generation
from orchestrator_cli.install.inputs import INPUTS, Resolved


@dataclass(frozen=True)
class InstallConfig:
    version: str
    orchestrator_namespace: str
    rhdh_namespace: str
    existing_rhdh: bool
    configure_rhdh: bool
    workflow_namespace: str
    gitops: bool
    argocd_namespace: str
    argocd_instance: str | None
    tekton: bool
    token_service_account: str
    token_cluster_admin: bool
    guest_provider: bool
    postgres_external: bool
    postgres_namespace: str
    postgres_service: str
    postgres_secret: str
    postgres_database: str
    timeout: int
    item_timeouts: dict[str, int] = field(default_factory=dict)
    # setup-secret key -> (value, explicit?) for the optional keys the user supplied
    secret_inputs: dict[str, tuple[str, bool]] = field(default_factory=dict, repr=False)
    notifications_email: bool = False
    # The platform (auto until prepare() detects it) and the Kubernetes-only inputs (platforms/kubernetes.py).
    platform: str = "auto"
    ingress_class: str | None = None
    host: str = "localhost"
    manifests_dir: str | None = None
    manifest_pins: str | None = None
    allow_unverified_manifests: bool = False
    explicit: frozenset = frozenset()  # names of the inputs the user gave (flag, values file, env, prompt)

    @property
    def generation(self) -> Generation:
        from orchestrator_cli.platforms import platform_generation

        return platform_generation(self.platform, get_generation(self.version))

    @property
    def platform_forced(self) -> bool:
        return "platform" in self.explicit

    def timeout_for(self, item_id: str) -> int:
        return self.item_timeouts.get(item_id, self.timeout)

    def namespaces_to_ensure(self) -> list[str]:
        """Namespaces install creates when missing (an existing RHDH namespace must already exist)."""
        out = [self.orchestrator_namespace]
        if not self.generation.platform_namespace_by_operator:
            out.append(self.workflow_namespace)
        if not self.existing_rhdh:
            out.append(self.rhdh_namespace)
        out += self.generation.extra_namespaces
        return list(dict.fromkeys(out))


def build_config(resolved: dict[str, Resolved]) -> InstallConfig:
    """Cross-field validation and assembly. `resolved` already holds defaults."""
    val = {k: r.value for k, r in resolved.items()}
    gen = get_generation(val["version"])  # raises InputError for unknown versions
    existing = val.get("existing_rhdh")
    if existing:
        rhdh = resolved.get("rhdh_namespace")
        if rhdh is not None and rhdh.explicit and rhdh.value != existing:
            raise InputError(
                f"--existing-rhdh {existing} conflicts with --rhdh-namespace {rhdh.value}; give only --existing-rhdh"
            )
        val["rhdh_namespace"] = existing
    elif val.get("configure_rhdh"):
        raise InputError("--configure-rhdh needs --existing-rhdh NAMESPACE")
    if val.get("tekton") and not val.get("gitops"):
        raise InputError("--tekton needs --gitops (the Tekton pipeline is driven by ArgoCD)")
    if not val.get("gitops") and resolved.get("argocd_instance") and resolved["argocd_instance"].explicit:
        val["gitops"] = True  # naming an ArgoCD instance is asking for GitOps
    if not val.get("postgres_external"):
        for name in ("postgres_namespace",):
            r = resolved.get(name)
            if r is not None and r.explicit and r.value != val["workflow_namespace"]:
                raise InputError("--postgres-namespace is only for --postgres-external (the reference "
                                 "deployment lives in the workflow namespace)")
    item_timeouts = val.get("item_timeouts") or {}
    known = {w.id for w in gen.wait_list} | INTERNAL_WAIT_IDS | KUBERNETES_WAIT_IDS
    unknown = sorted(set(item_timeouts) - known)
    if unknown:
        raise InputError(f"unknown wait item {unknown[0]!r} for a timeout; known: {', '.join(sorted(known))}")
    if val.get("configure_rhdh") is None:
        val["configure_rhdh"] = False
    secret_inputs = {}
    email = bool(val.get("notifications_email"))
    for spec in INPUTS:
        if spec.secret_key is None or spec.name not in resolved:
            continue
        if spec.name.startswith("email_") and not email:
            continue
        value = resolved[spec.name].value
        if value:
            secret_inputs[spec.secret_key] = (value, resolved[spec.name].explicit)
    if gen.workflow_namespace_is_rhdh:
        wf = resolved.get("workflow_namespace")
        if wf is not None and wf.explicit and wf.value != val["rhdh_namespace"]:
            raise InputError(f"Orchestrator {gen.version} runs workflows in the Backstage namespace "
                             f"({val['rhdh_namespace']}); add {wf.value} later with `orch workflow add-namespace "
                             f"{wf.value}`")
        val["workflow_namespace"] = val["rhdh_namespace"]
    if val["orchestrator_namespace"] == val["workflow_namespace"]:
        raise InputError("the orchestrator namespace and the workflow namespace must differ")
    return InstallConfig(
        version=gen.version,
        orchestrator_namespace=val["orchestrator_namespace"],
        rhdh_namespace=val["rhdh_namespace"],
        existing_rhdh=bool(existing),
        configure_rhdh=bool(val["configure_rhdh"]),
        workflow_namespace=val["workflow_namespace"],
        gitops=bool(val.get("gitops")),
        argocd_namespace=val["argocd_namespace"],
        argocd_instance=val.get("argocd_instance"),
        tekton=bool(val.get("tekton")),
        token_service_account=val["token_service_account"],
        token_cluster_admin=bool(val.get("token_cluster_admin")),
        guest_provider=bool(val.get("guest_provider")),
        postgres_external=bool(val.get("postgres_external")),
        postgres_namespace=val.get("postgres_namespace") or val["workflow_namespace"],
        postgres_service=val["postgres_service"],
        postgres_secret=val["postgres_secret"],
        postgres_database=val["postgres_database"],
        timeout=int(val["timeout"]),
        item_timeouts=dict(item_timeouts),
        secret_inputs=secret_inputs,
        notifications_email=email,
        platform=val.get("platform") or "auto",
        ingress_class=val.get("ingress_class"),
        host=val.get("host") or "localhost",
        manifests_dir=val.get("manifests_dir"),
        manifest_pins=val.get("manifest_pins"),
        allow_unverified_manifests=bool(val.get("allow_unverified_manifests")),
        explicit=frozenset(k for k, r in resolved.items() if r.explicit),
    )


# Waits orch adds around the upstream list; they accept --item-timeout too.
# The Kubernetes platform's own wait items (platforms/kubernetes_generation.py; the platform is not known yet).
KUBERNETES_WAIT_IDS = {"knative-operator", "sonataflow-operator", "rhdh-operator"}
INTERNAL_WAIT_IDS = {"postgres", "postgres-service", "operator", "token", "crd", "orchestrator-cr"}
