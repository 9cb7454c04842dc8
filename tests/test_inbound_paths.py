"""The inbound server reads plain MAIL/RCPT paths itself: exactly as aiosmtpd's parser does."""

import itertools

import pytest
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from app.inbound.server import InboundLMTP, InboundSMTP

LOCAL_PARTS = ["a", "a.b", "x+y", "!#$%&'*+/=?^_`{|}~-", "A1", "..", ".a", "a.", '"q u"', "ä"]
DOMAINS = ["b", "b.c", "b-c.d", "b.", "-b", "[1.2.3.4]", "b..c", "stadt.example"]
AFTER = ["", " ", "\t", " SIZE=1", "  SIZE=1  BODY=7BIT  ", " X", " (c)", ' "q"', " A=B\\C", "X"]
OTHERS = ["", "<>", "<@x,@y:a@b>", "a@b", "<a@b", "< a@b >", "<a@b>(c)", "<" + "x" * 70 + "@b>"]


def _arguments() -> list[str]:
    """Return MAIL/RCPT arguments: plain ones, and every kind the quick reading leaves alone."""
    shapes = itertools.product(["", " ", "\t"], LOCAL_PARTS, DOMAINS, AFTER)
    return OTHERS + [f"{before}<{local}@{host}>{after}" for before, local, host, after in shapes]


class _Handler:
    """A handler without hooks: only the protocol objects are needed."""


@pytest.mark.parametrize(("ours", "theirs"), [(InboundSMTP, SMTP), (InboundLMTP, LMTP)])
def test_plain_paths_are_read_as_aiosmtpd_reads_them(ours, theirs):
    fast, reference = ours(_Handler()), theirs(_Handler())
    arguments = _arguments()
    differ = [a for a in arguments if fast._getaddr(a) != reference._getaddr(a)]
    assert differ == []
    plain = fast._getaddr("<rsvp+abc@stadt.example> SIZE=10")
    assert plain == ("rsvp+abc@stadt.example", "SIZE=10")
    assert fast._getaddr("<a@b.>") == (None, None)  # refused as aiosmtpd refuses it
    assert len(arguments) > 2000


def test_the_local_part_limit_holds_on_the_quick_path():
    fast, reference = InboundSMTP(_Handler()), SMTP(_Handler())
    fast.local_part_limit = reference.local_part_limit = 64
    for argument in ["<" + "x" * 64 + "@b>", "<" + "x" * 65 + "@b>"]:
        assert fast._getaddr(argument) == reference._getaddr(argument)
    assert fast._getaddr("<" + "x" * 65 + "@b>") == (None, None)
