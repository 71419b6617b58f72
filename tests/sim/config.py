"""Per-test simulator configuration: ConfigMap ``simulator-config`` in namespace ``orch-sim``,
key ``config.yaml``.  Re-read on every reconcile.  Schema (all keys optional)::

    delay_seconds:            # seconds before a component acts / becomes ready, counted from the
      default: 0              # creationTimestamp of the object that triggers it
      knativeserving: 5       # component names: see COMPONENTS below
      backstage-backstage: 3  # a Deployment name delays that Deployment's creation
    never_ready: [knativeeventing, sonataflow-platform-jobs-service]
    pod_faults:               # Deployment name -> CrashLoopBackOff | ImagePullBackOff | Unschedulable
      backstage-backstage: CrashLoopBackOff
    channel_heads:            # "package/channel" -> CSV: the PackageManifests' channel ends there
      serverless-operator/stable: serverless-operator.v1.35.0
    hidden_packages: [rhdh]   # packages the PackageManifests do not list
    require_postgres: true    # data-index/jobs-service crash-loop while the SonataFlowPlatform's
                              # PostgreSQL Service has no ready endpoint (default true)

The catalog real opm serves is cut the same way by ``Cluster.serve_catalog(hidden=...,
channel_heads=...)`` (tests/cluster/olm.py), which also writes these two keys. Operator
Deployments (real OLM's, from the CSVs) get ``pod_faults`` / ``never_ready`` through their CSV's
pod template (tests/sim/olm.py ``OperatorPodFaults``).

Components: for ``delay_seconds`` — ``orchestrator``, ``knativeserving``, ``knativeeventing``,
``sonataflowplatform`` (before the CR is reconciled / reported ready) and any Deployment name the
simulators create (before it is created).  For ``never_ready`` — ``knativeserving``,
``knativeeventing``, ``sonataflowplatform``, ``sonataflow``, ``backstage`` (condition stays
False) and any Deployment name (its pods stay Unschedulable).  For ``pod_faults`` — Deployment
names.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

CONFIG_NAMESPACE = "orch-sim"
CONFIG_NAME = "simulator-config"
CONFIG_KEY = "config.yaml"

POD_FAULTS = ("CrashLoopBackOff", "ImagePullBackOff", "Unschedulable")
FAULT_LABEL = "sim.orch.dev/pod-fault"
# A node label no kwok node carries: pods selecting it stay Pending/Unschedulable.
UNSCHEDULABLE_SELECTOR = {"sim.orch.dev/no-such-node": "true"}

log = logging.getLogger("sim.config")


@dataclass
class SimConfig:
    delay_seconds: dict[str, float] = field(default_factory=dict)
    never_ready: set[str] = field(default_factory=set)
    pod_faults: dict[str, str] = field(default_factory=dict)
    channel_heads: dict[str, str] = field(default_factory=dict)
    hidden_packages: set[str] = field(default_factory=set)
    require_postgres: bool = True

    def delay(self, component: str) -> float:
        if component in self.delay_seconds:
            return self.delay_seconds[component]
        return self.delay_seconds.get("default", 0.0)

    def pod_fault(self, component: str) -> Optional[str]:
        """The fault to inject into a Deployment's pods (never_ready means Unschedulable)."""
        if component in self.pod_faults:
            return self.pod_faults[component]
        if component in self.never_ready:
            return "Unschedulable"
        return None


class ConfigError(ValueError):
    pass


def parse_config(text: Optional[str]) -> SimConfig:
    """Parse and validate ``config.yaml``; raises ConfigError with a readable message."""
    if not text or not text.strip():
        return SimConfig()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"config.yaml is not valid YAML: {e}") from e
    if raw is None:
        return SimConfig()
    if not isinstance(raw, dict):
        raise ConfigError("config.yaml must be a mapping")
    known = {"delay_seconds", "never_ready", "pod_faults", "channel_heads",
             "hidden_packages", "require_postgres"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown keys in config.yaml: {sorted(unknown)}")
    cfg = SimConfig()
    delays = raw.get("delay_seconds") or {}
    if not isinstance(delays, dict):
        raise ConfigError("delay_seconds must be a mapping of component to seconds")
    for k, v in delays.items():
        try:
            cfg.delay_seconds[str(k)] = float(v)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"delay_seconds.{k} must be a number, got {v!r}") from e
        if cfg.delay_seconds[str(k)] < 0:
            raise ConfigError(f"delay_seconds.{k} must not be negative")
    cfg.never_ready = set(_str_list(raw.get("never_ready"), "never_ready"))
    faults = raw.get("pod_faults") or {}
    if not isinstance(faults, dict):
        raise ConfigError("pod_faults must be a mapping of Deployment name to fault")
    for k, v in faults.items():
        if v not in POD_FAULTS:
            raise ConfigError(f"pod_faults.{k}: {v!r} is not one of {', '.join(POD_FAULTS)}")
        cfg.pod_faults[str(k)] = v
    heads = raw.get("channel_heads") or {}
    if not isinstance(heads, dict) or not all("/" in str(k) for k in heads):
        raise ConfigError('channel_heads must map "package/channel" to a CSV name')
    cfg.channel_heads = {str(k): str(v) for k, v in heads.items()}
    cfg.hidden_packages = set(_str_list(raw.get("hidden_packages"), "hidden_packages"))
    rp = raw.get("require_postgres", True)
    if not isinstance(rp, bool):
        raise ConfigError("require_postgres must be true or false")
    cfg.require_postgres = rp
    return cfg


def _str_list(v: Any, name: str) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise ConfigError(f"{name} must be a list")
    return [str(x) for x in v]


def load_config(kube) -> SimConfig:
    """Read the ConfigMap; a missing ConfigMap means defaults, an invalid one is logged and
    treated as defaults (the simulators keep running)."""
    from . import kube as K  # local import: keeps parse_config importable without a cluster

    cm = kube.get(K.CONFIGMAPS, CONFIG_NAME, CONFIG_NAMESPACE)
    text = ((cm or {}).get("data") or {}).get(CONFIG_KEY)
    try:
        return parse_config(text)
    except ConfigError as e:
        log.error("ignoring invalid %s/%s: %s", CONFIG_NAMESPACE, CONFIG_NAME, e)
        return SimConfig()


def config_map(text_or_dict: Any) -> dict:
    """The ConfigMap object for a config (for tests): accepts YAML text or a dict."""
    text = text_or_dict if isinstance(text_or_dict, str) else yaml.safe_dump(text_or_dict)
    parse_config(text)  # validate early
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": CONFIG_NAME, "namespace": CONFIG_NAMESPACE},
            "data": {CONFIG_KEY: text}}
