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
* **Reach (arcs).**  Per kind, on an equirectangular projection around the input's
  centre: each group reaches its nearest stations with an open post of that kind — at
  least ``neighbours`` (plus as many as it refuses), and more until their posts of the
  kind seat ``REACH_FACTOR`` (2) times everyone free at that point who may take the kind,
  so a city's crowd reaches far enough for all of it; and each station's open posts of
  the kind reach their nearest groups — at least ``REVERSE_FLOOR`` (10), until they hold
  twice as many people as posts.  Arcs longer than ``max_km`` (great-circle) and the
  refused (person, station) pairs of ``forbidden_stations`` are dropped (given as pairs
  or, for large inputs, as person id -> frozenset of station ids, whose sets are shared
  as given: ``refusals_by_person``).  After a solve,
  up to ``widen_rounds`` (3) rounds add reach between the people and the posts left
  over — the same nearest-neighbour reach among them, and the arcs a coarse plan on a
  grid asks for (``_guided``) — and solve again.  ``neighbours=None`` (or 0) builds every pair.
  Cost: the great-circle distance home → station in whole metres.
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
* ``greedy`` is the baseline: the same arcs (widened the same way), nearest pair first.
* Limits.  The nearest-station search is a dense numpy scan per kind (groups × stations,
  in blocks of ``_BLOCK_CELLS``), meant for one county at a time.  The reach is built
  for homes at units' points (few distinct points); with every person at their own
  point and people and stations spread very differently, it can miss fillable posts
  (docs/staffing-assignment.md, "Limits").  A min-cost flow cannot be stopped midway:
  ``time_limit_s`` only stops the widening rounds once it has passed (each solve is
  still exact over its arcs; the largest county takes seconds, bench/staff_assign.py).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np

from amanat.lib.geodesy import EARTH_RADIUS_KM, distance_km

KINDS = ("representative", "member", "inspector", "police")
MEMBER = "member"
NO_ONE_OF_KIND = "no_one_of_kind"
NONE_IN_REACH = "none_in_reach"
TAKEN = "taken"
REASONS = (NO_ONE_OF_KIND, NONE_IN_REACH, TAKEN)
# Dense distance blocks are at most this many cells (float32: ~16 MB).
_BLOCK_CELLS = 4_000_000
# People living at the same point (n of them who may take a kind) reach at least enough
# stations to seat REACH_FACTOR × n of them in that kind.
REACH_FACTOR = 2
# Each station's open posts of a kind reach at least this many of the nearest groups.
REVERSE_FLOOR = 10
# Rounds of widening the reach towards the posts and people left over (``_widen``).
WIDEN_ROUNDS = 3
# Widening also plans the leftovers coarsely on a grid of this many cells a side.
GUIDE_GRID = 16


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
    arcs: int = 0  # group -> slot arcs built (people alike form one group)
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
    geometry: _Geometry | None = None
    max_km: float | None = None
    neighbours: int | None = None

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(g.members) for g in self.groups], dtype=np.int64)

    @property
    def caps(self) -> np.ndarray:
        return np.array([len(s.posts) for s in self.slots], dtype=np.int64)

    def set_arcs(self, tail: np.ndarray, head: np.ndarray, metres: np.ndarray) -> None:
        """Replace the arcs (each (group, slot) pair once, in pair order)."""
        self.arc_group, self.arc_slot, self.arc_metres = tail, head, metres
        self.arc_cap = np.minimum(self.sizes[tail], self.caps[head]) if len(tail) else tail


@dataclass
class _Geometry:
    g_lat: np.ndarray
    g_lon: np.ndarray
    s_lat: np.ndarray
    s_lon: np.ndarray
    g_xy: np.ndarray  # float32 kilometres around the centre
    s_xy: np.ndarray
    refusals: np.ndarray  # per group: how many stations it refuses
    crowd: np.ndarray  # per (group, kind index): everyone free at its point who may take it


Refusals = Iterable[tuple[int, int]] | Mapping[int, AbstractSet[int]]
_NONE: frozenset[int] = frozenset()


def refusals_by_person(forbidden: Refusals) -> Mapping[int, frozenset[int]]:
    """Person id -> the station ids refused to them, from either form ``solve`` takes:
    (person, station) pairs, or such a mapping already.  A mapping's frozensets are kept
    as they are (not copied): people who share one — everyone living in the same place,
    under a rule that reads the place — share it here, in their group's key and in
    memory, however many stations it holds."""
    if isinstance(forbidden, Mapping):
        return {person: stations if isinstance(stations, frozenset) else frozenset(stations)
                for person, stations in forbidden.items() if stations}
    pairs: dict[int, set[int]] = {}
    for person_id, station_id in forbidden:
        pairs.setdefault(person_id, set()).add(station_id)
    return {person: frozenset(stations) for person, stations in pairs.items()}


def _prepare(
    posts: Iterable[Post], people: Iterable[Person], forbidden: Refusals,
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
    refused = refusals_by_person(forbidden)
    groups_by_key: dict[tuple[float, float, frozenset[str], str, frozenset[int]], _Group] = {}
    for person in sorted(by_id.values(), key=lambda p: p.id):  # an id once
        if person.id in used or not person.kinds:
            continue
        refusals = refused.get(person.id, _NONE)
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
    empty = np.zeros(0, np.int64)
    problem = _Problem(post_map, groups, by_id, slots, pinned, empty, empty, empty, empty,
                       kinds_present, 0.0, _geometry(groups, slots), max_km, neighbours)
    if problem.geometry is not None:
        tail, head = _candidates(problem, problem.sizes, problem.caps, initial=True)
        problem.set_arcs(*_keep(problem, tail, head))
    problem.build_seconds = time.perf_counter() - started
    return problem


def _geometry(groups: Sequence[_Group], slots: Sequence[_Slot]) -> _Geometry | None:
    if not groups or not slots:
        return None
    g_lat = np.array([g.lat for g in groups], dtype=np.float64)
    g_lon = np.array([g.lon for g in groups], dtype=np.float64)
    s_lat = np.array([s.lat for s in slots], dtype=np.float64)
    s_lon = np.array([s.lon for s in slots], dtype=np.float64)
    lat0 = float(np.mean(np.concatenate([g_lat, s_lat])))
    lon0 = float(np.mean(np.concatenate([g_lon, s_lon])))
    # A crowd is everyone free at the same point who may take the kind (whatever else
    # they may take, their gender or refusals): its groups all rank the stations alike,
    # so each must reach far enough for the whole crowd.
    at_point: Counter[tuple[float, float, str]] = Counter()
    for g in groups:
        for kind in g.kinds:
            at_point[(g.lat, g.lon, kind)] += len(g.members)
    crowd = np.array([[at_point[(g.lat, g.lon, kind)] for kind in _slot_kinds(slots)]
                      for g in groups], dtype=np.int64)
    return _Geometry(
        g_lat, g_lon, s_lat, s_lon,
        _project(g_lat - lat0, g_lon - lon0, lat0).astype(np.float32),
        _project(s_lat - lat0, s_lon - lon0, lat0).astype(np.float32),
        np.array([len(g.forbidden) for g in groups], dtype=np.int64), crowd,
    )


def _slot_kinds(slots: Sequence[_Slot]) -> list[str]:
    return sorted({s.kind for s in slots})


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


def _candidates(
    problem: _Problem, g_weight: np.ndarray, s_weight: np.ndarray, *, initial: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """(group, slot) pairs in reach, per kind, among groups with ``g_weight`` > 0 free
    people and slots with ``s_weight`` > 0 open posts: each group's nearest slots (at
    least ``neighbours`` plus its refusals, until they seat REACH_FACTOR × its crowd —
    or, when widening, × its free people) and each slot's nearest groups (at least
    REVERSE_FLOOR, until they hold REACH_FACTOR × its open posts)."""
    geo, groups, slots, neighbours = (problem.geometry, problem.groups, problem.slots,
                                      problem.neighbours)
    assert geo is not None
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    for k, kind in enumerate(_slot_kinds(slots)):
        slot_idx = np.array([i for i, s in enumerate(slots)
                             if s.kind == kind and s_weight[i] > 0], dtype=np.int64)
        group_idx = np.array([i for i, g in enumerate(groups)
                              if kind in g.kinds and g_weight[i] > 0], dtype=np.int64)
        if not len(slot_idx) or not len(group_idx):
            continue
        if not neighbours:
            tails.append(np.repeat(group_idx, len(slot_idx)))
            heads.append(np.tile(slot_idx, len(group_idx)))
            continue
        target = geo.crowd[group_idx, k] if initial else g_weight[group_idx]
        rows, cols = _nearest(geo.g_xy[group_idx], geo.s_xy[slot_idx], s_weight[slot_idx],
                              neighbours + geo.refusals[group_idx], REACH_FACTOR * target)
        tails.append(group_idx[rows])
        heads.append(slot_idx[cols])
        rows, cols = _nearest(geo.s_xy[slot_idx], geo.g_xy[group_idx], g_weight[group_idx],
                              np.full(len(slot_idx), min(neighbours, REVERSE_FLOOR)),
                              REACH_FACTOR * s_weight[slot_idx])
        tails.append(group_idx[cols])
        heads.append(slot_idx[rows])
    if not tails:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pair = np.unique(np.concatenate(tails) * len(slots) + np.concatenate(heads))
    return pair // len(slots), pair % len(slots)


def _keep(problem: _Problem, tail: np.ndarray, head: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs within ``max_km`` and not refused, with their distance in metres."""
    geo, groups, slots = problem.geometry, problem.groups, problem.slots
    assert geo is not None
    keep = np.ones(len(tail), dtype=bool)
    if geo.refusals.any() and len(tail):
        # (group, station) pairs as one integer each for a vectorised membership test.
        station_ids = np.array([s.station for s in slots], dtype=np.int64)
        low, stride = int(station_ids.min()), int(station_ids.max() - station_ids.min()) + 1
        codes: list[np.ndarray] = []
        for g in np.flatnonzero(geo.refusals).tolist():
            sids = np.fromiter(groups[g].forbidden, np.int64, len(groups[g].forbidden))
            sids = sids[(sids >= low) & (sids < low + stride)]
            codes.append(g * stride + (sids - low))
        keep &= ~np.isin(tail * stride + (station_ids[head] - low), np.concatenate(codes))
    metres = _haversine_m(geo.g_lat[tail], geo.g_lon[tail], geo.s_lat[head], geo.s_lon[head])
    if problem.max_km is not None:
        keep &= metres <= problem.max_km * 1000
    return tail[keep], head[keep], np.rint(metres[keep]).astype(np.int64)


def _widen(problem: _Problem, arc_flow: np.ndarray) -> np.ndarray | None:
    """Add the arcs in reach between the groups with people left and the slots with
    posts left (the first arcs' reach can miss them: dense centres, sparse edges).
    Returns the old flows mapped onto the new arcs, or None when nothing was added."""
    used = np.bincount(problem.arc_group, arc_flow, len(problem.groups)).astype(np.int64)
    seated = np.bincount(problem.arc_slot, arc_flow, len(problem.slots)).astype(np.int64)
    free, left = problem.sizes - used, problem.caps - seated
    if not free.any() or not left.any():
        return None
    tail, head = _candidates(problem, free, left, initial=False)
    guided_tail, guided_head = _guided(problem, free, left)
    tail, head = np.concatenate([tail, guided_tail]), np.concatenate([head, guided_head])
    n = len(problem.slots)
    old = problem.arc_group * n + problem.arc_slot
    new = tail * n + head
    fresh = ~np.isin(new, old)
    if not fresh.any():
        return None
    tail, head, metres = _keep(problem, tail[fresh], head[fresh])
    if not len(tail):
        return None
    pair = np.concatenate([old, tail * n + head])
    order = np.argsort(pair, kind="stable")
    flows = np.concatenate([arc_flow, np.zeros(len(tail), np.int64)])[order]
    problem.set_arcs(pair[order] // n, pair[order] % n,
                     np.concatenate([problem.arc_metres, metres])[order])
    return flows


def _guided(problem: _Problem, free: np.ndarray, left: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that a coarse plan says are needed: per kind, the people and posts left
    over are binned in a GUIDE_GRID × GUIDE_GRID grid over their extent, a min-cost flow
    between the cells (centroid distances) decides which cells should serve which, and
    each such pair of cells gets nearest-neighbour arcs between its groups and slots.
    This reaches across a county when people and stations are spread differently
    (people crowded in a centre, stations spread around it), which nearest-neighbour
    reach alone cannot."""
    from ortools.graph.python import min_cost_flow

    geo, groups, slots = problem.geometry, problem.groups, problem.slots
    assert geo is not None
    neighbours = problem.neighbours or 1
    tails: list[np.ndarray] = [np.zeros(0, np.int64)]
    heads: list[np.ndarray] = [np.zeros(0, np.int64)]
    for kind in _slot_kinds(slots):
        g_idx = np.array([i for i, g in enumerate(groups) if kind in g.kinds and free[i] > 0],
                         dtype=np.int64)
        s_idx = np.array([i for i, s in enumerate(slots) if s.kind == kind and left[i] > 0],
                         dtype=np.int64)
        if not len(g_idx) or not len(s_idx):
            continue
        g_xy, s_xy = geo.g_xy[g_idx].astype(np.float64), geo.s_xy[s_idx].astype(np.float64)
        low = np.minimum(g_xy.min(axis=0), s_xy.min(axis=0))
        span = float(max((np.maximum(g_xy.max(axis=0), s_xy.max(axis=0)) - low).max(), 1e-3))
        size = span / GUIDE_GRID * (1 + 1e-9)
        g_inv, supply, g_centre = _cells(g_xy, free[g_idx].astype(np.float64), low, size)
        s_inv, demand, s_centre = _cells(s_xy, left[s_idx].astype(np.float64), low, size)
        n_g, n_s = len(supply), len(demand)
        pair_g = np.repeat(np.arange(n_g), n_s)
        pair_s = np.tile(np.arange(n_s), n_g)
        metres = np.rint(1000 * np.hypot(*(g_centre[pair_g] - s_centre[pair_s]).T)).astype(
            np.int64)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([np.zeros(n_g, np.int64), 2 + pair_g,
                            2 + n_g + np.arange(n_s)]),
            np.concatenate([2 + np.arange(n_g), 2 + n_g + pair_s, np.ones(n_s, np.int64)]),
            np.concatenate([supply, np.minimum(supply[pair_g], demand[pair_s]), demand]),
            np.concatenate([np.zeros(n_g, np.int64), metres, np.zeros(n_s, np.int64)]),
        )
        units = int(min(supply.sum(), demand.sum()))
        flow.set_node_supply(0, units)
        flow.set_node_supply(1, -units)
        if getattr(flow.solve_max_flow_with_min_cost(), "name", "") != "OPTIMAL":
            continue
        pair_flow = np.asarray(flow.flows(np.arange(n_g, n_g + len(pair_g))), np.int64)
        used = np.flatnonzero(pair_flow > 0)
        for gc, sc, units in zip(pair_g[used].tolist(), pair_s[used].tolist(),
                                 pair_flow[used].tolist(), strict=True):
            # Only as much of each cell as the plan moves (twice over), the part nearest
            # the other cell, so that arcs stay in proportion to the flow.
            gi = _towards(g_idx[g_inv == gc], geo.g_xy, s_centre[sc], free,
                          REACH_FACTOR * units)
            si = _towards(s_idx[s_inv == sc], geo.s_xy, g_centre[gc], left,
                          REACH_FACTOR * units)
            floor = min(neighbours, REVERSE_FLOOR)
            rows, cols = _nearest(geo.g_xy[gi], geo.s_xy[si], left[si],
                                  np.full(len(gi), min(floor, len(si))),
                                  REACH_FACTOR * free[gi])
            tails.append(gi[rows])
            heads.append(si[cols])
            rows, cols = _nearest(geo.s_xy[si], geo.g_xy[gi], free[gi],
                                  np.full(len(si), min(floor, len(gi))),
                                  REACH_FACTOR * left[si])
            tails.append(gi[cols])
            heads.append(si[rows])
    return np.concatenate(tails), np.concatenate(heads)


def _towards(idx: np.ndarray, xy: np.ndarray, point: np.ndarray, weight: np.ndarray,
             amount: int) -> np.ndarray:
    """The members of ``idx`` nearest ``point`` whose ``weight`` first adds up to
    ``amount`` (all of them if it never does)."""
    order = idx[np.argsort(((xy[idx].astype(np.float64) - point) ** 2).sum(axis=1))]
    count = int((np.cumsum(weight[order]) < amount).sum()) + 1
    return order[:count]


def _cells(xy: np.ndarray, weight: np.ndarray, low: np.ndarray, size: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid cells of points: (each point's cell index, weight per cell, weighted centre)."""
    cell = np.floor((xy - low) / size).astype(np.int64)
    _, inverse = np.unique(cell[:, 0] * GUIDE_GRID + cell[:, 1], return_inverse=True)
    total = np.bincount(inverse, weight)
    centre = np.stack([np.bincount(inverse, weight * xy[:, 0]),
                       np.bincount(inverse, weight * xy[:, 1])], axis=1) / total[:, None]
    return inverse, total.astype(np.int64), centre


def _nearest(
    rows_xy: np.ndarray, cols_xy: np.ndarray, weight: np.ndarray, floor: np.ndarray,
    target: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) pairs: each row's nearest columns, at least ``floor`` of them and
    until their ``weight`` adds up to ``target`` (or every column).  A dense scan in
    blocks of rows; a partial sort first, a full sort only for the rows it leaves short."""
    n_cols = len(cols_xy)
    out_rows: list[np.ndarray] = []
    out_cols: list[np.ndarray] = []
    chunk = max(1, _BLOCK_CELLS // n_cols)
    for start in range(0, len(rows_xy), chunk):
        block = np.arange(start, min(len(rows_xy), start + chunk))
        d2 = ((rows_xy[block, 0][:, None] - cols_xy[None, :, 0]) ** 2
              + (rows_xy[block, 1][:, None] - cols_xy[None, :, 1]) ** 2)
        first = min(n_cols, int(floor[block].max()))
        if first < n_cols:
            part = np.argpartition(d2, first - 1, axis=1)[:, :first]
            order = np.argsort(np.take_along_axis(d2, part, axis=1), axis=1)
            near = np.take_along_axis(part, order, axis=1)
            enough = weight[near].sum(axis=1) >= target[block]
            short = np.flatnonzero(~enough)
            if len(short):
                r, c = _prefix(np.argsort(d2[short], axis=1), weight, floor[block][short],
                               target[block][short])
                out_rows.append(block[short][r])
                out_cols.append(c)
            block, near = block[enough], near[enough]
        else:
            near = np.argsort(d2, axis=1)
        r, c = _prefix(near, weight, floor[block], target[block])
        out_rows.append(block[r])
        out_cols.append(c)
    return np.concatenate(out_rows), np.concatenate(out_cols)


def _prefix(near: np.ndarray, weight: np.ndarray, floor: np.ndarray,
            target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of each row's first columns in ``near`` (sorted nearest first): at
    least ``floor`` of them, and until their weight reaches ``target``."""
    total = np.cumsum(weight[near], axis=1)
    by_weight = (total < target[:, None]).sum(axis=1) + 1
    count = np.minimum(near.shape[1], np.maximum(floor, by_weight))
    rows, cols = np.nonzero(np.arange(near.shape[1])[None, :] < count[:, None])
    return rows, near[rows, cols]


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
    forbidden_stations: Refusals = frozenset(), max_km: float | None = None,
    neighbours: int | None = 40, gender_balance: bool = False, time_limit_s: float = 60.0,
    widen_rounds: int = WIDEN_ROUNDS,
) -> Result:
    """Fill the most posts, then least total distance (and, with ``gender_balance``,
    a woman and a man among each station's members wherever possible in between)."""
    started = time.perf_counter()
    problem = _prepare(posts, people, forbidden_stations, max_km, neighbours)
    timings = {"network_seconds": 0.0, "flow_seconds": 0.0, "widen_seconds": 0.0,
               "rounds": 0.0}
    while True:
        status, arc_flow = _flow(problem, gender_balance, timings)
        if status == "BAD_COST_RANGE" and gender_balance:
            # The bonus outgrew the solver's cost range (not seen below national
            # scale): solve without gender balance rather than not at all.
            gender_balance = False
            timings["balance_dropped"] = 1.0
            status, arc_flow = _flow(problem, gender_balance, timings)
        timings["rounds"] += 1
        if (status not in ("OPTIMAL", "FEASIBLE") or timings["rounds"] > widen_rounds
                or time.perf_counter() - started > time_limit_s):
            break
        mark = time.perf_counter()
        widened = _widen(problem, arc_flow)
        timings["widen_seconds"] += time.perf_counter() - mark
        if widened is None:
            break
    filled = _seat(problem, arc_flow) if status in ("OPTIMAL", "FEASIBLE") else {}
    return _finish(problem, filled, status, started, timings)


def _flow(problem: _Problem, gender_balance: bool, timings: dict[str, float]
          ) -> tuple[str, np.ndarray]:
    """One max-flow-min-cost over the current arcs: (status, flow on each arc)."""
    from ortools.graph.python import min_cost_flow

    started = time.perf_counter()
    n_groups, n_slots, n_arcs = len(problem.groups), len(problem.slots), len(problem.arc_slot)
    if not n_arcs:
        return "OPTIMAL", np.zeros(0, np.int64)
    source, sink = 0, 1
    group_node = 2  # + group index
    slot_node = group_node + n_groups  # + slot index
    next_node = slot_node + n_slots
    sizes, slot_caps = problem.sizes, problem.caps
    arc_head = problem.arc_slot + slot_node
    extra_arcs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if gender_balance:
        arc_head, extra_arcs, next_node = _gender_gadgets(problem, arc_head, slot_node, next_node)
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
    timings["network_seconds"] += built - started
    timings["flow_seconds"] += solved - built
    name = getattr(status, "name", str(status))
    if name not in ("OPTIMAL", "FEASIBLE"):
        return name, np.zeros(n_arcs, np.int64)
    return name, np.asarray(flow.flows(np.arange(n_groups, n_groups + n_arcs)), np.int64)


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
    forbidden_stations: Refusals = frozenset(), max_km: float | None = None,
    neighbours: int | None = 40, widen_rounds: int = WIDEN_ROUNDS,
) -> Result:
    """The baseline: the same arcs (widened the same way), taken nearest pair first."""
    started = time.perf_counter()
    problem = _prepare(posts, people, forbidden_stations, max_km, neighbours)
    arc_flow = np.zeros(len(problem.arc_slot), dtype=np.int64)
    for round_ in range(widen_rounds + 1):
        free = problem.sizes - np.bincount(
            problem.arc_group, arc_flow, len(problem.groups)).astype(np.int64)
        left = problem.caps - np.bincount(
            problem.arc_slot, arc_flow, len(problem.slots)).astype(np.int64)
        unused = np.flatnonzero(arc_flow == 0)
        order = unused[np.lexsort((problem.arc_slot[unused], problem.arc_group[unused],
                                   problem.arc_metres[unused]))]
        for a in order.tolist():
            g, slot = int(problem.arc_group[a]), int(problem.arc_slot[a])
            units = min(free[g], left[slot])
            if units:
                free[g] -= units
                left[slot] -= units
                arc_flow[a] = units
        if round_ == widen_rounds:
            break
        widened = _widen(problem, arc_flow)
        if widened is None:
            break
        arc_flow = widened
    return _finish(problem, _seat(problem, arc_flow), "GREEDY", started)
