"""Command-line administration: departments, users, API tokens."""

from app.accounts.models import ApiToken, Role, User, hash_token
from app.departments.models import Department
from app.extensions import db


def test_create_department_and_users(runner):
    result = runner.invoke(args=["departments", "create", "kultur", "Kulturbüro"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(Department).filter_by(code="kultur")).name == "Kulturbüro"
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Anna.Berg@Stadt.Example",
            "--name",
            "Anna Berg",
            "--role",
            "staff",
            "--department",
            "kultur",
            "--password",
            "ein-langes-passwort",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="anna.berg@stadt.example"))
    assert user.role == Role.STAFF and user.department.code == "kultur"
    assert user.check_password("ein-langes-passwort")


def test_user_errors_name_the_field_and_exit_2(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "kaputt",
            "--name",
            "X",
            "--role",
            "staff",
            "--password",
            "kurz",
        ]
    )
    assert result.exit_code == 2
    assert "email:" in result.output and "password:" in result.output
    assert "department:" in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0
    assert runner.invoke(args=["departments", "create", "a", "A"]).exit_code == 0
    assert runner.invoke(args=["departments", "create", "a", "B"]).exit_code == 2


def test_token_is_printed_once_and_stored_hashed(runner):
    runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "komm@stadt.example",
            "--name",
            "Komm",
            "--role",
            "comms",
            "--password",
            "ein-langes-passwort",
        ]
    )
    result = runner.invoke(args=["users", "token", "komm@stadt.example"])
    assert result.exit_code == 0
    plain = result.output.strip()
    row = db.session.scalars(db.select(ApiToken)).one()
    assert row.token_hash == hash_token(plain) and plain not in row.token_hash
    assert len(plain) >= 40
    assert runner.invoke(args=["users", "token", "nobody@stadt.example"]).exit_code == 2


def test_revoked_tokens_no_longer_open_the_api(runner, client):
    runner.invoke(
        args=["users", "create", "--email", "k@stadt.example", "--name", "K", "--role", "comms"]
        + ["--password", "ein-langes-passwort"]
    )
    plain = runner.invoke(args=["users", "token", "k@stadt.example"]).output.strip()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    result = runner.invoke(args=["users", "revoke-tokens", "K@Stadt.example"])
    assert result.exit_code == 0 and "Revoked 1" in result.output
    assert client.get("/api/v1/departments", headers=headers).status_code == 401
    assert runner.invoke(args=["users", "revoke-tokens", "x@y.example"]).exit_code != 0
