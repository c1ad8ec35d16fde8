"""Configuration from LMS_* variables; production refuses unsafe settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.app import create_app
from lms.config import ConfigError, load_settings, resolve_secret_key


def test_defaults_use_sqlite_under_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings(environ={"LMS_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'larlyft.db'}"
    assert settings.min_group_size == 5


def test_environment_variables_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "LMS_INSTANCE_PATH": str(tmp_path),
            "LMS_MIN_GROUP_SIZE": "7",
            "LMS_DATABASE_URL": "postgresql://db/lms",
            "LMS_SMTP_PORT": "2525",
            "LMS_SMTP_STARTTLS": "yes",
        }
    )
    assert (settings.min_group_size, settings.smtp_port, settings.smtp_starttls) == (7, 2525, True)
    assert settings.database_url == "postgresql://db/lms"


def test_a_bad_number_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="LMS_MIN_GROUP_SIZE"):
        load_settings(environ={"LMS_MIN_GROUP_SIZE": "five"})


def test_embedded_mode_creates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    settings = load_settings(environ={"LMS_INSTANCE_PATH": str(tmp_path)})
    first = resolve_secret_key(settings)
    assert len(first) >= 40
    assert resolve_secret_key(settings) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", ["", "dev", "short-secret"])
def test_production_refuses_missing_or_weak_secret(tmp_path: Path, secret: str) -> None:
    settings = load_settings(
        environ={
            "LMS_ENV": "production",
            "LMS_INSTANCE_PATH": str(tmp_path),
            "LMS_SECRET_KEY": secret,
            "LMS_BASE_URL": "https://larlyft.example",
        }
    )
    with pytest.raises(ConfigError):
        create_app(settings)
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_debug(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "LMS_ENV": "production",
            "LMS_INSTANCE_PATH": str(tmp_path),
            "LMS_DEBUG": "1",
            "LMS_SECRET_KEY": "x" * 48,
            "LMS_BASE_URL": "https://larlyft.example",
        }
    )
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app(settings)


def test_video_hosts_are_configurable_and_drive_render_and_csp(tmp_path: Path) -> None:
    from lms.core.markdown import (
        DEFAULT_VIDEO_HOSTS,
        configure_video_hosts,
        frame_hosts,
        render_markdown,
    )
    from lms.core.security import build_csp

    settings = load_settings(
        environ={
            "LMS_INSTANCE_PATH": str(tmp_path),
            "LMS_VIDEO_HOSTS": "vimeo.com, player.vimeo.com",
        }
    )
    assert settings.video_hosts == ("vimeo.com", "player.vimeo.com")
    csp = build_csp(frame_hosts(settings.video_hosts))
    assert "frame-src https://player.vimeo.com;" in csp and "youtube" not in csp
    configure_video_hosts(settings.video_hosts)
    try:
        youtube = render_markdown("@[video](https://www.youtube.com/watch?v=dQw4w9WgXcQ)")
        assert "<iframe" not in youtube.html and youtube.problems
        vimeo = render_markdown("@[video](https://vimeo.com/76979871)")
        assert 'src="https://player.vimeo.com/video/76979871"' in vimeo.html
    finally:
        configure_video_hosts(DEFAULT_VIDEO_HOSTS)  # the process-wide default again


def test_the_default_csp_frames_only_the_video_embed_hosts(client) -> None:
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com;" in csp


def test_an_unsupported_video_host_is_a_config_error(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"LMS_INSTANCE_PATH": str(tmp_path), "LMS_VIDEO_HOSTS": "evil.example"}
    )
    with pytest.raises(ConfigError, match="LMS_VIDEO_HOSTS"):
        create_app(settings)
