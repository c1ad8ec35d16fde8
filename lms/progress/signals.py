"""Signals progress sends to the packages above it (assessment, recommend) that connect to them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by `record_completion` once a new completion row exists (not for a repeat of one already
# recorded), inside the caller's transaction. Keyword arguments: `session` (the SQLAlchemy
# session to write through; receivers add/flush, never commit), `completion` (the new
# Completion) and `user` (its User). Receivers must not raise for ordinary data.
completion_recorded = _signals.signal("completion-recorded")

# Sent just before a completion row is deleted (an attendance corrected to no-show), inside
# the caller's transaction, with `session` and `completion` (still loaded, so receivers can
# read what it credited). Reports keep their programme summaries in step through it.
completion_removed = _signals.signal("completion-removed")
