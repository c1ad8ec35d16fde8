"""The per-user recommendation cache and its freshness (helper B fills this in).

Contract (others code against it):

    def refresh_users(session, user_ids: Collection[int] | None, *, now: datetime) -> int
        # recompute and store the cache of these active users (None = every active user),
        # in batches; returns how many were refreshed; the caller commits
    def ensure_fresh(session, user: User, *, now: datetime) -> bool
        # refresh `user` now if never computed or stale (a constant number of queries);
        # True when it refreshed; the caller commits
    def mark_stale(session, user_ids: Collection[int], *, now: datetime) -> None
    def users_affected_by(session, activity_ids: Collection[int]) -> set[int]
"""
