"""Upserting a package's theme months by key, with their banner, departments and activities."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department
from lms.catalog.models import Activity, ThemeMonth, ThemeMonthActivity, ThemeStatus, Upload
from lms.catalog.services import render_body
from lms.catalog.uploads import store_upload, upload_resolver
from lms.core.audit import record_event
from lms.core.time import local_date, start_of_local_day, utcnow
from lms.packages.framework_importer import set_changed
from lms.packages.records import ThemeRecord
from lms.packages.results import PackageInvalid, PackageResult

IMPORT_NOTE = "content import"

__all__ = ["ThemeImport"]


class ThemeImport:
    """Imports the theme month records of one package (after its activities)."""

    def __init__(
        self, session: Session, result: PackageResult, *, actor_id: int | None, months: int,
        skip_unknown_departments: bool, upload_folder: Path,
    ) -> None:  # fmt: skip
        self.session, self.result = session, result
        self.actor_id, self.months = actor_id, months
        self.skip_unknown_departments = skip_unknown_departments
        self.upload_folder = upload_folder
        self.existing: dict[str, ThemeMonth] = {}
        self.departments: dict[str, list[Department]] = {}
        self.activities: dict[str, int] = {}
        self.uploads: dict[str, Upload] = {}  # by sha256: a re-import looks banners up once

    def run(self, records: list[ThemeRecord]) -> None:
        records = [record.shifted(self.months) for record in records]
        if not records:
            return
        self._load(records)
        for record in records:
            self._import(record)
        self.session.flush()

    def _load(self, records: list[ThemeRecord]) -> None:
        slugs = sorted({record.slug for record in records})
        stmt = (
            select(ThemeMonth)
            .where(ThemeMonth.slug.in_(slugs))
            .options(selectinload(ThemeMonth.departments), selectinload(ThemeMonth.activity_links))
        )
        self.existing = {theme.key: theme for theme in self.session.scalars(stmt)}
        names = sorted({name for record in records for name in record.departments})
        if names:
            query = select(Department).where(Department.name.in_(names)).order_by(Department.id)
            for department in self.session.scalars(query):
                self.departments.setdefault(department.name, []).append(department)
        digests = sorted({_digest(data) for r in records if (data := r.banner_data) is not None})
        if digests:
            found = self.session.scalars(select(Upload).where(Upload.sha256.in_(digests)))
            self.uploads = {upload.sha256: upload for upload in found}
        wanted = sorted({slug for record in records for slug in record.activities})
        if wanted:
            query_ids = select(Activity.slug, Activity.id).where(Activity.slug.in_(wanted))
            self.activities = {slug: id_ for slug, id_ in self.session.execute(query_ids)}

    def _import(self, record: ThemeRecord) -> None:
        theme = self.existing.get(record.key)
        created = theme is None
        if theme is None:
            theme = ThemeMonth(
                year=record.year, month=record.month, slug=record.slug,
                created_by_id=self.actor_id,
            )  # fmt: skip
            self.session.add(theme)
        was_published = theme.is_published
        before = {link.activity_id for link in theme.activity_links} if not created else set()
        changed = set_changed(
            theme, title=record.title, status=record.status, publish_on=record.publish_on,
            banner_alt=record.banner_alt,
        )  # fmt: skip
        if created or theme.intro != record.intro:
            theme.intro = record.intro
            theme.intro_html, _quiz, _problems = render_body(
                record.intro, upload_resolver(self.session)
            )  # the reader reported any problem: the same renderer, the same resolver
            changed = True
        changed |= self._set_banner(theme, record)
        changed |= self._set_publication(theme, record)
        changed |= self._set_departments(theme, record)
        changed |= self._set_activities(theme, record)
        self.result.themes.count(created, changed)
        if (created or changed) and (was_published or theme.is_published):
            after = {link.activity_id for link in theme.activity_links}
            self.result.changed_activity_ids.update(before | after)
        if created or changed:
            self.session.flush()  # the id, for the audit trail
            record_event(
                self.session,
                actor_id=self.actor_id,
                action="theme.save",
                object_type="theme_month",
                object_id=theme.id,
                key=theme.key,
                note=IMPORT_NOTE,
            )

    def _set_banner(self, theme: ThemeMonth, record: ThemeRecord) -> bool:
        upload: Upload | None = None
        if record.banner is not None and record.banner_data is not None:
            digest = _digest(record.banner_data)
            upload = self.uploads.get(digest)
            if upload is None or not (self.upload_folder / upload.name).is_file():
                upload = self.uploads[digest] = store_upload(  # the same image is stored once
                    self.session,
                    folder=self.upload_folder,
                    data=record.banner_data,
                    filename=PurePosixPath(record.banner).name,
                    actor_id=self.actor_id,
                )
        banner_id = upload.id if upload is not None else None
        if theme.banner_id == banner_id:
            return False
        theme.banner = upload
        return True

    def _set_publication(self, theme: ThemeMonth, record: ThemeRecord) -> bool:
        """A published theme month gets its publication time, and counts as announced.

        An import brings months that were published elsewhere or long ago (the archive, a
        package from another organisation, the demo): telling everyone about each of them
        at once would flood people's inboxes, so the publish job must never announce them.
        Setting `announced_at` here says so. A scheduled month is not touched: the job
        publishes and announces it on its `publish_on` as if a coordinator had scheduled it.
        """
        if record.status != ThemeStatus.PUBLISHED:
            return False
        changed = False
        if theme.published_at is None:
            theme.published_at = _published_at(record.publish_on)
            changed = True
        if theme.announced_at is None:
            theme.announced_at = utcnow()
            changed = True
        return changed

    def _set_departments(self, theme: ThemeMonth, record: ThemeRecord) -> bool:
        wanted: list[Department] = []
        for name in record.departments:
            matches = self.departments.get(name, [])
            if not matches and self.skip_unknown_departments:
                self.result.unknown_departments.append(name)
            elif not matches:  # the reader checks this; a safety net, the caller rolls back
                raise PackageInvalid([f"{record.path}:1: unknown department {name!r}"])
            wanted += [department for department in matches if department not in wanted]
        if {d.id for d in theme.departments} == {d.id for d in wanted}:
            return False
        theme.departments = wanted
        return True

    def _set_activities(self, theme: ThemeMonth, record: ThemeRecord) -> bool:
        """The links in the file's order; kept links move, others go, new ones are added."""
        missing = [slug for slug in record.activities if slug not in self.activities]
        if missing:  # the reader checks this; a safety net, the caller rolls back
            raise PackageInvalid([f"{record.path}:1: unknown activity {missing[0]!r}"])
        wanted = [self.activities[slug] for slug in record.activities]
        links = sorted(theme.activity_links, key=lambda link: link.position)
        if [(link.activity_id, link.position) for link in links] == [
            (activity_id, position) for position, activity_id in enumerate(wanted)
        ]:
            return False
        by_activity = {link.activity_id: link for link in links}
        for position, activity_id in enumerate(wanted):
            link = by_activity.pop(activity_id, None)
            if link is None:
                theme.activity_links.append(
                    ThemeMonthActivity(activity_id=activity_id, position=position)
                )
            else:
                link.position = position
        for link in by_activity.values():
            theme.activity_links.remove(link)
        return True


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _published_at(publish_on: date | None) -> datetime:
    """When an imported month was published: its publish_on morning if past, else now."""
    now = utcnow()
    if publish_on is not None and publish_on <= local_date(now):
        return start_of_local_day(publish_on)
    return now
