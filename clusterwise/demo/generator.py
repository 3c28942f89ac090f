"""A plausible synthetic state: districts, blocks, clusters, schools, and the people in them.

Deterministic for a given seed. Rows are streamed straight into the tables (COPY on
PostgreSQL), so the state scale (about 110,000 schools and 800,000 people) loads in minutes,
not hours. Demo logins (password `demo`) exist only here.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from clusterwise.core.bulk import bulk_insert
from clusterwise.org.figures import figures_refresh
from clusterwise.org.models import Assignment, OrgUnit, Person, Role, School, User
from clusterwise.programme.models import CohortMember
from clusterwise.skills.models import Rating

from . import names
from .learning import LEARNING_TABLES, load_learning
from .networks import NETWORK_TABLES, load_networks
from .observation import OBSERVATION_TABLES, load_observation
from .programme import load_programme


@dataclass(frozen=True)
class Scale:
    districts: int
    blocks_per_district: tuple[int, int]
    clusters_per_block: tuple[int, int]
    schools_per_cluster: tuple[int, int]
    teachers_per_school: tuple[int, int]


SCALES = {
    # Three districts of two 31-cluster blocks: the demo pilot cohort takes a whole block
    # of each (93 CRCs in 3 districts, demo/programme.py), the scale-up the other.
    "small": Scale(3, (2, 2), (31, 31), (3, 4), (3, 5)),
    "district": Scale(1, (11, 11), (11, 14), (18, 26), (4, 9)),
    "state": Scale(36, (10, 12), (11, 14), (18, 26), (4, 9)),
}

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password
DEMO_USERNAMES = ("state", "district", "mf", "coach", "crc", "head", "teacher", "crc.b", "head.b")

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Unit:
    id: str
    path: str
    code: str
    name: str
    level: str
    numchild: int = 0
    lat: float = 0.0
    lon: float = 0.0
    children: list[Unit] = field(default_factory=list)


# The version (4) and variant (RFC 4122) bits of a random UUID.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_V4 = (4 << 76) | (0x8000 << 48)


def _key(index: int) -> str:
    return OrgUnit._int2str(index).rjust(OrgUnit.steplen, "0")


@contextlib.contextmanager
def _indexes_built_after_loading(
    tables: list[type[models.Model]], progress: Callable[[int, int], None]
) -> Iterator[None]:
    """Drop the tables' plain indexes, let the caller load rows, then build them again.

    Building an index once over loaded rows is much faster than updating half a dozen
    b-trees row by row (docs/performance.md). Indexes behind a primary key or unique constraint stay, so
    duplicates still fail at once. Call inside a transaction: if loading fails, the drops
    roll back with it.
    """
    definitions: list[str] = []
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                    [table],
                )
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            else:
                continue
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                definitions.append(definition)
    yield
    if connection.vendor == "postgresql":
        # PostgreSQL builds no index on a table with deferred foreign-key checks pending:
        # run those checks now rather than at commit.
        connection.check_constraints()
    with connection.cursor() as cursor:
        for done, definition in enumerate(definitions):
            progress(done, len(definitions))
            cursor.execute(definition)
    progress(len(definitions), len(definitions))


@contextlib.contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    """On SQLite, a 256 MB page cache while loading, then the connection's own again.

    Random UUID keys land all over the primary-key b-trees; with SQLite's default 2 MB
    cache most of those inserts read pages back from the file (docs/performance.md).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class Generator:
    def __init__(self, scale: str, seed: int, progress: ProgressFn | None = None) -> None:
        self.scale = SCALES[scale]
        self.rng = random.Random(seed)
        self.progress = progress or (lambda stage, done, total: None)
        self.levels = settings.ORG_LEVELS
        if len(self.levels) != 5:
            raise ValueError("The demo state needs five org levels (state … school).")
        self.today = timezone.localdate()
        self.postgres = connection.vendor == "postgresql"
        now_field = models.DateTimeField()
        self.now = now_field.get_db_prep_value(timezone.now(), connection)
        self.units: list[Unit] = []
        self.schools: list[Unit] = []
        self.phone = 9_000_000_000
        self.counts: dict[str, int] = {}

    def uid(self) -> str:
        """A random version-4 UUID as 32 hex digits, which both databases accept.

        The same value uuid.UUID(int=..., version=4).hex gives, without building the object:
        a million of those took a quarter of the Python time of the state scale.
        """
        value = self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_V4
        return f"{value:032x}"

    # --- the tree ----------------------------------------------------------------------

    def build_tree(self) -> Unit:
        s, rng = self.scale, self.rng
        lv = self.levels
        state = Unit(self.uid(), _key(1), "MH", "Maharashtra", lv[0], lat=19.3, lon=76.2)
        self.units.append(state)
        districts = names.DISTRICTS[: s.districts]
        for d, (dname, dlat, dlon) in enumerate(districts, start=1):
            district = Unit(
                self.uid(), state.path + _key(d), f"MH{d:02d}", dname, lv[1], lat=dlat, lon=dlon
            )
            state.children.append(district)
            self.units.append(district)
            for b in range(1, rng.randint(*s.blocks_per_district) + 1):
                blat, blon = dlat + rng.uniform(-0.45, 0.45), dlon + rng.uniform(-0.45, 0.45)
                block = Unit(
                    self.uid(),
                    district.path + _key(b),
                    f"{district.code}B{b:02d}",
                    names.place(rng),
                    lv[2],
                    lat=blat,
                    lon=blon,
                )
                district.children.append(block)
                self.units.append(block)
                for c in range(1, rng.randint(*s.clusters_per_block) + 1):
                    clat, clon = blat + rng.uniform(-0.12, 0.12), blon + rng.uniform(-0.12, 0.12)
                    cname = names.place(rng)
                    cluster = Unit(
                        self.uid(),
                        block.path + _key(c),
                        f"{block.code}C{c:02d}",
                        f"{cname} {names.CLUSTER_SUFFIX}",
                        lv[3],
                        lat=clat,
                        lon=clon,
                    )
                    block.children.append(cluster)
                    self.units.append(cluster)
                    for k in range(1, rng.randint(*s.schools_per_cluster) + 1):
                        school = Unit(
                            self.uid(),
                            cluster.path + _key(k),
                            f"{cluster.code}S{k:02d}",
                            names.school(rng, cname),
                            lv[4],
                            lat=clat + rng.uniform(-0.04, 0.04),
                            lon=clon + rng.uniform(-0.04, 0.04),
                        )
                        cluster.children.append(school)
                        self.units.append(school)
                        self.schools.append(school)
                    cluster.numchild = len(cluster.children)
                block.numchild = len(block.children)
            district.numchild = len(district.children)
        state.numchild = len(state.children)
        return state

    def _unit_rows(self) -> Iterator[tuple[Any, ...]]:
        for u in self.units:
            yield (
                u.id,
                self.now,
                self.now,
                u.path,
                len(u.path) // OrgUnit.steplen,
                u.numchild,
                u.code,
                u.name,
                u.level,
            )

    def _school_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for u in self.schools:
            tribal = rng.random() < 0.09
            urban = rng.random() < 0.14
            languages = (
                ["mr"]
                if rng.random() < 0.85
                else rng.choice([["mr", "en"], ["hi"], ["ur"], ["en"]])
            )
            management = rng.choices(
                ["local_body", "government", "aided", "private"], weights=[62, 6, 18, 14]
            )[0]
            yield (
                u.id,
                management,
                "urban" if urban else "rural",
                tribal,
                json.dumps(languages),
                round(u.lat, 6),
                round(u.lon, 6),
            )

    # --- people ------------------------------------------------------------------------

    def _person(
        self, name: str, user_id: int | None = None, languages: str = '["mr"]'
    ) -> tuple[Any, ...]:
        self.phone += 1
        return (self.uid(), self.now, self.now, 1, name, str(self.phone), "", languages, user_id)

    def _assignment(
        self, person_id: Any, role: str, unit: Unit, start: datetime.date
    ) -> tuple[Any, ...]:
        self.counts[role] = self.counts.get(role, 0) + 1
        return (self.uid(), self.now, self.now, person_id, role, unit.id, unit.path, start, None)

    def _start(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(60, 3650))

    def people_rows(
        self, state: Unit, demo_users: dict[str, int]
    ) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
        """(person row, assignment rows) pairs; the demo logins take the first posts."""
        rng = self.rng
        district_a = state.children[0]
        block_a = district_a.children[0]
        cluster_a, cluster_b = block_a.children[0], block_a.children[1]
        school_a1, school_b1 = cluster_a.children[0], cluster_b.children[0]
        named = {
            ("state_admin", state.path): "state",
            ("district_officer", district_a.path): "district",
            ("master_facilitator", district_a.path): "mf",
            ("coach", block_a.path): "coach",
            ("crc", cluster_a.path): "crc",
            ("headteacher", school_a1.path): "head",
            ("teacher", school_a1.path): "teacher",
            ("crc", cluster_b.path): "crc.b",
            ("headteacher", school_b1.path): "head.b",
        }

        def post(role: str, unit: Unit) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
            username = named.pop((role, unit.path), None)
            user_id = demo_users.get(username) if username else None
            person = self._person(names.person(rng), user_id)
            return person, [self._assignment(person[0], role, unit, self._start())]

        yield post(Role.STATE_ADMIN, state)
        yield post(Role.DATA_OFFICER, state)
        for district in state.children:
            yield post(Role.DISTRICT_OFFICER, district)
            yield post(Role.DATA_OFFICER, district)
            for _ in range(3):
                yield post(Role.MASTER_FACILITATOR, district)
            for block in district.children:
                # About one coach for every ten clusters (the programme's ratio).
                for _ in range(math.ceil(len(block.children) / 10)):
                    yield post(Role.COACH, block)
                for cluster in block.children:
                    yield post(Role.CRC, cluster)
                    for school in cluster.children:
                        yield post(Role.HEADTEACHER, school)
                        for _ in range(rng.randint(*self.scale.teachers_per_school)):
                            yield post(Role.TEACHER, school)

    # --- loading -----------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        if OrgUnit.objects.exists():
            raise ValueError("The database already has an org tree; the demo needs an empty one.")
        state = self.build_tree()
        with (
            _large_sqlite_cache(),
            transaction.atomic(),
            _indexes_built_after_loading(
                [OrgUnit, School, Person, Assignment],
                lambda done, total: self.progress("indexes", done, total),
            ),
        ):
            demo_users = self._demo_users()
            total_units = len(self.units)
            bulk_insert(
                OrgUnit,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "path",
                    "depth",
                    "numchild",
                    "code",
                    "name",
                    "level",
                ],
                self._unit_rows(),
                progress=lambda n: self.progress("org units", n, total_units),
            )
            bulk_insert(
                School,
                [
                    "org_unit_id",
                    "management",
                    "area",
                    "tribal_area",
                    "languages",
                    "latitude",
                    "longitude",
                ],
                self._school_rows(),
                progress=lambda n: self.progress("schools", n, len(self.schools)),
            )
            people: list[tuple[Any, ...]] = []
            posts: list[tuple[Any, ...]] = []
            for person, assignments in self.people_rows(state, demo_users):
                people.append(person)
                posts.extend(assignments)
            bulk_insert(
                Person,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "version",
                    "name",
                    "phone",
                    "email",
                    "languages",
                    "user_id",
                ],
                people,
                progress=lambda n: self.progress("people", n, len(people)),
            )
            bulk_insert(
                Assignment,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "person_id",
                    "role",
                    "org_unit_id",
                    "org_path",
                    "start_date",
                    "end_date",
                ],
                posts,
                progress=lambda n: self.progress("assignments", n, len(posts)),
            )
        programme = load_programme(
            random.Random(self.rng.random()),
            self.today,
            lambda done, total: self.progress("programme", done, total),
        )
        observation = load_observation(
            random.Random(self.rng.random()),
            self.today,
            lambda done, total: self.progress("observation", done, total),
        )
        learning = load_learning(
            random.Random(self.rng.random()),
            lambda done, total: self.progress("learning", done, total),
        )
        networks = load_networks(
            random.Random(self.rng.random()),
            self.today,
            lambda done, total: self.progress("networks", done, total),
        )
        if self.postgres:
            with connection.cursor() as cursor:
                for model in (
                    OrgUnit,
                    School,
                    Person,
                    Assignment,
                    CohortMember,
                    Rating,
                    *OBSERVATION_TABLES,
                    *LEARNING_TABLES,
                    *NETWORK_TABLES,
                ):
                    cursor.execute(
                        f"VACUUM ANALYZE {model._meta.db_table}"
                    ) if not connection.in_atomic_block else None
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.progress("figures", 0, 1)
        figures_refresh()  # the state's and districts' home-page figures, ready
        self.progress("figures", 1, 1)
        return {
            "org_units": len(self.units),
            "schools": len(self.schools),
            "people": len(people),
            **self.counts,
            **programme,
            **observation,
            **learning,
            **networks,
        }

    def _demo_users(self) -> dict[str, int]:
        hashed = make_password(DEMO_PASSWORD)  # one hash for all: the same known password
        ids = {}
        for username in DEMO_USERNAMES:
            user = User.objects.create(username=username, password=hashed, is_active=True)
            ids[username] = user.pk
        return ids


def generate(scale: str, seed: int = 1, progress: ProgressFn | None = None) -> dict[str, int]:
    """Fill an empty database with a synthetic state at the given scale."""
    return Generator(scale, seed, progress).run()
