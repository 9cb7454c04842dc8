"""The ``privacy`` command group: ``privacy purge [--dry-run]`` (run daily from a timer)."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.privacy.retention import ClassResult, run

privacy_cli = AppGroup("privacy", help="Data protection: retention.")


def _moment(value: str | None) -> datetime:
    """Return the given ISO 8601 moment (UTC when it has no offset), or now."""
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is due; change nothing.")
@click.option("--now", "now_text", default=None, help="Act as of this ISO 8601 moment (tests).")
@click.option(
    "--batch-size", default=None, type=click.IntRange(1), help="Default: RETENTION_BATCH_SIZE."
)
def purge_command(dry_run: bool, now_text: str | None, batch_size: int | None) -> None:
    """Delete personal data whose retention period has passed, per data class, in batches."""
    verb = "due" if dry_run else "purged"

    def echo(result: ClassResult) -> None:
        """Print one class's line."""
        if dry_run or result.deletes:
            count = result.due if dry_run else result.purged
            click.echo(f"{result.name:<12} {count:>9} {verb}  ({result.period})")
        else:
            click.echo(f"{result.name:<12} {result.due:>9} listed for review  ({result.period})")

    report = run(
        now=_moment(now_text),
        config=current_app.config,
        dry_run=dry_run,
        batch_size=batch_size,
        echo=echo,
    )
    if dry_run:
        click.echo("dry run: nothing was changed")
    else:
        click.echo(
            f"longest batch on invitations: {report.longest_batch('invitations') * 1000:.0f} ms"
        )
