"""Action plans and performance contracts: who makes them, sign-off, scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from clusterwise.networks.models import ActionPlan
from clusterwise.networks.services import plans as svc

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


@pytest.fixture
def contract(nets):  # type: ignore[no-untyped-def]
    world = nets.world
    return svc.plan_create(
        kind=ActionPlan.Kind.CONTRACT,
        title="Imihigo A1 2026",
        org_unit=world.school_a1,
        starts_on=START,
        ends_on=END,
        supervisor=world.person(world.crc),
        by=world.head,
    )


def test_a_contract_is_signed_by_its_supervisor_only_and_then_fixed(nets, contract) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = world.person(world.head)
    with pytest.raises(ValidationError, match="without actions"):
        svc.plan_sign_off(plan=contract, version=None, by=world.crc)
    with pytest.raises(ValidationError, match="has a target"):
        svc.action_add(
            plan=contract, text="Reading", owner=head, due_on=END, success_measure="m", by=None
        )
    svc.action_add(
        plan=contract,
        text="Reading",
        owner=head,
        due_on=END,
        success_measure="test",
        target="70% at grade level",
        by=None,
    )
    with pytest.raises(ValidationError, match="supervisor signs"):
        svc.plan_sign_off(plan=contract, version=None, by=world.head)
    signed = svc.plan_sign_off(plan=contract, version=None, by=world.crc)
    assert signed.status == "active" and signed.signed_off_at is not None
    with pytest.raises(ValidationError, match="targets are fixed"):
        svc.action_add(
            plan=contract,
            text="More",
            owner=head,
            due_on=END,
            success_measure="m",
            target="1",
            by=None,
        )


def test_plans_are_for_units_in_the_authors_area_of_the_right_level(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    with pytest.raises(ValidationError, match="outside your area"):
        svc.plan_create(
            kind="school",
            title="x",
            org_unit=world.school_b1,
            starts_on=START,
            ends_on=END,
            by=world.head,
        )
    with pytest.raises(ValidationError, match="made for a cluster"):
        svc.plan_create(
            kind="cluster",
            title="x",
            org_unit=world.school_a1,
            starts_on=START,
            ends_on=END,
            by=world.crc,
        )
    plan = svc.plan_create(
        kind="cluster",
        title="Chakan development plan",
        org_unit=world.cluster_a,
        starts_on=START,
        ends_on=END,
        by=world.crc,
    )
    assert plan.status == "active" and plan.org_path == world.cluster_a.path


def test_the_plan_pages(nets, contract, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = world.client(world.head)
    with django_assert_max_num_queries(10):
        assert "Imihigo A1 2026" in head.get("/networks/plans/").content.decode()
    page = head.post(
        f"/networks/plans/{contract.pk}/",
        {
            "form": "action",
            "text": "Typed action",
            "owner": world.person(world.head).pk,
            "due_on": "2026-06-30",
            "success_measure": "m",
        },
    )
    assert page.status_code == 200 and "has a target" in page.content.decode()
    assert 'value="Typed action"' in page.content.decode()
    # The CRC (supervisor, cluster A) sees it and signs it once it has an action.
    svc.action_add(
        plan=contract,
        text="Reading",
        owner=world.person(world.head),
        due_on=END,
        success_measure="m",
        target="70%",
        by=None,
    )
    crc = world.client(world.crc)
    assert "Sign off the contract" in crc.get(f"/networks/plans/{contract.pk}/").content.decode()
    assert crc.post(f"/networks/plans/{contract.pk}/", {"form": "sign"}).status_code == 302
    contract.refresh_from_db()
    assert contract.signed_off_at is not None
    assert world.client(world.outsider).get(f"/networks/plans/{contract.pk}/").status_code == 404


def test_a_plan_made_through_the_form(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    client = world.client(world.crc)
    page = client.post(
        "/networks/plans/new/",
        {
            "kind": "cluster",
            "title": "Chakan CDP",
            "org_unit": "CA",
            "starts_on": "2026-06-01",
            "ends_on": "2027-03-31",
        },
    )
    plan = ActionPlan.objects.get(title="Chakan CDP")
    assert page.status_code == 302 and plan.org_unit == world.cluster_a
    page = client.post(
        "/networks/plans/new/",
        {
            "kind": "cluster",
            "title": "Outside",
            "org_unit": "CB",
            "starts_on": "2026-06-01",
            "ends_on": "2027-03-31",
        },
    )
    assert page.status_code == 200 and 'value="Outside"' in page.content.decode()
