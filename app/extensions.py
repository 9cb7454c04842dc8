"""Flask extensions, created unbound and bound in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """Turn on foreign keys (off by default), WAL and secure_delete for every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        # Deleted and overwritten content is zeroed, not left in free pages (erasure, Art. 17).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


# Expression indexes that only PostgreSQL has (range indexes); Alembic cannot reflect them, so
# the migrations create them by hand and autogenerate leaves them out of its comparison.
POSTGRESQL_ONLY_INDEXES = frozenset(
    {"ix_events_occupied_range", "ix_events_day_range", "ix_events_search"}
)
# SQLite's full-text table of the portal search and FTS5's shadow tables (see migration 0015).
SQLITE_ONLY_TABLES = ("events_fts",)


def include_object(obj, name, type_, _reflected, _compare_to) -> bool:
    """Tell Alembic's autogenerate which schema objects to compare."""
    if type_ == "table" and name and name.startswith(SQLITE_ONLY_TABLES):
        return False
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
