"""Command-line imports of blocked ranges and school holidays: call the importer, commit, print."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.conflicts import holiday_imports, imports
from app.conflicts.models import Severity
from app.errors import ValidationError
from app.extensions import db
from app.vocabularies.models import District

conflicts_cli = AppGroup("conflicts", help="Import blocked ranges and school holidays.")


def _fail(error: ValidationError) -> None:
    """Print validation messages and exit with status 2."""
    for field_name, messages in error.errors.items():
        for message in messages:
            click.echo(f"{field_name}: {message}", err=True)
    raise SystemExit(2)


def _read(source: str, field: str) -> bytes:
    """Return the bytes of a local file or, for an address with a scheme, of the download."""
    if "://" in source:
        return imports.fetch_ics(source)
    path = Path(source)
    if not path.is_file():
        raise ValidationError.single(field, f"no such file: {source}")
    with path.open("rb") as handle:
        return handle.read(imports.MAX_BYTES + 1)


def _print(result: imports.ImportResult) -> None:
    """Print the counts and the messages about single items."""
    click.echo(
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
        f"deleted {result.deleted}, skipped {result.skipped}"
    )
    for message in result.errors:
        click.echo(f"error: {message}", err=True)
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)


@conflicts_cli.command("import-blocked")
@click.argument("source")
@click.option(
    "--district", "district_code", default=None, help="District code; without it the whole city."
)
@click.option(
    "--severity",
    type=click.Choice([Severity.WARNING.value, Severity.INFO.value]),
    default="warning",
    show_default=True,
)
def import_blocked(source: str, district_code: str | None, severity: str) -> None:
    """Import blocked ranges from an .ics file or http(s) address; importing again updates."""
    try:
        district = None
        if district_code:
            district = db.session.scalar(select(District).filter_by(code=district_code.strip()))
            if district is None:
                raise ValidationError.single("district", f"no district with code {district_code}")
        result = imports.import_blocked_ics(
            _read(source, "file"),
            source=source,
            district=district,
            severity=Severity(severity),
            actor=None,
            now=datetime.now(UTC),
            tz=current_app.config["TIMEZONE"],
        )
    except ValidationError as error:
        _fail(error)
    db.session.commit()
    _print(result)


@conflicts_cli.command("import-school-holidays")
@click.argument("file")
@click.option("--region", default="NW", show_default=True, help="Federal state code.")
def import_school_holidays(file: str, region: str) -> None:
    """Import school holidays from .ics or CSV (Name;Beginn;Ende); a wrong row changes nothing."""
    try:
        result = holiday_imports.import_school_holidays(_read(file, "file"), region=region)
    except ValidationError as error:
        _fail(error)
    db.session.commit()
    _print(result)
