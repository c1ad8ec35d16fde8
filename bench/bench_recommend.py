"""Recommendations for a synthetic organisation with known gaps: quality, latency, refresh time.

    .venv/bin/python bench/bench_recommend.py [--users 10000] [--activities 5000]
        [--postgres URL] [--skip-db] [--profile]

`recommend_data.generate` builds, from a seed, an organisation of 6 areas and 21
sub-competences, 12 job roles expecting levels 2–4 on 10–14 of them, 40 departments,
`--activities` activities (every format, 1–3 weighted competences, 15 % aimed at departments
or job roles, sessions of which some are past, full or cancelled, a theme month of 20) and
`--users` people, 85 % with a latest assessment whose needs are known, 30 % of those with a
plan goal, with completions, bookings and "not interested" marks.

(a) Quality, in plain data without a database: for every assessed person with a need, the
    share of their needs (DESIGN §4) that at least one of their top 5 is on, and the share
    of their need levels so covered, for `engine.rank`, for the 5 eligible activities most
    completed in their job role and for 5 random eligible activities; plus checks of the
    rules (eligibility, diversity, plan goals first, determinism).
(b) Latency of `engine.rank` for one person (the pool built once): p50/p95/max over everyone.
    Target: p95 < 20 ms.
(c) Per backend (SQLite, and PostgreSQL with --postgres; the PostgreSQL database is emptied,
    so its name must contain "bench"): the organisation bulk-inserted into a freshly migrated
    database, then `cache.refresh_users(session, None)` + commit for everyone (target: under
    60 s on 2 cores), how far the cached top 5 agree with (a), `ensure_fresh` for 300 single
    stale people (p50/p95, statements) and the start page (p50/p95, statements).
    --profile prints where the full refresh spends its time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import backends
from recommend_data import (
    Organisation,
    candidates,
    completions_in_role,
    generate,
    is_eligible,
    labels,
    profiles,
)
from sqlalchemy import event, select

from lms.core.time import utcnow
from lms.recommend.data import Candidate, Profile, Recommendation

TOP5 = 5
SINGLE = 300


# --- (a) quality and (b) latency, in plain data -----------------------------------------------


def coverage(
    picks: Sequence[int], gaps: dict[int, int], pool: dict[int, Candidate]
) -> tuple[float, float]:
    """(share of needs covered, share of need levels covered) by these activities."""
    covered = {c for a in picks for c in pool[a].competences if c in gaps}
    return len(covered) / len(gaps), sum(gaps[c] for c in covered) / sum(gaps.values())


def popularity_top(
    profile: Profile, by_popularity: dict[int, list[int]], pool: dict[int, Candidate]
) -> list[int]:
    """The 5 eligible activities most completed in the person's job role (ties: lowest id)."""
    picks = []
    for activity_id in by_popularity[profile.job_role_id or 0]:
        if is_eligible(pool[activity_id], profile):
            picks.append(activity_id)
            if len(picks) == TOP5:
                break
    return picks


def random_top(profile: Profile, ids: list[int], pool: dict[int, Candidate], rng: Any) -> list[int]:
    picks: list[int] = []
    while len(picks) < TOP5:
        activity_id = ids[rng.randrange(len(ids))]
        if activity_id not in picks and is_eligible(pool[activity_id], profile):
            picks.append(activity_id)
    return picks


def quantiles(times: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def crowded(top: Sequence[Recommendation], profile: Profile) -> bool:
    """More than DIVERSITY_CAP of the top on one competence, beyond what the person chose in
    their plan (those are never pushed down)."""
    chosen = {a for goal in profile.plan_goals for a in goal.activity_ids}
    every = Counter(r.competence_id for r in top if r.competence_id is not None)
    planned = Counter(r.competence_id for r in top if r.activity_id in chosen)
    return any(n > 2 and n > planned[c] for c, n in every.items())


def rank_everyone(org: Organisation, people: list[Profile]) -> dict[str, Any]:
    """Rank every person once, timing each call; their top 5 and the rule checks."""
    from lms.recommend import engine

    started = time.perf_counter()
    pool = engine.build_pool(candidates(org), labels(org))
    built = time.perf_counter() - started
    tops: dict[int, list[int]] = {}
    times: dict[bool, list[float]] = {True: [], False: []}  # assessed? → seconds
    checks: Counter[str] = Counter()
    for profile in people:
        started = time.perf_counter()
        ranked = engine.rank(profile, pool)
        times[bool(profile.assessed)].append(time.perf_counter() - started)
        top = ranked[:TOP5]
        tops[profile.user_id] = [r.activity_id for r in top]
        checks["ineligible"] += sum(
            not is_eligible(pool.candidates[r.activity_id], profile) for r in ranked
        )
        checks["over 2 of top 5 on one competence"] += crowded(top, profile)
        checks["short of 5"] += len(top) < TOP5
        if profile.plan_goals:
            goals = {g.competence_id for g in profile.plan_goals}
            checks["with plan goals"] += 1
            first = pool.candidates[top[0].activity_id].competences if top else {}
            checks["first develops a plan goal"] += bool(goals & first.keys())
        checks["with a theme pick"] += any(
            profile.theme is not None and a in profile.theme.activity_ids
            for a in tops[profile.user_id]
        )
    again = people[:: max(1, len(people) // 200)]
    checks["same order twice (of 200)"] = sum(
        [r.activity_id for r in engine.rank(p, pool)][:TOP5] == tops[p.user_id] for p in again
    )
    return {"pool": pool, "built": built, "tops": tops, "times": times, "checks": checks}


def evaluate(org: Organisation, people: list[Profile], tops: dict[int, list[int]]) -> None:
    pool = {c.activity_id: c for c in candidates(org)}
    by_popularity = {
        role: [a for a, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
        + sorted(pool.keys() - counts.keys())
        for role, counts in completions_in_role(org).items()
    }
    ids, rng = sorted(pool), random.Random(9)
    methods: dict[str, Callable[[Profile], list[int]]] = {
        "engine.rank": lambda p: tops[p.user_id],
        "most completed in the job role": lambda p: popularity_top(p, by_popularity, pool),
        "random eligible": lambda p: random_top(p, ids, pool, rng),
    }
    with_gaps = [(p, org.gaps(org.people[p.user_id])) for p in people if p.assessed]
    with_gaps = [(p, gaps) for p, gaps in with_gaps if gaps]
    needs = [len(g) for _, g in with_gaps]
    print(f"\n(a) top-5 gap coverage: {len(with_gaps):,} assessed people with needs "
          f"({statistics.mean(needs):.2f} needed sub-competences each, "
          f"{sum(sum(g.values()) for _, g in with_gaps) / len(with_gaps):.2f} levels)")  # fmt: skip
    print(f"{'method':<34} {'gaps covered':>13} {'need levels':>12} {'≥1 covered':>11} "
          f"{'all covered':>12}")  # fmt: skip
    for name, top_of in methods.items():
        shares, weighted, any_, all_ = [], [], 0, 0
        for profile, gaps in with_gaps:
            share, levels = coverage(top_of(profile), gaps, pool)
            shares.append(share)
            weighted.append(levels)
            any_ += share > 0
            all_ += share == 1
        n = len(with_gaps)
        print(f"{name:<34} {statistics.mean(shares):13.3f} {statistics.mean(weighted):12.3f} "
              f"{any_ / n:11.3f} {all_ / n:12.3f}")  # fmt: skip
    cold = [p for p in people if not p.assessed]
    on_role = sum(
        any(org.expected[p.job_role_id or 0].keys() & pool[a].competences for a in tops[p.user_id])
        for p in cold
    )
    print(f"cold start ({len(cold):,} never assessed): top 5 holds a sub-competence their job "
          f"role expects for {on_role / max(1, len(cold)):.3f}")  # fmt: skip


def report_ranking(result: dict[str, Any], people: list[Profile]) -> None:
    print(f"\n(b) engine.rank for one person (pool of {len(result['pool'].candidates):,} built "
          f"once in {result['built'] * 1000:.0f} ms)")  # fmt: skip
    print(f"{'people':<34} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    everyone = result["times"][True] + result["times"][False]
    for name, times in (("assessed", result["times"][True]),
                        ("never assessed (cold start)", result["times"][False]),
                        ("everyone", everyone)):  # fmt: skip
        if times:
            p50, p95, slowest = quantiles(times)
            print(f"{name:<34} {len(times):7,} {p50:8.2f} {p95:8.2f} {slowest:8.1f}")
    print("rule checks: " + ", ".join(f"{k} {v:,}" for k, v in result["checks"].items()))


# --- (c) the cache in a real database ----------------------------------------------------------


class Statements:
    """Counts SQL statements on an engine (SAVEPOINT and RELEASE excluded) while active."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            self.count += 1

    def __enter__(self) -> Statements:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def profiled(work: Callable[[], Any], enabled: bool) -> Any:
    if not enabled:
        return work()
    profiler = cProfile.Profile()
    result = profiler.runcall(work)
    for order, lines in (("cumulative", 35), ("tottime", 20)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        print("\n".join(out.getvalue().splitlines()[4:]))
    return result


def run_backend(backend: str, url: str, folder: Path, org: Organisation, args: Any,
                tops: dict[int, list[int]] | None) -> None:  # fmt: skip
    from bench_catalogue import PASSWORD, measure
    from recommend_db import write_organisation

    from lms.app import create_app
    from lms.config import load_settings
    from lms.core import migrate
    from lms.core.db import db
    from lms.core.passwords import hash_password
    from lms.recommend import cache
    from lms.recommend.models import Recommendation

    migrate.upgrade(url)
    app = create_app(load_settings(environ={}, env="test", database_url=url,
                                   instance_path=folder, secret_key="b" * 40))  # fmt: skip
    planned = next(p.id for p in org.people.values() if p.goals)
    cold = next(p.id for p in org.people.values() if not p.self_levels)
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        write_organisation(session, org, password_hash=hash_password(PASSWORD),
                           signed_in={planned, cold})  # fmt: skip
        print(f"\n(c) {backend}: organisation written in {time.perf_counter() - started:.1f} s")
        now = org.now
        load = os.getloadavg()[0]
        with Statements(db.engine) as statements:
            started, cpu = time.perf_counter(), time.process_time()
            refreshed = profiled(lambda: cache.refresh_users(session, None, now=now), args.profile)
            session.commit()
            full, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = session.execute(
            select(Recommendation.user_id, Recommendation.activity_id)
            .where(Recommendation.position <= TOP5)
            .order_by(Recommendation.user_id, Recommendation.position)
        ).all()
        cached: dict[int, list[int]] = {}
        for user_id, activity_id in rows:
            cached.setdefault(user_id, []).append(activity_id)
        print(f"{'full refresh (refresh_users + commit)':<44} {full:8.1f} s   {refreshed:,} "
              f"people, {statements.count:,} statements, {len(rows):,} top-5 rows; "
              f"{cpu:.1f} s CPU in this process; load average {load:.1f} → "
              f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        if tops is not None:
            same = sum(cached.get(u, []) == top for u, top in tops.items())
            print(f"{'cached top 5 equal to the plain-data top 5':<44} {same / len(tops):8.3f}")
        profiled(lambda: single_refresh(session, org, db.engine), args.profile)
        db.session.remove()
        for user_id, label in ((planned, "with a plan goal"), (cold, "never assessed")):
            email = f"person{user_id:05d}@kultur.example.se"
            try:
                with app.app_context():  # its own `g`: requests share the active app context
                    results = measure(app, 20, ("/",), email)
            except AssertionError as error:  # a page that fails is reported, not measured
                print(f"{'start page, ' + label:<44} not measured: {error}")
                continue
            for path, p50, p95, count in results:
                print(f"{'start page ' + path + ', ' + label:<44} {p50 * 1000:8.1f} ms p50, "
                      f"{p95 * 1000:.1f} ms p95, {count} statements")  # fmt: skip
    db.session.remove()
    db.engine.dispose()


def single_refresh(session: Any, org: Organisation, engine: Any) -> None:
    """`ensure_fresh` for SINGLE people made stale, one request (and commit) each."""
    from lms.accounts.models import User
    from lms.recommend import cache

    ids = sorted(random.Random(3).sample(sorted(org.people), min(SINGLE, len(org.people))))
    cache.mark_stale(session, ids, now=org.now)
    session.commit()
    times, counts, refreshed = [], Counter[int](), 0
    for user_id in ids:
        user = session.get(User, user_id)
        with Statements(engine) as statements:
            started = time.perf_counter()
            refreshed += cache.ensure_fresh(session, user, now=org.now)
            session.commit()
            times.append(time.perf_counter() - started)
        counts[statements.count] += 1
    p50, p95, slowest = quantiles(times)
    print(f"{'ensure_fresh + commit, one stale person':<44} {p50:8.1f} ms p50, {p95:.1f} ms "
          f"p95, {slowest:.1f} ms max; {refreshed}/{len(ids)} refreshed; statements "
          f"{dict(sorted(counts.items()))}")  # fmt: skip
    fresh = session.get(User, ids[0])
    with Statements(engine) as statements:
        started = time.perf_counter()
        again = cache.ensure_fresh(session, fresh, now=org.now)
        elapsed = time.perf_counter() - started
    session.rollback()
    print(f"{'ensure_fresh, already fresh':<44} {elapsed * 1000:8.1f} ms, refreshed {again}, "
          f"{statements.count} statements")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    parser.add_argument("--skip-db", action="store_true", help="quality and latency only")
    parser.add_argument("--skip-quality", action="store_true", help="the database part only")
    parser.add_argument("--profile", action="store_true", help="cProfile the full refresh")
    args = parser.parse_args(argv)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    org = generate(args.users, args.activities, now=now, seed=args.seed)
    people = profiles(org)
    print(
        f"generated in {time.perf_counter() - started:.1f} s: {len(org.activities):,} "
        f"activities, {len(org.people):,} people ({sum(bool(p.assessed) for p in people):,} "
        f"assessed, {sum(bool(p.plan_goals) for p in people):,} with plan goals), "
        f"{sum(len(p.completed) for p in people):,} completions, now {now:%Y-%m-%d %H:%M} UTC"
    )
    tops = None
    if not args.skip_quality:
        result = rank_everyone(org, people)
        tops = result["tops"]
        evaluate(org, people, tops)
        report_ranking(result, people)
    if args.skip_db:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            run_backend(backend, url, own, org, args, tops)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
