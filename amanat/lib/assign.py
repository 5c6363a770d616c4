"""Optimal assignment of people to polling-station posts (issue 14), Django-free.

The model (docs/staffing-assignment.md has the long form):

* **Slots.**  Posts of the same station and kind are interchangeable, so they are one
  *slot* ``(station, kind)`` whose capacity is its number of open (unpinned) posts.  A
  pinned post is kept as is and its person counts as used (pinning a person to two
  posts is a ``ValueError``; a pinned person missing from ``people`` is kept, without a
  distance).  A station's point is that of its lowest post id.
* **Groups.**  Free people with the same home point, kinds, gender and refused stations
  are interchangeable (homes are administrative units' points, so a city's people
  share one): they are one node whose supply is their number.  People with no kinds
  take nothing.
* **Reach (arcs).**  For every kind a group may take, an arc goes to its nearest
  stations with an open post of that kind (nearest on an equirectangular projection
  around the input's mean latitude): at least ``neighbours`` of them (plus as many as
  the group refuses), and more until their posts of the kind seat ``REACH_FACTOR`` (2)
  times everyone free at that point who may take the kind — so a city's crowd reaches
  far enough for all of it.  Then arcs longer than ``max_km`` (great-circle) and the
  refused (person, station) pairs of ``forbidden_stations`` are dropped.
  ``neighbours=None`` (or 0) keeps every station.  Cost: the great-circle distance
  home → station in whole metres.
* **Network.**  source → group (capacity: its size), group → slot (capacity: the
  smaller of the two, cost: metres), slot → sink (capacity: open posts).  OR-Tools'
  ``SimpleMinCostFlow.solve_max_flow_with_min_cost`` maximises the number of filled
  posts first and only then minimises the cost: the objective is lexicographic by
  construction (no big-M on the count).  ``status`` is the solver's own word
  ("OPTIMAL", ...); optimality is over the arcs built (the reach above).
* **Gender balance** (``gender_balance=True``).  At a station with at least two member
  posts the member slot is entered through a women's and a men's node (people of
  unknown gender go straight in).  Each has one arc of capacity 1 into the slot with a
  *bonus* (negative cost) and a plain arc for the rest; there is no women's (men's)
  node where a pinned member already is a woman (a man).  The bonus exceeds any
  possible change of the total distance, so the result fills the most posts; among
  those, it covers the most (station, gender) pairs — every such station gets a woman
  and a man among its members whenever the people in reach allow it without leaving a
  post unfilled; among those, the least total distance.
* **Unfilled posts** get a reason: ``no_one_of_kind`` (no person in ``people`` may take
  this kind at all), ``none_in_reach`` (some may, but no arc reaches this station: too
  far, outside the reach, or refused by ``forbidden_stations``), ``taken`` (some reach
  it but the optimum — or the greedy order — used them elsewhere).
* Among interchangeable posts of a slot, people go in id order to posts in id order.
* ``greedy`` is the baseline: the same arcs, nearest pair first.
* Limits.  The nearest-station search is a dense numpy scan per kind (groups × stations,
  in blocks of ``_BLOCK_CELLS``), meant for one county at a time.  The min-cost flow has
  no time limit of its own: ``time_limit_s`` is accepted for interface stability and not
  enforced (the largest county takes seconds, bench/staff_assign.py).
"""

from __future__ import annotations

import math
import time
from collections import Counter
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
# People living at the same point (n of them who may take a kind) reach at least enough
# stations to seat REACH_FACTOR × n of them in that kind.
REACH_FACTOR = 2


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
class _Group:
    """Free people who are interchangeable: same home point, kinds, gender and refusals."""

    lat: float
    lon: float
    kinds: frozenset[str]
    gender: str
    forbidden: frozenset[int]  # station ids
    members: list[int]  # person ids, ascending


@dataclass
class _Problem:
    posts: dict[int, Post]
    groups: list[_Group]
    by_id: dict[int, Person]  # every person given
    slots: list[_Slot]
    pinned: dict[int, int]  # post id -> person id
    # arcs: group index, slot index, metres, capacity
    arc_group: np.ndarray
    arc_slot: np.ndarray
    arc_metres: np.ndarray
    arc_cap: np.ndarray
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
    if len(used) < len(pinned):
        twice = sorted(pid for pid, n in Counter(pinned.values()).items() if n > 1)
        raise ValueError(f"people pinned to more than one post: {twice}")
    kinds_present = frozenset(k for p in everyone for k in p.kinds)
    refused: dict[int, set[int]] = {}
    for person_id, station_id in forbidden:
        refused.setdefault(person_id, set()).add(station_id)
    groups_by_key: dict[tuple[float, float, frozenset[str], str, frozenset[int]], _Group] = {}
    for person in sorted(everyone, key=lambda p: p.id):
        if person.id in used or not person.kinds:
            continue
        refusals = frozenset(refused.get(person.id, ()))
        key = (person.lat, person.lon, person.kinds, person.gender, refusals)
        group = groups_by_key.get(key)
        if group is None:
            group = groups_by_key[key] = _Group(*key, members=[])
        group.members.append(person.id)

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
    groups = list(groups_by_key.values())
    arc_group, arc_slot, arc_metres = _arcs(groups, slots, max_km, neighbours)
    sizes = np.array([len(g.members) for g in groups] or [0], dtype=np.int64)
    caps = np.array([len(s.posts) for s in slots] or [0], dtype=np.int64)
    arc_cap = np.minimum(sizes[arc_group], caps[arc_slot])
    return _Problem(
        post_map, groups, by_id, slots, pinned, arc_group, arc_slot, arc_metres, arc_cap,
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
    groups: Sequence[_Group], slots: Sequence[_Slot], max_km: float | None,
    neighbours: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group → slot arcs: per kind, each group's nearest stations with an open post of
    that kind — at least ``neighbours`` of them (not counting refused ones) and, when n
    free people living at the group's point may take the kind, as many more as it takes
    for their posts of that kind to reach REACH_FACTOR × n — then those within
    ``max_km`` and not refused."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not groups or not slots:
        return empty
    g_lat = np.array([g.lat for g in groups], dtype=np.float64)
    g_lon = np.array([g.lon for g in groups], dtype=np.float64)
    s_lat = np.array([s.lat for s in slots], dtype=np.float64)
    s_lon = np.array([s.lon for s in slots], dtype=np.float64)
    lat0 = float(np.mean(np.concatenate([g_lat, s_lat])))
    g_xy = _project(g_lat, g_lon, lat0)
    s_xy = _project(s_lat, s_lon, lat0)
    refusals = np.array([len(g.forbidden) for g in groups], dtype=np.int64)
    # A crowd is everyone free at the same point who may take the kind (whatever else
    # they may take, their gender or refusals): its groups all rank the stations alike,
    # so each must reach far enough for the whole crowd.
    crowd: Counter[tuple[float, float, str]] = Counter()
    for g in groups:
        for kind in g.kinds:
            crowd[(g.lat, g.lon, kind)] += len(g.members)

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    for kind in sorted({s.kind for s in slots}):
        slot_idx = np.array([i for i, s in enumerate(slots) if s.kind == kind], dtype=np.int64)
        group_idx = np.array(
            [i for i, g in enumerate(groups) if kind in g.kinds], dtype=np.int64
        )
        if not len(slot_idx) or not len(group_idx):
            continue
        n_slots = len(slot_idx)
        kind_xy = s_xy[slot_idx]
        kind_cap = np.array([len(slots[i].posts) for i in slot_idx], dtype=np.int64)
        chunk = max(1, _BLOCK_CELLS // n_slots)
        for start in range(0, len(group_idx), chunk):
            block = group_idx[start:start + chunk]
            crowds = np.array([crowd[(groups[g].lat, groups[g].lon, kind)]
                               for g in block.tolist()], dtype=np.int64)
            diff_x = g_xy[block, 0][:, None] - kind_xy[None, :, 0]
            diff_y = g_xy[block, 1][:, None] - kind_xy[None, :, 1]
            d2 = diff_x * diff_x + diff_y * diff_y
            if not neighbours:
                near = np.broadcast_to(np.arange(n_slots), d2.shape)
                count = np.full(len(block), n_slots)
            else:
                near = np.argsort(d2, axis=1)
                seats = np.cumsum(kind_cap[near], axis=1)
                by_seats = (seats < REACH_FACTOR * crowds[:, None]).sum(axis=1) + 1
                count = np.minimum(
                    n_slots, np.maximum(neighbours + refusals[block], by_seats)
                )
            mask = np.arange(n_slots)[None, :] < count[:, None]
            rows, cols = np.nonzero(mask)
            tails.append(block[rows])
            heads.append(slot_idx[near[rows, cols]])
    if not tails:
        return empty
    tail = np.concatenate(tails)
    head = np.concatenate(heads)
    keep = np.ones(len(tail), dtype=bool)
    if refusals.any():
        # (group, station) pairs as one integer each for a vectorised membership test.
        station_ids = np.array([s.station for s in slots], dtype=np.int64)
        low, stride = int(station_ids.min()), int(station_ids.max() - station_ids.min()) + 1
        bad = np.array(sorted(
            g * stride + (sid - low) for g in np.flatnonzero(refusals).tolist()
            for sid in groups[g].forbidden if low <= sid < low + stride
        ), dtype=np.int64)
        keep &= ~np.isin(tail * stride + (station_ids[head] - low), bad)
    metres = _haversine_m(g_lat[tail], g_lon[tail], s_lat[head], s_lon[head])
    if max_km is not None:
        keep &= metres <= max_km * 1000
    return tail[keep], head[keep], np.rint(metres[keep]).astype(np.int64)


def _seat(problem: _Problem, arc_flow: np.ndarray) -> dict[int, list[int]]:
    """Slot index -> person ids, from the units of flow on each group → slot arc (the
    people of a group are interchangeable: taken in id order)."""
    taken = [0] * len(problem.groups)
    filled: dict[int, list[int]] = {}
    for a in np.flatnonzero(arc_flow > 0).tolist():
        g, units = int(problem.arc_group[a]), int(arc_flow[a])
        members = problem.groups[g].members
        filled.setdefault(int(problem.arc_slot[a]), []).extend(
            members[taken[g]:taken[g] + units])
        taken[g] += units
    return filled


def _finish(
    problem: _Problem, filled: dict[int, list[int]], status: str, started: float,
    extra: dict[str, float] | None = None,
) -> Result:
    """The result from each slot's chosen people (slot index -> person ids)."""
    assignment = dict(problem.pinned)
    unfilled: dict[int, str] = {}
    reachable = np.zeros(len(problem.slots), dtype=bool)
    reachable[problem.arc_slot] = True
    for index, slot in enumerate(problem.slots):
        # Interchangeable posts: people in id order to posts in id order (stable output).
        chosen = sorted(filled.get(index, []))
        assignment.update(zip(slot.posts, chosen, strict=False))
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
    n_groups, n_slots, n_arcs = len(problem.groups), len(problem.slots), len(problem.arc_slot)
    if not n_slots or not n_arcs:
        return _finish(problem, {}, "OPTIMAL", started)

    source, sink = 0, 1
    group_node = 2  # + group index
    slot_node = group_node + n_groups  # + slot index
    next_node = slot_node + n_slots
    sizes = np.array([len(g.members) for g in problem.groups], dtype=np.int64)
    arc_head = problem.arc_slot + slot_node
    extra_arcs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if gender_balance:
        arc_head, extra_arcs, next_node = _gender_gadgets(problem, arc_head, slot_node, next_node)
    slot_caps = np.array([len(s.posts) for s in problem.slots], dtype=np.int64)
    parts = [
        # source -> group, then group -> slot (these arcs are numbered n_groups...)
        (np.full(n_groups, source, np.int64), np.arange(n_groups, dtype=np.int64) + group_node,
         sizes, np.zeros(n_groups, np.int64)),
        (problem.arc_group + group_node, arc_head, problem.arc_cap, problem.arc_metres),
        *extra_arcs,
        (np.arange(n_slots, dtype=np.int64) + slot_node, np.full(n_slots, sink, np.int64),
         slot_caps, np.zeros(n_slots, np.int64)),
    ]
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate([part[i] for part in parts]) for i in range(4))
    )
    supply = int(min(sizes.sum(), slot_caps.sum()))
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    built = time.perf_counter()
    status = flow.solve_max_flow_with_min_cost()
    solved = time.perf_counter()
    status_name = getattr(status, "name", str(status))
    filled: dict[int, list[int]] = {}
    if status_name in ("OPTIMAL", "FEASIBLE"):
        filled = _seat(problem, flow.flows(np.arange(n_groups, n_groups + n_arcs)))
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
        genders = np.array([g.gender for g in problem.groups], dtype=object)[problem.arc_group]
        new_head = arc_head.copy()
        for a in np.flatnonzero(genders != "").tolist():
            gadget_node = gadget.get((int(problem.arc_slot[a]), genders[a]))
            if gadget_node is not None:
                new_head[a] = gadget_node
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
    left = np.array([len(s.posts) for s in problem.slots] or [0], dtype=np.int64)
    free = np.array([len(g.members) for g in problem.groups] or [0], dtype=np.int64)
    arc_flow = np.zeros(len(problem.arc_slot), dtype=np.int64)
    order = np.lexsort((problem.arc_slot, problem.arc_group, problem.arc_metres))
    for a in order.tolist():
        g, slot = int(problem.arc_group[a]), int(problem.arc_slot[a])
        units = min(free[g], left[slot])
        if units:
            free[g] -= units
            left[slot] -= units
            arc_flow[a] = units
    return _finish(problem, _seat(problem, arc_flow), "GREEDY", started)
