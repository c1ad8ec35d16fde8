"""The Swedish catalog covers every UI string and keeps every placeholder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from lms.config import REPO_ROOT

SV_PO = REPO_ROOT / "lms/translations/sv/LC_MESSAGES/messages.po"


def test_every_ui_string_has_a_swedish_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with SV_PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], "run `make translations` and translate: " + "; ".join(missing[:20])


def test_translations_keep_their_placeholders() -> None:
    with SV_PO.open("rb") as f:
        catalog = read_po(f)
    pattern = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if message.id and message.string:
            assert sorted(pattern.findall(str(message.id))) == sorted(
                pattern.findall(str(message.string))
            ), message.id


def test_swedish_is_the_default_and_english_is_available(client, auth) -> None:
    assert b"Logga in" in client.get("/login").data
    client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": auth.csrf_token()})
    assert b"Sign in to L" in client.get("/login").data
