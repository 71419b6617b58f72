"""Run steps in order: plan, (lock), apply, verify; stop at the first failure."""

from __future__ import annotations

from orchestrator_cli.core.errors import OrchError
from orchestrator_cli.install.steps.base import Step, StepContext


def run_pipeline(steps: list[Step], ctx: StepContext, *, lock=None, collect_manifests: list | None = None) -> None:
    for step in steps:
        ctx.reporter.step_started(step.id, step.title)
        try:
            changes = step.plan(ctx)
            if not ctx.dry_run and any(c.writes for c in changes) and lock is not None and not lock.held:
                lock.acquire()
                changes = step.plan(ctx)  # re-plan under the lock: another run may have written meanwhile
            ctx.changes.extend(changes)
            if collect_manifests is not None:
                collect_manifests.extend(c.desired for c in changes if c.desired is not None)
            for change in changes:
                if ctx.dry_run or not change.writes:
                    ctx.reporter.change(step.id, change, False)
            if ctx.dry_run:
                ctx.reporter.step_finished(step.id, True)
                continue
            step.apply(ctx, changes)
            step.verify(ctx)
        except OrchError:
            ctx.reporter.step_finished(step.id, False, f"{step.title} failed")
            raise
        ctx.reporter.step_finished(step.id, True)
