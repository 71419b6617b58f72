"""`orch workflow lint` on a project of 20 workflows: the CLI end to end (start-up included) and the
library call alone. Offline; `make bench-lint` (also run by `make bench`).

The project is generated from the authored test projects (tests/workflow_projects/valid): 20
workflow directories, each with application.properties, an input and an output schema, an OpenAPI
spec and a definition grown to 40 states (switches, operations with jq arguments and filters,
injects), half of them assessments naming the others in their workflowOptions.
Writes bench/results/lint.json and bench/results/lint.md.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VALID = REPO / "tests" / "workflow_projects" / "valid"
ORCH = str(Path(sys.executable).parent / "orch")
OUT = REPO / "bench" / "results"
N_WORKFLOWS = 20
EXTRA_STATES = 36
RUNS = int(os.environ.get("BENCH_LINT_RUNS", "11"))


def _grow(definition: str, n: int) -> str:
    """Inserts a chain of n states between the definition's last operation and its report."""
    chain = []
    for i in range(n):
        nxt = f"Step{i + 1}" if i + 1 < n else "Report"
        if i % 3 == 0:
            chain.append(f"  - name: Step{i}\n    type: switch\n    dataConditions:\n"
                         f"      - condition: '${{ (.count // 0) > {i} and (.user | length) > 0 }}'\n"
                         f"        transition: {nxt}\n    defaultCondition:\n      transition: {nxt}\n")
        elif i % 3 == 1:
            chain.append(f"  - name: Step{i}\n    type: operation\n    actions:\n      - name: log{i}\n"
                         f"        functionRef:\n          refName: log\n          arguments:\n"
                         f"            message: '${{ \"step {i} for \\(.user): \" + ([.items[]? | select(.n > {i})] "
                         f"| length | tostring) }}'\n        actionDataFilter:\n          toStateData: .step{i}\n"
                         f"    transition: {nxt}\n")
        else:
            chain.append(f"  - name: Step{i}\n    type: inject\n    data:\n      step{i}: done\n"
                         f"    stateDataFilter:\n      output: '${{ . + {{count: ((.count // 0) + 1)}} }}'\n"
                         f"    transition: {nxt}\n")
    return definition.replace("    transition: Report\n", "    transition: Step0\n", 1).replace(
        "  - name: Report\n", "".join(chain) + "  - name: Report\n", 1)


def make_project(root: Path) -> Path:
    project = root / "workflows"
    greet = (VALID / "greet" / "greet.sw.yaml").read_text()
    choose = (VALID / "choose-path" / "choose-path.sw.yaml").read_text()
    for n in range(N_WORKFLOWS):
        if n % 2 == 0:
            wid, src, text = f"greet-{n:02d}", VALID / "greet", _grow(greet.replace("id: greet", f"id: greet-{n:02d}"),
                                                                      EXTRA_STATES)
        else:
            wid, src = f"choose-{n:02d}", VALID / "choose-path"
            text = choose.replace("id: choose-path", f"id: choose-{n:02d}").replace("id: greet", f"id: greet-{n - 1:02d}")
        shutil.copytree(src, project / wid)
        for old in (project / wid).glob("*.sw.yaml"):
            old.unlink()
        (project / wid / f"{wid}.sw.yaml").write_text(text)
    return project


def main() -> None:
    from orchestrator_cli.workflows.lint import jq, lint

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp))
        files = [p for p in project.rglob("*") if p.is_file()]
        lines = sum(p.read_text().count("\n") for p in files)
        report = lint(project)
        assert len(report.definitions) == N_WORKFLOWS, report.definitions
        assert not report.findings, [f.line_text() for f in report.findings[:5]]
        cli, lib, startup = [], [], []
        for _ in range(RUNS):  # interleaved, so load changes hit all three alike
            t = time.perf_counter()
            out = subprocess.run([ORCH, "workflow", "lint", str(project)], capture_output=True, text=True)
            cli.append(time.perf_counter() - t)
            assert out.returncode == 0, out.stderr
            t = time.perf_counter()
            subprocess.run([ORCH, "--version"], capture_output=True, check=True)
            startup.append(time.perf_counter() - t)
            jq.check.cache_clear()  # each run parses every expression again, like a fresh process
            t = time.perf_counter()
            lint(project)
            lib.append(time.perf_counter() - t)
    result = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
              "load_avg_at_start": os.getloadavg()[0], "workflows": N_WORKFLOWS,
              "states_per_assessment": 3, "states_per_infrastructure": 6 + EXTRA_STATES,
              "files": len(files), "lines": lines, "runs": RUNS,
              "cli_median_s": statistics.median(cli), "cli_max_s": max(cli),
              "orch_version_median_s": statistics.median(startup),
              "library_median_s": statistics.median(lib), "library_max_s": max(lib)}
    (OUT / "lint.json").write_text(json.dumps(result, indent=1))
    md = render(result)
    (OUT / "lint.md").write_text(md)
    print(md)


def render(r: dict) -> str:
    return "\n".join([
        f"Run {r['date']}, {r['cpus']} cores, load average at start {r['load_avg_at_start']:.1f}; "
        f"{r['workflows']} workflows ({r['files']} files, {r['lines']} lines), median of {r['runs']} runs.", "",
        "| figure | median | slowest run |", "|---|---|---|",
        f"| `orch workflow lint DIR` (end to end, start-up included) | {r['cli_median_s']:.3f} s | {r['cli_max_s']:.3f} s |",
        f"| `orch --version` (the start-up alone, for comparison) | {r['orch_version_median_s']:.3f} s | |",
        f"| `lint(DIR)` in-process (parse, all rules, schemas) | {r['library_median_s']:.3f} s | {r['library_max_s']:.3f} s |",
    ]) + "\n"


if __name__ == "__main__":
    main()
