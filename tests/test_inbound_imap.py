"""`mail fetch` against a real IMAP server: Debian's Dovecot, run from the test on a free port."""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.inbound.imap import MailboxError, parse_url
from app.inbound.models import InboundMessage, State
from app.invitations.models import Answer, Invitation
from tests.test_inbound import Guest

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "rsvp", "geheim"

pytestmark = pytest.mark.skipif(
    not DOVECOT.exists(), reason="Dovecot is missing: apt-get install dovecot-imapd (.ci/run does)"
)


def _free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mail_owner() -> tuple[int, int]:
    """Return the uid and gid the mail files belong to: ours, or Dovecot's when we are root."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam("dovecot")  # Dovecot refuses uid 0 for mail access
    return entry.pw_uid, entry.pw_gid


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot():
    """Run Dovecot (IMAP only, plain text on 127.0.0.1) with one user; yield its port."""
    root = Path(tempfile.mkdtemp(prefix="sk-dovecot-"))  # not tmp_path: the mail user reads it
    root.chmod(0o755)
    uid, gid = _mail_owner()
    (root / "home").mkdir()
    os.chown(root / "home", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, uid=uid, gid=gid, port=port))
    subprocess.run([str(DOVECOT), "-c", str(config)], check=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        subprocess.run([str(DOVECOT), "-c", str(config), "stop"], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _client(port: int) -> imaplib.IMAP4:
    """Return a logged-in IMAP client."""
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    return client


def _deliver(port: int, *messages: bytes) -> None:
    """Put messages into the INBOX as the city's mail server would."""
    client = _client(port)
    for raw in messages:
        assert client.append("INBOX", None, None, raw)[0] == "OK"
    client.logout()


def _count(port: int, folder: str) -> int:
    """Return how many messages a folder holds."""
    client = _client(port)
    status, data = client.select(f'"{folder}"', readonly=True)
    client.logout()
    return int(data[0]) if status == "OK" else -1


@pytest.fixture
def fetching(app, dovecot):
    """Point INBOUND_IMAP_URL at the Dovecot INBOX."""
    app.config["INBOUND_IMAP_URL"] = f"imap://{USER}:{PASSWORD}@127.0.0.1:{dovecot}/INBOX"
    return dovecot


def test_fetch_stores_processes_and_moves_to_a_folder_it_creates(app, runner, fetching):
    guest = Guest()
    _deliver(fetching, guest.mail("outlook_accept_de.eml"), guest.mail("human_reply.eml"))
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 0, result.output
    assert "fetched 2 · already known 0 · moved 2 · refused 0 · processed 2" in result.output
    assert _count(fetching, "INBOX") == 0
    assert _count(fetching, "Stadtkalender/Erledigt") == 2
    db.session.expire_all()
    invitation = db.session.get(Invitation, guest.invitation.id)
    assert (invitation.status, invitation.response_source) == (Answer.ACCEPTED, "mail")
    states = db.session.scalars(select(InboundMessage.state).order_by(InboundMessage.id)).all()
    assert states == [State.APPLIED, State.REVIEW]


def test_fetch_is_idempotent_by_message_id(app, runner, fetching):
    guest = Guest()
    raw = guest.mail("gmail_accept.eml")
    _deliver(fetching, raw)
    assert runner.invoke(args=["mail", "fetch"]).exit_code == 0
    _deliver(fetching, raw)  # the same mail again (a crash before the move, a second copy)
    result = runner.invoke(args=["mail", "fetch"])
    assert "fetched 0 · already known 1 · moved 1" in result.output
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1
    assert _count(fetching, "INBOX") == 0
    assert _count(fetching, "Stadtkalender/Erledigt") == 2


def test_fetch_leaves_a_too_large_message_in_the_inbox(app, runner, fetching):
    guest = Guest()
    app.config["INBOUND_MAX_BYTES"] = 1000
    _deliver(fetching, guest.mail("outlook_accept_de.eml"))
    result = runner.invoke(args=["mail", "fetch"])
    assert "refused 1" in result.output
    assert _count(fetching, "INBOX") == 1
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


def test_fetch_names_a_wrong_password_and_a_wrong_url(app, runner, fetching):
    app.config["INBOUND_IMAP_URL"] = f"imap://{USER}:falsch@127.0.0.1:{fetching}/INBOX"
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 1 and "IMAP login failed" in result.output
    app.config["INBOUND_IMAP_URL"] = f"imaps://{USER}:{PASSWORD}@127.0.0.1:{fetching}/INBOX"
    result = runner.invoke(args=["mail", "fetch"])  # TLS to a plain-text port: refused, named
    assert result.exit_code == 1 and "cannot connect to 127.0.0.1" in result.output
    with pytest.raises(MailboxError):
        parse_url("https://example.org/INBOX")
    assert parse_url("imaps://a%40b:p%2Fw@mail.example:1993").folder == "INBOX"
    assert parse_url("imaps://a%40b:p%2Fw@mail.example:1993").user == "a@b"
