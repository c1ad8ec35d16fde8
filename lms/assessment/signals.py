"""Signals assessment sends to the packages above it (recommend) that connect to them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent when what is known about people's needs changes: an assessment submitted or imported,
# levels agreed in the manager conversation, development-plan goals or their activities
# changed. Keyword arguments: `session` (write through it; add/flush, never commit) and
# `user_ids` (a collection of User ids whose needs changed). Receivers must not raise.
needs_changed = _signals.signal("needs-changed")
