"""The privacy notice: the edited text or the German default, and its safe rendering.

The text is plain text with a small subset of markdown: blank lines separate paragraphs, a line
starting with "## " is a heading, lines starting with "- " form a list. Nothing else is
interpreted; the template escapes every piece, so HTML in the text is shown, never run.
"""

from collections.abc import Mapping
from datetime import datetime

from app.audit import record
from app.extensions import db
from app.privacy.models import PrivacyNotice

NOTICE_ID = 1
MAX_LENGTH = 20_000

DEFAULT_TEXT = """\
## Wozu wir Ihre Daten verarbeiten
Die Stadtverwaltung lädt mit dem Stadtkalender zu ihren Veranstaltungen ein. Dafür verarbeiten \
wir Ihren Namen, Ihre E-Mail-Adresse, gegebenenfalls Anrede, Titel, Organisation, Funktion und \
Telefonnummer, Ihre Einladungen und Ihre Antworten darauf.

## Rechtsgrundlage
Art. 6 Abs. 1 Buchst. e DSGVO in Verbindung mit dem Landesrecht (Wahrnehmung einer Aufgabe im \
öffentlichen Interesse). Angaben zu Ernährung und Barrierefreiheit machen Sie freiwillig; wir \
verwenden sie nur für die jeweilige Veranstaltung.

## Wie lange wir Ihre Daten speichern
- Bemerkungen und Angaben zu Ernährung und Barrierefreiheit: bis {rsvp_days} Tage nach der \
Veranstaltung
- Antworten auf Einladungen: {answers_months} Monate nach der Veranstaltung, danach nur noch als \
Anzahl ohne Bezug zu Ihrer Person
- Inhalte versandter E-Mails: {mail_days} Tage nach dem Versand
- Ihr Eintrag im Adressbuch: bis {contacts_months} Monate nach der letzten Einladung oder \
Änderung
- Protokolleinträge über Zugriffe und Änderungen: {audit_months} Monate
- Interne Benachrichtigungen an Mitarbeitende, die Sie nennen: {notifications_days} Tage

## Ihre Rechte
Sie haben das Recht auf Auskunft (Art. 15 DSGVO), Berichtigung (Art. 16), Löschung (Art. 17), \
Einschränkung der Verarbeitung (Art. 18) und Widerspruch (Art. 21). Über den Link „Keine \
weiteren Einladungen“ in jeder Einladung bestellen Sie weitere Einladungen ab. Sie können sich \
bei der Datenschutz-Aufsichtsbehörde Ihres Landes beschweren (Art. 77 DSGVO).
"""


def default_text(config: Mapping) -> str:
    """Return the German default notice with the configured retention periods."""
    return DEFAULT_TEXT.format(
        rsvp_days=config["RETENTION_RSVP_TEXT_DAYS"],
        answers_months=config["RETENTION_ANSWERS_MONTHS"],
        mail_days=config["RETENTION_MAIL_BODY_DAYS"],
        contacts_months=config["RETENTION_CONTACTS_MONTHS"],
        audit_months=config["RETENTION_AUDIT_MONTHS"],
        notifications_days=config["RETENTION_NOTIFICATIONS_DAYS"],
    )


def stored_notice() -> PrivacyNotice | None:
    """Return the edited notice, or None while nobody has edited it."""
    return db.session.get(PrivacyNotice, NOTICE_ID)


def current_text(config: Mapping) -> str:
    """Return the text to show: the edited one, or the default."""
    notice = stored_notice()
    return notice.body if notice is not None else default_text(config)


def save_text(body: str, *, user_id: int | None, now: datetime) -> PrivacyNotice:
    """Store the edited text (flushes; the request commits) and record the change."""
    body = body.replace("\r\n", "\n").strip()
    notice = stored_notice()
    before = notice.body if notice is not None else None
    if notice is None:
        notice = PrivacyNotice(id=NOTICE_ID, body=body, updated_at=now)
        db.session.add(notice)
    notice.body, notice.updated_at, notice.updated_by_id = body, now, user_id
    db.session.flush()
    record(
        "privacy_notice.changed",
        "privacy_notice",
        NOTICE_ID,
        {"length": [len(before) if before is not None else None, len(body)]},
    )
    return notice


def blocks(body: str) -> list[tuple[str, object]]:
    """Split the text into ("heading", str), ("paragraph", [lines]) and ("list", [items])."""
    result: list[tuple[str, object]] = []
    open_kind, lines = "", []
    for raw in [*body.replace("\r\n", "\n").split("\n"), ""]:
        line = raw.strip()
        kind = "heading" if line.startswith("## ") else "list" if line.startswith("- ") else "p"
        kind = "paragraph" if kind == "p" and line else kind if line else ""
        if open_kind and (kind != open_kind or kind == "heading"):
            result.append((open_kind, lines[0] if open_kind == "heading" else lines))
            open_kind, lines = "", []
        if kind:
            open_kind = kind
            lines.append(
                line[3:].strip()
                if kind == "heading"
                else line[2:].strip()
                if kind == "list"
                else line
            )
    return result
