"""The programme's pages: each works, requires the role, and hides the other cluster."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from clusterwise.programme import services
from clusterwise.programme.models import Attendance, CoachingVisit, Cohort, Submission, VisitAction

TODAY = datetime.date(2025, 1, 15)


@pytest.fixture
def workshop(programme, world):
    return services.workshop_save(
        cohort=programme.cohort,
        title="Reading learning data",
        starts_at=timezone.make_aware(datetime.datetime(2024, 8, 1, 10, 0)),
        venue="DIET Pune",
        facilitators=[programme.coach],
        by=world.state_officer,
    )


@pytest.fixture
def field_assignment(programme, world):
    return services.field_assignment_save(
        cohort=programme.cohort,
        title="Give written feedback to two teachers",
        instructions="Observe two lessons and write feedback.",
        due_on=datetime.date(2024, 9, 1),
        rubric=services.parse_rubric("Names a strength\nOne focused next step | 4"),
        by=world.state_officer,
    )


def get(client, name, *args, **query):
    url = reverse(name, args=args)
    return client.get(url, query)


# --- cohorts -----------------------------------------------------------------------------


def test_the_cohort_list_shows_cohorts_to_their_people(world, programme) -> None:
    for user in (world.state_officer, world.district_officer, world.coach, world.crc):
        response = get(world.client(user), "programme:cohorts")
        assert response.status_code == 200
        assert "Pilot 2024" in response.content.decode()


def test_the_cohort_list_requires_a_programme_role(world, programme) -> None:
    assert get(world.client(world.teacher), "programme:cohorts").status_code == 403


def test_a_cohort_someone_cannot_see_answers_404(world, programme) -> None:
    other = services.cohort_create(
        name="Elsewhere",
        kind="basic",
        framework=programme.framework,
        org_unit=world.cluster_b,
        starts_on=TODAY,
        ends_on=TODAY,
        by=None,
    )
    assert get(world.client(world.crc), "programme:cohort", other.pk).status_code == 404
    assert get(world.client(world.outsider), "programme:cohort", other.pk).status_code == 200


def test_a_state_officer_creates_a_cohort(world, programme) -> None:
    response = world.client(world.state_officer).post(
        reverse("programme:cohort_new"),
        {
            "name": "Tribal 2025",
            "kind": "tribal",
            "framework": programme.framework.pk,
            "org_unit": "D1",
            "starts_on": "2025-06-01",
            "ends_on": "2026-03-31",
            "visits_planned": 4,
        },
    )
    cohort = Cohort.objects.get(name="Tribal 2025")
    assert response.status_code == 302
    assert cohort.org_path == world.district.path
    assert cohort.history.first().history_user == world.state_officer


def test_the_cohort_form_keeps_what_was_typed(world, programme) -> None:
    response = world.client(world.state_officer).post(
        reverse("programme:cohort_new"),
        {
            "name": "Urban pilot",
            "kind": "urban",
            "framework": programme.framework.pk,
            "org_unit": "NOPE",
            "starts_on": "2025-06-01",
            "ends_on": "2025-01-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Urban pilot"' in page
    assert "No org unit with code" in page
    assert "The cohort ends before it starts." in page


def test_a_crc_cannot_create_or_edit_a_cohort(world, programme) -> None:
    client = world.client(world.crc)
    assert client.get(reverse("programme:cohort_new")).status_code == 403
    assert get(client, "programme:cohort_edit", programme.cohort.pk).status_code == 403


def test_the_dashboard_counts_only_what_the_user_sees(world, programme, field_assignment) -> None:
    services.submission_submit(
        field_assignment=field_assignment, member=programme.crc, text="Done.", by=world.crc
    )
    page_state = get(world.client(world.state_officer), "programme:cohort", programme.cohort.pk)
    page_crc = get(world.client(world.outsider), "programme:cohort", programme.cohort.pk)
    assert page_state.context["figures"].crcs == 2
    assert page_state.context["figures"].submitted == 1
    assert page_crc.context["figures"].crcs == 1
    assert page_crc.context["figures"].submitted == 0
    assert "Crc A" not in page_crc.content.decode()


def test_the_dashboard_flags_missing_field_work(world, programme, field_assignment) -> None:
    figures = get(
        world.client(world.state_officer), "programme:cohort", programme.cohort.pk
    ).context["figures"]
    assert figures.assignments_due == 1
    assert figures.missing_due == 2
    assert figures.field_complete == 0


def test_the_dashboard_query_count_does_not_grow_with_crcs(
    world, programme, django_assert_max_num_queries
) -> None:
    client = world.client(world.state_officer)
    with django_assert_max_num_queries(30):
        assert get(client, "programme:cohort", programme.cohort.pk).status_code == 200


# --- enrolment ---------------------------------------------------------------------------


def test_enrolling_a_block_adds_its_crcs_once(world, programme) -> None:
    cohort = services.cohort_create(
        name="Scale-up",
        kind="basic",
        framework=programme.framework,
        org_unit=world.state,
        starts_on=TODAY,
        ends_on=TODAY,
        by=None,
    )
    client = world.client(world.state_officer)
    url = reverse("programme:enrol", args=[cohort.pk])
    response = client.post(url, {"action": "units", "units-units": "B1"})
    assert response.status_code == 302
    assert cohort.members.filter(role="crc").count() == 2
    client.post(url, {"action": "units", "units-units": "B1"})
    assert cohort.members.filter(role="crc").count() == 2


def test_enrolling_an_unknown_block_says_which(world, programme) -> None:
    client = world.client(world.state_officer)
    response = client.post(
        reverse("programme:enrol", args=[programme.cohort.pk]),
        {"action": "units", "units-units": "B1, ZZ9"},
    )
    assert "ZZ9" in response.content.decode()


def block_ranking_for_tests(district):
    """A real ranking function (by code, descending), standing in for learning data."""
    from clusterwise.org.models import OrgUnit

    return list(
        OrgUnit.objects.filter(level="block", path__startswith=district.path).order_by("-code")
    )


def test_the_lowest_block_choice_waits_for_a_ranking(world, programme, settings) -> None:
    settings.BLOCK_RANKING = None  # switched off (CLUSTERWISE_BLOCK_RANKING="")
    client = world.client(world.state_officer)
    url = reverse("programme:enrol", args=[programme.cohort.pk])
    form = client.get(url).context["units_form"]
    assert form.fields["lowest"].disabled
    settings.BLOCK_RANKING = "clusterwise.programme.tests.test_views.block_ranking_for_tests"
    cohort = services.cohort_create(
        name="Weakest blocks",
        kind="basic",
        framework=programme.framework,
        org_unit=world.state,
        starts_on=TODAY,
        ends_on=TODAY,
        by=None,
    )
    response = client.post(
        reverse("programme:enrol", args=[cohort.pk]), {"action": "units", "units-lowest": "on"}
    )
    assert response.status_code == 302
    assert cohort.members.filter(role="crc").count() == 2


def _csv(text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "people.csv"
    return upload


def test_enrolling_a_list_shows_every_bad_row_and_enrols_nobody(world, programme) -> None:
    world.person(world.crc).__class__.objects.filter(user=world.crc).update(phone="9800000001")
    cohort = services.cohort_create(
        name="List",
        kind="basic",
        framework=programme.framework,
        org_unit=world.state,
        starts_on=TODAY,
        ends_on=TODAY,
        by=None,
    )
    client = world.client(world.state_officer)
    url = reverse("programme:enrol", args=[cohort.pk])
    response = client.post(
        url,
        {
            "action": "list",
            "list-file": _csv("person,role\n9800000001,crc\n9811111111,crc\n9800000001,coach\n"),
        },
    )
    plan = response.context["plan"]
    assert [(e.row, e.field) for e in plan.errors] == [(3, "person"), (4, "person")]
    assert cohort.members.count() == 0


def test_enrolling_a_good_list_asks_then_enrols(world, programme) -> None:
    from clusterwise.org.models import Person

    Person.objects.filter(user=world.crc).update(phone="9800000001")
    Person.objects.filter(user=world.coach).update(phone="9800000002")
    cohort = services.cohort_create(
        name="List",
        kind="basic",
        framework=programme.framework,
        org_unit=world.state,
        starts_on=TODAY,
        ends_on=TODAY,
        by=None,
    )
    client = world.client(world.state_officer)
    url = reverse("programme:enrol", args=[cohort.pk])
    response = client.post(
        url,
        {
            "action": "list",
            "list-file": _csv(
                "person,role,supported_by\n9800000001,crc,9800000002\n9800000002,coach,\n"
            ),
        },
    )
    assert response.context["plan"].ok
    assert cohort.members.count() == 0
    assert client.post(url, {"action": "confirm"}).status_code == 302
    crc = cohort.members.get(role="crc")
    assert crc.supported_by.person.user == world.coach


# --- workshops and attendance ---------------------------------------------------------------


def test_a_coach_takes_attendance_and_sending_it_again_changes_nothing(
    world, programme, workshop
) -> None:
    client = world.client(world.coach)
    url = reverse("programme:workshop", args=[workshop.pk])
    marks = {f"mark-{programme.crc.pk}": "present", f"mark-{programme.outsider.pk}": "late"}
    assert client.post(url, marks).status_code == 302
    assert client.post(url, marks).status_code == 302
    assert Attendance.objects.filter(workshop=workshop).count() == 2
    assert Attendance.objects.get(member=programme.outsider).status == "late"
    assert Attendance.history.count() == 2


def test_a_crc_sees_the_workshop_but_cannot_take_attendance(world, programme, workshop) -> None:
    client = world.client(world.crc)
    url = reverse("programme:workshop", args=[workshop.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Crc B" not in page.content.decode()
    assert client.post(url, {f"mark-{programme.crc.pk}": "present"}).status_code == 403


def test_an_unknown_mark_is_refused_with_a_message(world, programme, workshop) -> None:
    client = world.client(world.coach)
    response = client.post(
        reverse("programme:workshop", args=[workshop.pk]), {f"mark-{programme.crc.pk}": "asleep"}
    )
    assert response.status_code == 200
    assert "Unknown attendance mark" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_coach_plans_a_workshop_and_must_give_a_place(world, programme) -> None:
    client = world.client(world.coach)
    url = reverse("programme:workshop_new", args=[programme.cohort.pk])
    response = client.post(url, {"title": "Feedback", "starts_at": "2025-02-01T10:00"})
    assert "Give a venue or an online link" in response.content.decode()
    response = client.post(
        url,
        {"title": "Feedback", "starts_at": "2025-02-01T10:00", "online_link": "meet.example.org/x"},
    )
    assert response.status_code == 302


# --- field assignments -------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_crc_hands_in_with_a_photo_and_only_their_people_see_it(
    world, programme, field_assignment
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = world.client(world.crc)
    response = client.post(
        reverse("programme:submit", args=[field_assignment.pk]),
        {
            "text": "Observed two lessons.",
            "files": [SimpleUploadedFile("feedback.png", PNG, "image/png")],
        },
    )
    submission = Submission.objects.get()
    assert response.status_code == 302
    attachment = submission.files.get()
    url = reverse("programme:attachment", args=[attachment.pk])
    assert client.get(url).status_code == 200
    assert world.client(world.coach).get(url).status_code == 200
    assert world.client(world.outsider).get(url).status_code == 404
    assert (
        world.client(world.outsider)
        .get(reverse("programme:submission", args=[submission.pk]))
        .status_code
        == 404
    )


def test_a_file_that_is_not_a_photo_is_refused_and_the_text_kept(
    world, programme, field_assignment
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = world.client(world.crc).post(
        reverse("programme:submit", args=[field_assignment.pk]),
        {"text": "My notes", "files": [SimpleUploadedFile("x.png", b"MZ\x90\x00", "image/png")]},
    )
    page = response.content.decode()
    assert "is not what its type says it is" in page
    assert "My notes" in page
    assert not Submission.objects.exists()


def test_a_coach_asks_for_a_resubmission_then_accepts(world, programme, field_assignment) -> None:
    submission = services.submission_submit(
        field_assignment=field_assignment, member=programme.crc, text="First try", by=world.crc
    )
    coach = world.client(world.coach)
    url = reverse("programme:submission", args=[submission.pk])
    response = coach.post(url, {"score_c1": 1, "score_c2": 2, "decision": "resubmit"})
    assert "Say what to change" in response.content.decode()
    coach.post(
        url, {"score_c1": 1, "score_c2": 2, "comment": "Add the next step.", "decision": "resubmit"}
    )
    submission.refresh_from_db()
    assert submission.status == "resubmit"
    page = world.client(world.crc).get(url).content.decode()
    assert "Add the next step." in page
    world.client(world.crc).post(
        reverse("programme:submit", args=[field_assignment.pk]),
        {"text": "Second try", "version": submission.version},
    )
    submission.refresh_from_db()
    assert (submission.status, submission.attempt) == ("submitted", 2)
    coach.post(url, {"score_c1": 3, "score_c2": 4, "comment": "Good.", "decision": "accept"})
    submission.refresh_from_db()
    assert submission.status == "accepted"
    assert submission.scores == {"c1": 3, "c2": 4}
    assert submission.history.first().history_user == world.coach


def test_a_crc_cannot_review_and_the_outsider_cannot_see(
    world, programme, field_assignment
) -> None:
    submission = services.submission_submit(
        field_assignment=field_assignment, member=programme.crc, text="Done", by=world.crc
    )
    url = reverse("programme:submission", args=[submission.pk])
    assert (
        world.client(world.crc)
        .post(url, {"score_c1": 3, "score_c2": 3, "decision": "accept"})
        .status_code
        == 403
    )
    assert world.client(world.outsider).get(url).status_code == 404


def test_a_score_above_the_rubric_is_refused(world, programme, field_assignment) -> None:
    submission = services.submission_submit(
        field_assignment=field_assignment, member=programme.crc, text="Done", by=world.crc
    )
    response = world.client(world.coach).post(
        reverse("programme:submission", args=[submission.pk]),
        {"score_c1": 9, "score_c2": 2, "decision": "accept"},
    )
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == "submitted"


# --- coaching visits ---------------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_a_coach_records_a_visit_and_the_next_visit_starts_with_open_actions(
    world, programme
) -> None:
    client = world.client(world.coach)
    url = reverse("programme:visit_new", args=[programme.crc.pk])
    response = client.post(
        url,
        {
            "visited_on": "2024-10-01",
            "place": "Chakan Kendra",
            "focus_skills": [programme.skills[0].pk],
            "notes": "Looked at the reading results together.",
            "actions": "Share results with heads | 2024-10-15\nVisit A2 | 2024-11-01",
        },
    )
    assert response.status_code == 302
    assert VisitAction.objects.filter(crc=programme.crc, done_on__isnull=True).count() == 2
    page = client.get(url)
    assert [a.text for a in page.context["open_actions"]] == [
        "Share results with heads",
        "Visit A2",
    ]
    first = page.context["open_actions"][0]
    client.post(url, {"visited_on": "2024-11-05", "place": "A2", "done": [str(first.pk)]})
    first.refresh_from_db()
    assert first.done_on == datetime.date(2024, 11, 5)
    assert CoachingVisit.objects.count() == 2


def test_a_bad_action_line_keeps_the_visit_form(world, programme) -> None:
    response = world.client(world.coach).post(
        reverse("programme:visit_new", args=[programme.crc.pk]),
        {"visited_on": "2024-10-01", "place": "Chakan", "actions": "Share results next week"},
    )
    page = response.content.decode()
    assert "Line 1: end with | and a due date" in page
    assert "Share results next week" in page
    assert not CoachingVisit.objects.exists()


def test_only_supporters_record_visits(world, programme) -> None:
    assert (
        world.client(world.crc)
        .get(reverse("programme:visit_new", args=[programme.crc.pk]))
        .status_code
        == 403
    )
    assert (
        world.client(world.outsider)
        .get(reverse("programme:visit_new", args=[programme.crc.pk]))
        .status_code
        == 404
    )


# --- member pages ---------------------------------------------------------------------------------


def test_a_member_page_shows_levels_and_hides_the_other_cluster(world, programme) -> None:
    assert get(world.client(world.crc), "programme:member", programme.crc.pk).status_code == 200
    assert get(world.client(world.coach), "programme:member", programme.crc.pk).status_code == 200
    assert (
        get(world.client(world.outsider), "programme:member", programme.crc.pk).status_code == 404
    )
    assert get(world.client(world.teacher), "programme:member", programme.crc.pk).status_code == 403
    assert world.client(world.crc).get("/programme/members/not-a-uuid/").status_code == 404


def test_home_tells_a_crc_and_their_coach_what_waits_for_them(
    world, programme, field_assignment
) -> None:
    crc_home = world.client(world.crc).get(reverse("home"))
    assert crc_home.context["todos"][0].to_hand_in == 1
    assert "1 field assignment to hand in" in crc_home.content.decode()
    services.submission_submit(
        field_assignment=field_assignment, member=programme.crc, text="x", by=None
    )
    coach_home = world.client(world.coach).get(reverse("home"))
    assert coach_home.context["todos"][0].to_review == 1
    assert world.client(world.crc).get(reverse("home")).context["todos"][0].to_hand_in == 0
    assert world.client(world.teacher).get(reverse("home")).context["todos"] == []


def test_a_member_page_shows_coach_and_self_ratings_apart(world, programme) -> None:
    from clusterwise.skills.services import assessment_record

    for kind, level in (("coach", 2), ("self", 3)):
        assessment_record(
            member=programme.crc,
            round="baseline",
            kind=kind,
            assessor=world.person(world.coach),
            assessed_on=datetime.date(2024, 8, 1),
            levels={s.pk: level for s in programme.skills},
            by=None,
        )
    page = get(world.client(world.crc), "programme:member", programme.crc.pk).content.decode()
    assert page.count('class="level level-2"') == 4
    assert page.count("(self 3)") == 4
