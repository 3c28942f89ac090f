"""Proposing school networks from geography (issue #6).

Headteachers within an hour's walk of each other form a community of practice. Given schools
with coordinates, `propose` puts them into groups of `Rules.min_size` to `Rules.max_size`
schools, each around a meeting school (the hub) that every member can walk to within
`Rules.limit_minutes`. Pure functions over plain data (numpy, scipy): no models, no queries,
except `sites_for`, which reads the schools of an org subtree from the database.

Walking time is the great-circle distance × `Rules.detour` / `Rules.speed_kmh`, unless an
override gives a measured time for the pair (both ways): a river without a bridge can make
two close schools 200 minutes apart, a footpath can bring a far one within reach. Schools of
different partitions (say, blocks) never share a group.

Guarantees of `propose` (the tests check each one):
- every member of every group is within the limit of its hub, by `walking_minutes` with
  the same overrides, and shares the hub's partition;
- every group has `min_size` to `max_size` schools;
- every input site is either in exactly one group or in `unplaced`, exactly once;
- the result depends only on the input as a set of sites (sites are sorted by key first;
  nothing depends on iteration order of dicts or sets, or on the clock);
- why a school is unplaced (`Proposal.unplaced`, stable codes a view translates):
  - `no_coordinates`: the school has no latitude or longitude. Only overrides can put it in
    reach of another school, and they did not place it.
  - `too_few_in_reach`: the school can never be in a valid group: neither it nor any school
    in its reach (each a possible meeting school) has `min_size - 1` other schools of its
    partition within the limit.
  - `left_over`: some valid group could hold the school (it is not `too_few_in_reach`),
    but this proposal has none for it. Then:
    1. no group with room (fewer than `max_size`) has its hub within the school's reach;
       more generally, no chain of moves (a member moving to another group whose hub it
       reaches, making room for the next) ends in a group with room: with the proposal's
       meeting schools, no reassignment places more schools (it is a maximum flow);
    2. fewer than `min_size - 1` other unplaced schools are within its reach, so the
       unplaced schools hold no group of their own around it.

How (bench/networks.py measures each choice on the state-scale demo):
1. Reach: per school, the schools within the limit, found with a k-d tree on unit-sphere
   coordinates (the chord of the limit's great-circle distance is an exact radius), then
   the overrides applied to their pairs.
2. Greedy: the school with the fewest unplaced schools in its reach goes first, so a remote
   pair is grouped before its only hub is taken. Among the hubs in its reach that can still
   gather `min_size` unplaced schools it takes the one that gathers most, filled with the
   unplaced schools in the hub's reach that have the fewest alternatives, nearest first
   among equals. A priority queue with lazy entries keeps this near O(n log n × neighbours).
   (Taking the nearest hub instead made 12% more groups; filling with the nearest schools
   0.5% more.)
3. Repair, for coverage: augmenting paths, as in bipartite matching, place unplaced schools
   in groups with room, moving members along a chain when needed; unplaced schools become
   hubs by borrowing members that groups above `min_size` can spare; augmenting again.
4. Fewer groups: groups that are not full are dissolved, smallest first, when all their
   schools can be placed in the others (augmenting paths, each search limited).
5. Shorter walks: twice, each group meets at the member with the least walking in all,
   then members move or swap between groups when that shortens their walks.
6. Augmenting paths once more, so the guarantees on left-over schools hold for the final
   meeting schools.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from clusterwise.org.models import School

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

NO_COORDINATES = "no_coordinates"
TOO_FEW_IN_REACH = "too_few_in_reach"
LEFT_OVER = "left_over"
REASONS = (NO_COORDINATES, TOO_FEW_IN_REACH, LEFT_OVER)

Overrides = Mapping[tuple[str, str], float]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rules:
    """What makes a group valid. Walking time = great-circle km × detour / speed."""

    min_size: int = 4
    max_size: int = 8
    limit_minutes: float = 60.0
    speed_kmh: float = 5.0
    detour: float = 1.3  # roads and paths are longer than the straight line

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError("Group sizes need 1 <= min_size <= max_size.")
        if not (self.limit_minutes > 0 and self.speed_kmh > 0 and self.detour > 0):
            raise ValueError("The limit, the speed and the detour factor must be positive.")

    @property
    def reach_km(self) -> float:
        """The great-circle distance walked within the limit."""
        return self.limit_minutes / 60 * self.speed_kmh / self.detour


@dataclass(frozen=True)
class Site:
    """A school to place. Schools with different partitions never share a group."""

    key: str
    latitude: float | None
    longitude: float | None
    partition: str = ""

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class Group:
    """A proposed network: its meeting school and members with their walk to it (hub first)."""

    hub: str
    members: list[tuple[str, float]]  # (school key, walking minutes to the hub)

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class Proposal:
    groups: list[Group]
    unplaced: list[tuple[str, str]]  # (school key, reason code), by key
    seconds: float
    rules: Rules = field(default_factory=Rules)

    def quality(self) -> dict[str, float]:
        """Figures to compare proposals by. Walks count members other than the hub.

        `valid_share`: schools in a group of the allowed size and within the limit of its
        hub, over all schools; for `propose` it equals `placed_share`, for the k-means
        baseline it does not.
        """
        rules = self.rules
        placed = sum(g.size for g in self.groups)
        schools = placed + len(self.unplaced)
        walks = [m for g in self.groups for key, m in g.members if key != g.hub]
        in_range = [g for g in self.groups if rules.min_size <= g.size <= rules.max_size]
        valid = sum(1 for g in in_range for _, m in g.members if m <= rules.limit_minutes)
        reasons = dict.fromkeys(REASONS, 0)
        for _, reason in self.unplaced:
            reasons[reason] += 1
        return {
            "schools": schools,
            "placed_share": placed / schools if schools else 0.0,
            "valid_share": valid / schools if schools else 0.0,
            "groups": len(self.groups),
            "mean_size": placed / len(self.groups) if self.groups else 0.0,
            "max_minutes": max(walks, default=0.0),
            "mean_minutes": sum(walks) / len(walks) if walks else 0.0,
            "groups_out_of_range": len(self.groups) - len(in_range),
            "members_beyond_limit": sum(1 for m in walks if m > rules.limit_minutes),
            **{f"unplaced_{reason}": count for reason, count in reasons.items()},
        }


def walking_minutes(a: Site, b: Site, rules: Rules, overrides: Overrides | None = None) -> float:
    """Minutes to walk between two schools: the override for the pair if there is one (either
    way round), else from their coordinates; infinite when neither is known."""
    if overrides:
        measured = overrides.get((a.key, b.key), overrides.get((b.key, a.key)))
        if measured is not None:
            return float(measured)
    if a.key == b.key:
        return 0.0
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return math.inf
    lat1, lon1 = math.radians(a.latitude), math.radians(a.longitude)
    lat2, lon2 = math.radians(b.latitude), math.radians(b.longitude)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return km * rules.detour / rules.speed_kmh * 60


def propose(
    sites: Iterable[Site],
    rules: Rules = Rules(),
    overrides: Overrides | None = None,
    progress: Progress | None = None,
) -> Proposal:
    """Groups of schools around meeting schools within walking reach (see the module doc)."""
    started = time.perf_counter()
    ordered = _sorted_sites(sites)
    near, minutes = _reach(ordered, rules, overrides or {})
    # A school without coordinates is placed only through an override in reach of it.
    known = [site.located or len(row) > 1 for site, row in zip(ordered, near, strict=True)]
    packer = _Packer(near, minutes, known, rules, progress)
    packer.run()
    groups = []
    for hub, members in packer.result():
        walks = sorted((packer.minutes_between(hub, m), m) for m in members if m != hub)
        group = [(ordered[hub].key, 0.0)] + [(ordered[m].key, walk) for walk, m in walks]
        groups.append(Group(hub=ordered[hub].key, members=group))
    unplaced = []
    for i, site in enumerate(ordered):
        if packer.hub_of[i] < 0:
            if not site.located:
                reason = NO_COORDINATES
            elif not packer.possible[i]:
                reason = TOO_FEW_IN_REACH
            else:
                reason = LEFT_OVER
            unplaced.append((site.key, reason))
    if progress:
        progress(len(ordered), len(ordered))
    return Proposal(groups, unplaced, time.perf_counter() - started, rules)


def kmeans_baseline(
    sites: Iterable[Site],
    rules: Rules = Rules(),
    seed: int = 0,
    overrides: Overrides | None = None,
) -> Proposal:
    """The naive way, for comparison: k-means on projected coordinates, per partition, with
    k = schools / the mean of min_size and max_size; the meeting school is the member nearest
    the centroid. Groups are kept as k-means made them, so `quality()` shows their sizes out
    of range and members beyond the limit; schools without coordinates stay unplaced."""
    from scipy.cluster.vq import kmeans2

    started = time.perf_counter()
    ordered = _sorted_sites(sites)
    groups: list[Group] = []
    unplaced = [(s.key, NO_COORDINATES) for s in ordered if not s.located]
    by_partition: dict[str, list[Site]] = {}
    for site in ordered:
        if site.located:
            by_partition.setdefault(site.partition, []).append(site)
    mean_size = (rules.min_size + rules.max_size) / 2
    for partition in sorted(by_partition):
        members = by_partition[partition]
        lat = np.radians(np.array([s.latitude for s in members], dtype=float))
        lon = np.radians(np.array([s.longitude for s in members], dtype=float))
        # Equirectangular projection around the mean latitude, in km: true enough within a state.
        xy = np.column_stack((lon * math.cos(lat.mean()), lat)) * EARTH_RADIUS_KM
        k = max(1, round(len(members) / mean_size))
        if k >= len(members):
            centroids, labels = xy.copy(), np.arange(len(members))
        else:
            # Seeds are k random schools: SciPy's k-means++ seeding costs O(k² n), hours for
            # a state. A cluster left empty is simply no group.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "One of the clusters is empty")
                centroids, labels = kmeans2(xy, k, minit="points", seed=seed, missing="warn")
        for label in np.unique(labels):
            indexes = np.flatnonzero(labels == label)
            gaps = np.hypot(*(xy[indexes] - centroids[label]).T)
            hub = members[int(indexes[int(np.argmin(gaps))])]
            walks = sorted(
                (walking_minutes(members[i], hub, rules, overrides), members[i].key)
                for i in indexes
                if members[i] is not hub
            )
            groups.append(Group(hub.key, [(hub.key, 0.0)] + [(key, m) for m, key in walks]))
    groups.sort(key=lambda g: g.hub)
    return Proposal(groups, unplaced, time.perf_counter() - started, rules)


def sites_for(
    scope: Iterable[str] | QuerySet[School], *, partition_level: str | None = None
) -> list[Site]:
    """The schools under the given org-unit paths (or of a School queryset) as sites keyed
    by their org unit's id (as text, what a proposal stores); with `partition_level` (an
    org level such as "block"), schools under different units of that level never share a
    group."""
    from django.conf import settings
    from django.db.models import Q

    from clusterwise.org.models import OrgUnit, School

    if isinstance(scope, str):
        raise TypeError("sites_for() takes a list of paths, not one path.")
    if hasattr(scope, "model"):
        schools = scope
    else:
        under = Q()
        for path in scope:
            under |= Q(org_unit__path__startswith=path)
        schools = School.objects.filter(under) if under else School.objects.none()
    prefix = 0
    if partition_level is not None:
        # Paths hold steplen characters per depth, and the root (depth 1) is the first level.
        prefix = (settings.ORG_LEVELS.index(partition_level) + 1) * OrgUnit.steplen
    rows = schools.order_by("org_unit__path").values_list(  # type: ignore[union-attr]
        "org_unit_id", "org_unit__path", "latitude", "longitude"
    )
    return [
        Site(
            key=str(unit_id),
            latitude=None if lat is None else float(lat),
            longitude=None if lon is None else float(lon),
            partition=path[:prefix],
        )
        for unit_id, path, lat, lon in rows.iterator(chunk_size=5000)
    ]


# --- reach ------------------------------------------------------------------------------------


def _sorted_sites(sites: Iterable[Site]) -> list[Site]:
    ordered = sorted(sites, key=lambda s: s.key)
    for before, after in itertools.pairwise(ordered):
        if before.key == after.key:
            raise ValueError(f"Two sites have the key {before.key!r}.")
    return ordered


def _normalised_overrides(
    overrides: Overrides, index: Mapping[str, int]
) -> dict[tuple[int, int], float]:
    """Overrides by (lower index, higher index); pairs of schools not given are ignored."""
    pairs: dict[tuple[int, int], float] = {}
    for (a, b), value in sorted(overrides.items()):
        value = float(value)
        if a == b:
            raise ValueError(f"An override joins a school to itself: {a!r}.")
        if not value >= 0:  # also NaN
            raise ValueError(f"The override for {a!r} and {b!r} is not a time: {value!r}.")
        if a not in index or b not in index:
            continue
        i, j = sorted((index[a], index[b]))
        if pairs.setdefault((i, j), value) != value:
            raise ValueError(f"The overrides for {a!r} and {b!r} disagree.")
    return pairs


def _reach(
    sites: Sequence[Site], rules: Rules, overrides: Overrides
) -> tuple[list[list[int]], list[list[float]]]:
    """Per school, the schools of its partition within the limit, itself first and then
    nearest first (ties by index), and their walking minutes."""
    n = len(sites)
    limit = rules.limit_minutes
    partitions = {p: code for code, p in enumerate(sorted({s.partition for s in sites}))}
    part = np.array([partitions[s.partition] for s in sites], dtype=np.int64)
    located = np.array([i for i, s in enumerate(sites) if s.located], dtype=np.int64)
    lat = np.radians(np.array([sites[i].latitude for i in located], dtype=float))
    lon = np.radians(np.array([sites[i].longitude for i in located], dtype=float))
    xyz = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    # The chord of the reach on the unit sphere, a hair wider: the exact test follows.
    angle = min(math.pi, rules.reach_km / EARTH_RADIUS_KM)
    chord = 2 * math.sin(angle / 2) * (1 + 1e-9) + 1e-12
    if len(located) > 1:
        local = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    else:
        local = np.empty((0, 2), dtype=np.int64)
    first, second = located[local[:, 0]], located[local[:, 1]]
    same = part[first] == part[second]
    first, second, local = first[same], second[same], local[same]
    a, b = local[:, 0], local[:, 1]
    h = (
        np.sin((lat[b] - lat[a]) / 2) ** 2
        + np.cos(lat[a]) * np.cos(lat[b]) * np.sin((lon[b] - lon[a]) / 2) ** 2
    )
    walk = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    walk *= rules.detour / rules.speed_kmh * 60
    # Near the limit, the scalar function decides, so the tests' check agrees to the last bit.
    for k in np.flatnonzero(np.abs(walk - limit) <= 1e-6 * max(1.0, limit)):
        walk[k] = walking_minutes(sites[first[k]], sites[second[k]], rules)
    within = walk <= limit
    first, second, walk = first[within], second[within], walk[within]

    pairs = _normalised_overrides(overrides, {s.key: i for i, s in enumerate(sites)})
    if pairs:
        measured = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        values = np.array([pairs[i, j] for i, j in sorted(pairs)], dtype=float)
        overridden = np.isin(first * n + second, measured[:, 0] * n + measured[:, 1])
        first, second, walk = first[~overridden], second[~overridden], walk[~overridden]
        keep = (values <= limit) & (part[measured[:, 0]] == part[measured[:, 1]])
        first = np.concatenate((first, measured[keep, 0]))
        second = np.concatenate((second, measured[keep, 1]))
        walk = np.concatenate((walk, values[keep]))

    everyone = np.arange(n, dtype=np.int64)
    rows = np.concatenate((everyone, first, second))
    cols = np.concatenate((everyone, second, first))
    mins = np.concatenate((np.zeros(n), walk, walk))
    self_first = np.concatenate((np.zeros(n), np.ones(2 * len(walk))))
    order = np.lexsort((cols, mins, self_first, rows))
    ends = np.cumsum(np.bincount(rows, minlength=n)).tolist()
    spans = list(zip([0, *ends][:-1], ends, strict=True))
    cols_in_order, mins_in_order = cols[order].tolist(), mins[order].tolist()
    near = [cols_in_order[start:end] for start, end in spans]
    minutes = [mins_in_order[start:end] for start, end in spans]
    return near, minutes


# --- packing ----------------------------------------------------------------------------------

FREE = -1  # `_Packer.hub_of` of a school in no group
DISSOLVE_BUDGET = 200  # hubs one search may visit while trying to dissolve a group
WALK_ROUNDS = 2  # rounds of re-choosing hubs and shortening walks; a third gained little


class _Packer:
    """Groups over school indexes. `near[i]`: the schools in reach of i (i first), nearest
    first; reach is symmetric, so they are also the possible hubs of i."""

    def __init__(
        self,
        near: list[list[int]],
        minutes: list[list[float]],
        known: list[bool],
        rules: Rules,
        progress: Progress | None,
    ) -> None:
        self.near, self.minutes, self.rules, self.progress = near, minutes, rules, progress
        self.n = len(near)
        self.min_size, self.max_size = rules.min_size, rules.max_size
        self.hub_of = [FREE] * self.n  # the hub of each school's group, or FREE
        self.groups: dict[int, list[int]] = {}  # hub -> members, the hub first
        # Whether some valid group could hold the school: a hub in its reach (maybe itself)
        # with at least min_size schools in reach. `known`: it has coordinates or an override.
        sizes = [len(row) for row in near]
        self.possible = [
            placeable and max(sizes[h] for h in row) >= rules.min_size
            for placeable, row in zip(known, near, strict=True)
        ]
        self.done = 0

    def run(self) -> None:
        self.greedy()
        self.augment_all()
        self.borrow_all()
        self.augment_all()
        self.dissolve_all()
        for _ in range(WALK_ROUNDS):
            self.rehub_all()
            self.shorten_walks()
        self.rehub_all()
        # Last, so that the guarantees on left-over schools hold for the final hubs.
        self.augment_all()

    def result(self) -> list[tuple[int, list[int]]]:
        return sorted(self.groups.items())

    def minutes_between(self, a: int, b: int) -> float:
        return self.minutes[a][self.near[a].index(b)]

    def _report(self, placed: int) -> None:
        before, self.done = self.done, self.done + placed
        if self.progress and before // 5000 != self.done // 5000:
            self.progress(min(self.done, self.n), self.n)

    # --- forming groups

    def greedy(self) -> None:
        """The school with the fewest free schools in reach first; its hub is the one in its
        reach that gathers most, filled with the free schools in the hub's reach that have
        the fewest alternatives (then the nearest). Counts only ever fall, so a school
        without a hub that can gather min_size never gets one later: it stays free."""
        n, near, hub_of = self.n, self.near, self.hub_of
        min_size, max_size = self.min_size, self.max_size
        free = list(self.possible)
        avail = [sum(free[t] for t in row) for row in near]  # free schools in reach
        self._report(free.count(False))
        # Entries encode (free schools in reach, index) as one int, pushed again whenever
        # the count falls; outdated entries are skipped when they come up.
        queue = [avail[i] * n + i for i in range(n) if free[i]]
        heapq.heapify(queue)
        while queue:
            count, school = divmod(heapq.heappop(queue), n)
            if not free[school] or count != avail[school]:
                continue
            hubs = [h for h in near[school] if free[h] and avail[h] >= min_size]
            if not hubs:
                continue
            # max() keeps the first of equals, and hubs are nearest first.
            hub = max(hubs, key=lambda h: min(avail[h], max_size))
            members = [hub] if hub == school else [hub, school]
            others = [t for t in near[hub] if free[t] and t != school and t != hub]
            others.sort(key=lambda t: avail[t])  # stable: nearest first among equals
            members += others[: max_size - len(members)]
            for m in members:
                free[m] = False
                hub_of[m] = hub
            for m in members:
                for t in near[m]:
                    avail[t] -= 1
                    if free[t]:
                        heapq.heappush(queue, avail[t] * n + t)
            self.groups[hub] = members
            self._report(len(members))

    def borrow_all(self) -> None:
        """A free school becomes a hub with the free schools in its reach and, nearest first,
        members (not hubs) that groups above min_size can spare."""
        near, groups, hub_of, min_size = self.near, self.groups, self.hub_of, self.min_size
        for school in range(self.n):
            if hub_of[school] != FREE or not self.possible[school]:
                continue
            own = [t for t in near[school] if hub_of[t] == FREE and self.possible[t]]
            spare: dict[int, int] = {}
            lent: list[int] = []
            for t in near[school]:
                if len(own) + len(lent) >= min_size:
                    break
                hub = hub_of[t]
                if hub >= 0 and hub != t:
                    spare.setdefault(hub, len(groups[hub]) - min_size)
                    if spare[hub] > 0:
                        spare[hub] -= 1
                        lent.append(t)
            if len(own) + len(lent) < min_size:
                continue
            for t in lent:
                groups[hub_of[t]].remove(t)
            # `own` starts with the school itself, the new hub.
            groups[school] = own + lent
            for m in groups[school]:
                hub_of[m] = school
            self._report(len(own))

    def augment_all(self) -> None:
        """Place free schools along augmenting paths (see `_augment`)."""
        dead: set[int] = set()
        for school in range(self.n):
            placeable = self.hub_of[school] == FREE and self.possible[school]
            if placeable and self._augment(school, dead):
                self._report(1)

    def _augment(
        self,
        school: int,
        dead: set[int],
        budget: int | None = None,
        journal: list[tuple[int, int, int]] | None = None,
    ) -> bool:
        """Breadth-first search from a free school over the hubs in its reach: a hub with
        room takes it, or a member of that full group moves on to another hub it reaches,
        and so on, until a group with room is found.

        The hubs of a failed search are `dead`: the members of their groups reach only hubs
        of full groups among them, and later augmentations never enter them, so no search
        can succeed through them again (the usual argument of bipartite matching). With a
        `budget`, the search gives up after that many hubs and marks none dead. Each move,
        (school, from hub or FREE, to hub), is appended to `journal` if given."""
        near, groups, hub_of, max_size = self.near, self.groups, self.hub_of, self.max_size
        came: dict[int, tuple[int, int]] = {}  # hub -> (previous hub or FREE, who moves in)
        queue: deque[int] = deque()
        for h in near[school]:
            if h in groups and h not in dead and h not in came:
                came[h] = (FREE, school)
                queue.append(h)
        while queue:
            hub = queue.popleft()
            if len(groups[hub]) < max_size:
                while True:
                    previous, mover = came[hub]
                    groups[hub].append(mover)
                    hub_of[mover] = hub
                    if journal is not None:
                        journal.append((mover, previous, hub))
                    if previous == FREE:
                        return True
                    groups[previous].remove(mover)
                    hub = previous
            if budget is not None and len(came) > budget:
                return False
            for member in groups[hub][1:]:
                for h in near[member]:
                    if h not in came and h in groups and h not in dead:
                        came[h] = (hub, member)
                        queue.append(h)
        dead.update(came)
        return False

    def _undo(self, journal: list[tuple[int, int, int]]) -> None:
        for mover, previous, hub in reversed(journal):
            self.groups[hub].remove(mover)
            if previous != FREE:
                self.groups[previous].append(mover)
            self.hub_of[mover] = previous

    # --- fewer groups, shorter walks

    def dissolve_all(self) -> None:
        """Fewer groups: a group that is not full goes if each of its schools, the hub too,
        can be placed in the other groups along augmenting paths (each search limited to
        DISSOLVE_BUDGET hubs); smallest groups first, else it stays as it was."""
        groups, hub_of = self.groups, self.hub_of
        for hub in sorted(groups, key=lambda h: (len(groups[h]), h)):
            if len(groups[hub]) >= self.max_size:
                continue
            members = groups.pop(hub)
            for m in members:
                hub_of[m] = FREE
            journal: list[tuple[int, int, int]] = []
            dead: set[int] = set()
            if not all(self._augment(m, dead, DISSOLVE_BUDGET, journal) for m in members):
                self._undo(journal)
                groups[hub] = members
                for m in members:
                    hub_of[m] = hub

    def rehub_all(self) -> None:
        """Each group meets at the member that reaches all the others with the least walking
        in all (then the shortest longest walk; ties keep the current hub)."""
        groups, hub_of = self.groups, self.hub_of
        for hub in sorted(groups):
            members = groups[hub]
            best, best_walks = hub, self._walks(hub, members)
            for m in members:
                walks = self._walks(m, members)
                if walks is not None and best_walks is not None and walks < best_walks:
                    best, best_walks = m, walks
            if best != hub:
                del groups[hub]
                groups[best] = [best] + [m for m in members if m != best]
                for m in members:
                    hub_of[m] = best

    def _walks(self, hub: int, members: list[int]) -> tuple[float, float] | None:
        """(total, longest) walk of the members to `hub`; None if one is out of its reach."""
        reach = dict(zip(self.near[hub], self.minutes[hub], strict=True))
        if any(m not in reach for m in members):
            return None
        walks = [reach[m] for m in members]
        return (sum(walks), max(walks))

    def shorten_walks(self) -> None:
        """A member moves to a group with room whose hub is nearer, if its own group keeps
        min_size; or it swaps with the member of such a full group whose swap shortens their
        two walks most in all. Sizes, and so the number of groups, stay as they are."""
        near, minutes, groups, hub_of = self.near, self.minutes, self.groups, self.hub_of
        reach = {h: dict(zip(near[h], minutes[h], strict=True)) for h in groups}
        for m in range(self.n):
            own = hub_of[m]
            if own < 0 or own == m:
                continue
            walk = reach[own][m]
            for h, there in zip(near[m], minutes[m], strict=True):
                if there >= walk:
                    break  # nearest first: no nearer hub is left
                if h not in groups or h == own:
                    continue
                if len(groups[h]) < self.max_size and len(groups[own]) > self.min_size:
                    groups[own].remove(m)
                    groups[h].append(m)
                    hub_of[m] = h
                    break
                best_gain, partner = 0.0, FREE
                for other in groups[h][1:]:
                    back = reach[own].get(other)
                    if back is not None:
                        gain = walk - there + reach[h][other] - back
                        if gain > best_gain + 1e-9:
                            best_gain, partner = gain, other
                if partner != FREE:
                    groups[own].remove(m)
                    groups[h].remove(partner)
                    groups[h].append(m)
                    groups[own].append(partner)
                    hub_of[m], hub_of[partner] = h, own
                    break
