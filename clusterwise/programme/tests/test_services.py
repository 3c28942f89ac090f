"""The programme's rules, at the service level."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clusterwise.core.audit import StaleEdit
from clusterwise.core.tabular import Row
from clusterwise.org.models import Person
from clusterwise.org.selectors import people_for
from clusterwise.programme import selectors, services
from clusterwise.programme.models import CohortMember, Submission
from clusterwise.skills.services import assessment_record, framework_revise


def test_a_cohort_needs_a_published_framework(world, programme) -> None:
    draft = framework_revise(framework=programme.framework, by=None)
    with pytest.raises(ValidationError, match="published"):
        services.cohort_create(
            name="Draft",
            kind="basic",
            framework=draft,
            org_unit=world.state,
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 2, 1),
            by=None,
        )


def test_the_framework_of_an_assessed_cohort_cannot_change(world, programme) -> None:
    assessment_record(
        member=programme.crc,
        round="baseline",
        kind="coach",
        assessor=world.person(world.coach),
        assessed_on=datetime.date(2024, 7, 10),
        levels={s.pk: 2 for s in programme.skills},
        by=world.coach,
    )
    other = framework_revise(framework=programme.framework, by=None)
    from clusterwise.skills.services import framework_publish

    framework_publish(framework=other, by=None)
    with pytest.raises(ValidationError, match="already assessed"):
        services.cohort_update(
            cohort=programme.cohort, version=programme.cohort.version, by=None, framework=other
        )


def test_a_cohort_edit_from_a_stale_page_is_refused(world, programme) -> None:
    version = programme.cohort.version
    services.cohort_update(cohort=programme.cohort, version=version, by=None, name="Pilot A")
    with pytest.raises(StaleEdit):
        services.cohort_update(cohort=programme.cohort, version=version, by=None, name="Pilot B")


def test_a_crc_is_supported_by_a_coach_not_by_another_crc(world, programme) -> None:
    with pytest.raises(ValidationError, match="supported by a Coach"):
        services.member_set_supporter(
            member=programme.crc, supported_by=programme.outsider, by=None
        )


def test_only_people_holding_a_fitting_post_are_enrolled(world, programme) -> None:
    with pytest.raises(ValidationError, match="holds no post"):
        services.member_add(
            cohort=programme.cohort, person=world.person(world.teacher), role="crc", by=None
        )


def test_an_enrolment_list_reports_row_field_and_reason(world, programme) -> None:
    Person.objects.filter(user=world.head).update(phone="9800000009")
    Person.objects.filter(user=world.crc).update(external_id="CRC-A")
    cohort = services.cohort_create(
        name="List",
        kind="basic",
        framework=programme.framework,
        org_unit=world.state,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 2, 1),
        by=None,
    )
    rows = [
        Row(2, {"person": "CRC-A", "role": "crc", "supported_by": "nobody"}),
        Row(3, {"person": "9800000009", "role": "crc"}),
        Row(4, {"person": "", "role": "crc"}),
        Row(5, {"person": "CRC-A", "role": "boss"}),
    ]
    plan = services.cohort_enrol_plan(
        cohort=cohort, rows=rows, people_in_scope=people_for(world.state_officer)
    )
    assert [(e.row, e.field) for e in plan.errors] == [
        (3, "role"),
        (4, "person"),
        (5, "role"),
        (2, "supported_by"),
    ]
    assert not plan.ok
    with pytest.raises(ValidationError):
        services.cohort_enrol_apply(cohort=cohort, plan=plan, people_in_scope=None, by=None)
    assert cohort.members.count() == 0


def test_an_enrolment_list_cannot_reach_people_outside_the_area(world, programme) -> None:
    Person.objects.filter(user=world.outsider).update(external_id="CRC-B")
    plan = services.cohort_enrol_plan(
        cohort=programme.cohort,
        rows=[Row(2, {"person": "CRC-B"})],
        people_in_scope=people_for(world.crc),
    )
    assert plan.errors[0].message == "No one in your area has this phone or ID."


def test_attendance_cannot_be_taken_before_the_day(world, programme) -> None:
    workshop = services.workshop_save(
        cohort=programme.cohort,
        title="Later",
        venue="DIET",
        starts_at=timezone.now() + datetime.timedelta(days=3),
        by=None,
    )
    with pytest.raises(ValidationError, match="on or after the day"):
        services.attendance_record(workshop=workshop, marks={programme.crc.pk: "present"}, by=None)


def test_a_district_workshop_expects_only_that_districts_crcs(world, programme) -> None:
    workshop = services.workshop_save(
        cohort=programme.cohort,
        title="Cluster A only",
        venue="Chakan",
        starts_at=timezone.now() - datetime.timedelta(days=1),
        org_unit=world.cluster_a,
        by=None,
    )
    assert list(services.workshop_invitees(workshop)) == [programme.crc]
    with pytest.raises(ValidationError, match="not expected"):
        services.attendance_record(
            workshop=workshop, marks={programme.outsider.pk: "present"}, by=None
        )


def test_a_facilitator_is_never_a_crc(world, programme) -> None:
    with pytest.raises(ValidationError, match="Facilitators"):
        services.workshop_save(
            cohort=programme.cohort,
            title="x",
            venue="y",
            starts_at=timezone.now(),
            facilitators=[programme.crc],
            by=None,
        )


def test_a_rubric_line_with_a_bad_top_score_says_which_line(world) -> None:
    with pytest.raises(ValidationError, match="Line 2"):
        services.parse_rubric("Strength\nNext step | lots")
    assert services.parse_rubric("Strength\n\nNext step | 5") == [
        {"key": "c1", "text": "Strength", "max": 3},
        {"key": "c2", "text": "Next step", "max": 5},
    ]


@pytest.fixture
def fa(programme):
    return services.field_assignment_save(
        cohort=programme.cohort,
        title="Feedback",
        instructions="Write feedback.",
        due_on=datetime.date(2024, 9, 1),
        rubric=services.parse_rubric("A\nB"),
        by=None,
    )


def test_an_accepted_submission_is_final(world, programme, fa) -> None:
    s = services.submission_submit(field_assignment=fa, member=programme.crc, text="x", by=None)
    services.submission_review(
        submission=s,
        reviewer=world.person(world.coach),
        accept=True,
        scores={"c1": 3, "c2": 2},
        comment="",
        version=s.version,
        by=None,
    )
    with pytest.raises(ValidationError, match="accepted"):
        services.submission_submit(field_assignment=fa, member=programme.crc, text="y", by=None)


def test_a_scored_rubric_cannot_change(world, programme, fa) -> None:
    s = services.submission_submit(field_assignment=fa, member=programme.crc, text="x", by=None)
    services.submission_review(
        submission=s,
        reviewer=world.person(world.coach),
        accept=False,
        scores={"c1": 1, "c2": 1},
        comment="More",
        version=s.version,
        by=None,
    )
    with pytest.raises(ValidationError, match="already scored"):
        services.field_assignment_save(
            cohort=programme.cohort,
            field_assignment=fa,
            version=fa.version,
            title=fa.title,
            instructions=fa.instructions,
            due_on=fa.due_on,
            rubric=services.parse_rubric("C"),
            by=None,
        )


def test_two_reviews_of_the_same_version_do_not_both_land(world, programme, fa) -> None:
    s = services.submission_submit(field_assignment=fa, member=programme.crc, text="x", by=None)
    version = s.version
    services.submission_review(
        submission=s,
        reviewer=world.person(world.coach),
        accept=True,
        scores={"c1": 3, "c2": 3},
        comment="",
        version=version,
        by=None,
    )
    stale = Submission.objects.get(pk=s.pk)
    with pytest.raises(StaleEdit):
        services.submission_review(
            submission=stale,
            reviewer=world.person(world.coach),
            accept=False,
            scores={"c1": 0, "c2": 0},
            comment="No",
            version=version,
            by=None,
        )


def test_a_visit_in_the_future_or_with_an_early_due_date_is_refused(world, programme) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.visit_record(
            coach=programme.coach,
            crc=programme.crc,
            visited_on=today + datetime.timedelta(days=1),
            place="x",
            by=None,
        )
    with pytest.raises(ValidationError, match="before the visit"):
        services.visit_record(
            coach=programme.coach,
            crc=programme.crc,
            visited_on=today,
            place="x",
            actions=[("Do it", today - datetime.timedelta(days=1))],
            by=None,
        )


# --- who sees what ------------------------------------------------------------------------


def test_a_coach_sees_the_crcs_they_support_even_outside_their_area(world, programme) -> None:
    from clusterwise.org import services as org_services
    from clusterwise.org.models import OrgUnit, Role

    d2 = OrgUnit.objects.add_child(
        world.state, instance=OrgUnit(code="D2", name="Satara", level="district")
    )
    b2 = OrgUnit.objects.add_child(d2, instance=OrgUnit(code="B2", name="Wai", level="block"))
    c2 = OrgUnit.objects.add_child(
        b2, instance=OrgUnit(code="C2", name="Wai Kendra", level="cluster")
    )
    far = org_services.person_create(
        name="Far CRC", role=Role.CRC, org_unit=c2, start_date=datetime.date(2024, 1, 1), by=None
    )
    member = services.member_add(
        cohort=programme.cohort, person=far, role="crc", supported_by=programme.coach, by=None
    )
    assert member in selectors.members_for(world.coach, programme.cohort)
    assert member not in selectors.members_for(world.district_officer, programme.cohort)
    assert member in selectors.members_for(world.state_officer, programme.cohort)
    assert set(selectors.members_for(world.crc, programme.cohort)) == {programme.crc}


def test_a_cohort_of_another_district_is_invisible(world, programme) -> None:
    from clusterwise.org.models import OrgUnit

    d2 = OrgUnit.objects.add_child(
        world.state, instance=OrgUnit(code="D2", name="Satara", level="district")
    )
    other = services.cohort_create(
        name="Satara basic",
        kind="basic",
        framework=programme.framework,
        org_unit=d2,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 2, 1),
        by=None,
    )
    assert other not in selectors.cohorts_for(world.district_officer)
    assert other in selectors.cohorts_for(world.state_officer)
    assert programme.cohort in selectors.cohorts_for(world.district_officer)


def test_a_member_who_left_stops_counting(world, programme) -> None:
    services.member_leave(member=programme.outsider, on=datetime.date(2024, 12, 1), by=None)
    assert selectors.dashboard(world.state_officer, programme.cohort).crcs == 1
    assert selectors.dashboard(world.state_officer, programme.cohort).left == 1
    assert (
        CohortMember.objects.get(pk=programme.outsider.pk).history.first().history_change_reason
        == "left"
    )
