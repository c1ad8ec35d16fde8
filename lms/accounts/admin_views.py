"""Admin pages: users, departments, job roles, outgoing mail and the audit log (audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from lms.accounts import queries, services
from lms.accounts.forms import (
    PERMISSION_LABELS,
    DepartmentForm,
    NameForm,
    UserEditForm,
    UserFilterForm,
)
from lms.accounts.mails import send_invitation
from lms.accounts.models import Department, JobRole, ReportScope, User
from lms.core.access import ALL_PERMISSIONS, Permission, requires
from lms.core.audit import AuditEvent
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.i18n import _l
from lms.core.outbox import (
    MailStatus,
    OutboxEmail,
    count_mail_by_status,
    list_mail_statement,
    retry_all_failed,
    retry_failed,
)
from lms.core.pagination import paginate

bp = Blueprint("admin", __name__)
admin_only = requires(Permission.ADMIN)
REPORT_SCOPE_LABELS = {
    ReportScope.DEPARTMENT: _l("Own department"),
    ReportScope.ORGANISATION: _l("Own organisation"),
    ReportScope.ALL: _l("All organisations"),
}


class UserScopeEditForm(UserEditForm):
    """The user form with what a coordinator's reports cover (checked by the service)."""

    report_scope = SelectField(_l("Report scope"), coerce=str, validate_choice=False)


def _page_arg() -> int:
    return request.args.get("page", 1, type=int) or 1


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/")
@admin_only
def index() -> Any:
    counts = {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.is_active)),
        "departments": db.session.scalar(select(func.count()).select_from(Department)),
        "job_roles": db.session.scalar(select(func.count()).select_from(JobRole)),
        "pending_mail": db.session.scalar(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.status == MailStatus.PENDING)
        ),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/users")
@admin_only
def users() -> Any:
    form = UserFilterForm(request.args)
    departments = queries.list_departments(db.session())
    roles = queries.list_job_roles(db.session())
    form.department.choices = options(
        [("", _("All departments"))]
        + [(str(d.id), f"{d.name} ({d.organisation.name})") for d in departments]
    )
    form.job_role.choices = options(
        [("", _("All job roles"))] + [(str(r.id), r.name) for r in roles]
    )
    form.permission.choices = options(
        [("", _("Any permission"))] + [(p.key, PERMISSION_LABELS[p.key]) for p in Permission]
    )
    status = request.args.get("status", "active")
    try:
        permission: Permission | None = Permission.from_name(request.args.get("permission", ""))
    except KeyError:
        permission = None
    filters = queries.UserFilter(
        text=(form.q.data or "")[:100],
        department_id=_int_or_none(request.args.get("department")),
        job_role_id=_int_or_none(request.args.get("job_role")),
        permission=permission,
        active={"active": True, "inactive": False}.get(status),
    )
    stmt = queries.users_statement(filters)
    # Protected identities never appear in lists; only an exact e-mail search finds them.
    exact = filters.text.strip().lower()
    stmt = stmt.where(User.is_protected_identity.is_(False) | (User.email == exact))
    page = paginate(db.session(), stmt, _page_arg(), per_page=25)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/users.html", form=form, page=page, args=args)


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id, options=[selectinload(User.organisation)])
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: int) -> Any:
    user = _load_user(user_id)
    form = UserScopeEditForm(obj=user if request.method == "GET" else None)
    depts = [
        d
        for d in queries.list_departments(db.session())
        if d.organisation_id == user.organisation_id
    ]
    form.department_id.choices = options(
        [(0, _("No department"))] + [(d.id, d.name) for d in depts]
    )
    form.job_role_id.choices = options(
        [(0, _("No job role"))] + [(r.id, r.name) for r in queries.list_job_roles(db.session())]
    )
    form.manager_id.choices = options(
        [(0, _("No manager"))]
        + [
            (m.id, f"{m.name} ({m.email})")
            for m in queries.list_manager_candidates(db.session(), keep_id=user.manager_id)
            if m.id != user.id
        ]
    )
    form.permissions.choices = options([(p.key, PERMISSION_LABELS[p.key]) for p in ALL_PERMISSIONS])
    form.report_scope.choices = options(REPORT_SCOPE_LABELS.items())
    if request.method == "GET":
        form.department_id.data = user.department_id or 0
        form.job_role_id.data = user.job_role_id or 0
        form.manager_id.data = user.manager_id or 0
        form.permissions.data = user.permission_keys
    elif form.validate_on_submit():
        flags = Permission.NONE
        for key in form.permissions.data or []:
            flags |= Permission.from_name(key)
        try:
            changed = services.update_user(
                db.session(),
                current_user,
                user,
                department_id=form.department_id.data or None,
                job_role_id=form.job_role_id.data or None,
                manager_id=form.manager_id.data or None,
                permissions=flags,
                report_scope=form.report_scope.data,
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "permissions").errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", form=form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_only
def set_user_active(user_id: int) -> Any:
    user = _load_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(db.session(), current_user, user, active)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(
            _("The account is active again.") if active else _("The account is deactivated."),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@admin_only
def invite_user(user_id: int) -> Any:
    user = _load_user(user_id)
    if not user.is_active:
        flash(_("Reactivate the account before inviting."), "error")
    else:
        send_invitation(db.session(), user)
        db.session.commit()
        flash(_("An invitation was queued for %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/departments", methods=["GET", "POST"])
@admin_only
def departments() -> Any:
    form = DepartmentForm()
    all_departments = queries.list_departments(db.session())
    form.organisation_id.choices = options(
        [(o.id, o.name) for o in queries.list_organisations(db.session())]
    )
    form.parent_id.choices = options([(0, _("(none)"))] + [(d.id, d.name) for d in all_departments])
    if form.validate_on_submit():
        try:
            services.create_department(
                db.session(),
                current_user,
                form.organisation_id.data or 0,
                form.name.data or "",
                form.parent_id.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            form.name.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("The department was created."), "success")
            return redirect(url_for("admin.departments"))
    counts = queries.count_users_by_department(db.session())
    return render_template(
        "admin/departments.html", form=form, departments=all_departments, counts=counts
    )


@bp.route("/departments/<int:dept_id>", methods=["POST"])
@admin_only
def rename_department(dept_id: int) -> Any:
    dept = db.session.get(Department, dept_id) or abort(404)
    form = NameForm()
    if form.validate_on_submit():
        try:
            services.rename_department(db.session(), current_user, dept, form.name.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The department was renamed."), "success")
    else:
        flash(_("A name is required."), "error")
    return redirect(url_for("admin.departments"))


@bp.route("/job-roles", methods=["GET", "POST"])
@admin_only
def job_roles() -> Any:
    form = NameForm()
    if form.validate_on_submit():
        try:
            services.create_job_role(db.session(), current_user, form.name.data or "")
        except DomainError as error:
            db.session.rollback()
            form.name.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("The job role was created."), "success")
            return redirect(url_for("admin.job_roles"))
    roles = queries.list_job_roles(db.session())
    counts = queries.count_users_by_job_role(db.session())
    return render_template("admin/job_roles.html", form=form, roles=roles, counts=counts)


@bp.route("/job-roles/<int:role_id>", methods=["POST"])
@admin_only
def rename_job_role(role_id: int) -> Any:
    role = db.session.get(JobRole, role_id) or abort(404)
    form = NameForm()
    if form.validate_on_submit():
        try:
            services.rename_job_role(db.session(), current_user, role, form.name.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The job role was renamed."), "success")
    else:
        flash(_("A name is required."), "error")
    return redirect(url_for("admin.job_roles"))


@bp.route("/audit")
@admin_only
def audit() -> Any:
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    page = paginate(db.session(), stmt, _page_arg(), per_page=50)
    user_ids = {e.actor_id for e in page.items if e.actor_id} | {
        int(e.object_id) for e in page.items if e.object_type == "user" and e.object_id.isdigit()
    }
    people = {
        u.id: u.public_name for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    object_labels = {
        "department": _("Department"),
        "job_role": _("Job role"),
        "file": _("File"),
    }
    return render_template(
        "admin/audit.html", page=page, actors=people, subjects=people, object_labels=object_labels
    )


MAIL_FILTERS = {
    "unsent": [MailStatus.FAILED, MailStatus.PENDING],
    "failed": [MailStatus.FAILED],
    "pending": [MailStatus.PENDING],
    "sent": [MailStatus.SENT],
}


@bp.route("/mail")
@admin_only
def mail() -> Any:
    status = request.args.get("status", "unsent")
    if status not in MAIL_FILTERS:
        status = "unsent"
    stmt = list_mail_statement([str(s) for s in MAIL_FILTERS[status]])
    page = paginate(db.session(), stmt, _page_arg(), per_page=50)
    counts = count_mail_by_status(db.session())
    args = {"status": status} if status != "unsent" else {}
    withheld = queries.mails_naming_protected_people(db.session(), page.items)
    return render_template(
        "admin/mail.html", page=page, counts=counts, status=status, args=args, withheld=withheld
    )


@bp.route("/mail/<int:mail_id>/retry", methods=["POST"])
@admin_only
def retry_mail(mail_id: int) -> Any:
    try:
        queued = retry_failed(db.session(), mail_id, actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The mail to %(email)s will be sent again.", email=queued.to_address), "success")
    return redirect(url_for("admin.mail", status="failed"))


@bp.route("/mail/retry-failed", methods=["POST"])
@admin_only
def retry_all_mail() -> Any:
    number = retry_all_failed(db.session(), actor_id=current_user.id)
    db.session.commit()
    if number:
        flash(_("Failed mails queued again: %(count)d.", count=number), "success")
    else:
        flash(_("There were no failed mails to send again."), "info")
    return redirect(url_for("admin.mail"))
