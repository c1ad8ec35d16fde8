"""Scheduled jobs of the catalogue: publishing theme months on their date and announcing them."""

from __future__ import annotations

from lms.catalog.themes import announce_pending, publish_due
from lms.core.jobs import JobContext


def publish_theme_months(ctx: JobContext) -> dict[str, int]:
    """Publish the theme months scheduled for today (Stockholm) or earlier; tell each audience once.

    Running it again publishes nothing new and tells nobody twice (`announced_at` and the
    notifications' dedupe keys), so a late or repeated run is harmless.
    """
    published = publish_due(ctx.session, ctx.now)
    told = announce_pending(ctx.session, ctx.now)
    return {"published": len(published), "notified": told}
