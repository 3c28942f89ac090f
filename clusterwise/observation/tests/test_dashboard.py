"""The observation dashboard: visit coverage, item scores and time on task of an area, its
drill-down through the org tree, its charts and its Excel export, all within the user's scope.

The hand-built set (`observed`): crc_a observed teacher_a1 last month (every item 5, most on
task with an activity) and twice this month: teacher_a1 (every item 3, most on task, on a
planned visit) and head_a1 (culture 4, instruction 2; few on task without an activity, then
some with one). crc_a also keeps a draft (every item 1) and has a visit still planned and one
cancelled. The outsider, crc_b, observed Teacher B in cluster B this month (every item 1).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clusterwise.observation import dashboard, services
from clusterwise.observation.models import Observation
from clusterwise.org import services as org_services
from clusterwise.org.models import OrgUnit, Role, School

URL = "observation:dashboard"
XLSX = "observation:dashboard_xlsx"


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def last_month() -> datetime.date:
    return (this_month() - datetime.timedelta(days=1)).replace(day=1)


def scores(instrument: Any, by_section: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"item": item.code, "score": by_section[item.section.code], "evidence": "Seen"}
        for item in instrument.items.select_related("section")
    ]


def snapshots(*marks: tuple[bool, str]) -> list[dict[str, Any]]:
    return [
        {"minute": minute, "learning_activity": activity, "on_task": on_task}
        for minute, (activity, on_task) in zip((5, 15), marks, strict=True)
    ]


@dataclass
class Observed:
    today: datetime.date
    head: Any  # Person of head_a1


@pytest.fixture
def observed(world, observation_world) -> Observed:
    ow = observation_world
    today = timezone.localdate()
    head = world.person(world.head)

    def sync(user: Any, **changes: Any) -> Observation:
        outcome = services.observation_sync(payload=ow.payload(world, **changes), by=user)
        assert outcome.status == 201
        return outcome.observation

    visit = services.visit_plan_add(
        by=world.crc, school=world.school_a1, planned_on=today, teacher=ow.teacher
    )
    services.visit_plan_add(by=world.crc, school=world.school_a2, planned_on=today)
    cancelled = services.visit_plan_add(by=world.crc, school=world.school_a1, planned_on=today)
    services.visit_plan_cancel(visit=cancelled, by=world.crc, version=cancelled.version)

    sync(
        world.crc,
        observed_on=(this_month() - datetime.timedelta(days=1)).isoformat(),
        scores=scores(ow.instrument, {"culture": 5, "instruction": 5}),
    )
    sync(world.crc, planned_visit=str(visit.pk))
    sync(
        world.crc,
        teacher=str(head.pk),
        scores=scores(ow.instrument, {"culture": 4, "instruction": 2}),
        snapshots=snapshots((False, "few"), (True, "some")),
    )
    sync(
        world.crc,
        status="draft",
        scores=scores(ow.instrument, {"culture": 1, "instruction": 1}),
        snapshots=snapshots((False, "few"), (False, "few")),
    )
    sync(
        world.outsider,
        school=str(world.school_b1.pk),
        teacher=str(ow.teacher_b.pk),
        scores=scores(ow.instrument, {"culture": 1, "instruction": 1}),
        snapshots=snapshots((False, "few"), (False, "few")),
    )
    return Observed(today=today, head=head)


def page(world, user, **query: Any):
    response = world.client(user).get(reverse(URL), query)
    assert response.status_code == 200, response.status_code
    return response


def rows_by_name(response) -> dict[str, dashboard.Coverage]:
    return {row.unit.name: row.coverage for row in response.context["d"].coverage.units}


def workbook(world, user, **query: Any):
    response = world.client(user).get(reverse(XLSX), query)
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content), read_only=True)


def sheet_rows(book, title: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


# --- it works, for every area role -------------------------------------------------------


def test_it_starts_the_state_officer_at_the_state_with_a_row_per_district(world, observed):
    response = page(world, world.state_officer)
    assert response.context["area"].unit == world.state
    assert list(rows_by_name(response)) == ["Pune"]
    assert rows_by_name(response)["Pune"].observations == 4
    assert b"Classroom observations: Maharashtra" in response.content


def test_it_shows_the_district_officer_the_blocks_and_drills_down_to_clusters(world, observed):
    response = page(world, world.district_officer)
    assert list(rows_by_name(response)) == ["Khed"]
    response = page(world, world.district_officer, unit=world.block.pk)
    rows = rows_by_name(response)
    assert list(rows) == ["Chakan Kendra", "Rajgurunagar Kendra"]
    assert rows["Chakan Kendra"].observations == 3
    assert rows["Rajgurunagar Kendra"].observations == 1
    # The breadcrumb stops at the top of the scope: the state lies above it.
    assert [unit.name for unit, _url in response.context["ancestors"]] == ["Pune"]


def test_it_shows_the_coach_both_clusters_of_the_block(world, observed):
    response = page(world, world.coach)
    assert response.context["area"].unit == world.block
    rows = rows_by_name(response)
    assert rows["Chakan Kendra"].teachers == 2
    assert rows["Rajgurunagar Kendra"].teachers == 1
    assert response.context["d"].coverage.total.observations == 4


def test_it_shows_the_crc_the_schools_of_their_cluster_and_its_observers(world, observed):
    response = page(world, world.crc)
    assert response.context["area"].unit == world.cluster_a
    assert list(rows_by_name(response)) == ["ZP School Chakan", "ZP School Medankarwadi"]
    names = [o.person.name for o in response.context["d"].coverage.observers]
    assert names == ["Crc A", "Head A1"]  # the headteacher observes too, even without visits
    assert b"Visits by observer" in response.content


def test_the_headteacher_sees_their_own_school(world, observed):
    response = page(world, world.head)
    assert response.context["area"].unit == world.school_a1
    assert rows_by_name(response) == {}
    assert response.context["d"].coverage.total.observations == 3


def test_a_user_with_posts_in_two_areas_starts_with_both_side_by_side(world, observed):
    """A CRC of cluster A who is also headteacher of school B1S: two roots of different
    depths, each a row."""
    person = org_services.person_create(
        name="Dual Post",
        role=Role.CRC,
        org_unit=world.cluster_a,
        start_date=datetime.date(2024, 6, 1),
        username="dual",
        password="pw-dual",
        by=None,
    )
    org_services.assignment_start(
        person=person,
        role=Role.HEADTEACHER,
        org_unit=world.school_b1,
        start_date=datetime.date(2024, 6, 1),
        by=None,
    )
    response = page(world, person.user)
    assert response.context["area"].unit is None
    rows = rows_by_name(response)
    assert list(rows) == ["Chakan Kendra", "ZP School Wada"]
    assert rows["Chakan Kendra"].observations == 3
    assert rows["ZP School Wada"].observations == 1
    assert rows["ZP School Wada"].teachers == 2  # Teacher B and Dual Post
    assert response.context["d"].coverage.total.observations == 4
    school = page(world, person.user, unit=world.school_b1.pk)
    assert school.context["area"].by_observer
    assert b"All your areas" in school.content


def test_it_draws_every_chart_as_svg(world, observed):
    client = world.client(world.coach)
    for name in ("scores", "sections", "on-task", "activity"):
        response = client.get(reverse("observation:dashboard_chart", args=[name]))
        assert response.status_code == 200, name
        assert response["Content-Type"] == "image/svg+xml"
        assert response.content.lstrip().startswith(b"<svg")
    response = client.get(reverse("observation:dashboard_chart", args=["pie"]))
    assert response.status_code == 404


def test_the_page_has_no_inline_style_or_script_and_scrolls_its_tables(world, observed):
    content = page(world, world.crc).content.decode()
    assert "style=" not in content
    assert "<script>" not in content and "<style" not in content
    assert content.count('<div class="table-responsive') >= 5


# --- it requires the role -----------------------------------------------------------------


def test_it_requires_the_area_role(world, observed):
    client = world.client(world.teacher)
    assert client.get(reverse(URL)).status_code == 403
    assert client.get(reverse(XLSX)).status_code == 403
    assert client.get(reverse("observation:dashboard_chart", args=["scores"])).status_code == 403


def test_it_sends_the_anonymous_to_the_login(world):
    from django.test import Client

    response = Client().get(reverse(URL))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- it hides the other cluster -------------------------------------------------------------


def test_it_hides_the_other_cluster(world, observed):
    response = page(world, world.outsider)
    assert response.context["area"].unit == world.cluster_b
    d = response.context["d"]
    assert d.coverage.total.observations == 1
    assert d.coverage.total.teachers == 1
    assert {item.code: item.counts[1] for item in d.items} == dict.fromkeys(
        ("culture.1", "culture.2", "instruction.1", "instruction.2"), 1
    )
    assert b"Chakan" not in response.content
    assert [o.person.name for o in d.coverage.observers] == ["Crc B"]


def test_a_unit_outside_the_scope_is_not_found(world, observed):
    client = world.client(world.outsider)
    for unit in (world.cluster_a, world.school_a1, world.block):
        assert client.get(reverse(URL), {"unit": unit.pk}).status_code == 404
        assert client.get(reverse(XLSX), {"unit": unit.pk}).status_code == 404
        chart = reverse("observation:dashboard_chart", args=["scores"])
        assert client.get(chart, {"unit": unit.pk}).status_code == 404
    assert client.get(reverse(URL), {"unit": "not-a-uuid"}).status_code == 404


def test_the_excel_of_the_outsider_holds_only_their_cluster(world, observed):
    book = workbook(world, world.outsider)
    units = sheet_rows(book, "Coverage by unit")
    assert [row[0] for row in units[1:]] == ["ZP School Wada", "Total"]
    assert units[-1][3] == 1  # observations
    items = sheet_rows(book, "Item scores")
    assert all(row[4] == 1 and row[5:9] == (0, 0, 0, 0) for row in items[1:])


# --- numbers are right ---------------------------------------------------------------------


def test_coverage_counts_visits_teachers_and_plans(world, observed):
    response = page(world, world.crc)
    a1 = rows_by_name(response)["ZP School Chakan"]
    assert a1.observations == 3
    assert a1.teachers == 2  # teacher_a1 and head_a1
    assert a1.observed_period == 2
    assert a1.observed_month == 2
    assert a1.share_month == 1
    assert a1.observed_term == 2
    assert (a1.visits_planned, a1.done, a1.planned, a1.cancelled) == (1, 1, 0, 1)
    a2 = rows_by_name(response)["ZP School Medankarwadi"]
    assert (a2.observations, a2.teachers, a2.share_month) == (0, 0, None)
    assert (a2.visits_planned, a2.planned) == (1, 1)

    months = {m.month: m.coverage for m in response.context["d"].coverage.months}
    assert len(months) == 6
    assert months[this_month()].observations == 2
    assert months[this_month()].observed_month == 2
    assert months[this_month()].done == 1
    assert months[last_month()].observations == 1
    assert months[last_month()].observed_month == 1
    assert months[last_month()].share_month == 0.5

    crc = response.context["d"].coverage.observers[0]
    assert (crc.month_visits, crc.month_planned, crc.month_done, crc.month_cancelled) == (
        2,
        2,
        1,
        1,
    )
    assert (crc.observations, crc.teachers) == (3, 2)


def test_item_scores_are_counted_per_item(world, observed):
    d = page(world, world.crc).context["d"]
    counts = {item.code: item.cells for item in d.items}
    assert counts["culture.1"] == [0, 0, 1, 1, 1]  # 3 this month, 4 this month, 5 last month
    assert counts["instruction.2"] == [0, 1, 1, 0, 1]
    assert [item.code for item in d.items] == [
        "culture.1",
        "culture.2",
        "instruction.1",
        "instruction.2",
    ]
    assert d.items[0].mean == 4


def test_section_means_trend_by_month(world, observed):
    d = page(world, world.crc).context["d"]
    trends = {s.code: s for s in d.sections}
    assert trends["culture"].mean(this_month()) == 3.5
    assert trends["instruction"].mean(this_month()) == 2.5
    assert trends["culture"].mean(last_month()) == 5
    assert trends["culture"].mean(this_month().replace(year=this_month().year - 1)) is None


def test_time_on_task_gives_the_shares_of_snapshots(world, observed):
    d = page(world, world.crc).context["d"]
    months = {m.month: m for m in d.on_task}
    now = months[this_month()]
    assert (now.snapshots, now.activity, now.few, now.some, now.most) == (4, 3, 1, 1, 2)
    assert now.share_activity == 0.75
    assert now.shares == [0.25, 0.25, 0.5]
    before = months[last_month()]
    assert (before.snapshots, before.share_activity, before.shares) == (2, 1, [0, 0, 1])


def test_drafts_never_count(world, observed):
    d = page(world, world.crc).context["d"]
    assert d.coverage.total.observations == 3
    assert all(item.counts[1] == 0 for item in d.items)
    assert sum(m.snapshots for m in d.on_task) == 6
    assert Observation.objects.filter(status="draft").count() == 1


def test_the_month_range_and_instrument_filter_the_figures(world, observed):
    month = this_month().strftime("%Y-%m")
    d = page(world, world.crc, start=month, end=month).context["d"]
    assert d.coverage.total.observations == 2
    assert [m.month for m in d.coverage.months] == [this_month()]
    response = page(world, world.crc, instrument="no-such-instrument")
    assert "d" not in response.context  # an unknown instrument is refused, not ignored
    assert response.context["form"].errors["instrument"]
    d = page(world, world.crc, instrument="test-lesson").context["d"]
    assert d.coverage.total.observations == 3


def test_a_bad_month_range_is_explained_not_computed(world, observed):
    response = page(world, world.crc, start="2025-05", end="2025-01")
    assert "d" not in response.context
    assert b"The first month comes after the last one." in response.content
    bad = world.client(world.crc).get(reverse(XLSX), {"start": "2025-05", "end": "2025-01"})
    assert bad.status_code == 404


def test_the_excel_has_the_sheets_and_the_numbers(world, observed):
    book = workbook(world, world.coach)
    assert book.sheetnames == [
        "Coverage by unit",
        "Coverage by month",
        "Item scores",
        "Section means",
        "Time on task",
        "Definitions",
    ]
    units = sheet_rows(book, "Coverage by unit")
    assert units[1][:5] == ("Chakan Kendra", "CA", "Cluster", 3, 2)
    assert units[2][:5] == ("Rajgurunagar Kendra", "CB", "Cluster", 1, 1)
    assert units[3][0] == "Total" and units[3][3] == 4
    months = sheet_rows(book, "Coverage by month")
    assert len(months) == 7
    assert months[-1][1:3] == (3, 3)  # this month: three observations of three teachers
    items = sheet_rows(book, "Item scores")
    assert items[1][2:10] == ("culture.1", "Culture item 1", 1, 0, 1, 1, 1, 4)
    task = sheet_rows(book, "Time on task")
    assert task[-1][1:3] == (6, 3)
    definitions = [row[0] for row in sheet_rows(book, "Definitions") if row]
    assert any("nothing is suppressed" in (text or "") for text in definitions)


def test_the_excel_of_a_cluster_lists_its_observers(world, observed):
    book = workbook(world, world.coach, unit=world.cluster_a.pk)
    observers = sheet_rows(book, "Observers")
    assert observers[1][:6] == ("Crc A", "Cluster resource coordinator", 2, 2, 1, 1)


# --- queries ---------------------------------------------------------------------------------


def _add_cluster(world, n: int) -> None:
    cluster = OrgUnit.objects.add_child(
        OrgUnit.objects.get(pk=world.block.pk),
        instance=OrgUnit(code=f"CX{n}", name=f"Extra cluster {n}", level="cluster"),
    )
    school = OrgUnit.objects.add_child(
        cluster, instance=OrgUnit(code=f"SX{n}", name=f"Extra school {n}", level="school")
    )
    School.objects.create(org_unit=school, management="local_body", area="rural")
    org_services.person_create(
        name=f"Extra teacher {n}",
        role=Role.TEACHER,
        org_unit=school,
        start_date=datetime.date(2024, 6, 1),
        by=None,
    )


def _count_queries(world, user) -> int:
    client = world.client(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(URL)).status_code == 200
    return len(queries)


def test_the_page_needs_few_queries_however_many_units(
    world, observed, django_assert_max_num_queries
):
    client = world.client(world.coach)
    with django_assert_max_num_queries(25):
        client.get(reverse(URL))
    with django_assert_max_num_queries(25):
        client.get(reverse(URL), {"unit": world.cluster_a.pk})  # with the observers
    before = _count_queries(world, world.coach)
    for n in range(5):
        _add_cluster(world, n)
    assert _count_queries(world, world.coach) == before
