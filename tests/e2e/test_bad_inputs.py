"""Bad input: every row of docs/bad-inputs.md, run against the real control plane.

CASES below is the single source of truth: the parametrized test runs each row, and
`test_doc_table_matches_cases` checks that docs/bad-inputs.md shows exactly these rows
(regenerate the table with `python -m tests.e2e.test_bad_inputs --write-doc`).

Each row asserts the exit code, that stderr carries exactly one `error:` line and that it is the
expected one (no traceback), and, from the apiserver audit log, what orch sent: orch runs as the
user `orch-runner` (a client certificate in group system:masters, so nothing it tries is
forbidden) and its requests are also recognised by the User-Agent `orch/<version>` (401 answers
carry no user). No row may show a write; rows marked `none` must not have reached the API server
at all (the input is rejected before connecting), `reads` rows must have read something
(pre-flight), `rejected` rows must show the 401 that proves the server refused the credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.cluster.audit import AuditLog

ORCH = str(Path(sys.executable).parent / "orch")
DOC = Path(__file__).parents[2] / "docs" / "bad-inputs.md"
RUNNER = "orch-runner"
# Reviews are answered, never stored: they are how pre-flight asks "may I?", not writes.
REVIEWS = {"selfsubjectrulesreviews", "selfsubjectaccessreviews"}
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # the bad input, for the doc
    args: tuple[str, ...]  # after `orch`; {dir} = the test's file directory
    code: int
    error: str  # the one `error:` line on stderr; {dir}, {server}, {closed} are filled in
    env: dict = field(default_factory=dict)
    kubeconfig: str = "runner.kubeconfig"  # file in {dir} used as $KUBECONFIG
    requests: str = "none"  # none | reads | rejected (see the module docstring)
    prompt: tuple = ()  # pexpect script: (pattern, bytes to send) ... for interactive rows
    shown: str = ""  # for prompt rows: the message shown at the prompt before the abort


I = ("install", "--use-default")  # noqa: E741 - the command most rows exercise
BAD_NAME = "use lower-case letters, digits and '-', starting and ending with a letter or digit"
RESERVED = "is reserved for the platform (kube-*, openshift-*, default); choose another name"
KNOWN_WAITS = ("backstage, backstage-cr, crd, data-index, jobs-service, knative-eventing, knative-openshift, "
               "knative-operator, knative-serving, logic-operator, operator, orchestrator-cr, postgres, postgres-service, "
               "rhdh-operator, sonataflow-operator, sonataflow-platform, token")
WI = ("workflow", "install")
GET_HELM = "install Helm 3.9 or newer (https://helm.sh/docs/intro/install/) or pass --helm PATH"
CTRL_C, CTRL_D, ENTER, CLEAR = b"\x03", b"\x04", b"\r", b"\x7f" * 40
NEW_RHDH = rb"Setup for a new RHDH deployment\?"
WF_NS = rb"Enter workflow namespace"
ABORTED = "error: prompt aborted; nothing was written"

CASES: tuple[Case, ...] = (
    # -- kubeconfig and connection: exit 3 ---------------------------------------------------------------------
    Case("kubeconfig-not-yaml", "kubeconfig that is not YAML", (*I, "--kubeconfig", "{dir}/not-yaml.kubeconfig"), 3,
         "error: kubeconfig {dir}/not-yaml.kubeconfig is not valid YAML"),
    Case("kubeconfig-empty", "empty kubeconfig file", (*I, "--kubeconfig", "{dir}/empty.kubeconfig"), 3,
         "error: kubeconfig problem: Invalid kube-config. {dir}/empty.kubeconfig file is empty"),
    Case("kubeconfig-missing", "--kubeconfig names a file that does not exist",
         (*I, "--kubeconfig", "{dir}/absent.kubeconfig"), 3,
         "error: kubeconfig {dir}/absent.kubeconfig does not exist or is not a file"),
    Case("kubeconfig-env-missing", "$KUBECONFIG names a file that does not exist", I, 3,
         "error: kubeconfig {dir}/absent.kubeconfig (from $KUBECONFIG) does not exist or is not a file",
         kubeconfig="absent.kubeconfig"),
    Case("kubeconfig-directory", "--kubeconfig names a directory (unreadable as a file)",
         (*I, "--kubeconfig", "{dir}"), 3, "error: kubeconfig {dir} does not exist or is not a file"),
    Case("kubeconfig-bad-base64", "kubeconfig client certificate data that is not base64",
         (*I, "--kubeconfig", "{dir}/bad-base64.kubeconfig"), 3,
         "error: kubeconfig {dir}/bad-base64.kubeconfig: certificate or key data is not valid base64"),
    Case("kubeconfig-bad-client-cert", "kubeconfig client certificate that is base64 but not a certificate", I, 3,
         "error: cannot reach the API server {server}: the kubeconfig's client certificate or key is not a valid "
         "PEM pair", kubeconfig="bad-cert.kubeconfig"),
    Case("kubeconfig-no-current-context", "kubeconfig without current-context and no --context",
         (*I, "--kubeconfig", "{dir}/no-current.kubeconfig"), 3,
         "error: kubeconfig {dir}/no-current.kubeconfig has no current-context: pass --context"),
    Case("context-wrong", "--context that the kubeconfig does not have", (*I, "--context", "no-such-context"), 3,
         "error: context 'no-such-context' not found in the kubeconfig"),
    Case("token-bogus", "bearer token the API server does not know (401)", I, 3,
         "error: the API server {server} rejected the credentials; log in again",
         kubeconfig="bogus-token.kubeconfig", requests="rejected"),
    Case("token-expired", "service-account token signed by the cluster, expired an hour ago (401)", I, 3,
         "error: the API server {server} rejected the credentials; log in again",
         kubeconfig="expired-token.kubeconfig", requests="rejected"),
    Case("server-unreachable", "API server address is a closed loopback port (after a 10 s retry budget)", I, 3,
         "error: cannot reach the API server {closed}: connection refused", kubeconfig="closed-port.kubeconfig"),
    Case("server-wrong-ca", "kubeconfig certificate-authority that did not sign the server certificate", I, 3,
         "error: cannot reach the API server {server}: TLS verification failed (does the kubeconfig's "
         "certificate-authority match the server?)", kubeconfig="wrong-ca.kubeconfig"),
    # -- namespaces and names: exit 2 --------------------------------------------------------------------------
    Case("namespace-invalid", "namespace with upper case and '_'", (*I, "--workflow-namespace", "Bad_NS"), 2,
         f"error: --workflow-namespace 'Bad_NS' is not a valid name: {BAD_NAME}"),
    Case("namespace-too-long", "namespace of 64 characters", (*I, "--workflow-namespace", "a" * 64), 2,
         f"error: --workflow-namespace '{'a' * 64}' is 64 characters long; the limit is 63"),
    Case("namespace-empty", "empty namespace", (*I, "--orchestrator-namespace", ""), 2,
         "error: --orchestrator-namespace must not be empty"),
    Case("add-namespace-invalid", "workflow add-namespace with an invalid name",
         ("workflow", "add-namespace", "Bad_NS"), 2,
         f"error: workflow namespace 'Bad_NS' is not a valid name: {BAD_NAME}"),
    Case("add-namespace-reserved", "workflow add-namespace with a reserved name",
         ("workflow", "add-namespace", "openshift-foo"), 2,
         f"error: workflow namespace 'openshift-foo' {RESERVED}"),
    Case("add-namespace-one-invalid", "workflow add-namespace with several names, one invalid: none is enabled",
         ("workflow", "add-namespace", "team-ok", "Bad_NS"), 2,
         f"error: workflow namespace 'Bad_NS' is not a valid name: {BAD_NAME}"),
    Case("remove-namespace-too-long", "workflow remove-namespace with a 64-character name",
         ("workflow", "remove-namespace", "b" * 64), 2,
         f"error: workflow namespace '{'b' * 64}' is 64 characters long; the limit is 63"),
    Case("namespace-kube-system", "reserved namespace kube-system", (*I, "--rhdh-namespace", "kube-system"), 2,
         f"error: --rhdh-namespace 'kube-system' {RESERVED}"),
    Case("namespace-openshift", "reserved namespace openshift-*",
         (*I, "--orchestrator-namespace", "openshift-operators"), 2,
         f"error: --orchestrator-namespace 'openshift-operators' {RESERVED}"),
    Case("namespace-default", "reserved namespace default", (*I, "--workflow-namespace", "default"), 2,
         f"error: --workflow-namespace 'default' {RESERVED}"),
    Case("namespace-env-invalid", "invalid namespace from the environment (WORKFLOW_NAMESPACE=has.dots)", I, 2,
         f"error: WORKFLOW_NAMESPACE 'has.dots' is not a valid name: {BAD_NAME}",
         env={"WORKFLOW_NAMESPACE": "has.dots"}),
    Case("argocd-instance-invalid", "ArgoCD instance name that is not a DNS label",
         (*I, "--argocd-instance", "Argo CD"), 2, f"error: --argocd-instance 'Argo CD' is not a valid name: {BAD_NAME}"),
    Case("namespaces-equal", "orchestrator and workflow namespace the same",
         (*I, "--orchestrator-namespace", "same", "--workflow-namespace", "same"), 2,
         "error: the orchestrator namespace and the workflow namespace must differ"),
    # -- version ---------------------------------------------------------------------------------------------
    Case("version-unknown", "unknown Orchestrator version", (*I, "--version", "1.9"), 2,
         "error: unknown Orchestrator version '1.9'; supported: 1.3, 1.4, 1.5, 1.6, 1.7, 1.8"),
    Case("version-env-unknown", "unknown version from ORCH_VERSION", I, 2,
         "error: unknown Orchestrator version '2.0'; supported: 1.3, 1.4, 1.5, 1.6, 1.7, 1.8", env={"ORCH_VERSION": "2.0"}),
    # -- platform (docs/kubernetes.md) --------------------------------------------------------------------------
    Case("platform-unknown", "--platform that is neither kubernetes nor openshift", (*I, "--platform", "k8s"), 2,
         "error: --platform must be kubernetes or openshift, got 'k8s'"),
    Case("kubernetes-option-on-openshift", "a Kubernetes-only option on (detected) OpenShift",
         (*I, "--host", "backstage.example.com"), 18,
         "error: --host is for Kubernetes; on OpenShift the Orchestrator operator exposes Backstage through a Route "
         "(platform openshift, detected); nothing was written", requests="reads"),
    Case("openshift-option-on-kubernetes", "an OpenShift-only option with --platform kubernetes",
         (*I, "--platform", "kubernetes", "--gitops"), 18,
         "error: --gitops needs OpenShift GitOps (ArgoCD through OLM); not available on Kubernetes (platform "
         "kubernetes, --platform); nothing was written", requests="reads"),
    # -- values file -----------------------------------------------------------------------------------------
    Case("values-not-yaml", "values file that is not YAML", (*I, "-f", "{dir}/not-yaml.yaml"), 2,
         "error: values file {dir}/not-yaml.yaml is not valid YAML at line 2"),
    Case("values-unknown-key", "values file with an unknown key", (*I, "-f", "{dir}/unknown-key.yaml"), 2,
         "error: values file {dir}/unknown-key.yaml: unknown key 'noSuchKey' (see docs/inputs.md for the keys)"),
    Case("values-nested-as-scalar", "values file with `gitops: true` (a section given as a scalar)",
         (*I, "-f", "{dir}/section-scalar.yaml"), 2,
         "error: values file {dir}/section-scalar.yaml: unknown key 'gitops' (see docs/inputs.md for the keys)"),
    Case("values-wrong-type-bool", "values file boolean given as `maybe`", (*I, "-f", "{dir}/wrong-bool.yaml"), 2,
         "error: values file key 'gitops.enabled' must be true or false, got 'maybe'"),
    Case("values-wrong-type-string", "values file namespace given as a number", (*I, "-f", "{dir}/wrong-str.yaml"),
         2, "error: values file key 'workflowNamespace' must be a string, got int"),
    Case("values-not-mapping", "values file that is a YAML list", (*I, "-f", "{dir}/list.yaml"), 2,
         "error: values file {dir}/list.yaml must be a YAML mapping of keys to values"),
    Case("values-missing", "values file that does not exist", (*I, "-f", "{dir}/absent.yaml"), 2,
         "error: values file {dir}/absent.yaml does not exist"),
    Case("values-directory", "values file path that is a directory (unreadable)", (*I, "-f", "{dir}"), 2,
         "error: values file {dir} is a directory, not a file"),
    Case("values-not-utf8", "values file with non-UTF-8 bytes", (*I, "-f", "{dir}/latin1.yaml"), 2,
         "error: values file {dir}/latin1.yaml is not UTF-8 text (byte 0xff at offset 17)"),
    Case("values-item-timeout", "values file wait-item timeout that is not a number",
         (*I, "-f", "{dir}/item-timeout.yaml"), 2,
         "error: values file key 'timeouts.items' backstage must be a whole number of seconds, got 'soon'"),
    # -- conflicting or incomplete options -------------------------------------------------------------------
    Case("tekton-without-gitops", "--tekton without --gitops", (*I, "--tekton"), 2,
         "error: --tekton needs --gitops (the Tekton pipeline is driven by ArgoCD)"),
    Case("configure-rhdh-alone", "--configure-rhdh without --existing-rhdh", (*I, "--configure-rhdh"), 2,
         "error: --configure-rhdh needs --existing-rhdh NAMESPACE"),
    Case("existing-rhdh-vs-rhdh-namespace", "--existing-rhdh and a different --rhdh-namespace",
         (*I, "--existing-rhdh", "my-rhdh", "--rhdh-namespace", "other"), 2,
         "error: --existing-rhdh my-rhdh conflicts with --rhdh-namespace other; give only --existing-rhdh"),
    Case("postgres-namespace-alone", "--postgres-namespace without --postgres-external",
         (*I, "--postgres-namespace", "pg"), 2,
         "error: --postgres-namespace is only for --postgres-external (the reference deployment lives in the "
         "workflow namespace)"),
    Case("yaml-without-dry-run", "-o yaml without --dry-run", (*I, "-o", "yaml"), 2,
         "error: -o yaml prints manifests and needs --dry-run"),
    Case("output-unknown", "unknown output format", (*I, "-o", "xml"), 2,
         "error: -o/--output must be one of table, plain, json, yaml"),
    Case("check-pre-yaml", "`orch check --pre -o yaml`", ("check", "--pre", "-o", "yaml"), 2,
         "error: -o yaml is for `orch install --dry-run`"),
    Case("check-pre-reserved", "`orch check --pre` with a reserved namespace",
         ("check", "--pre", "--workflow-namespace", "kube-public"), 2,
         f"error: --workflow-namespace 'kube-public' {RESERVED}"),
    Case("unknown-flag", "an option orch does not have", (*I, "--xyzzy"), 2,
         "error: No such option: --xyzzy (see `orch install --help`)"),
    Case("flag-without-value", "an option missing its value", (*I, "--workflow-namespace"), 2,
         "error: Option '--workflow-namespace' requires an argument."),
    # -- timeouts --------------------------------------------------------------------------------------------
    Case("timeout-not-number", "--timeout that is not a number", (*I, "--timeout", "10m"), 2,
         "error: --timeout must be a whole number of seconds, got '10m'"),
    Case("timeout-negative", "negative --timeout", (*I, "--timeout", "-5"), 2,
         "error: --timeout must be between 1 and 86400 seconds, got '-5'"),
    Case("timeout-env", "ORCH_TIMEOUT that is not a number", I, 2,
         "error: ORCH_TIMEOUT must be a whole number of seconds, got 'abc'", env={"ORCH_TIMEOUT": "abc"}),
    Case("item-timeout-format", "--item-timeout without ID=SECONDS", (*I, "--item-timeout", "backstage"), 2,
         "error: --item-timeout expects ID=SECONDS, got 'backstage'"),
    Case("item-timeout-unknown", "--item-timeout for a wait item that does not exist",
         (*I, "--item-timeout", "nosuch=5"), 2,
         f"error: unknown wait item 'nosuch' for a timeout; known: {KNOWN_WAITS}"),
    Case("item-timeout-negative", "negative --item-timeout", (*I, "--item-timeout", "backstage=-1"), 2,
         "error: --item-timeout backstage must be between 1 and 86400 seconds, got '-1'"),
    Case("lock-timeout-negative", "negative --lock-timeout", (*I, "--lock-timeout", "-1"), 2,
         "error: --lock-timeout must be between 0 and 86400 seconds, got -1"),
    Case("lock-timeout-not-number", "--lock-timeout that is not a number", (*I, "--lock-timeout", "soon"), 2,
         "error: Invalid value for '--lock-timeout': 'soon' is not a valid float. (see `orch install --help`)"),
    # -- secrets and text values -----------------------------------------------------------------------------
    Case("secret-with-newline", "GITHUB_TOKEN containing a line break (the value is not echoed)", I, 2,
         "error: GITHUB_TOKEN contains a line break or control character",
         env={"GITHUB_TOKEN": "ghp_first-line\nsecond-line"}),
    Case("host-invalid", "GITLAB_HOST that is not a host name", I, 2,
         "error: GITLAB_HOST 'not a host!' is not a host name (example: gitlab.example.com)",
         env={"GITLAB_HOST": "not a host!"}),
    Case("bool-env-invalid", "SETUP_NOTIFICATIONS_EMAIL=maybe", I, 2,
         "error: SETUP_NOTIFICATIONS_EMAIL must be true or false, got 'maybe'",
         env={"SETUP_NOTIFICATIONS_EMAIL": "maybe"}),
    # -- orch workflow lint (offline: never contacts the API server) --------------------------------------------
    Case("lint-path-missing", "workflow lint PATH that does not exist", ("workflow", "lint", "{dir}/absent.sw.yaml"), 2,
         "error: {dir}/absent.sw.yaml does not exist"),
    Case("lint-not-definition", "workflow lint on a file that is not *.sw.yaml/yml/json",
         ("workflow", "lint", "{dir}/not-yaml.yaml"), 2,
         "error: {dir}/not-yaml.yaml is not a workflow definition (*.sw.yaml, *.sw.yml, *.sw.json)"),
    Case("lint-no-definitions", "workflow lint on a directory without workflow definitions",
         ("workflow", "lint", "{dir}/other-ca"), 2,
         "error: no workflow definitions (*.sw.yaml, *.sw.yml, *.sw.json) under {dir}/other-ca"),
    Case("lint-output-unknown", "workflow lint -o yaml", ("workflow", "lint", "{dir}", "-o", "yaml"), 2,
         "error: -o/--output must be one of plain, json"),
    Case("lint-errors", "workflow lint on a definition with errors (each listed on stdout as file:line:column)",
         ("workflow", "lint", "{dir}/broken.sw.yaml"), 15, "error: workflow lint found 3 errors"),
    # -- orch workflow deploy: rejected before connecting ---------------------------------------------------------
    Case("deploy-no-image", "workflow deploy without --image (and no manifests/ naming one)",
         ("workflow", "deploy", "{dir}/greet"), 2,
         "error: --image is required: the built image of greet (the project has no SonataFlow manifest in manifests/ "
         "naming one)"),
    Case("deploy-bad-image", "workflow deploy --image that is not an image reference",
         ("workflow", "deploy", "{dir}/greet", "--image", "not an image"), 2,
         "error: --image 'not an image' is not a container image reference (registry/repository:tag or @digest)"),
    Case("deploy-not-a-project", "workflow deploy DIR without a workflow definition",
         ("workflow", "deploy", "{dir}/other-ca", "--image", "quay.io/x/y:1"), 2,
         "error: no workflow definition (*.sw.yaml, *.sw.yml, *.sw.json) in {dir}/other-ca"),
    Case("deploy-namespace-invalid", "workflow deploy --namespace with upper case and '_'",
         ("workflow", "deploy", "{dir}/greet", "--image", "quay.io/x/y:1", "--namespace", "Bad_NS"), 2,
         f"error: --namespace 'Bad_NS' is not a valid name: {BAD_NAME}"),
    Case("deploy-yaml-without-dry-run", "workflow deploy -o yaml without --dry-run",
         ("workflow", "deploy", "{dir}/greet", "--image", "quay.io/x/y:1", "-o", "yaml"), 2,
         "error: -o yaml is for --dry-run (the manifests that would be applied)"),
    Case("deploy-lint-errors", "workflow deploy of a project with lint errors (listed, file:line:column)",
         ("workflow", "deploy", "{dir}/broken-project", "--image", "quay.io/x/y:1"), 15,
         "error: workflow lint found 1 error in {dir}/broken-project; nothing was deployed"),
    # -- orch support-bundle: the archive path is checked before connecting -----------------------------------
    Case("bundle-not-targz", "support-bundle -o with a report format instead of FILE.tar.gz",
         ("support-bundle", "-o", "json"), 2,
         "error: -o/--output is the archive file and must end in .tar.gz or .tgz, got 'json' "
         "(the report format is --format table|plain|json)"),
    Case("bundle-exists", "support-bundle -o naming a file that exists (never overwritten)",
         ("support-bundle", "-o", "{dir}/taken.tar.gz"), 2,
         "error: {dir}/taken.tar.gz already exists; choose another file name (orch never overwrites a bundle)"),
    Case("bundle-no-dir", "support-bundle -o in a directory that does not exist",
         ("support-bundle", "-o", "{dir}/absent/b.tar.gz"), 2, "error: directory {dir}/absent does not exist"),
    Case("bundle-format-unknown", "support-bundle --format yaml", ("support-bundle", "--format", "yaml"), 2,
         "error: --format must be one of table, plain, json"),
    Case("completion-shell-unknown", "completion for a shell orch has no script for", ("completion", "tcsh"), 2,
         "error: unsupported shell 'tcsh'; choose one of bash, zsh, fish"),
    Case("output-before-command", "-o before the command (it is for --version there)", ("-o", "json", "status"), 2,
         "error: -o before the command is only for --version; put it after the command (e.g. orch status -o json)"),
    # -- orch workflow install / uninstall: input and the chart engine, checked before connecting ---------------
    Case("workflow-name-invalid", "workflow install with a chart name that is not a DNS label",
         (*WI, "Greeting"), 2, f"error: workflow name 'Greeting' is not a valid name: {BAD_NAME}"),
    Case("workflow-name-too-long", "workflow install with a 54-character name (Helm's release-name limit is 53)",
         (*WI, "g" * 54), 2, f"error: workflow name '{'g' * 54}' is 54 characters long; Helm's release-name limit "
         "is 53"),
    Case("workflow-chart-version-invalid", "workflow install --chart-version that is not semver",
         (*WI, "greeting", "--chart-version", "latest"), 2,
         "error: --chart-version 'latest' is not a semantic version (example: 1.3.0)"),
    Case("workflow-set-invalid", "workflow install --set without KEY=VALUE", (*WI, "greeting", "--set", "novalue"), 2,
         "error: --set 'novalue' must be KEY=VALUE (example: --set workflow.move2kubeURL=https://move2kube.example.com)"),
    Case("workflow-env-invalid", "workflow install --env with a name that is not a variable name",
         (*WI, "greeting", "--env", "1URL=x"), 2, "error: --env '1URL=x' must be NAME=VALUE with NAME a variable name "
         "(example: MTA_URL=https://mta.example.com)"),
    Case("workflow-values-missing", "workflow install --values file that does not exist",
         (*WI, "greeting", "-f", "{dir}/absent.yaml"), 2, "error: values file {dir}/absent.yaml does not exist or is "
         "not a file"),
    Case("workflow-repo-invalid", "workflow install --repo that is neither http(s)/file URL nor a directory",
         (*WI, "greeting", "--repo", "ftp://charts.example.com"), 2,
         "error: --repo 'ftp://charts.example.com': use an http://, https:// or file:// URL, or a directory"),
    Case("workflow-config-unknown-key", "workflow install --config with an unknown key",
         (*WI, "greeting", "--config", "{dir}/wf-config.yaml"), 2, "error: --config {dir}/wf-config.yaml: unknown key "
         "'repo' (known: env, helm, namespace, repository, timeout)"),
    Case("workflow-yaml-without-dry-run", "workflow install -o yaml without --dry-run",
         (*WI, "greeting", "-o", "yaml"), 2, "error: -o yaml prints the rendered objects of --dry-run; add --dry-run"),
    Case("workflow-helm-missing", "workflow install --helm naming a file that does not exist",
         (*WI, "greeting", "--helm", "{dir}/no-helm"), 12, "error: {dir}/no-helm does not exist; " + GET_HELM),
    Case("workflow-helm-not-on-path", "workflow install without helm on PATH", (*WI, "greeting"), 12,
         "error: helm is not on PATH; " + GET_HELM, env={"PATH": "/usr/bin:/bin"}),
    Case("workflow-helm-too-old", "workflow install with Helm 3.8", (*WI, "greeting", "--helm", "{dir}/helm-3.8"),
         12, "error: {dir}/helm-3.8 is Helm v3.8.2; orch needs 3.9 or newer: " + GET_HELM),
    Case("workflow-helm-4", "workflow install with Helm 4 (post-renderers only as plugins)",
         (*WI, "greeting", "--helm", "{dir}/helm-4"), 12, "error: {dir}/helm-4 is Helm v4.0.1; orch needs Helm 3 (3.9 "
         "or newer: Helm 4 runs post-renderers only as plugins): " + GET_HELM),
    Case("workflow-uninstall-invalid-name", "workflow uninstall with an invalid name",
         ("workflow", "uninstall", "Bad_Name"), 2, f"error: workflow name 'Bad_Name' is not a valid name: {BAD_NAME}"),
    Case("workflow-not-installed", "workflow install on a cluster without the Orchestrator",
         (*WI, "greeting", "--helm", "{helm}"), 11,
         "error: no Orchestrator CR found on this cluster; install first with `orch install`", requests="reads"),
    # -- caught by pre-flight (reads only): exit 4 -----------------------------------------------------------
    Case("postgres-external-missing", "--postgres-external without its Secret and Service",
         (*I, "--postgres-external"), 4, "error: pre-flight failed (postgres-external); nothing was written",
         requests="reads"),
    Case("existing-rhdh-missing", "--existing-rhdh naming a namespace that does not exist",
         (*I, "--existing-rhdh", "no-such-rhdh"), 4,
         "error: pre-flight failed (existing-rhdh); nothing was written", requests="reads"),
    Case("existing-rhdh-other-generation", "--existing-rhdh for 1.8 where no RHDH serves Backstage v1alpha4 "
         "(an RHDH of another generation, or none)", (*I, "--version", "1.8", "--existing-rhdh", "old-rhdh"), 4,
         "error: pre-flight failed (existing-rhdh); nothing was written", requests="reads"),
    Case("gitops-without-argocd", "--gitops on a cluster without OpenShift GitOps", (*I, "--gitops"), 4,
         "error: pre-flight failed (gitops); nothing was written", requests="reads"),
    # -- interactive prompts (pseudo-terminal): exit 130 -----------------------------------------------------
    Case("prompt-ctrl-c", "Ctrl-C at the first question", ("install",), 130, ABORTED, requests="reads",
         prompt=((NEW_RHDH, CTRL_C),)),
    Case("prompt-ctrl-d-select", "Ctrl-D (EOF) at a select question", ("install",), 130, ABORTED,
         requests="reads", prompt=((NEW_RHDH, CTRL_D),)),
    Case("prompt-ctrl-d-text", "Ctrl-D (EOF) at an emptied text question", ("install",), 130, ABORTED,
         requests="reads", prompt=((NEW_RHDH, ENTER), (WF_NS, CLEAR + CTRL_D))),
    Case("prompt-empty", "empty answer to the workflow namespace question (re-asked; then Ctrl-C)", ("install",),
         130, ABORTED, requests="reads", shown="workflow namespace must not be empty",
         prompt=((NEW_RHDH, ENTER), (WF_NS, CLEAR + ENTER), (rb"must not be empty", CTRL_C))),
    Case("prompt-invalid", "invalid namespace typed at the prompt (re-asked; then Ctrl-C)", ("install",), 130,
         ABORTED, requests="reads", shown=f"workflow namespace 'Bad_NS' is not a valid name: {BAD_NAME}",
         prompt=((NEW_RHDH, ENTER), (WF_NS, CLEAR + b"Bad_NS" + ENTER), (rb"not a valid name", CTRL_C))),
    Case("prompt-non-utf8", "non-UTF-8 bytes typed at a text question (re-asked; then Ctrl-C)", ("install",), 130,
         ABORTED, requests="reads", shown="workflow namespace b'\\xff\\xfe' is not valid UTF-8",
         prompt=((NEW_RHDH, ENTER), (WF_NS, CLEAR + b"\xff\xfe" + ENTER), (rb"not valid UTF-8", CTRL_C))),
    Case("prompt-secret-non-utf8", "non-UTF-8 bytes typed at a password question (value not echoed)",
         ("install",), 130, ABORTED, requests="reads", shown="github token is not valid UTF-8",
         prompt=((NEW_RHDH, ENTER), (WF_NS, ENTER), (rb"persistent token", ENTER),
                 (rb"GitHub access token", b"\xff" + ENTER), (rb"not valid UTF-8", CTRL_C))),
)

# Rows that need an installed Orchestrator (its version decides the chart); run by tests/e2e/test_workflows.py on
# its cluster (one install shared with the workflow tests), against the chart repository it serves ({repo}).
INSTALLED_CASES: tuple[Case, ...] = (
    Case("workflow-incompatible-version", "workflow install --chart-version for another Orchestrator version",
         (*WI, "greeting", "--repo", "{repo}", "--chart-version", "1.4.0"), 14,
         "error: chart greeting 1.4.0 is for Orchestrator 1.4, but Orchestrator 1.3 is installed; use a 1.3.x chart "
         "version or pass --allow-incompatible", requests="reads"),
    Case("workflow-digest-mismatch", "workflow install from a repository whose archive does not match its index",
         (*WI, "greeting", "--repo", "{repo}/tampered", "--chart-version", "1.3.1"), 13,
         "error: chart archive {repo}/tampered/greeting-1.3.1.tgz does not match the repository index: sha256 "
         "{tampered_sha}… instead of {index_sha}…; nothing was installed", requests="reads"),
    Case("workflow-repo-unreachable", "workflow install from a repository nothing listens on (after 10 s of retries)",
         (*WI, "greeting", "--repo", "{closed}"), 13,
         "error: chart repository {closed} unreachable: connection refused (fetching {closed}/index.yaml)",
         requests="reads"),
    Case("workflow-repo-not-helm", "workflow install from a URL that is not a Helm repository",
         (*WI, "greeting", "--repo", "{repo}/not-a-repo"), 13,
         "error: chart repository {repo}/not-a-repo unreachable: HTTP 404 File not found (fetching "
         "{repo}/not-a-repo/index.yaml)", requests="reads"),
    Case("workflow-chart-unknown", "workflow install of a chart the repository does not list",
         (*WI, "no-such-workflow", "--repo", "{repo}"), 13,
         "error: no chart named 'no-such-workflow' in {repo} (it has: greeting, move2kube, mta-v7)", requests="reads"),
    Case("workflow-version-unknown", "workflow install --chart-version the index does not list",
         (*WI, "greeting", "--repo", "{repo}", "--chart-version", "1.3.9"), 13,
         "error: chart greeting version 1.3.9 is not in {repo} (versions for Orchestrator 1.3: 1.3.2-rc1, 1.3.1, "
         "1.3.0)", requests="reads"),
)


# -- the doc -------------------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "\\n")


def _show_cmd(case: Case) -> str:
    plain = re.compile(r"[-\w./]+")
    env = " ".join(f"{k}={v if plain.fullmatch(v) else json.dumps(v)}" for k, v in case.env.items())
    args = " ".join(a if a and re.fullmatch(r"[-\w./{}=]+", a) else repr(a) for a in case.args)
    kc = "" if case.kubeconfig == "runner.kubeconfig" else f"KUBECONFIG={{dir}}/{case.kubeconfig} "
    cmd = f"{kc}{env + ' ' if env else ''}orch {args}"
    if case.prompt:
        cmd += " (terminal: " + ", ".join(_key(send) for _, send in case.prompt) + ")"
    return _shown(cmd)


def _key(send: bytes) -> str:
    names = {CTRL_C: "Ctrl-C", CTRL_D: "Ctrl-D", ENTER: "Enter"}
    out = []
    rest = send
    if rest.startswith(CLEAR):
        out.append("clear")
        rest = rest[len(CLEAR):]
    if rest in names:
        out.append(names[rest])
    elif rest:
        body = rest[:-1] if rest.endswith(ENTER) else rest
        out.append(repr(body)[1:] + (" Enter" if rest.endswith(ENTER) else ""))
    return " ".join(out)


PLACEHOLDERS = {"{dir}": "$DIR", "{server}": "$SERVER", "{closed}": "$CLOSED", "{helm}": "$HELM", "{repo}": "$REPO",
                "{tampered_sha}": "$GOT", "{index_sha}": "$INDEXED"}


def _shown(text: str) -> str:
    for key, shown in PLACEHOLDERS.items():
        text = text.replace(key, shown)
    return text


HEADER = ["| # | case | bad input | command | exit | expected error (the one `error:` line on stderr) | "
          "requests to the API server |", "|---|---|---|---|---|---|---|"]


def render_table() -> str:
    lines = list(HEADER)
    lines += _rows(CASES, 1)
    lines += ["", "With the Orchestrator 1.3 installed (run by `tests/e2e/test_workflows.py` against the chart repository "
              "it serves, `$REPO`):", ""] + HEADER + _rows(INSTALLED_CASES, len(CASES) + 1)
    return "\n".join(lines) + "\n"


def _rows(cases, start: int) -> list[str]:
    lines = []
    requests = {"none": "none", "reads": "reads only", "rejected": "rejected (401)"}
    for n, c in enumerate(cases, start):
        error = _shown(c.error)
        if c.shown:
            error = f"at the prompt: `{c.shown}`; then `{error}`"
        else:
            error = f"`{error}`"
        lines.append(f"| {n} | `{c.id}` | {_cell(c.what)} | `{_cell(_show_cmd(c))}` | {c.code} | {_cell(error)} | "
                     f"{requests[c.requests]} |")
    return lines


BEGIN, END = "<!-- cases:begin (generated by `python -m tests.e2e.test_bad_inputs --write-doc`) -->", "<!-- cases:end -->"


def test_doc_table_matches_cases():
    text = DOC.read_text()
    assert BEGIN in text and END in text, f"{DOC} lacks the generated-table markers"
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert table == render_table(), "docs/bad-inputs.md is out of date: python -m tests.e2e.test_bad_inputs --write-doc"
    every = CASES + INSTALLED_CASES
    assert len(CASES) >= 25 and len({c.id for c in every}) == len(every)


# -- the cluster side ----------------------------------------------------------------------------------------
def _sa_token(cluster, name: str, uid: str, exp_offset: int) -> str:
    """A service-account JWT signed with the cluster's signing key, like TokenRequest would issue."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(Path(cluster.sa_private).read_bytes(), password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    now = int(time.time())
    issuer = "https://kubernetes.default.svc.cluster.local"
    header = {"alg": "RS256", "typ": "JWT", "kid": b64(hashlib.sha256(der).digest())}
    claims = {"iss": issuer, "aud": [issuer], "sub": f"system:serviceaccount:default:{name}",
              "iat": now - 7200, "nbf": now - 7200, "exp": now + exp_offset,
              "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": name, "uid": uid}}}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(sig)}"


def _status_with_token(cluster, token: str) -> int:
    """HTTP status of GET /api with this bearer token (200: authenticated, 401: rejected)."""
    import ssl
    import urllib.error
    import urllib.request

    ctx = ssl.create_default_context(cafile=str(cluster.ca.cert_path))
    req = urllib.request.Request(f"{cluster.server}/api", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def setup(request, tmp_path_factory):
    """A cluster of this module's own (the rows depend on what is *not* installed: no GitOps, no PostgreSQL),
    and the files the rows name."""
    from kubernetes import client

    from tests.cluster.harness import free_port
    from tests.cluster.pki import CertificateAuthority
    from tests.conftest import _start

    cluster = _start("openshift")
    request.addfinalizer(cluster.stop)
    d = tmp_path_factory.mktemp("bad-inputs")
    runner = yaml.safe_load(cluster.make_user(RUNNER, ["system:masters"]).read_text())

    def kubeconfig(name: str, change) -> None:
        kc = yaml.safe_load(yaml.safe_dump(runner))
        change(kc)
        (d / name).write_text(yaml.safe_dump(kc))

    kubeconfig("runner.kubeconfig", lambda kc: None)
    (d / "not-yaml.kubeconfig").write_text("clusters: [\n  {name: x\n")
    (d / "empty.kubeconfig").write_text("")
    kubeconfig("bad-base64.kubeconfig", lambda kc: kc["users"][0]["user"].update({"client-certificate-data": "!!!x"}))
    garbage = base64.b64encode(b"not a certificate").decode()
    kubeconfig("bad-cert.kubeconfig", lambda kc: kc["users"][0]["user"].update({"client-certificate-data": garbage}))
    kubeconfig("no-current.kubeconfig", lambda kc: kc.pop("current-context"))
    kubeconfig("bogus-token.kubeconfig", lambda kc: kc["users"][0].update({"user": {"token": "bogus-token-5f3a9c"}}))
    closed = f"https://127.0.0.1:{free_port()}"  # bound and released: nothing listens there
    kubeconfig("closed-port.kubeconfig", lambda kc: kc["clusters"][0]["cluster"].update({"server": closed}))
    other_ca_dir = d / "other-ca"
    other_ca_dir.mkdir()
    other_ca = base64.b64encode(CertificateAuthority.create(other_ca_dir, "not-the-cluster-ca").cert_path.read_bytes())
    kubeconfig("wrong-ca.kubeconfig",
               lambda kc: kc["clusters"][0]["cluster"].update({"certificate-authority-data": other_ca.decode()}))

    # An expired service-account token: same signing key and claims as TokenRequest; a twin that is still valid
    # proves the apiserver accepts the token shape, so the 401 is about the expiry.
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespace({"metadata": {"name": "old-rhdh"}})  # an RHDH namespace without an RHDH of the version
    sa = core.create_namespaced_service_account("default", {"metadata": {"name": "orch-expiry"}})
    valid = _sa_token(cluster, "orch-expiry", sa.metadata.uid, +600)
    expired = _sa_token(cluster, "orch-expiry", sa.metadata.uid, -3600)
    assert _status_with_token(cluster, valid) == 200, "control: a valid token of the same shape must be accepted"
    assert _status_with_token(cluster, expired) == 401
    kubeconfig("expired-token.kubeconfig", lambda kc: kc["users"][0].update({"user": {"token": expired}}))

    (d / "not-yaml.yaml").write_text("version: [1.3\n")
    (d / "taken.tar.gz").write_text("a bundle from an earlier case: never overwritten\n")
    (d / "unknown-key.yaml").write_text("workflowNamespace: wf\nnoSuchKey: 1\n")
    (d / "section-scalar.yaml").write_text("gitops: true\n")
    (d / "wrong-bool.yaml").write_text("gitops:\n  enabled: maybe\n")
    (d / "wrong-str.yaml").write_text("workflowNamespace: 123\n")
    (d / "list.yaml").write_text("- workflowNamespace\n- wf\n")
    (d / "latin1.yaml").write_bytes(b"github:\n  token: \xff\xfe\n")
    (d / "item-timeout.yaml").write_text("timeouts:\n  items:\n    backstage: soon\n")
    greet = Path(__file__).parents[1] / "workflow_projects" / "valid" / "greet"
    shutil.copytree(greet, d / "greet")
    shutil.copytree(greet, d / "broken-project")
    broken = d / "broken-project" / "greet.sw.yaml"
    broken.write_text(broken.read_text().replace("transition: Report", "transition: Reprot"))
    (d / "wf-config.yaml").write_text("repo: https://charts.example.com\n")
    for name, version in (("helm-3.8", "v3.8.2"), ("helm-4", "v4.0.1")):
        fake = d / name  # prints what `helm version --template {{.Version}}` would
        fake.write_text(f"#!/bin/sh\necho {version}\n")
        fake.chmod(0o755)
    (d / "broken.sw.yaml").write_text("id: broken\nversion: '1'\nspecVersion: '0.8'\nstart: Missing\n"
                                      "annotations: [workflow-type/infrastructure]\n"
                                      "states:\n  - name: Only\n    type: inject\n    data: {}\n")
    return cluster, d, closed


def _fill(text: str, d: Path, cluster, closed: str, extra: dict | None = None) -> str:
    text = text.replace("{dir}", str(d)).replace("{server}", cluster.server).replace("{closed}", closed)
    text = text.replace("{helm}", str(cluster.bin_dir / "helm"))
    for key, value in (extra or {}).items():
        text = text.replace("{" + key + "}", value)
    return text


def _run_plain(case: Case, cluster, d: Path, closed: str, extra: dict | None = None) -> tuple[int, str, str]:
    import subprocess

    env = cluster.env(d / case.kubeconfig)
    for key in ("GITHUB_TOKEN", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITLAB_HOST", "GITLAB_TOKEN",
                "ORCH_VERSION", "ORCH_TIMEOUT", "WORKFLOW_NAMESPACE", "SETUP_NOTIFICATIONS_EMAIL",
                "ORCH_WORKFLOW_REPO", "ORCH_HELM"):
        env.pop(key, None)
    env["PATH"] = f"{cluster.bin_dir}{os.pathsep}{env.get('PATH', '')}"  # helm on PATH, as for a user who has it
    env.update({k: _fill(v, d, cluster, closed, extra) for k, v in case.env.items()})
    args = [_fill(a, d, cluster, closed, extra) for a in case.args]
    out = subprocess.run([ORCH, *args], env=env, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout, out.stderr


def _run_prompt(case: Case, cluster, d: Path) -> tuple[int, str]:
    import pexpect

    env = cluster.env(d / case.kubeconfig)
    for key in ("GITHUB_TOKEN", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITLAB_HOST", "GITLAB_TOKEN"):
        env.pop(key, None)
    child = pexpect.spawn(ORCH, list(case.args), env=env, timeout=60, dimensions=(40, 200))
    seen = b""
    try:
        for pattern, send in case.prompt:
            child.expect(pattern)
            seen += child.before + child.after
            child.send(send)
        child.expect(pexpect.EOF)
        seen += child.before
    except pexpect.TIMEOUT:
        child.close(force=True)
        pytest.fail(f"prompt script stalled; output so far: {ANSI.sub(b'', seen + (child.before or b''))[-2000:]!r}")
    child.close()
    return child.exitstatus, ANSI.sub(b"", seen).decode("utf-8", "replace")


@pytest.mark.cluster
@pytest.mark.openshift
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(setup, case: Case):
    cluster, d, closed = setup
    check_case(case, cluster, d, closed)


def check_case(case: Case, cluster, d: Path, closed: str, extra: dict | None = None) -> tuple[str, str]:
    """Run one row and assert it (exit code, the one error line, what reached the API server); stdout, stderr."""
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    expected = _fill(case.error, d, cluster, closed, extra)
    stdout = stderr = ""
    if case.prompt:
        code, output = _run_prompt(case, cluster, d)
        assert code == case.code, output[-2000:]
        assert "Traceback" not in output, output
        errors = [line.strip() for line in output.splitlines() if line.strip().startswith("error:")]
        assert errors == [expected], output[-2000:]
        if case.shown:
            assert case.shown in output, output[-2000:]
    else:
        code, stdout, stderr = _run_plain(case, cluster, d, closed, extra)
        assert code == case.code, stdout + stderr
        assert "Traceback" not in stderr, stderr
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert errors == [expected], stderr
        assert not any(line.startswith("error:") for line in stdout.splitlines()), stdout
    time.sleep(0.3)  # blocking audit mode: events are on disk; a margin for the file write
    mine = [e for e in audit.events(since=mark) if e.user == RUNNER or e.user_agent.startswith("orch/")]
    writes = [str(e) for e in mine if e.is_write and e.resource not in REVIEWS]
    assert writes == [], f"orch wrote for a bad input: {writes}"
    if case.requests == "none":
        assert mine == [], f"orch contacted the API server before rejecting the input: {[str(e) for e in mine]}"
    elif case.requests == "reads":
        assert any(e.verb in ("get", "list") and e.code == 200 for e in mine), [str(e) for e in mine]
    elif case.requests == "rejected":
        assert mine and all(e.code == 401 for e in mine), [str(e) for e in mine]
    return stdout, stderr


@pytest.mark.cluster
@pytest.mark.openshift
def test_audit_attribution_sees_orch_requests(setup):
    """Control for the no-write assertions: the same filter does see orch-runner's requests, including its
    create verbs (pre-flight's SelfSubjectAccessReviews), when orch gets as far as pre-flight."""
    import subprocess

    cluster, d, _ = setup
    audit = AuditLog(cluster.audit_log)
    mark = audit.mark()
    out = subprocess.run([ORCH, "check", "--pre", "-o", "json"], env=cluster.env(d / "runner.kubeconfig"),
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode in (0, 4), out.stderr
    time.sleep(0.3)
    mine = [e for e in audit.events(since=mark) if e.user == RUNNER]
    assert any(e.verb == "get" for e in mine)
    assert any(e.is_write and e.resource in REVIEWS for e in mine), [str(e) for e in mine]


def main() -> None:  # pragma: no cover - regenerates the doc table
    if sys.argv[1:] != ["--write-doc"]:
        sys.stdout.write(render_table())
        return
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{render_table()}{END}{tail}")


if __name__ == "__main__":
    main()
