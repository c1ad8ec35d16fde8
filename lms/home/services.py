"""Recording accessibility problem reports and telling the contact address."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lms.core.outbox import enqueue_email
from lms.home.models import AccessibilityReport


def report_accessibility_problem(
    session: Session,
    *,
    page_url: str,
    description: str,
    contact_email: str | None,
    user_id: int | None,
    notify_address: str,
) -> AccessibilityReport:
    """Store the report and queue a mail to the organisation's accessibility contact."""
    report = AccessibilityReport(
        page_url=page_url.strip() or "-",
        description=description.strip(),
        contact_email=(contact_email or "").strip() or None,
        user_id=user_id,
    )
    session.add(report)
    session.flush()
    enqueue_email(
        session,
        to=notify_address,
        subject=f"Tillgänglighetsproblem rapporterat (#{report.id})",
        body_text=(
            f"Sida: {report.page_url}\nKontakt: {report.contact_email or '-'}\n\n"
            f"{report.description}\n"
        ),
        kind="accessibility_report",
        dedupe_key=f"accessibility-report:{report.id}",
    )
    return report
