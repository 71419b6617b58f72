"""Workflows on the installed Orchestrator: the user's own workflow projects (`lint/`: lint, deploy) and the
published workflow charts (`orch workflow install / list / uninstall`, from the Orchestrator's Helm repositories).

The chart side is narrow modules, each importing only downward (cli -> workflows -> day2 -> generations -> health/kube -> core):

- `repository`  the chart repository: index.yaml, the compatibility rule (chart major.minor = the installed
                Orchestrator's major.minor), the archive checked against the index's digest (no cluster access)
- `helm`        the only place that runs the helm binary (argument lists only; Helm 3.9+ as the release manager)
- `values`      --set/--values/--env inputs and the chart values that name workflow-specific URLs (pure)
- `wiring`      a pure function: rendered objects + install facts -> objects with the notification token,
                the notification and workflow URLs and the persistence set (Helm's post-renderer runs it)
- `facts`       reads those install facts from the cluster through the detected Installation
- `install`     the install command: plan (namespace, chart, release), apply through Helm, wait
- `manage`      `orch workflow list`, `orch workflow uninstall` and the post-renderer command
"""
