"""Configuration read from environment variables."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - marker value that production refuses
# The only accepted values of STADTKALENDER_ENV; anything else refuses to start (no fallback).
ENV_NAMES = ("development", "test", "production")


def _bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    """Return DATABASE_URL, or a SQLite file in instance/ by default."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'stadtkalender.sqlite'}"
    # Hosting platforms often hand out postgres:// URLs; we talk psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings for development and production, from the environment."""

    ENV_NAME = os.environ.get("STADTKALENDER_ENV", "")  # required: no silent default
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Berlin")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "stadtkalender.example")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", f"Stadtkalender <noreply@{MAIL_DOMAIN}>"
    )
    # Envelope sender bounce+<outbox id>-<signature>@MAIL_DOMAIN per mail (route bounce+* to the
    # inbound server like rsvp+*); off: bounces go to MAIL_DEFAULT_SENDER.
    MAIL_BOUNCE_VERP = _bool("MAIL_BOUNCE_VERP")
    # Where security researchers report vulnerabilities (/.well-known/security.txt, RFC 9116).
    SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", f"mailto:security@{MAIL_DOMAIN}")

    # Conflicts: how an audience clash (published events for one audience on one day) counts:
    # "info", "warning" or "off"; and audience codes that never clash (comma-separated).
    CONFLICT_AUDIENCE_SEVERITY = os.environ.get("CONFLICT_AUDIENCE_SEVERITY", "info")
    CONFLICT_AUDIENCE_IGNORE = os.environ.get("CONFLICT_AUDIENCE_IGNORE", "")
    # Blocked ranges may be imported from a URL; addresses in the own network only when set.
    IMPORT_ALLOW_PRIVATE_ADDRESSES = _bool("IMPORT_ALLOW_PRIVATE_ADDRESSES")

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("de", "en")
    WTF_CSRF_TIME_LIMIT = None  # tie CSRF tokens to the session, not to a clock
    WTF_I18N_ENABLED = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Guests' answers (POST /rsvp/<token>, also the opt-out): per link, and per client address.
    RSVP_RATE_LIMIT = os.environ.get("RSVP_RATE_LIMIT", "10 per minute;50 per day")
    RSVP_ADDRESS_RATE_LIMIT = os.environ.get("RSVP_ADDRESS_RATE_LIMIT", "30 per minute;500 per day")
    # Seconds a delivery worker's claim on a batch lasts without a heartbeat (`mail deliver`
    # extends it while it sends); a crashed worker's batch goes out again after this time.
    MAIL_CLAIM_TIMEOUT = int(os.environ.get("MAIL_CLAIM_TIMEOUT", "120"))

    # Inbound mail (replies to rsvp+<token>@MAIL_DOMAIN): the largest message accepted (552
    # beyond it), and the days a processed message's bytes are kept (`mail purge-inbound`).
    INBOUND_MAX_BYTES = int(os.environ.get("INBOUND_MAX_BYTES", str(2 * 1024 * 1024)))
    INBOUND_RETENTION_DAYS = int(os.environ.get("INBOUND_RETENTION_DAYS", "30"))
    # Key of the suppression list's HMAC (erased addresses); empty: derived from SECRET_KEY.
    # Changing it (or SECRET_KEY while it is empty) makes every existing suppression unmatched.
    SUPPRESSION_KEY = os.environ.get("SUPPRESSION_KEY", "")

    # Retention per data class (`flask privacy purge`, daily; the dry run is /privacy/retention):
    # RSVP comments and needs after the event ends, answers of past events reduced to counts,
    # sent mail bodies after delivery (headers kept), contacts with no invitation and no change
    # (deleted, or listed for review), audit entries, notifications. Batches of
    # RETENTION_BATCH_SIZE rows, one short transaction each.
    RETENTION_RSVP_TEXT_DAYS = int(os.environ.get("RETENTION_RSVP_TEXT_DAYS", "30"))
    RETENTION_ANSWERS_MONTHS = int(os.environ.get("RETENTION_ANSWERS_MONTHS", "24"))
    RETENTION_MAIL_BODY_DAYS = int(os.environ.get("RETENTION_MAIL_BODY_DAYS", "30"))
    RETENTION_CONTACTS_MONTHS = int(os.environ.get("RETENTION_CONTACTS_MONTHS", "36"))
    RETENTION_CONTACTS_MODE = os.environ.get("RETENTION_CONTACTS_MODE", "delete")
    RETENTION_AUDIT_MONTHS = int(os.environ.get("RETENTION_AUDIT_MONTHS", "24"))
    RETENTION_NOTIFICATIONS_DAYS = int(os.environ.get("RETENTION_NOTIFICATIONS_DAYS", "180"))
    RETENTION_BATCH_SIZE = int(os.environ.get("RETENTION_BATCH_SIZE", "2000"))
    # The privacy notice (/datenschutz): who is responsible, and the data protection officer.
    PRIVACY_CONTROLLER_NAME = os.environ.get("PRIVACY_CONTROLLER_NAME", "Stadtverwaltung")
    PRIVACY_CONTROLLER_CONTACT = os.environ.get(
        "PRIVACY_CONTROLLER_CONTACT", f"poststelle@{MAIL_DOMAIN}"
    )
    PRIVACY_OFFICER_CONTACT = os.environ.get(
        "PRIVACY_OFFICER_CONTACT", f"datenschutz@{MAIL_DOMAIN}"
    )

    # The inbound server processes once no mail arrived for this many seconds (30 s at most).
    INBOUND_PROCESS_DELAY = float(os.environ.get("INBOUND_PROCESS_DELAY", "0.5"))
    # `mail fetch`: the mailbox (imaps://user:pass@host[:port]/INBOX) and where handled mail goes.
    INBOUND_IMAP_URL = os.environ.get("INBOUND_IMAP_URL", "")
    INBOUND_IMAP_DONE_FOLDER = os.environ.get("INBOUND_IMAP_DONE_FOLDER", "Stadtkalender/Erledigt")
    # Development only: where the /dev/mail reply buttons send (the server `make run` starts).
    INBOUND_DEV_SMTP = os.environ.get("INBOUND_DEV_SMTP", "127.0.0.1:2525")
    # Guest fatigue: warn when a guest would get more than GUEST_FATIGUE_MAX city invitations
    # from other departments to events starting within GUEST_FATIGUE_DAYS of the event.
    GUEST_FATIGUE_MAX = int(os.environ.get("GUEST_FATIGUE_MAX", "3"))
    GUEST_FATIGUE_DAYS = int(os.environ.get("GUEST_FATIGUE_DAYS", "14"))

    API_MAX_PAGE_SIZE = 5000
    FEED_PAST_DAYS = int(os.environ.get("FEED_PAST_DAYS", "365"))
    # Licence of /opendata/events.csv and .json (dl-de/by-2-0, dl-de/zero-2-0, cc-by-4.0, cc0-1.0).
    OPEN_DATA_LICENSE = os.environ.get("OPEN_DATA_LICENSE", "dl-de/by-2-0")
    # Who may frame the portal's widget (/widget): a CSP frame-ancestors source list.
    WIDGET_FRAME_ANCESTORS = os.environ.get("WIDGET_FRAME_ANCESTORS", "*")
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # Larger request bodies are refused with 413 before they are parsed; the contact and
    # calendar imports accept files up to IMPORT_MAX_CONTENT_LENGTH.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
    IMPORT_MAX_CONTENT_LENGTH = int(
        os.environ.get("IMPORT_MAX_CONTENT_LENGTH", str(10 * 1024 * 1024))
    )


class TestConfig(Config):
    """Settings for the test suite; the database URL is set by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False  # the rate-limit test turns it on
    BASE_URL = "http://stadtkalender.test"
    IMPORT_ALLOW_PRIVATE_ADDRESSES = True  # the import tests serve calendars from 127.0.0.1
    MAIL_DOMAIN = "stadt.test"
    MAIL_DEFAULT_SENDER = "Stadtkalender <noreply@stadt.test>"
