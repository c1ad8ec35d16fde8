"""Theme months as package files in one canonical form, so export → import → export is lossless.

Keys in the documented order; `departments` and `activities` always written (an empty
`departments: []` says "everyone" in so many words), `publish_on` and the banner only when
set; one line per value; departments by name, activities in the curated order; the intro
as stored. The banner is written beside it as `images/<key>.<ext>`.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.catalog.models import ThemeMonth, ThemeMonthActivity

__all__ = ["banner_path", "list_themes", "theme_file", "theme_front_matter"]

WIDTH = 1 << 16  # titles and alt texts are one line: never fold them


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key (`  - slug`), as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def list_themes(session: Session) -> list[ThemeMonth]:
    """Every theme month, whatever its status, by key, with what its file needs loaded."""
    stmt = (
        select(ThemeMonth)
        .options(
            selectinload(ThemeMonth.departments),
            selectinload(ThemeMonth.activity_links).selectinload(ThemeMonthActivity.activity),
            selectinload(ThemeMonth.banner),
        )
        .order_by(ThemeMonth.year, ThemeMonth.month, ThemeMonth.slug)
    )
    return list(session.scalars(stmt))


def banner_path(theme: ThemeMonth) -> str | None:
    """Where the export writes the banner, relative to themes/: `images/<key>.<ext>`."""
    if theme.banner is None:
        return None
    extension = theme.banner.name.rsplit(".", 1)[-1]
    return f"images/{theme.key}.{extension}"


def theme_front_matter(theme: ThemeMonth, banner: str | None) -> dict[str, Any]:
    """The front matter of a theme month file; `banner` as `banner_path` gives it (or None)."""
    links = sorted(theme.activity_links, key=lambda link: (link.position, link.activity_id))
    meta: dict[str, Any] = {
        "title": theme.title,
        "status": theme.status,
        "publish_on": theme.publish_on,
        "departments": sorted({department.name for department in theme.departments}),
        "activities": [link.activity.slug for link in links],
        "banner": banner,
        "banner_alt": theme.banner_alt if banner else None,
    }
    optional = ("publish_on", "banner", "banner_alt")
    return {key: value for key, value in meta.items() if key not in optional or value}


def theme_file(theme: ThemeMonth, banner: str | None) -> str:
    """The whole file: `---` front matter, the intro as stored, a final newline."""
    front = yaml.dump(
        theme_front_matter(theme, banner),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=WIDTH,
    )
    intro = theme.intro
    if intro and not intro.endswith("\n"):
        intro += "\n"
    return f"---\n{front}---\n{intro}"
