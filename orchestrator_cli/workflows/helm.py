"""The only place that runs the helm binary: Helm 3 (3.9 or newer) as the workflows' release manager.

Always an argument list (never a shell string). orch renders with `helm template`, installs and upgrades
with `helm upgrade --install --reset-values` (the command line is the whole desired state: a re-run with
the same inputs renders the same release), with orch as the post-renderer (`orch workflow post-render`),
so Helm stores, and re-applies on every upgrade, the objects with orch's wiring in them.
Helm 4 is refused: its --post-renderer takes only plugins.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_cli.core.errors import HelmUnavailable, StepFailed

MIN_VERSION = (3, 9)
GET_HELM = "install Helm 3.9 or newer (https://helm.sh/docs/intro/install/) or pass --helm PATH"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(text.strip())
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def check_version(text: str, path: str) -> tuple[int, int, int]:
    """Helm 3.9+ and not 4 (pure); HelmUnavailable with how to get a usable one."""
    version = parse_version(text)
    if version is None:
        raise HelmUnavailable(f"{path} did not report a Helm version ({text.strip()[:60]!r}); {GET_HELM}")
    if version[:2] < MIN_VERSION:
        raise HelmUnavailable(f"{path} is Helm {text.strip()}; orch needs 3.9 or newer: {GET_HELM}")
    if version[0] >= 4:
        raise HelmUnavailable(f"{path} is Helm {text.strip()}; orch needs Helm 3 (3.9 or newer: Helm 4 runs "
                              f"post-renderers only as plugins): {GET_HELM}")
    return version


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("Error:"):
            return ln[len("Error:"):].strip()
    return lines[-1] if lines else "no error message"


@dataclass
class Helm:
    path: str
    version: tuple[int, int, int]
    kubeconfig: str | None = None
    context: str | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def _cluster_flags(self) -> list[str]:
        flags = []
        if self.kubeconfig:
            flags += ["--kubeconfig", self.kubeconfig]
        if self.context:
            flags += ["--kube-context", self.context]
        return flags

    def run(self, args: list[str], *, what: str, timeout: float = 120, ok_missing: bool = False) -> str | None:
        """helm ARGS; its stdout. A failure is StepFailed with helm's own error line; with ok_missing a
        'release: not found' answer is None."""
        try:
            out = subprocess.run([self.path, *args], capture_output=True, text=True, timeout=timeout,
                                 stdin=subprocess.DEVNULL, env=self.env)
        except FileNotFoundError:
            raise HelmUnavailable(f"helm {self.path} disappeared; {GET_HELM}") from None
        except subprocess.TimeoutExpired:
            raise StepFailed(f"helm {what} did not finish within {timeout:.0f}s") from None
        if out.returncode != 0:
            message = _first_error(out.stderr)
            if ok_missing and "not found" in message:
                return None
            raise StepFailed(f"helm {what} failed: {message}")
        return out.stdout

    # -- commands -----------------------------------------------------------------------------
    def template(self, release: str, chart: Path, namespace: str, values_files: list[str],
                 set_args: list[str]) -> str:
        return self.run(["template", release, str(chart), "--namespace", namespace,
                         *_values_flags(values_files, set_args)], what=f"template {release}") or ""

    def upgrade_install(self, release: str, chart: Path, namespace: str, values_files: list[str],
                        set_args: list[str], post_renderer: list[str], timeout: float) -> None:
        renderer, *renderer_args = post_renderer
        args = ["upgrade", release, str(chart), "--install", "--reset-values", "--namespace", namespace,
                *_values_flags(values_files, set_args), "--post-renderer", renderer,
                *(f"--post-renderer-args={a}" for a in renderer_args), *self._cluster_flags()]
        self.run(args, what=f"upgrade --install {release}", timeout=timeout)

    def release(self, release: str, namespace: str) -> dict | None:
        """The release as `helm list` shows it (status, chart "NAME-VERSION", revision) with its manifest,
        or None when there is none (in any state)."""
        out = self.run(["list", "--namespace", namespace, "--all", "--filter", f"^{re.escape(release)}$",
                        "-o", "json", *self._cluster_flags()], what=f"list {release}") or "[]"
        try:
            found = [r for r in json.loads(out) if r.get("name") == release]
        except (ValueError, AttributeError):
            raise StepFailed(f"helm list {release}: unexpected output (not a JSON list)") from None
        if not found:
            return None
        return {**found[0], "manifest": self.manifest(release, namespace) or ""}

    def manifest(self, release: str, namespace: str) -> str | None:
        return self.run(["get", "manifest", release, "--namespace", namespace, *self._cluster_flags()],
                        what=f"get manifest {release}", ok_missing=True)

    def list_releases(self) -> list[dict]:
        out = self.run(["list", "--all-namespaces", "--all", "-o", "json", *self._cluster_flags()],
                       what="list") or "[]"
        try:
            data = json.loads(out)
        except ValueError:
            raise StepFailed("helm list: unexpected output (not JSON)") from None
        return data if isinstance(data, list) else []

    def uninstall(self, release: str, namespace: str, timeout: float) -> None:
        self.run(["uninstall", release, "--namespace", namespace, *self._cluster_flags()],
                 what=f"uninstall {release}", timeout=timeout)


def _values_flags(values_files: list[str], set_args: list[str]) -> list[str]:
    flags: list[str] = []
    for path in values_files:
        flags += ["--values", path]
    for item in set_args:
        flags += ["--set", item]
    return flags


def find_helm(explicit: str | None, *, kubeconfig: str | None = None, context: str | None = None) -> Helm:
    """The helm to use: --helm PATH (or $ORCH_HELM), else `helm` on PATH; checked to be Helm 3.9+."""
    wanted = explicit or os.environ.get("ORCH_HELM") or "helm"
    path = shutil.which(wanted) if os.sep not in wanted else (wanted if os.path.isfile(wanted) else None)
    if path is None:
        where = f"{wanted} does not exist" if os.sep in wanted else "helm is not on PATH"
        raise HelmUnavailable(f"{where}; {GET_HELM}")
    if not os.access(path, os.X_OK):
        raise HelmUnavailable(f"{path} is not executable; {GET_HELM}")
    try:
        out = subprocess.run([path, "version", "--template", "{{.Version}}"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HelmUnavailable(f"{path} cannot be run ({exc.__class__.__name__}); {GET_HELM}") from None
    if out.returncode != 0:
        raise HelmUnavailable(f"{path} version failed: {_first_error(out.stderr)}; {GET_HELM}")
    version = check_version(out.stdout, path)
    return Helm(path=path, version=version, kubeconfig=kubeconfig, context=context)
