"""A workflow project directory -> the objects `kn-workflow gen-manifest --profile gitops` renders for it (pure).

What gen-manifest produces (reference A3, A4, A7, A8; kie-tools' workflowproj):
- ConfigMap `<name>-props` holding `application.properties` verbatim;
- one ConfigMap per resource directory, `NN-<name>-resources-<dir>` (NN counting the directories
  in sorted order: schemas, specs, subflows), each file a key, mounted through
  `spec.resources.configMaps[].workflowPath: <dir>`;
- SonataFlow `<name>` (sonataflow.org/v1alpha08): metadata.name = the id lower-cased; the id, name,
  description, version, specVersion and expressionLang leave the flow for the CR's metadata
  (annotations sonataflow.org/description, /expressionLang, /version, /profile: gitops); `start`
  becomes {stateName}, `dataInputSchema` {schema, failOnValidationErrors: true}; the flow keeps the
  fields the CRD's Flow type has (start, annotations, dataInputSchema, secrets, constants, timeouts,
  errors, keepActive, metadata, autoRetries, auth, states, events, functions, retries), so the
  workflow-output-schema extension stays in the image only, as upstream's charts show;
  spec.podTemplate.container.image = the built image.
Where orch differs, and why:
- every object carries orch's ownership label, `orch.rhdhorchestrator.io/workflow-project: <name>`
  (what `orch workflow list/uninstall` and the pruning of a removed resource directory select on)
  and a content hash annotation, so a change that only removes something is still an update;
- the props ConfigMap ends with a comment line holding the checksum of the definition and its
  resources: the SonataFlow operator rolls the workflow's Deployment when its properties ConfigMaps
  change (RolloutDeploymentIfCMChangedMutateVisitor), so a changed definition rolls the pods;
- the states are kept as written; gen-manifest's Go SDK also spells out defaults (actionMode:
  sequential, invoke: sync, useResults: true) that mean the same.
Persistence (spec.persistence.postgresql, schema = the workflow id) is set here with the names the
wiring later points at the installation's PostgreSQL.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_cli.core.errors import InputError
from orchestrator_cli.core.ownership import MANAGED_BY

SONATAFLOW_API = "sonataflow.org/v1alpha08"
PROJECT_LABEL = "orch.rhdhorchestrator.io/workflow-project"
CONTENT_HASH = "orch.rhdhorchestrator.io/content-hash"
RESOURCE_DIRS = ("schemas", "specs", "subflows")  # sorted, as gen-manifest numbers them
RESOURCE_SUFFIXES = (".json", ".yaml", ".yml")
DEFINITION_SUFFIXES = (".sw.yaml", ".sw.yml", ".sw.json")
FLOW_FIELDS = ("start", "annotations", "dataInputSchema", "secrets", "constants", "timeouts", "errors", "keepActive",
               "metadata", "autoRetries", "auth", "states", "events", "functions", "retries")
CHECKSUM_LINE = "# orch workflow deploy: definition checksum {} (a change rolls the workflow's pods)"
CONFIGMAP_LIMIT = 1024 * 1024  # the API server's limit on an object's data


@dataclass(frozen=True)
class WorkflowProject:
    directory: Path
    definition_path: Path
    definition: dict
    properties: str | None  # application.properties, verbatim
    resources: dict[str, dict[str, str]] = field(default_factory=dict)  # directory -> file name -> text
    image_hint: str | None = None  # the image of a SonataFlow manifest already in manifests/

    @property
    def name(self) -> str:
        return str(self.definition.get("id", "")).lower()

    def checksum(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.definition_path.read_bytes())
        for directory in sorted(self.resources):
            for name, text in sorted(self.resources[directory].items()):
                digest.update(f"\0{directory}/{name}\0".encode())
                digest.update(text.encode())
        return "sha256:" + digest.hexdigest()[:32]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not valid UTF-8") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _image_hint(directory: Path) -> str | None:
    """The image of a SonataFlow manifest upstream's layout keeps in manifests/ (reference A8), if any."""
    import yaml

    manifests = directory / "manifests"
    if not manifests.is_dir():
        return None
    for path in sorted(manifests.glob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "SonataFlow":
                image = (((doc.get("spec") or {}).get("podTemplate") or {}).get("container") or {}).get("image")
                if isinstance(image, str) and image:
                    return image
    return None


def load_project(directory: Path) -> WorkflowProject:
    """Reads a project directory (one definition, application.properties, specs/ schemas/ subflows/)."""
    import yaml

    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory (orch workflow deploy takes a workflow project directory)")
    definitions = sorted(p for p in directory.iterdir() if p.is_file() and p.name.lower().endswith(DEFINITION_SUFFIXES))
    if not definitions:
        raise InputError(f"no workflow definition (*.sw.yaml, *.sw.yml, *.sw.json) in {directory}")
    if len(definitions) > 1:
        raise InputError(f"{directory} holds {len(definitions)} workflow definitions "
                         f"({', '.join(p.name for p in definitions)}); a project deploys one")
    path = definitions[0]
    try:
        definition = yaml.safe_load(_read(path))
    except yaml.YAMLError:
        definition = None
    if not isinstance(definition, dict) or not isinstance(definition.get("id"), str):
        raise InputError(f"{path} is not a workflow definition with an id (run `orch workflow lint {directory}`)")
    props_path = directory / "application.properties"
    properties = _read(props_path) if props_path.is_file() else None
    resources: dict[str, dict[str, str]] = {}
    for name in RESOURCE_DIRS:
        sub = directory / name
        if sub.is_dir():
            files = {p.name: _read(p) for p in sorted(sub.iterdir())
                     if p.is_file() and p.suffix.lower() in RESOURCE_SUFFIXES}
            if files:
                resources[name] = files
    return WorkflowProject(directory, path, definition, properties, resources, _image_hint(directory))


def labels(name: str, namespace: str) -> dict[str, str]:
    return {"app": name, "sonataflow.org/workflow-app": name, "sonataflow.org/workflow-namespace": namespace,
            "app.kubernetes.io/name": name, "app.kubernetes.io/component": "serverless-workflow",
            PROJECT_LABEL: name, **MANAGED_BY}


def resource_configmap_name(index: int, name: str, directory: str) -> str:
    return f"{index:02d}-{name}-resources-{directory}"


def flow_of(definition: dict) -> dict:
    """The SonataFlow spec.flow for a definition (pure)."""
    flow = {k: copy.deepcopy(definition[k]) for k in FLOW_FIELDS if k in definition}
    if isinstance(flow.get("start"), str):
        flow["start"] = {"stateName": flow["start"]}
    if isinstance(flow.get("dataInputSchema"), str):
        flow["dataInputSchema"] = {"schema": flow["dataInputSchema"], "failOnValidationErrors": True}
    return flow


def with_content_hashes(objects: list[dict]) -> list[dict]:
    """Copies of `objects` annotated with a hash of everything but their metadata (call it last, after the
    wiring): a change that only removes a field or a file still differs from the live object."""
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        body = json.dumps({k: v for k, v in obj.items() if k != "metadata"}, sort_keys=True, default=str)
        obj["metadata"].setdefault("annotations", {})[CONTENT_HASH] = hashlib.sha256(body.encode()).hexdigest()[:16]
        out.append(obj)
    return out


def render(project: WorkflowProject, *, image: str, namespace: str, persistence: dict | None = None) -> list[dict]:
    """The objects to apply, in apply order (ConfigMaps before the SonataFlow that mounts them); without the
    content hashes (with_content_hashes, after the wiring)."""
    name = project.name
    lab = labels(name, namespace)
    checksum = project.checksum()
    props = project.properties if project.properties is not None else ""
    if props and not props.endswith("\n"):
        props += "\n"
    props += CHECKSUM_LINE.format(checksum) + "\n"
    objects = [{"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": f"{name}-props", "namespace": namespace, "labels": dict(lab)},
                "data": {"application.properties": props}}]
    mounts = []
    for index, directory in enumerate(sorted(project.resources), start=1):
        cm_name = resource_configmap_name(index, name, directory)
        data = dict(project.resources[directory])
        size = sum(len(k) + len(v.encode()) for k, v in data.items())
        if size > CONFIGMAP_LIMIT:
            raise InputError(f"{project.directory / directory} holds {size} bytes; a ConfigMap takes at most 1 MiB "
                             "(move large specs out, or minify them)")
        objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": cm_name, "namespace": namespace, "labels": dict(lab)}, "data": data})
        mounts.append({"configMap": {"name": cm_name}, "workflowPath": directory})
    d = project.definition
    annotations = {"sonataflow.org/description": str(d.get("description") or ""),
                   "sonataflow.org/expressionLang": str(d.get("expressionLang") or "jq"),
                   "sonataflow.org/profile": "gitops", "sonataflow.org/version": str(d.get("version") or "")}
    spec: dict = {"flow": flow_of(d), "podTemplate": {"container": {"image": image}}}
    if mounts:
        spec["resources"] = {"configMaps": mounts}
    if persistence is not None:
        spec["persistence"] = {"postgresql": copy.deepcopy(persistence)}
    objects.append({"apiVersion": SONATAFLOW_API, "kind": "SonataFlow",
                    "metadata": {"name": name, "namespace": namespace, "labels": dict(lab), "annotations": annotations},
                    "spec": spec})
    return objects


def persistence_for(*, secret_name: str, user_key: str, password_key: str, service_name: str, port: int,
                    database: str, schema: str, service_namespace: str | None = None) -> dict:
    """spec.persistence.postgresql as upstream's gen_manifests.sh writes it (schema = the workflow id)."""
    service = {"name": service_name, "port": port, "databaseName": database, "databaseSchema": schema}
    if service_namespace:
        service["namespace"] = service_namespace
    return {"secretRef": {"name": secret_name, "userKey": user_key, "passwordKey": password_key},
            "serviceRef": service}


def is_deployed_project(flow: dict | None) -> bool:
    """A SonataFlow `orch workflow deploy` created (its project label and orch's ownership mark, not adopted)."""
    from orchestrator_cli.core.ownership import created_by_orch_object

    md = (flow or {}).get("metadata") or {}
    return bool((md.get("labels") or {}).get(PROJECT_LABEL)) and created_by_orch_object(flow)


def deployed_objects(kube, name: str, namespace: str) -> list[dict]:
    """Everything a deploy of project `name` created in `namespace`: its ConfigMaps, then the SonataFlow (the
    order to delete them in is the reverse)."""
    from orchestrator_cli.core.ownership import MANAGED_BY_SELECTOR, created_by_orch_object
    from orchestrator_cli.kube.client import Ref

    selector = f"{MANAGED_BY_SELECTOR},{PROJECT_LABEL}={name}"
    maps, _ = kube.list("v1", "ConfigMap", namespace, label_selector=selector)
    flow = kube.get(Ref(SONATAFLOW_API, "SonataFlow", name, namespace))
    out = [{"apiVersion": "v1", "kind": "ConfigMap", **cm} for cm in maps if created_by_orch_object(cm)]
    if is_deployed_project(flow):
        out.append(flow)
    return out
