"""The station-staff assignment solver (amanat.lib.assign) on counties built by hand.

Everything sits on the equator, so the great-circle distance between two points is
exactly proportional to their longitude difference: one unit ``U`` = 0.01° ≈ 1.112 km.
Optima are computed by hand in the comments and cross-checked by brute force.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from amanat.lib.assign import (
    NO_ONE_OF_KIND,
    NONE_IN_REACH,
    TAKEN,
    Person,
    Post,
    Result,
    greedy,
    refusals_by_person,
    solve,
)
from amanat.lib.geodesy import distance_km

U = distance_km(0, 0, 0, 0.01)  # km per unit


def post(pid: int, station: int, kind: str, x: float, pinned: int | None = None) -> Post:
    return Post(pid, station, kind, 0.0, x * 0.01, pinned)


def person(pid: int, x: float, *kinds: str, gender: str = "") -> Person:
    return Person(pid, 0.0, x * 0.01, frozenset(kinds), gender)


def check_rules(posts: list[Post], people: list[Person], result: Result,
                forbidden: frozenset[tuple[int, int]] = frozenset(),
                max_km: float | None = None) -> None:
    """Every rule of issue 14 on a result."""
    by_id = {p.id: p for p in people}
    posts_by_id = {p.id: p for p in posts}
    assert set(result.assignment) | set(result.unfilled) == set(posts_by_id)
    assert not set(result.assignment) & set(result.unfilled)
    used = list(result.assignment.values())
    assert len(used) == len(set(used)), "a person takes at most one post"
    total = 0.0
    for post_id, person_id in result.assignment.items():
        p, who = posts_by_id[post_id], by_id[person_id]
        d = distance_km(who.lat, who.lon, p.lat, p.lon)
        total += d
        if p.pinned is not None:
            assert person_id == p.pinned, "pinned posts are kept"
            continue
        assert p.kind in who.kinds, "kinds respected"
        assert (person_id, p.station) not in forbidden, "forbidden pairs never used"
        if max_km is not None:
            assert d <= max_km + 1e-9
    assert result.total_km == pytest.approx(total)


def brute_force(posts: list[Post], people: list[Person],
                forbidden: frozenset[tuple[int, int]] = frozenset(),
                max_km: float | None = None) -> tuple[int, float]:
    """(most filled posts, least total km among those) over every assignment."""
    open_posts = [p for p in posts if p.pinned is None]
    pinned_people = {p.pinned for p in posts if p.pinned is not None}
    free = [p for p in people if p.id not in pinned_people]
    best = (0, 0.0)
    options = []
    for p in open_posts:
        choices: list[Person | None] = [None]
        for who in free:
            d = distance_km(who.lat, who.lon, p.lat, p.lon)
            if p.kind in who.kinds and (who.id, p.station) not in forbidden and (
                max_km is None or d <= max_km
            ):
                choices.append(who)
        options.append(choices)
    for combo in itertools.product(*options):
        chosen = [c.id for c in combo if c is not None]
        if len(chosen) != len(set(chosen)):
            continue
        km = sum(distance_km(c.lat, c.lon, p.lat, p.lon)
                 for c, p in zip(combo, open_posts, strict=True) if c is not None)
        if (len(chosen), -km) > (best[0], -best[1]) or best == (0, 0.0):
            best = (len(chosen), km)
    pinned_km = sum(
        distance_km(w.lat, w.lon, p.lat, p.lon)
        for p in posts if p.pinned is not None for w in people if w.id == p.pinned
    )
    return best[0] + len(pinned_people), best[1] + pinned_km


# The county: three stations on a line, seven posts, eight people.
#   S1 at x=0: representative (1), member (2)
#   S2 at x=10: member (3), member (4), inspector (5)
#   S3 at x=20: representative (6), member (7)
COUNTY_POSTS = [
    post(1, 1, "representative", 0), post(2, 1, "member", 0),
    post(3, 2, "member", 10), post(4, 2, "member", 10), post(5, 2, "inspector", 10),
    post(6, 3, "representative", 20), post(7, 3, "member", 20),
]
COUNTY_PEOPLE = [
    person(101, 1, "representative"),            # a
    person(102, 2, "member", "representative"),  # b
    person(103, 9, "member"),                    # c
    person(104, 11, "member", "inspector"),      # d
    person(105, 12, "inspector"),                # e
    person(106, 19, "representative", "member"), # f
    person(107, 21, "member"),                   # g
    person(108, 30, "member"),                   # h
]


def test_the_county_gets_its_hand_computed_optimum() -> None:
    # Representatives can only be a (x=1), b (2) or f (19): a→S1 (1U) and f→S3 (1U)
    # are each the nearest.  The inspector is d (1U) or e (2U); e can do nothing else,
    # while d is also the second-nearest member of S2, so e→S2 inspector (2U),
    # c→S2 (1U), d→S2 (1U).  S1's member is then b (2U), S3's g (1U); h is unused.
    # Total 1 + 1 + 2 + 1 + 1 + 2 + 1 = 9U.  (Giving d the inspector post instead saves
    # 1U there but S2's second member would be b at 8U or g at 11U: worse.)
    result = solve(COUNTY_POSTS, COUNTY_PEOPLE)
    assert result.status == "OPTIMAL"
    assert result.assignment == {1: 101, 2: 102, 3: 103, 4: 104, 5: 105, 6: 106, 7: 107}
    assert result.unfilled == {}
    assert result.total_km == pytest.approx(9 * U)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, result)
    assert brute_force(COUNTY_POSTS, COUNTY_PEOPLE) == (7, pytest.approx(9 * U))


def test_pinned_posts_are_kept_and_counted() -> None:
    # The governor pins h (x=30) on S3's representative post (10U) and c on S1's
    # member post (9U).  S1 rep a (1U); inspector e (2U); S2 members d (1U) and the
    # cheapest second of b (8U), f (9U), g (11U): b, since f and g are each 1U from S3
    # and one of them takes S3's member post (a tie).  Total 10 + 9 + 1 + 2 + 1 + 8 + 1
    # = 32U.
    posts = [p if p.id not in (6, 2) else Post(p.id, p.station, p.kind, p.lat, p.lon,
                                               108 if p.id == 6 else 103)
             for p in COUNTY_POSTS]
    result = solve(posts, COUNTY_PEOPLE)
    assert result.assignment[6] == 108 and result.assignment[2] == 103
    assert result.assignment[7] in (106, 107)
    assert {k: v for k, v in result.assignment.items() if k != 7} == {
        1: 101, 2: 103, 3: 102, 4: 104, 5: 105, 6: 108}
    assert result.total_km == pytest.approx(32 * U)
    check_rules(posts, COUNTY_PEOPLE, result)
    assert brute_force(posts, COUNTY_PEOPLE) == (7, pytest.approx(32 * U))


def test_forbidden_pairs_are_never_used() -> None:
    # c may not serve at S2 (a relative standing there) nor d at S2.
    forbidden = frozenset({(103, 2), (104, 2)})
    result = solve(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=forbidden)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, result, forbidden)
    filled, km = brute_force(COUNTY_POSTS, COUNTY_PEOPLE, forbidden)
    assert len(result.assignment) == filled == 7
    assert result.total_km == pytest.approx(km)
    greedy_result = greedy(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=forbidden)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, greedy_result, forbidden)


def test_refusals_as_a_mapping_of_shared_sets_are_the_same_as_pairs() -> None:
    # The form the staffing app passes: person -> station ids, one set shared by people
    # of one place; the same result as the pairs, and the shared set is not copied.
    pairs = frozenset({(103, 2), (104, 2)})
    at_s2 = frozenset({2})
    mapping = {103: at_s2, 104: at_s2}
    by_pairs = solve(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=pairs)
    by_mapping = solve(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=mapping)
    assert by_mapping.assignment == by_pairs.assignment
    assert by_mapping.total_km == pytest.approx(by_pairs.total_km)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, by_mapping, pairs)
    assert greedy(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=mapping).assignment == (
        greedy(COUNTY_POSTS, COUNTY_PEOPLE, forbidden_stations=pairs).assignment)
    grouped = refusals_by_person(mapping)
    assert grouped[103] is at_s2 and grouped[104] is at_s2
    assert refusals_by_person(pairs) == {103: at_s2, 104: at_s2}
    assert refusals_by_person({1: set(), 2: {5}}) == {2: frozenset({5})}


def test_neighbours_and_max_km_limit_the_reach() -> None:
    # Within 5U only: h (x=30) reaches nothing; everyone else as in the optimum.
    result = solve(COUNTY_POSTS, COUNTY_PEOPLE, max_km=5 * U + 1e-6)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, result, max_km=5 * U + 1e-6)
    assert result.total_km == pytest.approx(9 * U)
    # One neighbour per kind: b's nearest member station is S1, c's S2, ...
    result = solve(COUNTY_POSTS, COUNTY_PEOPLE, neighbours=1)
    check_rules(COUNTY_POSTS, COUNTY_PEOPLE, result)
    assert result.total_km == pytest.approx(9 * U)


def test_each_reason_for_an_unfilled_post() -> None:
    posts = [
        post(1, 1, "police", 0),  # nobody may be police
        post(2, 2, "inspector", 100),  # the only inspector lives at x=0, too far
        post(3, 1, "member", 0), post(4, 1, "member", 0),  # one member for two posts
    ]
    people = [person(1, 0, "inspector"), person(2, 1, "member")]
    for run in (solve, greedy):
        result = run(posts, people, max_km=10.0)
        assert result.assignment == {3: 2}
        assert result.unfilled == {1: NO_ONE_OF_KIND, 2: NONE_IN_REACH, 4: TAKEN}
        check_rules(posts, people, result, max_km=10.0)


def test_a_forbidden_station_counts_as_out_of_reach() -> None:
    posts = [post(1, 1, "inspector", 0)]
    people = [person(1, 0, "inspector")]
    result = solve(posts, people, forbidden_stations=frozenset({(1, 1)}))
    assert result.unfilled == {1: NONE_IN_REACH}


def test_the_count_of_filled_posts_dominates_the_distance() -> None:
    # S1 at x=0 and S2 at x=10, one member post each; p1 at x=1 reaches both,
    # p2 at x=-2 reaches only S1 (max 9.5U).  Nearest first takes p1→S1 (1U) and S2
    # stays empty; the optimum fills both: p2→S1 (2U) + p1→S2 (9U) = 11U.
    posts = [post(1, 1, "member", 0), post(2, 2, "member", 10)]
    people = [person(1, 1, "member"), person(2, -2, "member")]
    best = solve(posts, people, max_km=9.5 * U)
    assert best.assignment == {1: 2, 2: 1}
    assert best.total_km == pytest.approx(11 * U)
    base = greedy(posts, people, max_km=9.5 * U)
    assert base.assignment == {1: 1}
    assert base.unfilled == {2: TAKEN}


def test_greedy_travels_further_than_the_optimum() -> None:
    # p1 at x=2, p2 at x=-3; S1 at 0, S2 at 10.  Nearest first: p1→S1 (2U), then
    # p2→S2 (13U) = 15U.  Optimum: p2→S1 (3U) + p1→S2 (8U) = 11U.
    posts = [post(1, 1, "member", 0), post(2, 2, "member", 10)]
    people = [person(1, 2, "member"), person(2, -3, "member")]
    best, base = solve(posts, people), greedy(posts, people)
    assert best.total_km == pytest.approx(11 * U)
    assert base.total_km == pytest.approx(15 * U)
    assert best.total_km < base.total_km
    assert len(best.assignment) == len(base.assignment) == 2


def test_gender_balance_when_the_people_allow_it() -> None:
    # Two member posts at x=0; men at 1 and 2, a woman at 5.  Plain: the men (3U).
    # Balanced: a man and the woman (1 + 5 = 6U).
    posts = [post(1, 1, "member", 0), post(2, 1, "member", 0)]
    people = [person(1, 1, "member", gender="m"), person(2, 2, "member", gender="m"),
              person(3, 5, "member", gender="f")]
    plain = solve(posts, people)
    assert sorted(plain.assignment.values()) == [1, 2]
    assert plain.balanced_stations == 0
    balanced = solve(posts, people, gender_balance=True)
    assert sorted(balanced.assignment.values()) == [1, 3]
    assert balanced.total_km == pytest.approx(6 * U)
    assert balanced.balanced_stations == balanced.balance_stations == 1
    check_rules(posts, people, balanced)


def test_gender_balance_counts_a_pinned_member() -> None:
    # A pinned woman already serves: the man (2U) fills the other post, not the nearer
    # woman (1U).
    posts = [post(1, 1, "member", 0, pinned=3), post(2, 1, "member", 0)]
    people = [person(1, 2, "member", gender="m"), person(2, 1, "member", gender="f"),
              person(3, 9, "member", gender="f")]
    result = solve(posts, people, gender_balance=True)
    assert result.assignment == {1: 3, 2: 1}


def test_gender_balance_never_leaves_a_post_unfilled() -> None:
    # S1 (x=0) has two member posts, S2 (x=20) one.  Men at 1 and 2 reach only S1
    # (max 15U); the woman at 10 reaches both.  Balancing S1 would leave S2 empty, so
    # S1 gets the two men and S2 the woman.  Two women for two posts: both filled.
    posts = [post(1, 1, "member", 0), post(2, 1, "member", 0), post(3, 2, "member", 20)]
    people = [person(1, 1, "member", gender="m"), person(2, 2, "member", gender="m"),
              person(3, 10, "member", gender="f")]
    result = solve(posts, people, gender_balance=True, max_km=15 * U)
    assert result.assignment == {1: 1, 2: 2, 3: 3}
    assert result.unfilled == {}
    women = [person(1, 1, "member", gender="f"), person(2, 2, "member", gender="f")]
    result = solve(posts[:2], women, gender_balance=True)
    assert sorted(result.assignment.values()) == [1, 2]
    assert result.balanced_stations == 0


def test_gender_balance_on_the_county_keeps_every_rule() -> None:
    people = [Person(p.id, p.lat, p.lon, p.kinds, "f" if p.id % 2 else "m")
              for p in COUNTY_PEOPLE]
    result = solve(COUNTY_POSTS, people, gender_balance=True)
    check_rules(COUNTY_POSTS, people, result)
    assert len(result.assignment) == 7
    # S2 has members c (f) and d (m) in the optimum already: balanced at no cost.
    assert result.total_km == pytest.approx(9 * U)
    assert result.balanced_stations == 1


def test_empty_inputs() -> None:
    for run in (solve, greedy):
        result = run([], [])
        assert (result.assignment, result.unfilled, result.total_km) == ({}, {}, 0.0)
        result = run([post(1, 1, "member", 0)], [])
        assert result.unfilled == {1: NO_ONE_OF_KIND}
        result = run([], [person(1, 0, "member")])
        assert result.assignment == {}


def test_a_person_with_no_kinds_takes_nothing() -> None:
    posts = [post(1, 1, "member", 0)]
    people = [person(1, 0), person(2, 50, "member")]
    for run in (solve, greedy):
        result = run(posts, people)
        assert result.assignment == {1: 2}
    result = solve(posts, [person(1, 0)])
    assert result.unfilled == {1: NO_ONE_OF_KIND}


def test_solve_matches_brute_force_on_small_random_counties() -> None:
    import random

    rng = random.Random(14)
    kinds = ("representative", "member", "inspector")
    for _ in range(25):
        posts = [post(i + 1, rng.randrange(3), rng.choice(kinds), 0) for i in range(5)]
        posts = [Post(p.id, p.station, p.kind, 0.0, p.station * 0.1) for p in posts]
        people = [person(100 + i, rng.uniform(-5, 25),
                         *rng.sample(kinds, rng.randrange(0, 3))) for i in range(6)]
        forbidden = frozenset({(100 + rng.randrange(6), rng.randrange(3))})
        result = solve(posts, people, forbidden_stations=forbidden, max_km=18 * U)
        check_rules(posts, people, result, forbidden, max_km=18 * U)
        filled, km = brute_force(posts, people, forbidden, max_km=18 * U)
        assert len(result.assignment) == filled
        assert result.total_km == pytest.approx(km, abs=0.01)
        base = greedy(posts, people, forbidden_stations=forbidden, max_km=18 * U)
        check_rules(posts, people, base, forbidden, max_km=18 * U)
        assert (len(base.assignment), -base.total_km) <= (filled, -km + 0.01)


def test_people_sharing_a_home_point_reach_enough_stations() -> None:
    # Homes are administrative units' points, so a city's people share one point.  Four
    # people at x=0, four stations at x=1..4 with one member post each, neighbours=1:
    # the crowd still reaches enough stations to fill all four (1+2+3+4 = 10U).
    posts = [post(i, i, "member", i) for i in range(1, 5)]
    people = [person(10 + i, 0, "member") for i in range(4)]
    for run in (solve, greedy):
        result = run(posts, people, neighbours=1)
        assert len(result.assignment) == 4
        assert result.total_km == pytest.approx(10 * U)
        check_rules(posts, people, result)


def test_a_person_pinned_twice_is_refused() -> None:
    posts = [post(1, 1, "member", 0, pinned=5), post(2, 2, "member", 10, pinned=5)]
    for run in (solve, greedy):
        with pytest.raises(ValueError, match=r"\[5\]"):
            run(posts, [person(5, 0, "member")])


def test_a_pinned_person_absent_from_people_is_kept_without_distance() -> None:
    posts = [post(1, 1, "member", 0, pinned=99), post(2, 1, "member", 0)]
    result = solve(posts, [person(1, 3, "member")])
    assert result.assignment == {1: 99, 2: 1}
    assert result.total_km == pytest.approx(3 * U)


def test_the_reach_widens_towards_posts_and_people_left_over() -> None:
    # Six people just apart at x=0, 0.1, ..., 0.5 and six stations at x=1..6 (one member
    # post each), neighbours=1: each person reaches the stations seating two (S1, S2),
    # each station the people making two (those at 0.4 and 0.5), so the first arcs fill
    # only 4.  Widening links the people left over to the posts left over: all 6.  With
    # everyone left of every station, any full assignment costs 21 - 1.5 = 19.5U.
    posts = [post(i, i, "member", i) for i in range(1, 7)]
    people = [person(10 + i, i / 10, "member") for i in range(6)]
    assert len(solve(posts, people, neighbours=1, widen_rounds=0).assignment) == 4
    # (Nearest first even spends the two people at 0.4 and 0.5 on S1 and S2: 2.)
    assert len(greedy(posts, people, neighbours=1, widen_rounds=0).assignment) == 2
    for run in (solve, greedy):
        result = run(posts, people, neighbours=1)
        assert len(result.assignment) == 6
        assert result.total_km == pytest.approx(19.5 * U)
        check_rules(posts, people, result)


def test_a_crowded_centre_still_fills_stations_spread_around_it() -> None:
    # 60 people at distinct points within 0.5U of the centre, 60 one-post stations on a
    # ring 20U out, neighbours=2: everyone's nearest stations are nearly the same few and
    # each station's nearest people too; the coarse plan of the widening still fills all.
    import math
    import random

    rng = random.Random(3)
    posts = [Post(i, i, "member", 20 * 0.01 * math.sin(i / 60 * 2 * math.pi),
                  20 * 0.01 * math.cos(i / 60 * 2 * math.pi)) for i in range(60)]
    people = [Person(100 + i, rng.uniform(-0.005, 0.005), rng.uniform(-0.005, 0.005),
                     frozenset({"member"})) for i in range(60)]
    assert len(solve(posts, people, neighbours=2, widen_rounds=0).assignment) < 60
    for run in (solve, greedy):
        result = run(posts, people, neighbours=2)
        assert len(result.assignment) == 60
        check_rules(posts, people, result)


def cover(posts: list[Post], people: list[Person], assignment: dict[int, int]) -> int:
    """(station, gender) pairs among the members of stations with ≥ 2 member posts."""
    gender = {p.id: p.gender for p in people}
    members = Counter(p.station for p in posts if p.kind == "member")
    seen = {(p.station, gender[assignment[p.id]]) for p in posts
            if p.kind == "member" and p.id in assignment}
    return sum(1 for s, g in seen if members[s] >= 2 and g)


def test_gender_balance_matches_brute_force_on_small_random_counties() -> None:
    # Lexicographic: most posts, then most (station, gender) pairs among stations with
    # two or more member posts, then least distance — checked against every assignment.
    import random

    rng = random.Random(7)
    for _ in range(40):
        posts = [post(i + 1, s, rng.choice(("member", "member", "inspector")), s * 10)
                 for i, s in enumerate(rng.choices(range(2), k=5))]
        people = [person(100 + i, rng.uniform(-5, 15), *rng.sample(("member", "inspector"),
                         rng.randrange(1, 3)), gender=rng.choice("fm"))
                  for i in range(rng.randrange(2, 7))]
        best = None
        choices = [[None] + [w for w in people if p.kind in w.kinds] for p in posts]
        for combo in itertools.product(*choices):
            chosen = [c.id for c in combo if c is not None]
            if len(chosen) != len(set(chosen)):
                continue
            assignment = {p.id: c.id for p, c in zip(posts, combo, strict=True) if c}
            km = sum(distance_km(c.lat, c.lon, p.lat, p.lon)
                     for p, c in zip(posts, combo, strict=True) if c)
            key = (len(chosen), cover(posts, people, assignment), -km)
            best = key if best is None or key > best else best
        assert best is not None
        result = solve(posts, people, gender_balance=True, neighbours=2)
        check_rules(posts, people, result)
        assert (len(result.assignment), cover(posts, people, result.assignment)) == best[:2]
        assert result.total_km == pytest.approx(-best[2], abs=0.01)
