"""Choice lists for WTForms select, radio and checkbox-list fields."""

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def as_choices(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """Turn (value, label) pairs into the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]
