"""Network formation (networks/formation.py): the guarantees on random geographies, checked
by brute force, and worked examples."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from clusterwise.networks.formation import (
    EARTH_RADIUS_KM,
    LEFT_OVER,
    NO_COORDINATES,
    TOO_FEW_IN_REACH,
    Group,
    Proposal,
    Rules,
    Site,
    kmeans_baseline,
    propose,
    sites_for,
    walking_minutes,
)

LAT, LON = 19.0, 76.0  # somewhere in the demo state


def north(km: float) -> float:
    """Degrees of latitude that make `km` along a meridian."""
    return math.degrees(km / EARTH_RADIUS_KM)


def km_for(minutes: float, rules: Rules) -> float:
    return minutes / 60 * rules.speed_kmh / rules.detour


# --- the guarantees, by brute force ---------------------------------------------------------


class Reach:
    """Who reaches whom, computed pair by pair with walking_minutes and the overrides."""

    def __init__(self, sites: list[Site], rules: Rules, overrides: dict) -> None:
        self.sites = {s.key: s for s in sites}
        self.rules, self.overrides = rules, overrides

    def minutes(self, a: str, b: str) -> float:
        return walking_minutes(self.sites[a], self.sites[b], self.rules, self.overrides)

    def reaches(self, a: str, b: str) -> bool:
        same_partition = self.sites[a].partition == self.sites[b].partition
        return a == b or (same_partition and self.minutes(a, b) <= self.rules.limit_minutes)

    def around(self, key: str) -> list[str]:
        """The schools in reach of `key`, itself included."""
        return [other for other in self.sites if self.reaches(key, other)]

    def could_be_grouped(self, key: str) -> bool:
        """Some school in reach (maybe itself) has min_size schools in its own reach."""
        return any(len(self.around(hub)) >= self.rules.min_size for hub in self.around(key))


def max_placed_with_hubs(reach: Reach, hubs: list[str], max_size: int) -> int:
    """The most schools other than the hubs that the hubs' groups could hold: a maximum
    flow source → school → hub in reach → sink, with max_size - 1 places per hub."""
    others = [k for k in reach.sites if k not in hubs]
    n = 2 + len(others) + len(hubs)
    source, sink = 0, n - 1
    capacity = np.zeros((n, n), dtype=np.int32)
    for i, school in enumerate(others, start=1):
        capacity[source, i] = 1
        for j, hub in enumerate(hubs, start=1 + len(others)):
            if reach.reaches(school, hub):
                capacity[i, j] = 1
    for j in range(1 + len(others), 1 + len(others) + len(hubs)):
        capacity[j, sink] = max_size - 1
    return int(maximum_flow(csr_matrix(capacity), source, sink).flow_value)


def assert_guarantees(sites: list[Site], rules: Rules, overrides: dict, proposal: Proposal):
    reach = Reach(sites, rules, overrides)
    # Every site exactly once, in a group or unplaced.
    seen = [key for g in proposal.groups for key, _ in g.members]
    seen += [key for key, _ in proposal.unplaced]
    assert sorted(seen) == sorted(s.key for s in sites)
    group_of = {key: g for g in proposal.groups for key, _ in g.members}

    for group in proposal.groups:
        assert rules.min_size <= group.size <= rules.max_size
        assert group.members[0] == (group.hub, 0.0)
        for key, minutes in group.members[1:]:
            assert reach.reaches(key, group.hub), (key, group.hub)
            assert minutes == pytest.approx(reach.minutes(key, group.hub), abs=1e-6)

    quality = proposal.quality()
    assert quality["members_beyond_limit"] == quality["groups_out_of_range"] == 0
    assert quality["valid_share"] == quality["placed_share"]

    unplaced = {key for key, _ in proposal.unplaced}
    hubs = [g.hub for g in proposal.groups]
    for key, reason in proposal.unplaced:
        site = reach.sites[key]
        if reason == NO_COORDINATES:
            assert not site.located
            continue
        assert site.located
        if reason == TOO_FEW_IN_REACH:
            assert not reach.could_be_grouped(key)
        else:
            assert reason == LEFT_OVER
            assert reach.could_be_grouped(key)
            # No group with room has its hub in reach ...
            for hub in hubs:
                if reach.reaches(key, hub):
                    assert group_of[hub].size == rules.max_size, (key, hub)
            # ... and the left-over schools hold no group of their own around it.
            assert len([k for k in reach.around(key) if k in unplaced]) < rules.min_size
    # No reassignment to the same hubs places more schools (a maximum flow).
    placed_others = sum(g.size - 1 for g in proposal.groups)
    assert placed_others == max_placed_with_hubs(reach, hubs, rules.max_size)


# --- random geographies ---------------------------------------------------------------------


@st.composite
def geographies(draw, towns: tuple[int, int] = (1, 5), schools_per_town: tuple[int, int] = (1, 15)):
    """A few towns with schools scattered around them, isolated schools, schools without
    coordinates, partitions, overrides, and rules within sensible ranges."""
    min_size = draw(st.integers(1, 5))
    rules = Rules(
        min_size=min_size,
        max_size=draw(st.integers(min_size, min_size + 5)),
        limit_minutes=draw(st.sampled_from([15.0, 30.0, 45.0, 60.0, 90.0])),
        speed_kmh=draw(st.floats(3.0, 6.0)),
        detour=draw(st.floats(1.0, 1.6)),
    )
    reach_km = rules.reach_km
    partitions = draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True))
    offset = st.floats(-1.5, 1.5)  # in units of the reach, so towns straddle it
    sites: list[Site] = []
    for town in range(draw(st.integers(*towns))):
        centre_north = draw(st.floats(-4, 4)) * reach_km
        centre_east = draw(st.floats(-4, 4)) * reach_km
        for _ in range(draw(st.integers(*schools_per_town))):
            km_north = centre_north + draw(offset) * reach_km
            km_east = centre_east + draw(offset) * reach_km
            sites.append(
                Site(
                    f"s{len(sites):02d}t{town}",
                    LAT + north(km_north),
                    LON + north(km_east) / math.cos(math.radians(LAT)),
                    draw(st.sampled_from(partitions)),
                )
            )
    for _ in range(draw(st.integers(0, 3))):  # isolated
        sites.append(
            Site(f"s{len(sites):02d}i", LAT + north(draw(st.floats(-20, 20)) * reach_km), LON)
        )
    for _ in range(draw(st.integers(0, 3))):
        sites.append(Site(f"s{len(sites):02d}x", None, None, draw(st.sampled_from(partitions))))
    keys = [s.key for s in sites]
    measured = {}  # one time per pair, given either way round
    if len(keys) > 1:
        for _ in range(draw(st.integers(0, 8))):
            pair = draw(st.lists(st.sampled_from(keys), min_size=2, max_size=2, unique=True))
            measured[frozenset(pair)] = (
                tuple(pair),
                draw(st.sampled_from([0.0, 5.0, rules.limit_minutes, 200.0])),
            )
    overrides = dict(measured.values())
    return sites, rules, overrides


@settings(max_examples=300, deadline=None)
@given(geographies())
def test_every_guarantee_holds_on_random_geographies(case):
    sites, rules, overrides = case
    proposal = propose(sites, rules, overrides)
    assert_guarantees(sites, rules, overrides, proposal)


@settings(max_examples=40, deadline=None)
@given(geographies(towns=(3, 8), schools_per_town=(10, 40)))
def test_every_guarantee_holds_on_larger_geographies(case):
    # Larger towns need longer chains of moves to place the last schools.
    sites, rules, overrides = case
    proposal = propose(sites, rules, overrides)
    assert_guarantees(sites, rules, overrides, proposal)


@settings(max_examples=50, deadline=None)
@given(geographies(), st.randoms(use_true_random=False))
def test_the_proposal_does_not_depend_on_the_order_of_the_sites(case, rng):
    sites, rules, overrides = case
    shuffled = list(sites)
    rng.shuffle(shuffled)
    reversed_overrides = {(b, a): m for (a, b), m in reversed(overrides.items())}
    first = propose(sites, rules, overrides)
    again = propose(shuffled, rules, reversed_overrides)
    assert (first.groups, first.unplaced) == (again.groups, again.unplaced)


# --- examples -------------------------------------------------------------------------------


def village(prefix: str, lat: float, lon: float, n: int, spacing_km: float = 0.2) -> list[Site]:
    return [Site(f"{prefix}{i}", lat + north(i * spacing_km), lon) for i in range(n)]


def test_it_walks_the_great_circle_with_the_detour():
    rules = Rules(speed_kmh=5.0, detour=1.3)
    a, b = Site("a", LAT, LON), Site("b", LAT + north(10.0), LON)
    assert walking_minutes(a, b, rules) == pytest.approx(10.0 * 1.3 / 5.0 * 60)
    assert walking_minutes(a, Site("c", None, None), rules) == math.inf
    assert walking_minutes(b, a, rules, {("a", "b"): 7.0}) == 7.0


def test_a_river_without_a_bridge_splits_two_close_villages():
    west = village("w", LAT, LON, 4)
    east = village("e", LAT, LON + 0.01, 4)  # about a kilometre away
    river = {(w.key, e.key): 200.0 for w in west for e in east}
    without = propose(west + east, Rules(min_size=4, max_size=8))
    assert [g.size for g in without.groups] == [8]
    proposal = propose(west + east, Rules(min_size=4, max_size=8), river)
    assert sorted(sorted(k[0] for k, _ in g.members) for g in proposal.groups) == [
        ["e"] * 4,
        ["w"] * 4,
    ]
    assert proposal.unplaced == []


def test_an_override_brings_a_far_school_within_reach():
    rules = Rules(min_size=4, max_size=8)
    near_ones = village("v", LAT, LON, 3)
    far = Site("far", LAT + north(20.0), LON)  # four hours' walk
    alone = propose(near_ones + [far], rules)
    assert alone.groups == []
    assert {reason for _, reason in alone.unplaced} == {TOO_FEW_IN_REACH}

    footpath = {("far", "v0"): 45.0}
    proposal = propose(near_ones + [far], rules, footpath)
    assert len(proposal.groups) == 1
    group = proposal.groups[0]
    assert group.hub == "v0"
    assert ("far", 45.0) in group.members


def test_a_school_without_coordinates_is_placed_only_through_overrides():
    rules = Rules(min_size=4, max_size=8)
    sites = village("v", LAT, LON, 3) + [Site("lost", None, None)]
    assert ("lost", NO_COORDINATES) in propose(sites, rules).unplaced
    proposal = propose(sites, rules, {("lost", "v1"): 30.0})
    assert proposal.unplaced == []
    assert proposal.groups[0].hub == "v1"


def test_a_partition_keeps_two_near_schools_apart():
    sites = village("a", LAT, LON, 4) + [Site("b0", LAT + north(0.1), LON, partition="other")]
    sites = [Site(s.key, s.latitude, s.longitude, s.partition or "block") for s in sites]
    proposal = propose(sites, Rules(min_size=4, max_size=8))
    assert [sorted(k for k, _ in g.members) for g in proposal.groups] == [["a0", "a1", "a2", "a3"]]
    assert proposal.unplaced == [("b0", TOO_FEW_IN_REACH)]


@pytest.mark.parametrize(
    ("gap_minutes", "min_size", "max_size", "groups", "reason"),
    [
        (59.99, 2, 3, 3, None),  # neighbours in reach: 7 schools in groups of 2 or 3
        (59.99, 4, 8, 0, TOO_FEW_IN_REACH),  # a hub reaches only its two neighbours
        (60.01, 2, 3, 0, TOO_FEW_IN_REACH),  # nobody reaches anybody
    ],
)
def test_a_line_of_schools_spaced_near_the_limit(gap_minutes, min_size, max_size, groups, reason):
    rules = Rules(min_size=min_size, max_size=max_size)
    gap = km_for(gap_minutes, rules)
    line = [Site(f"s{i}", LAT + north(i * gap), LON) for i in range(7)]
    proposal = propose(line, rules)
    assert len(proposal.groups) == groups
    assert {r for _, r in proposal.unplaced} == ({reason} if reason else set())
    assert_guarantees(line, rules, {}, proposal)


def test_nine_schools_in_reach_make_two_groups_when_the_minimum_allows():
    nine = village("s", LAT, LON, 9)
    proposal = propose(nine, Rules(min_size=4, max_size=8))
    assert sorted(g.size for g in proposal.groups) == [4, 5]
    assert proposal.unplaced == []


def test_nine_schools_in_reach_leave_one_over_when_the_minimum_does_not_allow():
    nine = village("s", LAT, LON, 9)
    proposal = propose(nine, Rules(min_size=5, max_size=8))
    assert [g.size for g in proposal.groups] == [8]
    assert [reason for _, reason in proposal.unplaced] == [LEFT_OVER]


def test_it_gives_the_same_proposal_twice():
    rng = random.Random(6)
    sites = [
        Site(f"s{i}", LAT + rng.uniform(-0.1, 0.1), LON + rng.uniform(-0.1, 0.1))
        for i in range(300)
    ]
    first, second = propose(sites), propose(sites)
    assert (first.groups, first.unplaced) == (second.groups, second.unplaced)
    assert len(first.groups) > 30


def test_it_reports_progress_up_to_the_total():
    rng = random.Random(7)
    sites = [Site(f"s{i}", LAT + rng.uniform(-0.5, 0.5), LON) for i in range(6000)]
    calls: list[tuple[int, int]] = []
    propose(sites, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) > 1
    assert calls[-1] == (6000, 6000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_it_refuses_bad_input():
    with pytest.raises(ValueError, match="min_size"):
        Rules(min_size=5, max_size=4)
    with pytest.raises(ValueError, match="positive"):
        Rules(limit_minutes=0)
    two = [Site("a", LAT, LON), Site("b", LAT, LON)]
    with pytest.raises(ValueError, match="key"):
        propose(two + [Site("a", LAT, LON)])
    with pytest.raises(ValueError, match="disagree"):
        propose(two, overrides={("a", "b"): 5.0, ("b", "a"): 6.0})
    with pytest.raises(ValueError, match="not a time"):
        propose(two, overrides={("a", "b"): -1.0})


def test_quality_counts_what_breaks_the_rules():
    rules = Rules(min_size=2, max_size=3, limit_minutes=60)
    proposal = Proposal(
        groups=[
            Group("a", [("a", 0.0), ("b", 10.0), ("c", 70.0)]),  # one member too far
            Group("d", [("d", 0.0)]),  # too small
        ],
        unplaced=[("e", LEFT_OVER)],
        seconds=0.0,
        rules=rules,
    )
    quality = proposal.quality()
    assert quality["schools"] == 5
    assert quality["placed_share"] == 0.8
    assert quality["valid_share"] == 0.4  # a and b
    assert quality["groups_out_of_range"] == 1
    assert quality["members_beyond_limit"] == 1
    assert quality["max_minutes"] == 70.0
    assert quality["mean_minutes"] == 40.0
    assert quality["unplaced_left_over"] == 1


def test_the_kmeans_baseline_puts_every_located_school_in_one_group():
    rng = random.Random(8)
    sites = [
        Site(f"s{i}", LAT + rng.uniform(-0.2, 0.2), LON + rng.uniform(-0.2, 0.2))
        for i in range(120)
    ] + [Site("lost", None, None)]
    baseline = kmeans_baseline(sites, Rules())
    members = sorted(key for g in baseline.groups for key, _ in g.members)
    assert members == sorted(s.key for s in sites if s.located)
    assert baseline.unplaced == [("lost", NO_COORDINATES)]
    assert all(g.members[0] == (g.hub, 0.0) for g in baseline.groups)
    assert 10 <= len(baseline.groups) <= 20  # k = 120 / 6


def test_sites_for_reads_the_schools_under_a_unit(world):
    from clusterwise.org.models import School

    School.objects.filter(org_unit=world.school_a1).update(
        latitude=Decimal("18.520000"), longitude=Decimal("73.860000")
    )
    sites = sites_for([world.block.path], partition_level="cluster")
    by_key = {s.key: s for s in sites}
    assert set(by_key) == {str(u.pk) for u in (world.school_a1, world.school_a2, world.school_b1)}
    a1 = by_key[str(world.school_a1.pk)]
    assert (a1.latitude, a1.longitude) == (18.52, 73.86)
    assert by_key[str(world.school_a2.pk)].latitude is None
    assert a1.partition == world.cluster_a.path
    assert by_key[str(world.school_b1.pk)].partition == world.cluster_b.path
    assert sites_for(School.objects.filter(org_unit=world.school_a2)) == [
        Site(str(world.school_a2.pk), None, None, "")
    ]


def test_it_proposes_nothing_for_no_schools():
    proposal = propose([])
    assert (proposal.groups, proposal.unplaced) == ([], [])
    assert proposal.quality()["schools"] == 0
