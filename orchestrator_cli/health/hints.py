"""What to look at next when a component is not ready: one line per wait-list item id, shared by
`orch install` (a failed or timed-out wait) and `orch status` (a failed check)."""

from __future__ import annotations

from orchestrator_cli.kube.client import Ref

DATA_INDEX_ID = "data-index"

_HINTS = {
    "operator": "OLM installs the operator: kubectl -n {ns} describe csv {name}",
    "operator-deployment": "kubectl -n {ns} describe deployment {name}; OLM re-creates it from the CSV",
    "orchestrator-cr": "the operator reports render/install errors in the CR's conditions: "
                       "kubectl -n {ns} describe orchestrator {name}",
    "knative-openshift": "the OpenShift Serverless operator: kubectl -n {ns} describe deployment {name}",
    "knative-eventing": "reconciled by the OpenShift Serverless operator: kubectl -n {ns} describe knativeeventing {name}",
    "knative-serving": "reconciled by the OpenShift Serverless operator: kubectl -n {ns} describe knativeserving {name}",
    "logic-operator": "the OpenShift Serverless Logic operator: kubectl -n {ns} describe deployment {name}",
    "sonataflow-platform": "kubectl -n {ns} describe sonataflowplatform {name}",
    DATA_INDEX_ID: "workflows appear in RHDH only through data-index; it needs PostgreSQL at start-up: "
                   "kubectl -n {ns} logs deployment/{name}",
    "jobs-service": "it needs PostgreSQL at start-up: kubectl -n {ns} logs deployment/{name}",
    "backstage-cr": "reconciled by the RHDH operator: kubectl -n {ns} describe backstage {name}",
    "backstage": "kubectl -n {ns} describe deployment {name}; kubectl -n {ns} logs deployment/{name} --all-containers",
    "postgres": "kubectl -n {ns} describe statefulset {name}",
    "postgres-service": "data-index and jobs-service cannot reach PostgreSQL until its Service has a ready endpoint: "
                        "kubectl -n {ns} get endpointslices -l kubernetes.io/service-name={name}",
}
_DEFAULT = "kubectl{ns_flag} describe {kind} {name}"


def hint_for(item_id: str, ref: Ref) -> str:
    """The hint for a wait item, with its object's namespace and name filled in."""
    template = _HINTS.get(item_id, _DEFAULT)
    return template.format(ns=ref.namespace, name=ref.name, kind=ref.kind.lower(),
                           ns_flag=f" -n {ref.namespace}" if ref.namespace else "")
