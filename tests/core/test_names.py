"""Members are found by name ignoring case and accents: "Zoe" finds "Zoë"."""

from __future__ import annotations

import pytest

from clanactors.domain.names import NamedMember, find_member, fold, name_matches

ZOE = NamedMember("1", "Zoë Ñandú", "Zoë Ñandú#0042")
LUKASZ = NamedMember("2", 'Łukasz "The Wall"', 'Łukasz "The Wall"#0007')
ORBIT_A = NamedMember("3", "xOrbitx", "xOrbitx#0002")
ORBIT_B = NamedMember("4", "xOrbitx", "xOrbitx#0003")
ORBITER = NamedMember("5", "Orbiter", "Orbiter#0001")
CLAN = [ZOE, LUKASZ, ORBIT_A, ORBIT_B, ORBITER]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Zoe", "Zoë Ñandú"),
        ("ZOË", "Zoë"),
        ("nandu", "Zoë Ñandú"),
        ("lukasz", "Łukasz"),
        ("jurgen & co", "Jürgen & Co"),
        ("renee", "Renée 🚀"),
        ("strasse", "Straße"),
        ("phoenix", "🔥Phoenix🔥"),
    ],
)
def test_case_and_accents_do_not_matter(typed: str, name: str) -> None:
    assert name_matches(typed, name)


def test_other_letters_still_differ() -> None:
    assert not name_matches("zoa", "Zoë")
    assert fold("Zoë") != fold("Zoa")


def test_an_exact_name_wins_over_names_that_contain_it() -> None:
    assert find_member("orbiter", CLAN) == [ORBITER]
    assert find_member("XORBITX", CLAN) == [ORBIT_A, ORBIT_B]  # one display name, two people
    assert find_member("xorbitx#0003", CLAN) == [ORBIT_B]
    assert find_member("orbit", CLAN) == [ORBIT_A, ORBIT_B, ORBITER]


def test_by_id_by_part_and_nothing() -> None:
    assert find_member("2", CLAN) == [LUKASZ]
    assert find_member("zoe", CLAN) == [ZOE]
    assert find_member("nobody", CLAN) == []
    assert find_member("  ", CLAN) == []
