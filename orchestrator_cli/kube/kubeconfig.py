"""Reading kubeconfig files without the kubernetes client: context names, for shell completion.

Kept apart from kube/client.py, which imports the (slow to import) kubernetes package: completing
`--context <TAB>` must answer from the file alone, without contacting any cluster.
"""

from __future__ import annotations

import os


def kubeconfig_paths(explicit: str | None = None) -> list[str]:
    """The files kubectl would read: --kubeconfig, else every path in $KUBECONFIG, else ~/.kube/config."""
    if explicit:
        return [os.path.expanduser(explicit)]
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return [os.path.expanduser(p) for p in paths] or [os.path.expanduser("~/.kube/config")]


def context_names(text: str) -> list[str]:
    """Context names in one kubeconfig document (pure); [] for anything that is not a kubeconfig."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("contexts"), list):
        return []
    return [c["name"] for c in doc["contexts"] if isinstance(c, dict) and isinstance(c.get("name"), str)]


def contexts(explicit: str | None = None) -> list[str]:
    """Every context name of the kubeconfig files, first occurrence first (kubectl's merge order)."""
    names: dict[str, None] = {}
    for path in kubeconfig_paths(explicit):
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read(1_000_000)  # a kubeconfig is small; never read a huge file at a TAB press
        except OSError:
            continue
        names.update(dict.fromkeys(context_names(text)))
    return list(names)
