"""Ready-made home-page figures: used when current, never shown stale."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from clusterwise.org import figures, services
from clusterwise.org.figures import counts_under, figures_refresh
from clusterwise.org.models import ScopeFigures


def test_refresh_keeps_the_state_and_district_figures_and_they_are_exact(world) -> None:
    assert figures_refresh() == 2  # the state and its one district; FIGURES_MAX_DEPTH = 2
    for unit in (world.state, world.district):
        entry = ScopeFigures.objects.get(org_unit=unit)
        assert entry.figures == counts_under([unit.path])
    assert ScopeFigures.objects.get(org_unit=world.state).figures["teacher"] == 1


def test_the_state_home_page_shows_ready_figures_and_when_they_were_counted(world) -> None:
    figures_refresh()
    html = world.client(world.state_officer).get("/").content.decode()
    assert "Figures counted at" in html and 'data-figure="schools">3<' in html


def test_a_crc_home_page_is_counted_live(world) -> None:
    figures_refresh()
    html = world.client(world.crc).get("/").content.decode()
    assert "Figures counted at" not in html and 'data-figure="schools">2<' in html


def test_a_new_post_is_counted_at_once_and_the_figures_are_recomputed_after_commit(
    world, django_capture_on_commit_callbacks
) -> None:
    figures_refresh()
    person = world.person(world.crc)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.assignment_start(person=person, role="teacher", org_unit=world.school_a2, by=None)
    # Until the job has run the page counts live: the new teacher is there already.
    html = world.client(world.state_officer).get("/").content.decode()
    assert 'data-figure="teacher">2<' in html and "Figures counted at" not in html
    for callback in callbacks:
        callback()  # the job (ImmediateBackend in tests) recounts
    html = world.client(world.state_officer).get("/").content.decode()
    assert 'data-figure="teacher">2<' in html and "Figures counted at" in html


def test_an_import_asks_for_one_recount(world, django_capture_on_commit_callbacks) -> None:
    from clusterwise.core.tabular import Row
    from clusterwise.org.imports import plan_people_import

    rows = [
        Row(2, {"name": f"T{i}", "phone": f"98220000{i:02d}", "role": "teacher", "org_code": "A2"})
        for i in range(5)
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.people_import_apply(plan=plan_people_import(rows), by=None)
    assert len(callbacks) == 1
    assert ScopeFigures.objects.get(org_unit=world.state).figures["teacher"] == 6


def test_figures_of_yesterday_are_not_shown(world) -> None:
    figures_refresh()
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        html = world.client(world.state_officer).get("/").content.decode()
    assert "Figures counted at" not in html
    assert ScopeFigures.objects.get(org_unit=world.state).stale


def test_a_change_during_a_recount_keeps_the_figures_stale(world, monkeypatch) -> None:
    figures_refresh()
    real_counts = figures.counts_under

    def counts_while_someone_writes(paths):
        result = real_counts(paths)
        figures.figures_changed(paths=[world.school_a1.path])
        return result

    monkeypatch.setattr(figures, "counts_under", counts_while_someone_writes)
    figures_refresh(paths=[world.state.path])
    assert ScopeFigures.objects.get(org_unit=world.state).stale
