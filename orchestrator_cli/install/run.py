"""`orch install` and `orch check --pre` as library calls (the CLI only parses and maps errors)."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from orchestrator_cli.core.errors import PreflightFailed
from orchestrator_cli.health.checks import passed, run_checks
from orchestrator_cli.install.config import InstallConfig, build_config
from orchestrator_cli.install.inputs import SPECS, Resolved, collect, load_values_file, with_defaults


@dataclass
class Options:
    flags: dict[str, Any]
    values_file: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    use_default: bool = False
    dry_run: bool = False
    output: str | None = None
    interactive: bool | None = None  # None: decide from the terminal
    lock_timeout: float = 600
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def resolve_inputs(opts: Options) -> dict[str, Resolved]:
    """Everything that can be validated without a cluster (raises InputError)."""
    if opts.output == "yaml" and not opts.dry_run:
        from orchestrator_cli.core.errors import InputError

        raise InputError("-o yaml prints manifests and needs --dry-run")
    values = load_values_file(opts.values_file) if opts.values_file else {}
    resolved = collect(opts.flags, opts.env, values)
    build_config(with_defaults(resolved))  # cross-field validation before touching the cluster
    return resolved


class _Discovery:
    """Read-only lookups offered to the prompts."""

    def __init__(self, kube):
        self.kube = kube

    def backstage_namespaces(self) -> list[str]:
        from orchestrator_cli.kube.client import NotServed

        for version in ("v1alpha2", "v1alpha1"):
            try:
                items, _ = self.kube.list(f"rhdh.redhat.com/{version}", "Backstage")
                return sorted({i["metadata"]["namespace"] for i in items})
            except NotServed:
                continue
            except Exception:  # noqa: BLE001 - not allowed to list cluster-wide: ask for text
                return []
        return []

    def argocd_api(self) -> bool:
        return "AppProject" in self.kube.served_kinds("argoproj.io/v1alpha1")

    def argocd_instances(self, namespace: str) -> list[str]:
        from orchestrator_cli.install.preflight import argocd_instances

        return argocd_instances(self.kube, namespace)


def _interactive(opts: Options) -> bool:
    if opts.use_default or opts.output in ("json", "yaml"):
        return False
    if opts.interactive is not None:
        return opts.interactive
    return sys.stdin.isatty() and sys.stdout.isatty()


def prepare(opts: Options, reporter) -> tuple[Any, InstallConfig]:
    """Inputs -> connection -> prompts -> InstallConfig. Nothing is written."""
    from orchestrator_cli.install.preflight import argocd_instances
    from orchestrator_cli.kube.client import connect

    resolved = resolve_inputs(opts)
    kube = connect(opts.kubeconfig, opts.context)
    version = kube.server_version()
    if _interactive(opts):
        from orchestrator_cli.install.prompts import Prompter

        from orchestrator_cli.platforms import detect_platform

        chosen = resolved.get("platform")
        platform = chosen.value if chosen is not None and chosen.value != "auto" else detect_platform(kube)
        resolved = Prompter(resolved, _Discovery(kube), platform).run()
    full = with_defaults(resolved)
    config = build_config(full)
    if config.gitops and not config.argocd_instance:
        found = argocd_instances(kube, config.argocd_namespace)
        if found:
            if len(found) > 1:
                reporter.warn(f"several ArgoCD instances in {config.argocd_namespace}; using {found[0]} "
                              "(choose with --argocd-instance)")
            full["argocd_instance"] = Resolved(found[0], "discovered")
            config = build_config(full)
    if opts.use_default or not _interactive(opts):
        missing = [SPECS[n].secret_key for n in ("github_token", "github_client_id", "github_client_secret",
                                                 "gitlab_host", "gitlab_token") if n not in resolved]
        if missing:
            reporter.warn(f"not given, omitted from the setup secret (existing values are kept): {', '.join(missing)}")
    config = _with_platform(kube, config)
    kube.facts = {"server_version": version}
    return kube, config


def _with_platform(kube, config: InstallConfig) -> InstallConfig:
    """The config with its platform settled (detected unless --platform forced it); raises PlatformUnsupported
    (nothing written) for options or a generation the platform cannot install."""
    import dataclasses

    from orchestrator_cli.core.errors import PlatformUnsupported
    from orchestrator_cli.platforms import detect_platform, get_platform

    name = config.platform if config.platform != "auto" else detect_platform(kube)
    config = dataclasses.replace(config, platform=name)
    problems = get_platform(name).unsupported(config)
    if problems:
        how = "--platform" if config.platform_forced else "detected"
        raise PlatformUnsupported(f"{problems[0]} (platform {name}, {how}); nothing was written",
                                  details=problems[1:])
    return config


def run_preflight(kube, config, reporter) -> list:
    from orchestrator_cli.install.preflight import PreflightContext
    from orchestrator_cli.platforms import get_platform

    ctx = PreflightContext(kube, config, dict(getattr(kube, "facts", {}) or {}))
    results = run_checks(get_platform(config.platform).checks, ctx, reporter)
    reporter.checks_done()
    return results


def check_pre(opts: Options, reporter) -> bool:
    opts.use_default = True  # pre-flight never prompts
    kube, config = prepare(opts, reporter)
    return passed(run_preflight(kube, config, reporter))


def install(opts: Options, reporter) -> None:
    from orchestrator_cli.install.pipeline import run_pipeline
    from orchestrator_cli.install.steps.base import StepContext
    from orchestrator_cli.kube.lock import InstallLock
    from orchestrator_cli.platforms import get_platform

    kube, config = prepare(opts, reporter)
    results = run_preflight(kube, config, reporter)
    if not passed(results):
        failed = [r for r in results if r.status == "failed"]
        details = [f"{r.check.id}: {r.message}" for r in failed]
        raise PreflightFailed(f"pre-flight failed ({', '.join(r.check.id for r in failed)}); nothing was written",
                              details=details)
    lock = InstallLock(kube, config.generation.lock_namespace, timeout=opts.lock_timeout, on_wait=reporter.info)
    stop = threading.Event()
    ctx = StepContext(kube=kube, config=config, reporter=reporter, dry_run=opts.dry_run,
                      before_write=lock.acquire, stop=stop)
    manifests: list[dict] = []
    try:
        run_pipeline(get_platform(config.platform).steps(config), ctx, lock=lock, collect_manifests=manifests)
        if opts.dry_run and opts.output == "yaml":
            reporter.manifests(manifests)
    finally:
        stop.set()
        lock.release()
