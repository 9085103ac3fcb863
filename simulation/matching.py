"""Who works which duty: a maximum matching of duty slots to eligible people.

Each slot lists its candidates best first (no overtime before overtime, least worked in the last
week first, as :mod:`crew.coverage` orders them). A greedy pass gives every slot its best free
candidate; slots left empty then look for an augmenting path (Kuhn's algorithm), so the number
of filled slots is the maximum possible — the greedy alone can strand a slot whose only
candidates were taken by slots with other choices.

:func:`feasible` answers, without matching, whether counts of duties of a few *types* (early,
late, peak) can all be filled: by Hall's theorem, exactly when every set of types has at least
as many people eligible for one of them as it has duties.
"""

from __future__ import annotations

from collections.abc import Sequence


def assign(slots: Sequence[Sequence[int]]) -> list[int]:
    """Person for each slot (-1 where none); each person fills at most one slot."""
    owner: dict[int, int] = {}
    got = [-1] * len(slots)
    for s, cands in enumerate(slots):
        for p in cands:
            if p not in owner:
                owner[p] = s
                got[s] = p
                break
    empty = [s for s, p in enumerate(got) if p < 0]
    if not empty:
        return got
    # People visited by a failed search stay dead until the matching changes.
    dead: set[int] = set()

    def augment(s: int, seen: set[int]) -> bool:
        for p in slots[s]:
            if p in seen:
                continue
            seen.add(p)
            o = owner.get(p)
            if o is None or augment(o, seen):
                owner[p] = s
                got[s] = p
                return True
        return False

    for s in empty:
        seen = set(dead)
        if augment(s, seen):
            dead.clear()
        else:
            dead = seen
    return got


def type_capacity(masks: Sequence[int], n_types: int) -> list[int]:
    """For each subset ``S`` of types (a bit set), how many people are eligible for at least one
    type in ``S``, from the count of people per eligibility bit set ``masks[m]``."""
    cap = [0] * (1 << n_types)
    for subset in range(1, 1 << n_types):
        cap[subset] = sum(c for m, c in enumerate(masks) if m & subset)
    return cap


def feasible(cap: Sequence[int], needs: Sequence[int]) -> bool:
    """Can ``needs[t]`` duties of each type ``t`` all be filled (Hall's condition)?"""
    n = len(needs)
    for subset in range(1, 1 << n):
        need = 0
        for t in range(n):
            if subset >> t & 1:
                need += needs[t]
        if need > cap[subset]:
            return False
    return True


def max_extra(cap: Sequence[int], needs: Sequence[int], t: int) -> int:
    """The largest count of type ``t`` fillable together with ``needs`` of the other types
    (``needs[t]`` is ignored); -1 if the others alone cannot be filled."""
    n = len(needs)
    best = 1 << 30
    for subset in range(1, 1 << n):
        need = 0
        for u in range(n):
            if u != t and subset >> u & 1:
                need += needs[u]
        room = cap[subset] - need
        if subset >> t & 1:
            best = min(best, room)
        elif room < 0:
            return -1
    return best
