"""Every org page: it works, it requires the role, and it hides the other cluster."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clusterwise.core.models import Job
from clusterwise.org.models import Assignment, OrgUnit, Person


def test_home_shows_the_counts_of_the_users_scope(world) -> None:
    response = world.client(world.crc).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="schools">2<' in html
    assert 'data-figure="teacher">1<' in html
    state = world.client(world.state_officer).get("/").content.decode()
    assert 'data-figure="schools">3<' in state


def test_home_requires_login(client, db) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unit_page_shows_children_and_people(world) -> None:
    response = world.client(world.crc).get(reverse("org:unit", args=[world.cluster_a.pk]))
    assert response.status_code == 200
    assert b"ZP School Chakan" in response.content and b"Crc A" in response.content


@pytest.mark.parametrize("unit", ["cluster_b", "school_b1", "block", "state"])
def test_unit_page_hides_what_lies_outside_scope(world, unit) -> None:
    response = world.client(world.crc).get(reverse("org:unit", args=[getattr(world, unit).pk]))
    assert response.status_code == 404


def test_school_list_hides_the_other_cluster(world) -> None:
    html = world.client(world.crc).get(reverse("org:schools")).content.decode()
    assert "ZP School Chakan" in html and "ZP School Medankarwadi" in html
    assert "ZP School Wada" not in html


def test_school_list_filters_within_a_unit_only_in_scope(world) -> None:
    client = world.client(world.crc)
    html = client.get(reverse("org:schools"), {"within": "CB"}).content.decode()
    assert "No org unit with this code in your area." in html and "ZP School Wada" not in html


def test_school_list_partial_for_htmx(world) -> None:
    response = world.client(world.crc).get(
        reverse("org:schools"), {"q": "Chakan"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in response.content and b"ZP School Chakan" in response.content


def test_people_list_hides_the_other_cluster(world) -> None:
    html = world.client(world.crc).get(reverse("org:people")).content.decode()
    assert "Teacher A1" in html and "Crc B" not in html


def test_people_list_requires_a_role_that_sees_people(world) -> None:
    assert world.client(world.teacher).get(reverse("org:people")).status_code == 403


def test_people_list_has_no_n_plus_one(world, django_assert_max_num_queries) -> None:
    client = world.client(world.state_officer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("org:people")).status_code == 200


def test_school_list_has_no_n_plus_one(world, django_assert_max_num_queries) -> None:
    client = world.client(world.state_officer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("org:schools")).status_code == 200


@pytest.mark.parametrize(
    "name", ["org:person", "org:person_edit", "org:assignment_new", "org:person_password"]
)
def test_person_pages_hide_people_of_the_other_cluster(world, name) -> None:
    outsider = world.person(world.outsider)
    client = world.client(world.district_officer)
    assert client.get(reverse(name, args=[outsider.pk])).status_code == 200
    # A CRC cannot manage people at all; a coach's scope holds both clusters, so use the
    # CRC for viewing and a district officer of another district for managing.
    assert world.client(world.crc).get(reverse("org:person", args=[outsider.pk])).status_code == 404


def test_person_pages_answer_404_for_another_districts_officer(world) -> None:
    from clusterwise.org import services

    other = services.person_create(
        name="Other Officer",
        role="district_officer",
        org_unit=_other_district(world),
        username="other_officer",
        password="pw",
        by=None,
    )
    client = world.client(other.user)
    target = world.person(world.teacher)
    for name in ["org:person", "org:person_edit", "org:assignment_new", "org:person_password"]:
        assert client.get(reverse(name, args=[target.pk])).status_code == 404, name
    assignment = target.assignments.get()
    for name in ["org:transfer", "org:assignment_end"]:
        assert client.get(reverse(name, args=[assignment.pk])).status_code == 404, name
    assert client.get(reverse("org:history", args=["person", target.pk])).status_code == 404


def _other_district(world) -> OrgUnit:
    return OrgUnit.objects.add_child(
        world.state, instance=OrgUnit(code="D2", name="Satara", level="district")
    )


def test_a_malformed_or_unknown_id_is_404(world) -> None:
    client = world.client(world.state_officer)
    assert client.get("/org/units/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/org/units/not-a-uuid/").status_code == 404


def test_adding_a_person_keeps_what_was_typed_on_error(world) -> None:
    client = world.client(world.district_officer)
    response = client.post(
        reverse("org:person_new"),
        {"name": "Kavita Jadhav", "phone": "9822077777", "role": "teacher", "org_unit": "ZZZ"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "No org unit with code" in html and 'value="Kavita Jadhav"' in html
    assert not Person.objects.filter(name="Kavita Jadhav").exists()


def test_adding_a_person_creates_them_with_a_role_and_is_audited(world) -> None:
    client = world.client(world.district_officer)
    response = client.post(
        reverse("org:person_new"),
        {
            "name": "Kavita Jadhav",
            "phone": "9822077777",
            "role": "teacher",
            "org_unit": "A2",
            "languages": "mr, en",
        },
    )
    person = Person.objects.get(name="Kavita Jadhav")
    assert response.status_code == 302
    assert person.languages == ["mr", "en"]
    assert person.history.get().history_user == world.district_officer
    assert person.assignments.get().history.get().history_user == world.district_officer


def test_adding_a_person_outside_ones_scope_is_refused(world) -> None:
    _other_district(world)
    coach_like = world.client(world.district_officer)
    response = coach_like.post(
        reverse("org:person_new"), {"name": "X", "role": "district_officer", "org_unit": "D2"}
    )
    assert b"No org unit with code" in response.content


def test_a_crc_cannot_add_people(world) -> None:
    assert world.client(world.crc).get(reverse("org:person_new")).status_code == 403


def test_editing_a_person_records_who_changed_what(world) -> None:
    target = world.person(world.teacher)
    client = world.client(world.district_officer)
    response = client.post(
        reverse("org:person_edit", args=[target.pk]),
        {
            "name": "Teacher A1",
            "phone": "9822088888",
            "email": "",
            "languages": "mr",
            "version": target.version,
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("org:history", args=["person", target.pk])).content.decode()
    assert "9822088888" in html and "district_officer" in html


def test_a_stale_edit_is_refused_with_the_input_kept(world) -> None:
    target = world.person(world.teacher)
    client = world.client(world.district_officer)
    data = {
        "name": "Typed Name",
        "phone": "",
        "email": "",
        "languages": "",
        "version": target.version,
    }
    client.post(reverse("org:person_edit", args=[target.pk]), {**data, "name": "First Save"})
    response = client.post(reverse("org:person_edit", args=[target.pk]), data)
    html = response.content.decode()
    assert "Someone else changed this person" in html and 'value="Typed Name"' in html


def test_transfer_through_the_page(world) -> None:
    assignment = world.person(world.teacher).assignments.get()
    client = world.client(world.district_officer)
    response = client.post(
        reverse("org:transfer", args=[assignment.pk]), {"org_unit": "B1S", "on": "2025-08-01"}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Assignment.objects.get(pk=assignment.pk).end_date == datetime.date(2025, 7, 31)


def test_admin_password_reset_lets_the_user_log_in(world, client) -> None:
    target = world.person(world.teacher)
    world.client(world.district_officer).post(
        reverse("org:person_password", args=[target.pk]), {"password": "new-secret-42"}
    )
    response = client.post("/login/", {"username": "teacher_a1", "password": "new-secret-42"})
    assert response.status_code == 302 and response["Location"] == "/"
    entry = target.history.first()
    assert entry.history_change_reason == "password reset"
    assert entry.history_user == world.district_officer


def test_history_requires_the_role(world) -> None:
    target = world.person(world.teacher)
    assert (
        world.client(world.crc).get(reverse("org:history", args=["person", target.pk])).status_code
        == 403
    )


def test_import_page_requires_a_state_admin(world) -> None:
    assert world.client(world.district_officer).get(reverse("org:import")).status_code == 403
    assert world.client(world.state_officer).get(reverse("org:import")).status_code == 200


def test_import_preview_then_apply(world, django_capture_on_commit_callbacks) -> None:
    client = world.client(world.state_officer)
    content = b"code,name,level,parent_code\nD2,Satara,district,MH\nB2,Wai,block,D2\n"
    response = client.post(
        reverse("org:import"),
        {"kind": "import_org", "file": SimpleUploadedFile("units.csv", content)},
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("org:import_job", args=[job.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "create: 2" in preview and not OrgUnit.objects.filter(code="D2").exists()
    with django_capture_on_commit_callbacks(execute=True):
        with_commit = client.post(response["Location"])
    assert with_commit.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert OrgUnit.objects.get(code="B2").history.get().history_user == world.state_officer


def test_import_with_errors_shows_them_and_cannot_be_applied(world) -> None:
    client = world.client(world.state_officer)
    content = b"code,name,level,parent_code\nD2,Satara,district,MH\nB2,Wai,block,NOPE\n"
    response = client.post(
        reverse("org:import"),
        {"kind": "import_org", "file": SimpleUploadedFile("units.csv", content)},
    )
    html = client.get(response["Location"]).content.decode()
    assert "unknown parent" in html and "<td>3</td>" in html
    client.post(response["Location"])
    assert not OrgUnit.objects.filter(code="D2").exists()


def test_another_users_import_job_is_404(world, django_user_model) -> None:
    job = Job.objects.create(kind="import_org", created_by=world.state_officer)
    root = django_user_model.objects.create_superuser("root", password="x")
    client = world.client(root)
    assert client.get(reverse("org:import_job", args=[job.pk])).status_code == 404


@pytest.fixture
def cluster_data_officer(world):
    """A data officer whose area is cluster A only: they may import, but only there."""
    from clusterwise.org import services

    person = services.person_create(
        name="Data Officer",
        role="data_officer",
        org_unit=world.cluster_a,
        username="data_a",
        password="pw",
        by=None,
    )
    return person.user


def test_a_web_import_cannot_touch_units_outside_the_importers_area(
    world, cluster_data_officer
) -> None:
    client = world.client(cluster_data_officer)
    content = (
        b"code,name,level,parent_code\n"
        b"CB,Renamed elsewhere,cluster,B1\n"
        b"S9,New school,school,CB\n"
        b"D9,New district,district,MH\n"
    )
    response = client.post(
        reverse("org:import"), {"kind": "import_org", "file": SimpleUploadedFile("u.csv", content)}
    )
    html = client.get(response["Location"]).content.decode()
    assert "already used outside your area" in html
    assert html.count("unknown parent") == 2  # CB's parent B1 and D9's parent MH look unknown
    assert OrgUnit.objects.get(code="CB").name == "Rajgurunagar Kendra"


def test_a_web_people_import_cannot_place_people_outside_the_area(
    world, cluster_data_officer
) -> None:
    Person.objects.filter(user=world.outsider).update(phone="9822099999")
    client = world.client(cluster_data_officer)
    content = (
        b"name,phone,role,org_code\n"
        b"New Teacher,9822011112,teacher,B1S\n"
        b"Crc B renamed,9822099999,teacher,A1\n"
    )
    response = client.post(
        reverse("org:import"),
        {"kind": "import_people", "file": SimpleUploadedFile("p.csv", content)},
    )
    html = client.get(response["Location"]).content.decode()
    assert "unknown org unit" in html and "registered to someone outside your area" in html


def test_a_persons_roles_elsewhere_are_not_shown(world) -> None:
    from clusterwise.org import services

    teacher = world.person(world.teacher)
    services.assignment_start(person=teacher, role="teacher", org_unit=world.school_b1, by=None)
    html = world.client(world.crc).get(reverse("org:person", args=[teacher.pk])).content.decode()
    assert "ZP School Chakan" in html and "ZP School Wada" not in html
    listing = world.client(world.crc).get(reverse("org:people")).content.decode()
    assert "ZP School Wada" not in listing


@pytest.mark.parametrize("user", ["state_officer", "crc"])
def test_home_and_unit_pages_use_a_fixed_number_of_queries(
    world, user, django_assert_max_num_queries
) -> None:
    # Session, user, scope, role and permission look-ups, then the page's own few queries.
    client = world.client(getattr(world, user))
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("org:unit", args=[world.cluster_a.pk])).status_code == 200


def test_a_state_wide_people_list_pages_without_counting_everyone(world, settings) -> None:
    from clusterwise.org.figures import figures_refresh

    client = world.client(world.state_officer)
    html = client.get(reverse("org:people")).content.decode()
    assert "Teacher A1" in html and "Crc B" in html
    assert " people</p>" not in html  # no ready figure yet: no total shown
    figures_refresh()
    html = client.get(reverse("org:people")).content.decode()
    assert "7 people" in html
    settings_page = client.get(reverse("org:people"), {"page": "999"})
    assert settings_page.status_code == 200  # an unknown page falls back to the first
