"""Leaderboard ranks: shared on ties, cut at N but never between tied places."""

from __future__ import annotations

from clanactors.render.ranking import ranked


def test_ties_share_a_rank_and_zero_is_left_out() -> None:
    places = ranked([("bo", 3), ("Ana", 5), ("cy", 3), ("di", 1), ("ed", 0)], top=10)
    assert [(p.rank, p.item, p.value) for p in places] == [
        (1, "Ana", 5),
        (2, "bo", 3),
        (2, "cy", 3),
        (4, "di", 1),
    ]


def test_a_cut_keeps_everyone_tied_with_the_last_place() -> None:
    places = ranked([("a", 5), ("b", 4), ("c", 4), ("d", 4), ("e", 2)], top=2)
    assert [p.item for p in places] == ["a", "b", "c", "d"]
    assert ranked([], top=5) == []
