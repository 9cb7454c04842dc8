"""The audit trail: an append-only record of who saw or changed personal data, and when.

Every package may write to it (``record``); it imports only accounts. Entries are written in the
transaction of the action they describe, so an action that rolls back leaves no entry and an
entry never describes something that did not happen.
"""

from app.audit.log import Actor, privileged, record, record_each, record_many, record_read

__all__ = ["Actor", "privileged", "record", "record_each", "record_many", "record_read"]
