"""Run waiter items for a step and turn bad outcomes into the right error class."""

from __future__ import annotations

from orchestrator_cli.core.errors import ReadinessTimeout, StepFailed
from orchestrator_cli.health.waiter import WaitItem, as_error_details, summarize_failures, wait_all


def run_waits(ctx, items: list[WaitItem], what: str) -> None:
    outcomes = wait_all(ctx.kube, items, ctx.reporter, ctx.stop)
    failed, timed_out = summarize_failures(outcomes)
    if failed:
        names = ", ".join(o.item.id for o in failed + timed_out)
        raise StepFailed(f"{what}: {names} failed", details=as_error_details(failed + timed_out))
    if timed_out:
        names = ", ".join(o.item.id for o in timed_out)
        raise ReadinessTimeout(f"{what}: {names} not ready in time", details=as_error_details(timed_out))
