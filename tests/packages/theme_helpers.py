"""A small package with a theme month and a real (tiny) PNG banner, for the theme tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from tests.packages.conftest import ACTIVITY, FRAMEWORK, WORKSHOP, write_package


def tiny_png(width: int = 4, height: int = 2, rgb: tuple[int, int, int] = (31, 95, 91)) -> bytes:
    """A valid PNG of one colour, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = tiny_png()
BANNER = "themes/images/2026-10-informationssakerhet.png"
# The writer's canonical form: exporting an import of it gives these bytes back.
THEME = """\
---
title: 'Oktober: Informationssäkerhet'
status: published
publish_on: 2026-09-28
departments: []
activities:
  - workshop-om-sakerhet
  - starka-losenord
banner: images/2026-10-informationssakerhet.png
banner_alt: Ett gult hänglås på grön botten.
---
Oktober är informationssäkerhetens månad.

- Nanolektioner på **fem minuter**.
- En frukostföreläsning.
"""


def theme_text(**replace: str) -> str:
    """The valid theme month with text replaced (old → new), each old text present once."""
    text = THEME
    for old, new in replace.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def theme_package(root: Path, *, theme: str = THEME, banner: bytes = PNG) -> Path:
    """`root/package`: framework, two activities, one theme month and its banner."""
    package = write_package(
        root / "package",
        {
            "framework.yaml": FRAMEWORK,
            "activities/starka-losenord.md": ACTIVITY,
            "activities/workshop-om-sakerhet.md": WORKSHOP,
            "themes/2026-10-informationssakerhet.md": theme,
        },
    )
    (package / BANNER).parent.mkdir(parents=True, exist_ok=True)
    (package / BANNER).write_bytes(banner)
    return package
