"""Thin command-line commands: call domain code, commit, print."""

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select, update

from app.accounts.models import ApiToken, Role, User
from app.audit import record
from app.departments.models import CODE_RE, Department, find_department, normalise_code
from app.departments.staff import create_user
from app.errors import ValidationError
from app.extensions import db

departments_cli = AppGroup("departments", help="Manage departments.")
users_cli = AppGroup("users", help="Manage staff accounts and API tokens.")


def _fail(error: ValidationError) -> None:
    """Print validation messages and exit with status 2."""
    for field_name, messages in error.errors.items():
        for message in messages:
            click.echo(f"{field_name}: {message}", err=True)
    raise SystemExit(2)


@departments_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--email", default="", help="The department's human mailbox.")
def create_department(code: str, name: str, email: str) -> None:
    """Create a department with a short code and a name."""
    code = normalise_code(code)
    if not CODE_RE.fullmatch(code):
        _fail(ValidationError.single("code", "use lower-case letters, digits and - (at most 32)"))
    if find_department(code) is not None:
        _fail(ValidationError.single("code", f"department {code!r} exists already"))
    db.session.add(Department(code=code, name=name.strip(), email=email.strip()))
    db.session.commit()
    click.echo(f"Created department {code}: {name}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--department", "department_code", default=None, help="Department code (staff).")
@click.option("--password", required=True, help="At least 12 characters.")
def create_user_command(email, name, role, department_code, password) -> None:
    """Create a staff, comms, admin or privacy (Datenschutz) account."""
    try:
        user = create_user(
            email=email,
            name=name,
            role=Role(role),
            department_code=department_code,
            password=password,
            now=datetime.now(UTC),
        )
    except ValidationError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created {user.role.value} user {user.email}")


def _user(email: str) -> User:
    """Return the user with an address, or stop the command naming it."""
    user = db.session.scalar(select(User).filter_by(email=email.strip().lower()))
    if user is None:
        _fail(ValidationError.single("email", f"no user with email {email}"))
    return user


@users_cli.command("token")
@click.argument("email")
def issue_token(email: str) -> None:
    """Print a new API token for the user; only its hash is stored."""
    user = _user(email)
    token, plain = ApiToken.issue(user, datetime.now(UTC))
    db.session.add(token)
    db.session.flush()
    record("token.issued", "user", user.id, {"token": [None, token.id]})
    db.session.commit()
    click.echo(plain)


@users_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email: str) -> None:
    """Revoke every API token of the user (for a lost or leaked token)."""
    user = _user(email)
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    ).rowcount
    record("token.revoked", "user", user.id, {"tokens": revoked})
    db.session.commit()
    click.echo(f"Revoked {revoked} API token(s) of {user.email}")


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    from app.conflicts.cli import conflicts_cli
    from app.demo import demo_cli
    from app.invitations.cli import invitations_cli
    from app.mail.cli import mail_cli

    app.cli.add_command(departments_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(invitations_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(conflicts_cli)
