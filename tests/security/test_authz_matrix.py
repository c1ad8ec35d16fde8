"""The authorization matrix holds: every rule × method × role × relation answers as stated."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.security.authz_matrix import MATRIX, expected
from tests.security.walk import pairs, walk_once
from tests.security.world import ROLES

pytestmark = pytest.mark.sqlite_only


def test_the_matrix_names_every_rule_and_method_and_nothing_else(app: Flask) -> None:
    in_app = {f"{rule.endpoint} {method}" for rule, method in pairs(app)}
    assert sorted(in_app - MATRIX.keys()) == [], "rules missing from the matrix"
    assert sorted(MATRIX.keys() - in_app) == [], "matrix entries for rules that do not exist"


def test_every_case_answers_as_the_matrix_says(app: Flask) -> None:
    walk = walk_once(app)
    mismatches: list[str] = []
    allowed = refused = 0
    for (key, role, relation), result in sorted(walk.results.items()):
        if key not in MATRIX:
            continue  # reported by the test above
        want = expected(key, role, relation, ROLES)
        if want in ("ok", "bad"):
            allowed += 1
        else:
            refused += 1
        if result.outcome != want:
            mismatches.append(f"{key} as {role}/{relation}: expected {want}, got {result.outcome}")
    rules = {rule.rule for rule, _ in pairs(app)}
    print(
        f"\nauthorization matrix: {len(rules)} rules, {len(MATRIX)} rule×method pairs, "
        f"{allowed + refused} cases ({allowed} allowed, {refused} refused)"
    )
    assert mismatches == [], f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
    assert allowed + refused >= 3000
