"""The authorization matrix: who gets what from every URL rule × method, per role and relation.

This file is a security decision record; changing an entry is a security decision. Each entry

    "endpoint METHOD": "WHO | DEFAULT; OVERRIDES"

- WHO: `public`, `signed-in`, or the roles (see tests/security/world.py) that get past the
  endpoint's gate. Any other signed-in role gets `deny` (403); anonymous gets `login` (a
  redirect to /login) unless the rule is public.
- DEFAULT: the outcome for those roles, for every relation.
- OVERRIDES: `relation=outcome`, `role=outcome` or `role.relation=outcome`, the most specific
  winning (role.relation > role > relation > DEFAULT > gate).

Relations: self / report / other / none (world.py says what each means per object kind);
rules without an object are requested once ("-"). Outcomes: ok (2xx, or 3xx not to /login),
bad (400/409/422: refused on its content — the walk posts empty forms), deny (403),
hidden (404: the same as for an object that does not exist), login.
"""

from __future__ import annotations

ROLE_GROUPS = {
    # Permission.COURSE_OWNER | COORDINATOR: the reporting role is a coordinator too; the
    # admin is not an editor (an admin who edits content is also given a coordinator role).
    "EDITORS": "course_owner,coordinator,coordinator_all,reporting",
    "COORDINATORS": "coordinator,coordinator_all,admin,reporting",
}
# Drafts (relation report: the course owner's draft; other: another owner's draft) are seen by
# their owners and by coordinators only; everyone else gets the same 404 as for a missing slug.
DRAFTS = (
    "report=hidden other=hidden none=hidden course_owner.report=ok "
    "coordinator.report=ok coordinator.other=ok coordinator_all.report=ok "
    "coordinator_all.other=ok reporting.report=ok reporting.other=ok"
)
# An editor URL: course owners edit their own activities (a published one of another owner is
# 403; a draft of another owner 404 like a missing one), coordinators every activity.
EDITOR = "EDITORS | ok; none=hidden course_owner.other=hidden"
EDITOR_400 = "EDITORS | bad; none=hidden course_owner.other=hidden"
# One person's own object (their booking, notification, completion…): nobody else's.
OWN = "signed-in | hidden; self=ok"
# An assessment or plan: the person and their manager chain (DESIGN §7); coordinators and
# admins outside the chain get the same 404 as for a missing id.
CHAIN = "signed-in | hidden; self=ok manager.report=ok"
# Manager-only actions on a report's assessment (agree, notes, hold): not the person.
MANAGES = "signed-in | hidden; manager.report=ok"
# Report pages limited by report scope: an organisation coordinator sees organisation A only,
# scope "all" and admins everything; outside the scope is 404, the same as unknown.
SCOPED = "COORDINATORS | ok; none=hidden coordinator.other=hidden reporting.other=hidden"
# Coordinators' own records (theme months): not limited by report scope.
COORDINATED = "COORDINATORS | ok; none=hidden"
# Attendance: the session's editors. Anyone else gets 403 for a published activity's session
# (it is public) and 404 for a draft's, as for a missing one. Admins are not editors.
ATTENDANCE = (
    f"signed-in | ok; {DRAFTS} self=deny course_owner.self=ok coordinator.self=ok "
    "coordinator_all.self=ok reporting.self=ok"
)
PAGE = "signed-in | ok"
ADMIN = "admin | ok"
ADMIN_OBJECT = "admin | ok; none=hidden"

MATRIX: dict[str, str] = {
    # --- accounts -------------------------------------------------------------------------
    "accounts.accept_invitation GET": "public | hidden",  # only junk tokens: as unknown
    "accounts.accept_invitation POST": "public | hidden",
    "accounts.forgot_password GET": "public | ok",
    "accounts.forgot_password POST": "public | ok",  # the same answer for any address
    "accounts.login GET": "public | ok",
    "accounts.login POST": "public | ok",  # an empty form: the page again
    # Logging out ends at the login page, signed in or not.
    "accounts.logout POST": "signed-in | login",
    "accounts.profile GET": PAGE,
    "accounts.profile POST": PAGE,
    "accounts.reset_password GET": "public | hidden",
    "accounts.reset_password POST": "public | hidden",
    "accounts.set_language POST": "public | ok",
    # --- administration -------------------------------------------------------------------
    "admin.audit GET": ADMIN,
    "admin.departments GET": ADMIN,
    "admin.departments POST": ADMIN,
    "admin.edit_user GET": ADMIN_OBJECT,  # admins manage every organisation's people
    "admin.edit_user POST": ADMIN_OBJECT,
    "admin.index GET": ADMIN,
    "admin.invite_user POST": ADMIN_OBJECT,
    "admin.job_roles GET": ADMIN,
    "admin.job_roles POST": ADMIN,
    "admin.mail GET": ADMIN,
    "admin.rename_department POST": ADMIN_OBJECT,
    "admin.rename_job_role POST": ADMIN_OBJECT,
    "admin.retry_all_mail POST": ADMIN,
    # An unknown mail id is a no-op back to the mail page (admins see every mail id anyway).
    "admin.retry_mail POST": ADMIN,
    "admin.set_user_active POST": ADMIN_OBJECT,
    "admin.users GET": ADMIN,
    "home.accessibility_reports GET": ADMIN,
    # --- the self-assessment --------------------------------------------------------------
    "assessment.autosave POST": "signed-in | hidden; self=bad",  # own only; empty form 400
    "assessment.index GET": PAGE,
    # Starting a round that is not the person's is refused by the service with a message
    # (a redirect, nothing written); an unknown round is 404.
    "assessment.start POST": "signed-in | ok; none=hidden",
    "assessment.step GET": OWN,  # a submitted one redirects to the conversation
    "assessment.step POST": OWN,
    "assessment.submit POST": OWN,
    "assessment.summary GET": OWN,
    "conversation.agree POST": MANAGES,
    "conversation.hold POST": MANAGES,
    "conversation.notes POST": MANAGES,
    "conversation.show GET": CHAIN,
    "conversation.team GET": "manager | ok",
    "plans.add_goal POST": CHAIN,
    "plans.create POST": CHAIN,
    "plans.follow_up POST": CHAIN,
    "plans.follow_up_date POST": CHAIN,
    "plans.link_activity POST": CHAIN,
    "plans.move_goal POST": "signed-in | hidden; self=bad manager.report=bad",  # no direction
    "plans.my_requests GET": PAGE,
    "plans.remove_goal POST": CHAIN,
    "plans.request POST": CHAIN,
    "plans.show GET": CHAIN,
    "plans.unlink_activity POST": CHAIN,
    "plans.update_goal POST": CHAIN,
    # --- coordinators: rounds, wishes, reports, programmes --------------------------------
    # Rounds follow report scope like programmes: an organisation coordinator finds only rounds
    # targeting their organisation (organisation B's is 404, as unknown) and manages those
    # entirely within it; scope "all" and admins everything; department coordinators only read
    # (403 on new/edit/delete: none in the world). Progress counts cover the reader's scope.
    "rounds.delete POST": SCOPED,
    "rounds.edit GET": SCOPED,
    "rounds.edit POST": SCOPED,
    "rounds.index GET": "COORDINATORS | ok",
    "rounds.new GET": "COORDINATORS | ok",
    "rounds.new POST": "COORDINATORS | ok",
    "rounds.show GET": SCOPED,
    "learning_requests.index GET": "COORDINATORS | ok",
    "learning_requests.answer POST": "COORDINATORS | ok",  # empty form: the page again
    "assessment_reports.index GET": "COORDINATORS | ok",
    "assessment_reports.show GET": SCOPED,
    "report_dashboard.index GET": "COORDINATORS | ok",
    "esf_reports.index GET": "COORDINATORS | ok",
    "esf_reports.period GET": "COORDINATORS | ok",
    "esf_reports.period_csv GET": "COORDINATORS | ok",
    "esf_reports.period_xlsx GET": "COORDINATORS | ok",
    "esf_reports.programme GET": SCOPED,
    "esf_reports.programme_csv GET": SCOPED,
    "esf_reports.programme_xlsx GET": SCOPED,
    # The funder's per-person listing: REPORTING holders only (403 for other coordinators,
    # as the documented rule says), and only within their scope.
    "esf_reports.people GET": "reporting | ok; other=hidden none=hidden",
    "esf_reports.people_csv GET": "reporting | ok; other=hidden none=hidden",
    "esf_reports.people_xlsx GET": "reporting | ok; other=hidden none=hidden",
    "programmes.index GET": "COORDINATORS | ok",
    "programmes.new GET": "COORDINATORS | ok",
    "programmes.new POST": "COORDINATORS | ok",
    "programmes.edit GET": SCOPED,
    "programmes.edit POST": SCOPED,
    "programmes.delete GET": SCOPED,
    "programmes.delete POST": SCOPED,
    # --- catalogue, lessons, progress (learners) ------------------------------------------
    "catalog.index GET": PAGE,
    "catalog.activity GET": f"signed-in | ok; {DRAFTS}",
    "catalog.lesson GET": f"signed-in | ok; {DRAFTS}",
    "catalog.grade_quiz GET": f"signed-in | ok; {DRAFTS}",
    "catalog.grade_quiz POST": f"signed-in | ok; {DRAFTS}",
    "catalog.grade_lesson_quiz GET": f"signed-in | ok; {DRAFTS}",
    "catalog.grade_lesson_quiz POST": f"signed-in | ok; {DRAFTS}",
    "progress.start POST": f"signed-in | ok; {DRAFTS}",
    "progress.complete POST": f"signed-in | ok; {DRAFTS}",
    "progress.complete_lesson POST": f"signed-in | ok; {DRAFTS}",
    "progress.quiz POST": f"signed-in | ok; {DRAFTS}",
    "progress.lesson_quiz POST": f"signed-in | ok; {DRAFTS}",
    # Saving and "not interested" reach published activities only, even for their editors.
    "saved.index GET": PAGE,
    "saved.save POST": OWN,
    "saved.remove POST": OWN,
    "recommend.index GET": PAGE,
    "recommend.not_interested POST": OWN,
    "recommend.show_again POST": OWN,
    # --- bookings and calendars -----------------------------------------------------------
    "bookings.book POST": f"signed-in | ok; {DRAFTS}",  # a draft's session as its draft
    "bookings.booking_ics GET": OWN,
    "bookings.cancel POST": OWN,
    "bookings.attendance_page GET": ATTENDANCE,
    "bookings.attendance_page POST": ATTENDANCE,
    "bookings.coaching_slots GET": EDITOR,
    "bookings.coaching_slots POST": EDITOR,
    # Feeds are public by their secret token (the token is the credential): any valid one
    # answers, a junk one is 404.
    "bookings.feed GET": "public | ok; none=hidden",
    # A missing feed token is made by a POST, never by the page (GETs do not write): by the
    # person for themself; a shared one by anyone who may see its address — any signed-in
    # person for a published theme month (a draft is 404 like a missing one) or for any
    # department (the calendar's department filter lists them all).
    "bookings.create_feed POST": PAGE,
    "bookings.feed_settings GET": PAGE,
    "bookings.feed_settings POST": PAGE,
    "calendar.create_department_feed POST": "signed-in | ok; none=hidden",
    "calendar.create_theme_feed POST": "signed-in | ok; report=hidden none=hidden",
    "calendar.feed GET": "public | ok; none=hidden",
    "calendar.index GET": PAGE,
    # Shared feed tokens are reset by any coordinator or admin (not limited by report scope).
    "calendar.reset_feed POST": COORDINATED,
    # --- discovery, framework, home -------------------------------------------------------
    "discover.area GET": "signed-in | ok; none=hidden",
    "discover.areas GET": PAGE,
    "discover.department GET": "signed-in | ok; none=hidden",  # every department's page
    "discover.departments GET": PAGE,
    "discover.subject GET": "signed-in | ok; none=hidden",
    "discover.subjects GET": PAGE,
    "discover.theme_month GET": "signed-in | ok; report=hidden none=hidden",  # drafts 404
    "discover.themes GET": PAGE,
    "framework.index GET": PAGE,
    "framework.job_role GET": "signed-in | ok; none=hidden",
    "home.accessibility GET": "public | ok",
    "home.accessibility POST": "public | ok",
    "home.index GET": PAGE,
    "static GET": "public | ok; none=hidden",
    # --- the editor -----------------------------------------------------------------------
    "editor.index GET": "EDITORS | ok",
    "editor.new GET": "EDITORS | ok",
    "editor.new POST": "EDITORS | ok",
    "editor.preview POST": "EDITORS | ok",
    "editor.upload POST": "EDITORS | bad",  # no activity, no image
    "editor.uploaded_file GET": "signed-in | ok; none=hidden",  # learners see lesson images
    "editor.edit GET": EDITOR,
    "editor.edit POST": EDITOR,
    "editor.change_status POST": EDITOR_400,
    "editor.revisions GET": EDITOR,
    "editor.revision GET": EDITOR,
    "editor.restore POST": EDITOR,
    "editor.add_lesson POST": EDITOR,
    "editor.edit_lesson GET": EDITOR,
    "editor.edit_lesson POST": EDITOR,
    "editor.move_lesson POST": EDITOR_400,
    "editor.delete_lesson POST": EDITOR,
    "editor.add_session POST": EDITOR,
    "editor.cancel_session POST": EDITOR,
    "editor.delete_session POST": EDITOR,
    "transfer_editor.tasks GET": EDITOR,
    "transfer_editor.new_task GET": EDITOR,
    "transfer_editor.new_task POST": EDITOR,
    "transfer_editor.edit_task GET": EDITOR,
    "transfer_editor.edit_task POST": EDITOR,
    "transfer_editor.move_task POST": EDITOR_400,
    "transfer_editor.delete_task POST": EDITOR,
    "transfer_editor.report GET": EDITOR,
    # --- theme months (coordinators and admins; relation other: none in the world) -------
    "theme_editor.index GET": "COORDINATORS | ok",
    "theme_editor.new GET": "COORDINATORS | ok",
    "theme_editor.new POST": "COORDINATORS | ok",
    "theme_editor.render_intro POST": "COORDINATORS | ok",
    "theme_editor.edit GET": COORDINATED,
    "theme_editor.edit POST": COORDINATED,
    "theme_editor.preview GET": COORDINATED,
    "theme_editor.publish POST": COORDINATED,
    "theme_editor.schedule POST": COORDINATED,
    "theme_editor.unschedule POST": COORDINATED,
    "theme_editor.unpublish POST": COORDINATED,
    "theme_editor.delete POST": COORDINATED,
    "theme_editor.banner POST": COORDINATED,
    "theme_editor.remove_banner POST": COORDINATED,
    "theme_editor.add_activity POST": COORDINATED,
    "theme_editor.move_activity POST": "COORDINATORS | bad; none=hidden",  # no direction
    "theme_editor.remove_activity POST": COORDINATED,
    # --- notifications --------------------------------------------------------------------
    "notify.index GET": PAGE,
    "notify.mark_all_read POST": PAGE,
    "notify.mark_read POST": OWN,
    "notify.preferences GET": PAGE,
    "notify.preferences POST": PAGE,
    # The token is the credential (signed): any valid one shows its page, junk is 404; the
    # POST with an empty form is refused (400) for any token.
    "notify.unsubscribe GET": "public | ok; none=hidden",
    "notify.unsubscribe POST": "public | bad",
    # --- my learning, the team ------------------------------------------------------------
    "personal.index GET": PAGE,
    "personal.report_external GET": PAGE,
    "personal.report_external POST": PAGE,
    "personal.feedback GET": OWN,
    "personal.feedback POST": OWN,
    "personal.team GET": "manager | ok",
    # Only the reporter's manager chain decides; anyone else's report is as unknown (404).
    "personal.decide POST": "manager | hidden; manager.report=ok",
    # --- Transfer of Training -------------------------------------------------------------
    "transfer.index GET": PAGE,
    "transfer.team GET": "manager | ok",
    # A pre-task of a published activity: the signed-in person's own answer page.
    "transfer.pre_task GET": "signed-in | hidden; self=ok",
    "transfer.pre_task POST": "signed-in | hidden; self=ok",
    # The answer: the author and their manager chain read it; only the author writes (the
    # manager's POST is 403: they already know it exists); anyone else 404.
    "transfer.response GET": CHAIN,
    "transfer.response POST": "signed-in | hidden; self=ok manager.report=deny",
    # Only the manager chain confirms; the author gets 403 on their own answer.
    "transfer.confirm POST": "signed-in | hidden; self=deny manager.report=ok",
    # --- privacy --------------------------------------------------------------------------
    "privacy.mine GET": PAGE,
    "privacy.download POST": PAGE,
    "privacy.pseudonymise GET": ADMIN_OBJECT,
    "privacy.pseudonymise POST": ADMIN_OBJECT,
}

OUTCOMES = ("ok", "bad", "deny", "hidden", "login")


def expected(key: str, role: str, relation: str, roles: tuple[str, ...]) -> str:
    """The outcome the matrix states for `key` ("endpoint METHOD") as `role` with `relation`."""
    who, rest = (part.strip() for part in MATRIX[key].split("|", 1))
    default, _, overrides = (part.strip() for part in rest.partition(";"))
    allowed = _roles(who, roles)
    if role == "anonymous" and who != "public":
        return "login"
    outcome = default if role in allowed else "deny"
    rules = dict(item.split("=", 1) for item in overrides.split())
    for name in (relation, role, f"{role}.{relation}"):
        if role in allowed or name != relation:  # a gate-denied role: explicit overrides only
            outcome = rules.get(name, outcome)
    assert outcome in OUTCOMES, (key, outcome)
    return outcome


def _roles(who: str, roles: tuple[str, ...]) -> set[str]:
    if who == "public":
        return set(roles)
    if who == "signed-in":
        return set(roles) - {"anonymous"}
    names: set[str] = set()
    for name in who.split(","):
        names.update(ROLE_GROUPS.get(name.strip(), name.strip()).split(","))
    unknown = names - set(roles)
    assert not unknown, (who, unknown)
    return names
