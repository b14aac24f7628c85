"""How a member is found by name: case and accents do not matter.

`clanactors events --member Zoe`, the roster's search and the feed's member filter all
compare names through `fold`, so "zoe" finds "Zoë", "jurgen" finds "Jürgen" and "lukasz"
finds "Łukasz".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Letters Unicode does not decompose into a base letter and a mark, read as players type them.
_SPELLED_OUT = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ħ": "h",
        "Ħ": "h",
        "\u0131": "i",  # dotless i
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
    }
)


def fold(text: str) -> str:
    """`text` without case and accents: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold()


def name_matches(needle: str, *names: str) -> bool:
    """Whether `needle` occurs in any of `names`, ignoring case and accents."""
    folded = fold(needle).strip()
    return any(folded in fold(name) for name in names)


@dataclass(frozen=True)
class NamedMember:
    membership_id: str
    display_name: str
    bungie_name: str


def find_member(needle: str, members: Iterable[NamedMember]) -> list[NamedMember]:
    """The members `needle` names: by membershipId, else those whose Bungie name or display
    name it equals (ignoring case and accents), else those whose names contain it."""
    people = list(members)
    by_id = [m for m in people if m.membership_id == needle.strip()]
    if by_id:
        return by_id
    folded = fold(needle).strip()
    if not folded:
        return []
    exact = [m for m in people if folded in (fold(m.bungie_name), fold(m.display_name))]
    if exact:
        return exact
    return [m for m in people if name_matches(needle, m.bungie_name, m.display_name)]
