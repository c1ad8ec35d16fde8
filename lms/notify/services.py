"""Telling a person something: notifications, mail by preference, read marks, unsubscribe tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadData, BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.errors import NotFound
from lms.core.i18n import _l
from lms.core.time import utcnow
from lms.notify.mails import language_of, queue_mail, url_of
from lms.notify.models import MailMode, Notification, NotificationPreference

if TYPE_CHECKING:
    from lms.core.outbox_sender import ClaimedMail

UNSUBSCRIBE_SALT = "lms-unsubscribe-v1"
TITLE_LENGTH = 300
LINK_LENGTH = 500
MAIL_KEY_LENGTH = 200


def notify(
    session: Session,
    user: User,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    essential: bool = False,
    dedupe_key: str | None = None,
    mail_template: str | None = None,
    context: dict[str, Any] | None = None,
) -> Notification | None:
    """Tell `user` something: a notification in the app, and mail as their preference says.

    `title` and `body` may be lazy translations: they are stored in the recipient's
    language. Essential mail (a booking confirmation) goes at once whatever the preference.
    Returns None, doing nothing, for a deactivated user or an already used `dedupe_key`.
    The mail body comes from ``notify/mail/<mail_template or kind>.txt`` (and ``.html``
    when it exists), else the generic ``notify/mail/notification.txt``.
    """
    if not user.is_active:
        return None
    _check_link(link)
    with force_locale(language_of(user)):
        notification = Notification(
            user_id=user.id,
            kind=kind,
            title=_shorten(str(title), TITLE_LENGTH),
            body=str(body),
            link=link,
            is_essential=essential,
            dedupe_key=dedupe_key,
        )
    if not _insert_once(session, notification):
        return None
    if essential:
        _mail_now(session, user, notification, mail_template, context, unsubscribe=False)
        return notification
    mode = get_preference(session, user)
    if mode == MailMode.IMMEDIATELY:
        _mail_now(session, user, notification, mail_template, context, unsubscribe=True)
    elif mode == MailMode.WEEKLY:
        notification.is_digest_pending = True
    return notification


def _check_link(link: str | None) -> None:
    # Links come from code, never from a person; refusing anything but a site path or a web
    # address keeps a `javascript:` link out of the page even if a caller gets it wrong.
    if link is None:
        return
    if len(link) > LINK_LENGTH or not (
        (link.startswith("/") and not link.startswith("//"))
        or link.startswith(("https://", "http://"))
    ):
        raise ValueError(f"a notification link must be a site path or a web address: {link!r}")


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _insert_once(session: Session, notification: Notification) -> bool:
    """Add the notification unless its dedupe key is taken (also by a concurrent request)."""
    key = notification.dedupe_key
    if key is not None and session.scalar(
        select(Notification.id).where(Notification.dedupe_key == key)
    ):
        return False
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        if key is None:
            raise
        return False
    return True


def _mail_key(notification: Notification) -> str:
    if notification.dedupe_key is None:
        return f"notify:id:{notification.id}"
    key = f"notify:{notification.dedupe_key}"
    if len(key) > MAIL_KEY_LENGTH:
        key = "notify:sha256:" + hashlib.sha256(notification.dedupe_key.encode()).hexdigest()
    return key


def _mail_now(
    session: Session,
    user: User,
    notification: Notification,
    template: str | None,
    context: dict[str, Any] | None,
    *,
    unsubscribe: bool,
) -> None:
    queue_mail(
        session,
        user,
        kind=notification.kind,
        subject=notification.title,
        template=template or notification.kind,
        context={**(context or {}), "notification": notification},
        dedupe_key=_mail_key(notification),
        essential=notification.is_essential,
        unsubscribe_url=unsubscribe_url(user) if unsubscribe else None,
    )


# --- preferences -----------------------------------------------------------------------------


def get_preference(session: Session, user: User) -> MailMode:
    """How non-essential mail reaches `user` (immediately when they never chose)."""
    preference = session.get(NotificationPreference, user.id)
    return MailMode(preference.mail_mode) if preference else MailMode.IMMEDIATELY


def set_mail_mode(session: Session, user: User, mode: MailMode) -> NotificationPreference:
    """Save `user`'s choice for non-essential mail.

    Leaving the weekly digest drops the notifications waiting for it: they stay in the
    app, and mailing them later would contradict the choice just made.
    """
    mode = MailMode(mode)
    preference = session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id)
        session.add(preference)
    preference.mail_mode = mode
    preference.updated_at = utcnow()
    if mode != MailMode.WEEKLY:
        session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.is_digest_pending)
            .values(is_digest_pending=False)
        )
    session.flush()
    return preference


# --- reading ---------------------------------------------------------------------------------


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of `user`'s notifications read; someone else's is NotFound, as a missing one."""
    notification = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if notification is None:
        raise NotFound(_l("That notification does not exist."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of `user` read; returns how many were unread."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def count_unread(session: Session, user: User) -> int:
    """How many of `user`'s notifications are unread (one query)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


# --- unsubscribe tokens ----------------------------------------------------------------------
# A token is the signed pair (user id, fingerprint of the account). The signature (the app's
# SECRET_KEY with its own salt) means nobody can make one for another id; the fingerprint
# means a token never carries over to a new account that gets a reused id. There is no
# expiry: a one-click unsubscribe link must work from an old mail too (RFC 8058), and
# changing the secret key invalidates every token at once.


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def _fingerprint(user: User) -> str:
    raw = f"{user.id}:{user.created_at.isoformat()}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def unsubscribe_token(user: User) -> str:
    """A token for the one-click unsubscribe link of `user`'s mails."""
    return str(_serializer().dumps([user.id, _fingerprint(user)]))


def _read_payload(token: str) -> tuple[int, str]:
    try:
        payload = _serializer().loads(token)
    except BadData as error:
        raise BadSignature("invalid unsubscribe token") from error
    match payload:
        case [int() as user_id, str() as fingerprint]:
            return user_id, fingerprint
    raise BadSignature("malformed unsubscribe token")


def read_unsubscribe_token(token: str) -> int:
    """The user id a token was made for; BadSignature for a forged or damaged token."""
    return _read_payload(token)[0]


def get_unsubscribe_user(session: Session, token: str) -> User:
    """The user a token belongs to; BadSignature unless it was made for exactly that account."""
    user_id, fingerprint = _read_payload(token)
    user = session.get(User, user_id)
    if user is None or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        raise BadSignature("unsubscribe token for another account")
    return user


def unsubscribe_url(user: User) -> str:
    """The absolute one-click unsubscribe link for `user`'s non-essential mail."""
    return url_of("notify.unsubscribe", token=unsubscribe_token(user))


def unsubscribe(session: Session, token: str) -> User:
    """Turn off non-essential mail for the token's user; BadSignature for a bad token."""
    user = get_unsubscribe_user(session, token)
    set_mail_mode(session, user, MailMode.OFF)
    return user


def list_unsubscribe_url(mail: ClaimedMail) -> str | None:
    """The one-click link in a queued non-essential mail, for its List-Unsubscribe header.

    Read back from the body rather than made anew, so the header is exactly the link the
    person sees; only a link whose token names the mail's own user counts.
    """
    if mail.is_essential or mail.user_id is None:
        return None
    # The link with a one-character placeholder token, minus the placeholder.
    prefix = url_of("notify.unsubscribe", token="-")[:-1]  # noqa: S106
    for match in re.finditer(re.escape(prefix) + r"([A-Za-z0-9_.\-]+)", mail.body_text):
        try:
            if read_unsubscribe_token(match.group(1)) == mail.user_id:
                return match.group(0)
        except BadSignature:
            continue
    return None
