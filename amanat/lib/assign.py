"""Optimal assignment of people to polling-station posts (issue 14), Django-free.

The model (docs/staffing-assignment.md has the long form):

* **Posts** of the same station and kind are interchangeable, so they are grouped into
  one *slot* ``(station, kind)`` whose capacity is the number of its open (unpinned)
  posts.  A pinned post is kept as is and its person counts as used.
* **Arcs.**  For every kind a person may take, an arc goes from the person to each of
  the ``neighbours`` nearest stations with an open post of that kind (nearest on an
  equirectangular projection around the input's mean latitude), dropping those further
  than ``max_km`` (great-circle) and the (person, station) pairs in
  ``forbidden_stations``.  The arc's cost is the great-circle distance home → station
  in whole metres.  ``neighbours=None`` (or 0) keeps every station.
* **Network.**  source → person (capacity 1), person → slot (capacity 1, cost metres),
  slot → sink (capacity = open posts).  OR-Tools' ``SimpleMinCostFlow`` solves it with
  ``solve_max_flow_with_min_cost``: the *number of filled posts is maximised first*
  and only then the cost minimised, so the objective is lexicographic by construction
  (no big-M on the count).  ``status`` is the solver's own word ("OPTIMAL", ...);
  optimality is over the arcs built (the ``neighbours`` / ``max_km`` reach).
* **Gender balance** (``gender_balance=True``): at a station with at least two member
  posts, the member slot is entered through three nodes: women, men and unknown.  The
  women's node has one arc of capacity 1 carrying a *bonus* (negative cost) into the
  slot plus a plain arc for the rest, the men's node likewise (none when a pinned
  member already is a woman, respectively a man).  The bonus exceeds any possible
  change of the total distance, so among the assignments that fill the most posts the
  solver takes one that maximises the number of (station, gender) pairs covered — i.e.
  every station has a woman and a man among its members whenever the people in reach
  allow it without leaving a post unfilled — and then the least total distance.
* **Unfilled posts** get a reason: ``no_one_of_kind`` (no person in ``people`` may take
  this kind at all), ``none_in_reach`` (some may, but none has an arc to this station:
  too far, outside their ``neighbours`` nearest, or refused by ``forbidden_stations``),
  ``taken`` (people in reach exist but all were used for other posts).
* ``greedy`` is the baseline: the same arcs taken nearest pair first.
* Limits: the nearest-station search is a dense numpy scan, chunked (people × stations
  per kind), meant for one county at a time (a large county: a few thousand stations,
  tens of thousands of people); the min-cost flow has no time limit of its own
  (``time_limit_s`` is accepted for interface stability and reported as exceeded only
  in ``Result.seconds``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from amanat.lib.geodesy import EARTH_RADIUS_KM, distance_km

KINDS = ("representative", "member", "inspector", "police")
MEMBER = "member"
NO_ONE_OF_KIND = "no_one_of_kind"
NONE_IN_REACH = "none_in_reach"
TAKEN = "taken"
REASONS = (NO_ONE_OF_KIND, NONE_IN_REACH, TAKEN)
# Dense distance blocks are at most this many cells (float64: ~32 MB).
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class Post:
    id: int  # the staffing post's primary key
    station: int  # station id
    kind: str  # "representative" | "member" | "inspector" | "police"
    lat: float
    lon: float
    pinned: int | None = None  # a person id the governor fixed by hand: kept as is


@dataclass(frozen=True)
class Person:
    id: int
    lat: float  # home place (its administrative unit's point)
    lon: float
    kinds: frozenset[str]  # the posts this person may take (eligible AND trained)
    gender: str = ""  # "f", "m" or "" (unknown)


@dataclass
class Result:
    assignment: dict[int, int]  # post id -> person id (pinned posts included)
    unfilled: dict[int, str]  # post id -> reason code (REASONS)
    status: str  # the solver's own word, or "GREEDY"
    total_km: float  # sum of home -> station distances of the assignment (pinned included)
    seconds: float
    arcs: int = 0  # person -> slot arcs built
    balanced_stations: int = 0  # stations (≥ 2 member posts) with a woman and a man member
    balance_stations: int = 0  # stations with ≥ 2 member posts
    extra: dict[str, float] = field(default_factory=dict)  # timings of the phases


# --- the common preparation -------------------------------------------------------------


@dataclass
class _Slot:
    station: int
    kind: str
    lat: float
    lon: float
    posts: list[int]  # open post ids, ascending


@dataclass
class _Problem:
    posts: dict[int, Post]
    people: list[Person]  # the free people (not pinned anywhere)
    by_id: dict[int, Person]  # every person given
    slots: list[_Slot]
    pinned: dict[int, int]  # post id -> person id
    # arcs: person index (into people), slot index, metres
    arc_person: np.ndarray
    arc_slot: np.ndarray
    arc_metres: np.ndarray
    kinds_present: frozenset[str]
    build_seconds: float


def _prepare(
    posts: Iterable[Post], people: Iterable[Person], forbidden: Iterable[tuple[int, int]],
    max_km: float | None, neighbours: int | None,
) -> _Problem:
    started = time.perf_counter()
    post_map = {p.id: p for p in posts}
    everyone = list(people)
    by_id = {p.id: p for p in everyone}
    pinned = {p.id: p.pinned for p in post_map.values() if p.pinned is not None}
    used = set(pinned.values())
    free = [p for p in everyone if p.id not in used and p.kinds]
    kinds_present = frozenset(k for p in everyone for k in p.kinds)

    station_point: dict[int, tuple[float, float]] = {}
    grouped: dict[tuple[int, str], list[int]] = {}
    for post in sorted(post_map.values(), key=lambda p: p.id):
        station_point.setdefault(post.station, (post.lat, post.lon))
        if post.pinned is None:
            grouped.setdefault((post.station, post.kind), []).append(post.id)
    slots = [
        _Slot(station, kind, *station_point[station], ids)
        for (station, kind), ids in sorted(grouped.items())
    ]
    arc_person, arc_slot, arc_metres = _arcs(free, slots, forbidden, max_km, neighbours)
    return _Problem(
        post_map, free, by_id, slots, pinned, arc_person, arc_slot, arc_metres,
        kinds_present, time.perf_counter() - started,
    )


def _project(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular kilometres around ``lat0``: fine for ranking within a county."""
    k = math.pi / 180 * EARTH_RADIUS_KM
    return np.stack([lon * (k * math.cos(math.radians(lat0))), lat * k], axis=1)


def _haversine_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _arcs(
    people: Sequence[Person], slots: Sequence[_Slot], forbidden: Iterable[tuple[int, int]],
    max_km: float | None, neighbours: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person → slot arcs: per kind, each person's nearest stations with an open post of
    that kind, within ``max_km`` and not forbidden."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not people or not slots:
        return empty
    forbidden_by_person: dict[int, set[int]] = {}
    for person_id, station_id in forbidden:
        forbidden_by_person.setdefault(person_id, set()).add(station_id)
    p_lat = np.array([p.lat for p in people], dtype=np.float64)
    p_lon = np.array([p.lon for p in people], dtype=np.float64)
    s_lat = np.array([s.lat for s in slots], dtype=np.float64)
    s_lon = np.array([s.lon for s in slots], dtype=np.float64)
    lat0 = float(np.mean(np.concatenate([p_lat, s_lat])))
    p_xy = _project(p_lat, p_lon, lat0)
    s_xy = _project(s_lat, s_lon, lat0)
    # Forbidden pairs as (person index, station id) codes for a vectorised test.
    station_ids = np.array([s.station for s in slots], dtype=np.int64)
    stride = int(station_ids.max()) + 1 if len(station_ids) else 1
    index_of = {p.id: i for i, p in enumerate(people)}
    bad_codes = np.array(sorted(
        index_of[pid] * stride + sid
        for pid, sids in forbidden_by_person.items() if pid in index_of
        for sid in sids if 0 <= sid < stride
    ), dtype=np.int64)

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    for kind in sorted({s.kind for s in slots}):
        slot_idx = np.array([i for i, s in enumerate(slots) if s.kind == kind], dtype=np.int64)
        person_idx = np.array(
            [i for i, p in enumerate(people) if kind in p.kinds], dtype=np.int64
        )
        if not len(slot_idx) or not len(person_idx):
            continue
        n_slots = len(slot_idx)
        extra = max(
            (len(forbidden_by_person.get(people[i].id, ())) for i in person_idx), default=0
        )
        want = n_slots if not neighbours else min(n_slots, neighbours + extra)
        kind_xy = s_xy[slot_idx]
        chunk = max(1, _BLOCK_CELLS // n_slots)
        for start in range(0, len(person_idx), chunk):
            block = person_idx[start:start + chunk]
            diff_x = p_xy[block, 0][:, None] - kind_xy[None, :, 0]
            diff_y = p_xy[block, 1][:, None] - kind_xy[None, :, 1]
            d2 = diff_x * diff_x + diff_y * diff_y
            if want < n_slots:
                near = np.argpartition(d2, want - 1, axis=1)[:, :want]
                # Keep the nearest first so that dropping forbidden ones keeps the order.
                order = np.argsort(np.take_along_axis(d2, near, axis=1), axis=1)
                near = np.take_along_axis(near, order, axis=1)
            else:
                near = np.argsort(d2, axis=1)
            tails.append(np.repeat(block, near.shape[1]))
            heads.append(slot_idx[near].ravel())
    if not tails:
        return empty
    tail = np.concatenate(tails)
    head = np.concatenate(heads)
    keep = np.ones(len(tail), dtype=bool)
    if len(bad_codes):
        keep &= ~np.isin(tail * stride + station_ids[head], bad_codes)
    metres = _haversine_m(p_lat[tail], p_lon[tail], s_lat[head], s_lon[head])
    if max_km is not None:
        keep &= metres <= max_km * 1000
    tail, head, metres = tail[keep], head[keep], metres[keep]
    if neighbours and len(bad_codes):
        # Forbidden stations were over-fetched: keep each (person, kind) nearest ``neighbours``.
        kinds_of_head = np.array([KINDS.index(s.kind) if s.kind in KINDS else len(KINDS)
                                  for s in slots], dtype=np.int64)[head]
        group = tail * (len(KINDS) + 1) + kinds_of_head
        order = np.lexsort((metres, group))
        tail, head, metres, group = tail[order], head[order], metres[order], group[order]
        starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
        rank = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
        sel = rank < neighbours
        tail, head, metres = tail[sel], head[sel], metres[sel]
    return tail.astype(np.int64), head.astype(np.int64), np.rint(metres).astype(np.int64)


def _finish(
    problem: _Problem, filled: dict[int, list[int]], status: str, started: float,
    extra: dict[str, float] | None = None,
) -> Result:
    """The result from each slot's chosen people (slot index -> person indices)."""
    assignment = dict(problem.pinned)
    unfilled: dict[int, str] = {}
    reachable = np.zeros(len(problem.slots), dtype=bool)
    reachable[problem.arc_slot] = True
    for index, slot in enumerate(problem.slots):
        chosen = filled.get(index, [])
        # Interchangeable posts: people in id order to posts in id order (stable output).
        chosen = sorted(chosen, key=lambda i: problem.people[i].id)
        for post_id, person_index in zip(slot.posts, chosen, strict=False):
            assignment[post_id] = problem.people[person_index].id
        for post_id in slot.posts[len(chosen):]:
            if slot.kind not in problem.kinds_present:
                unfilled[post_id] = NO_ONE_OF_KIND
            elif not reachable[index]:
                unfilled[post_id] = NONE_IN_REACH
            else:
                unfilled[post_id] = TAKEN
    total = 0.0
    for post_id, person_id in assignment.items():
        person, post = problem.by_id.get(person_id), problem.posts[post_id]
        if person is not None:
            total += distance_km(person.lat, person.lon, post.lat, post.lon)
    balance, balanced = _balance_counts(problem, assignment)
    return Result(
        assignment=dict(sorted(assignment.items())), unfilled=dict(sorted(unfilled.items())),
        status=status, total_km=total, seconds=time.perf_counter() - started,
        arcs=len(problem.arc_slot), balanced_stations=balanced, balance_stations=balance,
        extra={"arcs_seconds": problem.build_seconds, **(extra or {})},
    )


def _balance_counts(problem: _Problem, assignment: dict[int, int]) -> tuple[int, int]:
    members: dict[int, int] = {}
    genders: dict[int, set[str]] = {}
    for post in problem.posts.values():
        if post.kind == MEMBER:
            members[post.station] = members.get(post.station, 0) + 1
            person = problem.by_id.get(assignment.get(post.id, -1))
            if person is not None and person.gender:
                genders.setdefault(post.station, set()).add(person.gender)
    eligible = [s for s, n in members.items() if n >= 2]
    return len(eligible), sum(1 for s in eligible if {"f", "m"} <= genders.get(s, set()))


# --- the solver and the baseline --------------------------------------------------------


def solve(
    posts: Iterable[Post], people: Iterable[Person], *,
    forbidden_stations: Iterable[tuple[int, int]] = frozenset(), max_km: float | None = None,
    neighbours: int | None = 40, gender_balance: bool = False, time_limit_s: float = 60.0,
) -> Result:
    """Fill the most posts, then least total distance (and, with ``gender_balance``,
    a woman and a man among each station's members wherever possible in between)."""
    from ortools.graph.python import min_cost_flow

    started = time.perf_counter()
    problem = _prepare(posts, people, forbidden_stations, max_km, neighbours)
    n_people, n_slots = len(problem.people), len(problem.slots)
    if not n_slots or not len(problem.arc_slot):
        return _finish(problem, {}, "OPTIMAL", started)

    source, sink = 0, 1
    person_node = 2  # + person index
    slot_node = person_node + n_people  # + slot index
    next_node = slot_node + n_slots
    tails = [np.full(n_people, source, np.int64), problem.arc_person + person_node]
    heads = [np.arange(n_people, dtype=np.int64) + person_node, np.zeros(0, np.int64)]
    caps = [np.ones(n_people, np.int64), np.ones(len(problem.arc_person), np.int64)]
    costs = [np.zeros(n_people, np.int64), problem.arc_metres]
    arc_head = problem.arc_slot + slot_node

    if gender_balance:
        arc_head, extra_arcs, next_node = _gender_gadgets(problem, arc_head, slot_node, next_node)
        for t, h, c, k in extra_arcs:
            tails.append(t)
            heads.append(h)
            caps.append(c)
            costs.append(k)
    heads[1] = arc_head
    slot_caps = np.array([len(s.posts) for s in problem.slots], dtype=np.int64)
    tails.append(np.arange(n_slots, dtype=np.int64) + slot_node)
    heads.append(np.full(n_slots, sink, np.int64))
    caps.append(slot_caps)
    costs.append(np.zeros(n_slots, np.int64))

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps),
        np.concatenate(costs),
    )
    supply = int(min(n_people, slot_caps.sum()))
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    built = time.perf_counter()
    status = flow.solve_max_flow_with_min_cost()
    solved = time.perf_counter()
    status_name = getattr(status, "name", str(status))
    filled: dict[int, list[int]] = {}
    if status_name in ("OPTIMAL", "FEASIBLE"):
        first = n_people  # the person -> slot arcs follow the source arcs
        arc_ids = np.arange(first, first + len(problem.arc_person))
        used = np.flatnonzero(flow.flows(arc_ids) > 0)
        for a in used:
            filled.setdefault(int(problem.arc_slot[a]), []).append(int(problem.arc_person[a]))
    return _finish(problem, filled, status_name, started, {
        "network_seconds": built - started - problem.build_seconds,
        "flow_seconds": solved - built,
    })


def _gender_gadgets(
    problem: _Problem, arc_head: np.ndarray, slot_node: int, next_node: int,
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], int]:
    """Route member arcs of stations with ≥ 2 member posts through a women's / men's node
    whose first unit into the slot earns a bonus larger than any distance change."""
    members: dict[int, int] = {}
    pinned_genders: dict[int, set[str]] = {}
    for post in problem.posts.values():
        if post.kind == MEMBER:
            members[post.station] = members.get(post.station, 0) + 1
            if post.pinned is not None:
                person = problem.by_id.get(post.pinned)
                if person is not None and person.gender:
                    pinned_genders.setdefault(post.station, set()).add(person.gender)
    open_posts = sum(len(s.posts) for s in problem.slots)
    max_arc = int(problem.arc_metres.max()) if len(problem.arc_metres) else 0
    bonus = open_posts * (max_arc + 1) + 1
    gadget: dict[tuple[int, str], int] = {}  # (slot index, gender) -> node
    t: list[int] = []
    h: list[int] = []
    c: list[int] = []
    k: list[int] = []
    for index, slot in enumerate(problem.slots):
        if slot.kind != MEMBER or members.get(slot.station, 0) < 2:
            continue
        for gender in ("f", "m"):
            if gender in pinned_genders.get(slot.station, set()):
                continue
            node = next_node
            next_node += 1
            gadget[(index, gender)] = node
            t += [node, node]
            h += [slot_node + index, slot_node + index]
            c += [1, len(slot.posts)]
            k += [-bonus, 0]
    if gadget:
        genders = np.array([p.gender for p in problem.people], dtype=object)
        new_head = arc_head.copy()
        for (index, gender), node in gadget.items():
            sel = (problem.arc_slot == index) & (genders[problem.arc_person] == gender)
            new_head[sel] = node
        arc_head = new_head
    arrays = [(np.array(t, np.int64), np.array(h, np.int64), np.array(c, np.int64),
               np.array(k, np.int64))]
    return arc_head, arrays, next_node


def greedy(
    posts: Iterable[Post], people: Iterable[Person], *,
    forbidden_stations: Iterable[tuple[int, int]] = frozenset(), max_km: float | None = None,
    neighbours: int | None = 40,
) -> Result:
    """The baseline: the same arcs, taken nearest pair first."""
    started = time.perf_counter()
    problem = _prepare(posts, people, forbidden_stations, max_km, neighbours)
    left = [len(s.posts) for s in problem.slots]
    taken = np.zeros(len(problem.people), dtype=bool)
    filled: dict[int, list[int]] = {}
    order = np.lexsort((problem.arc_slot, problem.arc_person, problem.arc_metres))
    for a in order.tolist():
        person, slot = int(problem.arc_person[a]), int(problem.arc_slot[a])
        if taken[person] or not left[slot]:
            continue
        taken[person] = True
        left[slot] -= 1
        filled.setdefault(slot, []).append(person)
    return _finish(problem, filled, "GREEDY", started)
