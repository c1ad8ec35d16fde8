"""Structured security and operations events: one `key=value` log line each, no secrets.

An event names what happened (`login.failed`, `access.denied`, `request.error`) and
where: a request id, the method, the route *pattern* (`/reset/<raw>`, never the raw
path with its token), the endpoint and the signed-in user's id. Form values, cookies,
headers and exception messages are never logged; values are quoted so that a CR/LF
cannot forge a second line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
import uuid
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

logger = logging.getLogger("lms.events")

_PLAIN = re.compile(r"[A-Za-z0-9._:/<>@+-]{1,200}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def request_id() -> str:
    """This request's id: a sane `X-Request-ID` from the proxy, or a new random one."""
    if "lms_request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.lms_request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    return str(g.lms_request_id)


def _user_id() -> int | None:
    try:
        return current_user.id if current_user and current_user.is_authenticated else None
    except Exception:  # the user cannot be loaded (a broken request): unknown
        return None


def request_fields() -> dict[str, Any]:
    """Where the event happened, without anything secret."""
    if not has_request_context():
        return {}
    rule = request.url_rule
    return {
        "request_id": request_id(),
        "method": request.method,
        "route": rule.rule if rule is not None else request.path[:200],
        "endpoint": request.endpoint,
        "user_id": _user_id(),
        "ip": request.remote_addr,
    }


def account_ref(email: str) -> str:
    """A stable short reference to an attempted account name (the name itself may be a
    mistyped password, so it is not logged)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:12]


def stack_of(error: BaseException) -> str:
    """Where an exception was raised (file:line:function frames), without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    return " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in frames[::-1])


def _value(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=True)


def format_event(name: str, fields: dict[str, Any]) -> str:
    return " ".join([f"event={name}", *(f"{key}={_value(val)}" for key, val in fields.items())])


def log_event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event with the request's context and the given fields."""
    merged = {**request_fields(), **fields}
    logger.log(level, format_event(name, merged), extra={"event": name, "fields": merged})


def log_refusal(status: int) -> None:
    """Log an authorization denial: every 403, and a 404 on a matched route (an object the
    person may not see answers exactly as a missing one, so both are logged alike)."""
    if status == 403:
        log_event("access.denied", logging.WARNING, status=status)
    elif status == 404 and has_request_context() and request.url_rule is not None:
        log_event("access.not_found", logging.INFO, status=status)
