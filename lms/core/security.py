"""Security headers on every response and a same-site check for redirects."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Flask, Response, request
from flask_login import current_user

BASE_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self'",
    "frame-src": "'none'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def build_csp(frame_hosts: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy; video hosts on the allow-list may be framed."""
    policy = dict(BASE_CSP)
    if frame_hosts:
        policy["frame-src"] = " ".join(f"https://{host}" for host in frame_hosts)
    return "; ".join(f"{key} {value}" for key, value in policy.items())


def install_security_headers(app: Flask, frame_hosts: tuple[str, ...] = ()) -> None:
    csp = build_csp(frame_hosts)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Signed-in pages are never stored; a view that marks its response private
        # (an uploaded image named by its hash) keeps its own caching.
        private = "private" in headers.get("Cache-Control", "")
        signed_in = bool(current_user) and current_user.is_authenticated
        static_file = request.endpoint == "static" and response.status_code < 400
        if signed_in and not static_file and not private:
            headers["Cache-Control"] = "no-store"
        return response


def _is_local_path(target: str) -> bool:
    if any(ch in target for ch in "\\") or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site; false for anything that could leave it.

    The decoded forms are checked too, so an encoded CR/LF or backslash is refused
    even where a browser or proxy would decode it before following the redirect.
    """
    if not target:
        return False
    seen = target
    for _ in range(3):
        if not _is_local_path(seen):
            return False
        decoded = unquote(seen)
        if decoded == seen:
            return True
        seen = decoded
    return False


def same_site_referrer(referrer: str | None, host_url: str) -> str | None:
    """The path (and query) of a Referer on this very site, or None for any other."""
    if not referrer:
        return None
    try:
        parts, own = urlsplit(referrer), urlsplit(host_url)
    except ValueError:  # e.g. a host with characters NFKC turns into "/" or "@"
        return None
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        return None
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return target if is_safe_next(target) else None
