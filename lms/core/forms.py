"""Small form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]
