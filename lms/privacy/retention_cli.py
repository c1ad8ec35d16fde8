"""`lms retention plan` (the dry run: what would be deleted, per record class) and
`lms retention apply` (delete it)."""

from __future__ import annotations

import click
from flask import current_app

from lms.core.db import db
from lms.core.time import utcnow
from lms.privacy.retention import (
    RetentionPlan,
    RetentionRules,
    apply_retention,
    plan_retention,
)

_HEADER = ("class", "kept (days)", "deletes through", "table", "rows", "oldest", "newest")


@click.group("retention")
def retention_group() -> None:
    """How long records are kept, and deleting what is past it."""


@retention_group.command("plan")
def plan_command() -> None:
    """Show what retention would delete now, per record class (writes nothing)."""
    with db.transaction() as session:
        plan = plan_retention(session, _rules(), utcnow())
        session.rollback()  # a dry run: nothing to commit, and nothing may be
    click.echo(format_plan(plan))


@retention_group.command("apply")
@click.option("--yes", is_flag=True, help="Delete without asking.")
def apply_command(yes: bool) -> None:
    """Delete what is past its retention (shows the plan and asks first, unless --yes)."""
    with db.transaction() as session:
        plan = plan_retention(session, _rules(), utcnow())
        click.echo(format_plan(plan))
        if sum(class_plan.count for class_plan in plan.classes) == 0:
            click.echo("nothing to delete")
            return
        if not yes:
            click.confirm("Delete these rows?", abort=True)
        deleted = apply_retention(session, plan)
    click.echo("deleted: " + ", ".join(f"{key}={value}" for key, value in deleted.items()))


def _rules() -> RetentionRules:
    return RetentionRules.from_settings(current_app.config["LMS"])


def format_plan(plan: RetentionPlan) -> str:
    """The dry-run report: one line per table of each class, aligned columns."""
    rows: list[tuple[str, ...]] = [_HEADER]
    for class_plan in plan.classes:
        days = str(class_plan.days) if class_plan.last_deleted_day else "forever"
        through = str(class_plan.last_deleted_day or "–")
        if not class_plan.tables:
            rows.append((class_plan.record_class, days, through, "–", "0", "–", "–"))
        for doomed in class_plan.tables:
            rows.append(
                (
                    class_plan.record_class,
                    days,
                    through,
                    doomed.table,
                    str(doomed.count),
                    str(doomed.oldest or "–"),
                    str(doomed.newest or "–"),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)
