"""The person's own data page and download, and the admin's pseudonymisation of a departed
person (thin routes; the rules live in export.py and services.py)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import User
from lms.core.access import Permission, authenticated, requires
from lms.core.db import db
from lms.core.forms import commit_or_flash
from lms.core.time import local_date, utcnow
from lms.privacy.services import export_personal_data, pseudonymise_person

bp = Blueprint("privacy", __name__)


@bp.route("/mina-personuppgifter")
@authenticated
def mine() -> Any:
    return render_template("privacy/mine.html")


@bp.route("/mina-personuppgifter/hamta", methods=["POST"])
@authenticated
def download() -> Any:
    # Only ever the signed-in person: no URL or form field names anyone.
    body = export_personal_data(db.session(), current_user)
    db.session.commit()
    filename = f"larlyft-mina-personuppgifter-{local_date(utcnow()).isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users/<int:user_id>/pseudonymise", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def pseudonymise(user_id: int) -> Any:
    user = _load_user(user_id)
    if user.is_pseudonymised:
        flash(_("This account is already pseudonymised."), "info")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if request.method == "GET":
        return render_template("privacy/pseudonymise.html", user=user)
    if commit_or_flash(lambda: pseudonymise_person(db.session(), current_user, user)):
        flash(_("The person is pseudonymised. Their hours and counts are kept."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))
