"""Networks in the shared test world (conftest.py at the root).

`cop`: a community of practice owned by block B1, moderated by the coach, with schools A1
and A2 (so `head_a1` is a member). `other`: a PLC of cluster B with school B1S, facilitated
by `crc_b` (the outsider), which nobody in cluster A may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from clusterwise.networks.models import Network
from clusterwise.networks.services.networks import network_create

START = datetime.date(2026, 1, 10)


@dataclass
class NetWorld:
    world: object
    cop: Network
    other: Network


@pytest.fixture
def nets(world) -> NetWorld:  # type: ignore[no-untyped-def]
    cop = network_create(
        name="Khed heads' CoP",
        kind=Network.Kind.COP,
        org_unit=world.block,
        facilitator=world.person(world.coach),
        schools=[world.school_a1, world.school_a2],
        started_on=START,
        meeting_school=world.school_a1,
        by=world.district_officer,
    )
    other = network_create(
        name="Wada PLC",
        kind=Network.Kind.PLC,
        org_unit=world.cluster_b,
        facilitator=world.person(world.outsider),
        schools=[world.school_b1],
        started_on=START,
        by=None,
    )
    return NetWorld(world=world, cop=cop, other=other)
