"""Reading and replacing a user's subscriptions; flushes, never commits."""

from sqlalchemy import delete, select

from app.accounts.models import User
from app.extensions import db
from app.subscriptions.models import BRIEF, KINDS, Subscription


def targets_of(user: User) -> dict[str, set[int]]:
    """Return what the user follows: {kind: {target id, ...}} for every kind."""
    found: dict[str, set[int]] = {kind: set() for kind in KINDS}
    rows = db.session.execute(
        select(Subscription.kind, Subscription.target_id).where(Subscription.user_id == user.id)
    )
    for kind, target in rows:
        found.setdefault(kind, set()).add(target)
    return found


def replace(user: User, chosen: dict[str, set[int]]) -> None:
    """Make the user's subscriptions of the given kinds exactly the chosen targets."""
    current = targets_of(user)
    for kind, wanted in chosen.items():
        gone = current.get(kind, set()) - wanted
        if gone:
            db.session.execute(
                delete(Subscription).where(
                    Subscription.user_id == user.id,
                    Subscription.kind == kind,
                    Subscription.target_id.in_(gone),
                )
            )
        for target in sorted(wanted - current.get(kind, set())):
            db.session.add(Subscription(user_id=user.id, kind=kind, target_id=target))
    db.session.flush()


def reads_brief(user: User) -> bool:
    """Return True if the user subscribed to the weekly brief."""
    return 0 in targets_of(user)[BRIEF]


def brief_subscribers() -> list[User]:
    """Return the active users who subscribed to the weekly brief."""
    return list(
        db.session.scalars(
            select(User)
            .join(Subscription, Subscription.user_id == User.id)
            .where(Subscription.kind == BRIEF, User.active.is_(True))
            .order_by(User.id)
        )
    )
