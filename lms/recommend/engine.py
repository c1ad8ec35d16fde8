"""The ranking engine: pure functions over `lms.recommend.data` (helper A fills this in).

Contract (others code against it):

    TOP = 20                      # how many `rank` returns by default (the cache depth)

    @dataclass(frozen=True)
    class CandidatePool:          # built once per catalogue, shared by every profile
        candidates: Mapping[int, Candidate]           # activity id → candidate
        labels: Mapping[int, CompetenceLabel]         # competence id → code and name
        by_competence: Mapping[int, tuple[int, ...]]  # competence id → activity ids

    def build_pool(candidates: Iterable[Candidate],
                   labels: Mapping[int, CompetenceLabel]) -> CandidatePool
    def rank(profile: Profile, pool: CandidatePool, *, limit: int | None = TOP,
             diversify: bool = True) -> list[Recommendation]
    def rank_for_goals(profile: Profile, pool: CandidatePool, *,
                       per_goal: int = 5) -> dict[int, list[Recommendation]]
        # goal id → the goal's competence's eligible activities, best first (chosen ones too)
"""
