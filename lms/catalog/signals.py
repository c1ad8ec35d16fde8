"""Signals the catalogue sends to the packages above it (recommend) that connect to them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent when activities change in a way that can change who should be recommended them:
# saved or restored (competences, level, audience, format, minutes), published, archived,
# a session added, cancelled or deleted, a published theme month's activities changed.
# Keyword arguments: `session` (write through it; add/flush, never commit) and
# `activity_ids` (a collection of Activity ids). Receivers must not raise for ordinary data.
activities_changed = _signals.signal("activities-changed")
