"""The good-practice library: who sees and changes what, search on both databases, tags,
"we tried it" once per school, recommendations told once, and every page."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from clusterwise.core.audit import StaleEdit
from clusterwise.networks.models import Notification, Practice, PracticeTrial, Recommendation
from clusterwise.networks.selectors import practices as sel
from clusterwise.networks.services import practices as svc
from clusterwise.networks.services.networks import member_add
from clusterwise.org import services as org_services
from clusterwise.org.models import OrgUnit, Role, School, User

WORKED = PracticeTrial.Outcome.WORKED
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@dataclass
class Library:
    nets: Any
    world: Any
    reading: Practice  # head of A1, in the CoP, English
    maths: Practice  # outsider's school B1S (cluster B), in the PLC
    marathi: Practice  # head of A1, Marathi
    karnataka: Practice  # another state
    head_k: User  # a headteacher in that state


def _state_k() -> tuple[OrgUnit, User]:
    root = OrgUnit.objects.add_root(instance=OrgUnit(code="KA", name="Karnataka", level="state"))
    unit = root
    for code, level in (("KD", "district"), ("KB", "block"), ("KC", "cluster"), ("K1", "school")):
        parent = OrgUnit.objects.get(pk=unit.pk)
        unit = OrgUnit.objects.add_child(
            parent, instance=OrgUnit(code=code, name=f"Unit {code}", level=level)
        )
    School.objects.create(org_unit=unit, management="government", area="rural", languages=["kn"])
    person = org_services.person_create(
        name="Head K",
        role=Role.HEADTEACHER,
        org_unit=unit,
        start_date=datetime.date(2024, 6, 1),
        username="head_k",
        password="pw-head_k",
        by=None,
    )
    assert person.user is not None
    return unit, person.user


def _share(by: User, **fields: Any) -> Practice:
    values: dict[str, Any] = {
        "title": "A practice",
        "problem": "A problem",
        "what_was_done": "Something",
        "language": "en",
    }
    values.update(fields)
    return svc.practice_create(by=by, **values)


@pytest.fixture
def lib(nets) -> Library:  # type: ignore[no-untyped-def]
    world = nets.world
    school_k, head_k = _state_k()
    reading = _share(
        world.head,
        title="Reading corners in every class",
        problem="Children in grade 3 could not read a short paragraph.",
        what_was_done="Each class built a reading corner with donated storybooks.",
        evidence="Oral reading fluency rose from 18 to 41 words a minute.",
        school=world.school_a1,
        network=nets.cop,
        tags=["Reading", "attendance"],
    )
    maths = _share(
        world.outsider,
        title="Number talks before lunch",
        problem="Pupils feared mental arithmetic.",
        what_was_done="Ten minutes of number talks daily; mistakes celebrated.",
        school=world.school_b1,
        network=nets.other,
        tags=["maths"],
        language="en",
    )
    marathi = _share(
        world.head,
        title="वाचन कोपरा आणि गोष्टींची पुस्तके",
        problem="तिसरीच्या मुलांना परिच्छेद वाचता येत नव्हता.",
        what_was_done="प्रत्येक वर्गात वाचन कोपरा तयार केला.",
        school=world.school_a1,
        tags=["वाचन"],
        language="mr",
    )
    karnataka = _share(
        head_k,
        title="Reading buddies across grades",
        problem="Reading was weak.",
        what_was_done="Older pupils read with younger ones.",
        school=school_k,
        tags=["reading"],
    )
    return Library(nets, world, reading, maths, marathi, karnataka, head_k)


def _data_officer(world: Any) -> User:
    person = org_services.person_create(
        name="Data Officer",
        role=Role.DATA_OFFICER,
        org_unit=world.district,
        start_date=datetime.date(2024, 6, 1),
        username="data_officer",
        password="pw-data_officer",
        by=None,
    )
    assert person.user is not None
    return person.user


def _titles(practices: Any) -> set[str]:
    return {p.title for p in practices}


# --- who sees what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "login", ["state_officer", "district_officer", "coach", "crc", "head", "teacher", "outsider"]
)
def test_everyone_in_the_state_sees_its_practices_and_no_other_state(lib, login) -> None:  # type: ignore[no-untyped-def]
    user = getattr(lib.world, login)
    seen = _titles(sel.practices_for(user))
    # Sharing across clusters is the point: cluster A's teacher reads cluster B's practice.
    assert seen == {lib.reading.title, lib.maths.title, lib.marathi.title}


def test_the_other_state_sees_only_its_own(lib) -> None:  # type: ignore[no-untyped-def]
    assert _titles(sel.practices_for(lib.head_k)) == {lib.karnataka.title}


def test_a_practice_outside_is_not_found(lib) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        sel.practice_get(lib.world.crc, lib.karnataka.pk)
    with pytest.raises(Http404):
        sel.practice_get(lib.world.crc, "not-a-uuid")
    assert sel.practice_get(lib.world.teacher, lib.maths.pk) == lib.maths


def test_logins_that_may_not_view_networks_see_no_practice(lib) -> None:  # type: ignore[no-untyped-def]
    assert not sel.practices_for(_data_officer(lib.world)).exists()


def test_a_practice_recommended_from_another_state_reaches_the_network(lib) -> None:  # type: ignore[no-untyped-def]
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root")
    svc.practice_recommend(practice=lib.karnataka, network=lib.nets.cop, by=admin)
    # The notification of head_a1 (a member) leads to the practice, not to a 404.
    note = Notification.objects.get(person__user=lib.world.head)
    assert note.url == reverse("networks:practice", args=[lib.karnataka.pk])
    assert sel.practice_get(lib.world.head, lib.karnataka.pk) == lib.karnataka
    assert lib.karnataka not in sel.practices_for(lib.world.outsider)


@pytest.mark.parametrize(
    ("login", "reading", "maths"),
    [
        ("head", True, False),  # the author of reading
        ("coach", True, False),  # facilitates the CoP, not the PLC
        ("district_officer", True, True),  # officer over both
        ("state_officer", True, True),
        ("crc", False, False),  # sees both, runs neither
        ("teacher", False, False),
        ("outsider", False, True),  # author and facilitator of maths
    ],
)
def test_who_may_edit_a_practice(lib, login, reading, maths) -> None:  # type: ignore[no-untyped-def]
    user = getattr(lib.world, login)
    assert sel.may_edit(user, lib.reading) is reading
    assert sel.may_edit(user, lib.maths) is maths


# --- sharing and editing -------------------------------------------------------------------


def test_a_practice_from_a_school_is_shared_from_that_school(lib) -> None:  # type: ignore[no-untyped-def]
    assert lib.reading.org_unit == lib.world.school_a1
    assert lib.reading.org_path == lib.world.school_a1.path
    assert lib.reading.tags == ["reading", "attendance"]


def test_a_network_practice_without_school_comes_from_its_owner(lib) -> None:  # type: ignore[no-untyped-def]
    practice = _share(lib.world.coach, network=lib.nets.cop)
    assert practice.org_unit == lib.world.block


def test_one_cannot_share_for_a_school_or_network_outside(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    with pytest.raises(ValidationError, match="outside your area"):
        _share(world.head, school=world.school_b1)
    with pytest.raises(ValidationError, match="from the list"):
        _share(world.crc, network=lib.nets.other)
    with pytest.raises(ValidationError, match="not in the network"):
        _share(world.coach, school=world.school_b1, network=lib.nets.cop)
    with pytest.raises(ValidationError, match="not a school"):
        _share(world.coach, school=world.cluster_a)
    with pytest.raises(ValidationError, match="which school or network"):
        _share(world.coach)


def test_a_practice_needs_its_three_texts_and_a_known_language(lib) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        _share(lib.world.head, school=lib.world.school_a1, title=" ", problem="", what_was_done="")
    assert set(caught.value.message_dict) == {"title", "problem", "what_was_done"}
    with pytest.raises(ValidationError, match="languages"):
        _share(lib.world.head, school=lib.world.school_a1, language="de")


def test_an_edit_quotes_the_version_it_read(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    version = lib.reading.version
    svc.practice_update(
        practice=lib.reading, version=version, title="Reading corners", tags="Books", by=world.head
    )
    lib.reading.refresh_from_db()
    assert (lib.reading.title, lib.reading.tags) == ("Reading corners", ["books"])
    stale = Practice.objects.get(pk=lib.reading.pk)
    with pytest.raises(StaleEdit):
        svc.practice_update(practice=stale, version=version, title="Old", by=world.coach)


def test_only_those_who_may_edit_change_a_practice(lib) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        svc.practice_update(
            practice=lib.reading, version=lib.reading.version, title="x", by=lib.world.crc
        )
    with pytest.raises(TypeError):
        svc.practice_update(practice=lib.reading, version=None, org_path="", by=lib.world.head)


# --- tags ------------------------------------------------------------------------------------


def test_tags_are_lower_case_trimmed_and_said_once() -> None:
    assert svc.tags_normalise(" Reading, reading ,#Attendance,  Grade   3 ,,") == [
        "reading",
        "attendance",
        "grade 3",
    ]
    assert svc.tags_normalise(["वाचन", " वाचन "]) == ["वाचन"]


def test_at_most_ten_tags_of_forty_characters() -> None:
    assert len(svc.tags_normalise([f"t{i}" for i in range(10)])) == 10
    with pytest.raises(ValidationError, match="At most 10"):
        svc.tags_normalise([f"t{i}" for i in range(11)])
    with pytest.raises(ValidationError, match="longer than 40"):
        svc.tags_normalise(["x" * 41])
    assert svc.tags_normalise(["x" * 40]) == ["x" * 40]


@given(st.lists(st.text(max_size=12), max_size=10))
def test_normalised_tags_are_a_fixed_point(raw: list[str]) -> None:
    tags = svc.tags_normalise(raw)
    assert svc.tags_normalise(tags) == tags
    assert len(set(tags)) == len(tags) <= 10
    assert all(t and t == t.strip() and t == t.lower() and len(t) <= 40 for t in tags)


# --- we tried it -----------------------------------------------------------------------------


def test_a_school_says_once_how_a_practice_went_and_may_change_it(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    today = timezone.localdate()
    svc.practice_tried(
        practice=lib.maths,
        school=world.school_a1,
        outcome=PracticeTrial.Outcome.TRYING,
        tried_on=today,
        by=world.head,
    )
    # The teacher of the same school updates the same answer.
    trial = svc.practice_tried(
        practice=lib.maths,
        school=world.school_a1,
        outcome=WORKED,
        note="Loved it",
        by=world.teacher,
    )
    assert PracticeTrial.objects.filter(practice=lib.maths).count() == 1
    trial.refresh_from_db()
    assert (trial.outcome, trial.note, trial.school_path) == (
        WORKED,
        "Loved it",
        world.school_a1.path,
    )


def test_staff_speak_only_for_their_own_school_and_not_for_its_own_practice(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    with pytest.raises(ValidationError, match="own school"):
        svc.practice_tried(
            practice=lib.maths, school=world.school_a2, outcome=WORKED, by=world.head
        )
    with pytest.raises(ValidationError, match="own school"):
        svc.practice_tried(practice=lib.maths, school=world.school_a1, outcome=WORKED, by=world.crc)
    with pytest.raises(ValidationError, match="comes from"):
        svc.practice_tried(
            practice=lib.reading, school=world.school_a1, outcome=WORKED, by=world.head
        )
    with pytest.raises(ValidationError, match="future"):
        svc.practice_tried(
            practice=lib.maths,
            school=world.school_a1,
            outcome=WORKED,
            tried_on=timezone.localdate() + datetime.timedelta(days=1),
            by=world.head,
        )
    with pytest.raises(PermissionDenied):
        svc.practice_tried(
            practice=lib.karnataka, school=world.school_a1, outcome=WORKED, by=world.head
        )


# --- recommending ----------------------------------------------------------------------------


def test_a_recommendation_tells_the_network_once(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, note="Try it", by=world.crc)
    told = Notification.objects.filter(kind=Notification.Kind.PRACTICE_RECOMMENDED)
    # The CoP's facilitator (the coach) and its member head_a1.
    assert sorted(told.values_list("person__user__username", flat=True)) == ["coach", "head_a1"]
    assert all(n.url == reverse("networks:practice", args=[lib.maths.pk]) for n in told)
    with pytest.raises(ValidationError, match="already recommended"):
        svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, by=world.coach)
    assert told.count() == 2
    assert Recommendation.objects.filter(practice=lib.maths).count() == 1


def test_someone_in_two_networks_hears_of_a_practice_once(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    member_add(network=lib.nets.other, person=world.person(world.head), role="headteacher", by=None)
    svc.practice_recommend(practice=lib.marathi, network=lib.nets.cop, by=world.coach)
    svc.practice_recommend(practice=lib.marathi, network=lib.nets.other, by=world.coach)
    assert Notification.objects.filter(person__user=world.head).count() == 1
    # The recommender is not told of their own recommendation; the PLC's facilitator is.
    assert not Notification.objects.filter(person__user=world.coach).exists()
    assert Notification.objects.filter(person__user=world.outsider).count() == 1


def test_who_may_recommend_and_where(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    with pytest.raises(PermissionDenied):
        svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, by=world.teacher)
    with pytest.raises(PermissionDenied):
        svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, by=world.head)
    with pytest.raises(ValidationError, match="from the list"):
        svc.practice_recommend(practice=lib.reading, network=lib.nets.other, by=world.crc)
    with pytest.raises(PermissionDenied):  # a practice of another state
        svc.practice_recommend(practice=lib.karnataka, network=lib.nets.cop, by=world.coach)
    # A headteacher who co-facilitates a network may recommend to it.
    member_add(
        network=lib.nets.cop, person=world.person(world.head), role="co_facilitator", by=None
    )
    svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, by=world.head)
    assert [n.name for n in sel.recommend_targets(world.head, lib.reading)] == [lib.nets.cop.name]


# --- files -----------------------------------------------------------------------------------


def _file(name: str, content: bytes = PDF, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_practice_keeps_files_with_their_name_type_and_size(lib) -> None:  # type: ignore[no-untyped-def]
    attachment = svc.practice_attach(
        practice=lib.reading, file=_file("Worksheet (वाचन).pdf"), by=lib.world.head
    )
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "Worksheet (वाचन).pdf",
        "application/pdf",
        len(PDF),
    )
    assert "वाचन" not in attachment.file.name  # stored under a random name
    docx = svc.practice_attach(
        practice=lib.reading,
        file=_file("plan.docx", _docx(), "application/octet-stream"),
        by=lib.world.coach,
    )
    assert docx.content_type.endswith("wordprocessingml.document")
    mp4 = svc.practice_attach(
        practice=lib.reading, file=_file("lesson.mp4", b"\x00\x00\x00\x18ftypmp42"), by=None
    )
    assert mp4.content_type == "video/mp4"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ", "cannot be added"),
        ("photo.png", PDF, "not what its name says"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_files_of_other_kinds_are_refused(lib, name, content, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        svc.practice_attach(practice=lib.reading, file=_file(name, content), by=lib.world.head)


def test_files_over_20_mb_are_refused(lib) -> None:  # type: ignore[no-untyped-def]
    big = _file("big.pdf")
    big.size = 20 * 1024 * 1024 + 1
    with pytest.raises(ValidationError, match="larger than 20 MB"):
        svc.practice_attach(practice=lib.reading, file=big, by=lib.world.head)


def test_only_those_who_may_edit_add_files(lib) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        svc.practice_attach(practice=lib.reading, file=_file("a.pdf"), by=lib.world.teacher)


# --- search (on SQLite and on PostgreSQL) ------------------------------------------------------


def test_search_finds_words_in_any_field_whatever_their_case(lib) -> None:  # type: ignore[no-untyped-def]
    coach = lib.world.coach
    assert _titles(sel.practice_search(coach, "READING")) == {lib.reading.title}
    assert _titles(sel.practice_search(coach, "storybooks fluency")) == {lib.reading.title}
    assert _titles(sel.practice_search(coach, "arithmetic")) == {lib.maths.title}


def test_search_needs_every_word_unless_told_or(lib) -> None:  # type: ignore[no-untyped-def]
    coach = lib.world.coach
    assert not sel.practice_search(coach, "reading arithmetic").exists()
    assert _titles(sel.practice_search(coach, "reading or arithmetic")) == {
        lib.reading.title,
        lib.maths.title,
    }
    assert not sel.practice_search(coach, "reading -storybooks").exists()
    assert _titles(sel.practice_search(coach, '"number talks"')) == {lib.maths.title}
    assert _titles(sel.practice_search(coach, "-arithmetic")) == {
        lib.reading.title,
        lib.marathi.title,
    }


def test_search_works_in_marathi(lib) -> None:  # type: ignore[no-untyped-def]
    assert _titles(sel.practice_search(lib.world.teacher, "वाचन")) == {lib.marathi.title}
    assert _titles(sel.practice_search(lib.world.teacher, "वाचन कोपरा")) == {lib.marathi.title}


def test_search_works_in_swahili(lib) -> None:  # type: ignore[no-untyped-def]
    swahili = _share(
        lib.world.head,
        school=lib.world.school_a1,
        title="Kusoma kwa pamoja",
        problem="Wanafunzi hawakuweza kusoma",
        what_was_done="Tulisoma hadithi kila asubuhi",
        language="sw",
    )
    assert _titles(sel.practice_search(lib.world.head, "hadithi")) == {swahili.title}


def test_a_match_in_the_title_ranks_before_one_in_the_evidence(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    # Older, but the word is in its title and problem: first on both databases.
    in_title = _share(
        world.head, school=world.school_a1, title="Phonics games", problem="Weak phonics"
    )
    in_evidence = _share(
        world.head, school=world.school_a1, title="Morning circle", evidence="phonics improved"
    )
    found = list(sel.practice_search(world.coach, "phonics"))
    assert found == [in_title, in_evidence]


def test_search_filters_by_tag_language_and_network_within_scope(lib) -> None:  # type: ignore[no-untyped-def]
    head = lib.world.head
    assert _titles(sel.practice_search(head, "", tags=[" Reading "])) == {lib.reading.title}
    assert _titles(sel.practice_search(head, "", tags=["वाचन"])) == {lib.marathi.title}
    assert _titles(sel.practice_search(head, "", language="mr")) == {lib.marathi.title}
    assert _titles(sel.practice_search(head, "", network=lib.nets.other)) == {lib.maths.title}
    assert not sel.practice_search(head, "buddies").exists()  # Karnataka's, out of sight
    assert not sel.practice_search(head, "reading", tags=["maths"]).exists()


def test_an_empty_or_odd_query_does_not_fail(lib) -> None:  # type: ignore[no-untyped-def]
    head = lib.world.head
    assert sel.practice_search(head, "   ").count() == 3
    for odd in ('"', "-", "!!! ???", "or", "a & b | c", "' OR 1=1 --", "x" * 1000):
        list(sel.practice_search(head, odd))


# --- for meetings and dashboards ---------------------------------------------------------------


def test_a_meeting_gets_the_practices_of_its_tags_those_that_worked_first(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    svc.practice_tried(practice=lib.maths, school=world.school_a1, outcome=WORKED, by=world.head)
    found = sel.practices_matching(["Maths", "reading", "nothing"], user=world.coach, limit=5)
    assert found == [lib.maths, lib.reading]
    assert found[0].worked == 1 and found[0].matched_tags == ["maths"]  # type: ignore[attr-defined]
    assert found[1].matched_tags == ["reading"]  # type: ignore[attr-defined]
    assert sel.practices_matching(["reading", "maths"], user=world.coach, limit=1) == [lib.maths]
    assert sel.practices_matching(["reading"], user=lib.head_k, limit=5) == [lib.karnataka]
    assert sel.practices_matching([], user=world.coach, limit=5) == []


def test_figures_count_the_library_of_the_users_area(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    svc.practice_tried(practice=lib.maths, school=world.school_a1, outcome=WORKED, by=world.head)
    svc.practice_tried(
        practice=lib.reading,
        school=world.school_b1,
        outcome=PracticeTrial.Outcome.PARTLY,
        by=None,
    )
    svc.practice_recommend(practice=lib.maths, network=lib.nets.cop, by=world.coach)
    assert sel.practice_figures(world.crc) == sel.PracticeFigures(
        shared=2, tried=1, worked=1, recommended=1
    )
    assert sel.practice_figures(world.district_officer) == sel.PracticeFigures(
        shared=3, tried=2, worked=1, recommended=1
    )
    assert sel.practice_figures(world.outsider) == sel.PracticeFigures(
        shared=1, tried=1, worked=0, recommended=0
    )


# --- pages -----------------------------------------------------------------------------------


def test_the_library_lists_the_states_practices(lib) -> None:  # type: ignore[no-untyped-def]
    response = lib.world.client(lib.world.teacher).get(reverse("networks:practices"))
    assert response.status_code == 200
    content = response.content.decode()
    assert lib.maths.title in content and lib.reading.title in content
    assert lib.karnataka.title not in content
    assert "style=" not in content and "<script>" not in content


def test_the_library_searches_live_with_htmx(lib) -> None:  # type: ignore[no-untyped-def]
    response = lib.world.client(lib.world.coach).get(
        reverse("networks:practices"), {"q": "arithmetic"}, headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    assert lib.maths.title in content and lib.reading.title not in content


def test_the_library_filters_by_tag_and_language(lib) -> None:  # type: ignore[no-untyped-def]
    client = lib.world.client(lib.world.coach)
    content = client.get(reverse("networks:practices"), {"tag": "maths"}).content.decode()
    assert lib.maths.title in content and lib.reading.title not in content
    content = client.get(reverse("networks:practices"), {"language": "mr"}).content.decode()
    assert lib.marathi.title in content and lib.maths.title not in content


def test_the_library_of_a_network_outside_is_not_found(lib) -> None:  # type: ignore[no-untyped-def]
    client = lib.world.client(lib.world.crc)
    response = client.get(reverse("networks:practices"), {"network": str(lib.nets.other.pk)})
    assert response.status_code == 404


def test_the_library_requires_the_role(lib, client) -> None:  # type: ignore[no-untyped-def]
    url = reverse("networks:practices")
    assert client.get(url).status_code == 302  # to the login page
    assert lib.world.client(_data_officer(lib.world)).get(url).status_code == 403


def test_the_library_takes_a_fixed_number_of_queries(lib, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    for n in range(15):
        practice = _share(
            world.coach, network=lib.nets.cop, title=f"Practice {n}", tags=[f"t{n}", "common"]
        )
        svc.practice_tried(practice=practice, school=world.school_a1, outcome=WORKED, by=None)
    client = world.client(world.coach)
    client.get(reverse("networks:practices"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("networks:practices"), {"q": "practice", "tag": "common"})
    assert response.status_code == 200 and "Practice 14" in response.content.decode()
    with django_assert_max_num_queries(8):
        client.get(reverse("networks:practices"))


def test_a_practice_page_shows_it_with_its_trials_and_forms(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    svc.practice_tried(practice=lib.maths, school=world.school_a1, outcome=WORKED, by=world.head)
    url = reverse("networks:practice", args=[lib.maths.pk])
    content = world.client(world.teacher).get(url).content.decode()
    assert lib.maths.title in content and world.school_a1.name in content
    assert reverse("networks:practice_tried", args=[lib.maths.pk]) in content
    assert reverse("networks:practice_recommend", args=[lib.maths.pk]) not in content
    content = world.client(world.coach).get(url).content.decode()
    assert reverse("networks:practice_recommend", args=[lib.maths.pk]) in content
    assert reverse("networks:practice_tried", args=[lib.maths.pk]) not in content


def test_a_practice_page_of_another_state_is_not_found(lib) -> None:  # type: ignore[no-untyped-def]
    url = reverse("networks:practice", args=[lib.karnataka.pk])
    assert lib.world.client(lib.world.state_officer).get(url).status_code == 404
    assert lib.world.client(lib.head_k).get(url).status_code == 200


def test_a_practice_page_requires_the_role(lib) -> None:  # type: ignore[no-untyped-def]
    url = reverse("networks:practice", args=[lib.reading.pk])
    assert lib.world.client(_data_officer(lib.world)).get(url).status_code == 403


def test_sharing_a_practice(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    client = world.client(world.head)
    assert client.get(reverse("networks:practice_new")).status_code == 200
    response = client.post(
        reverse("networks:practice_new"),
        {
            "title": "Daily attendance calls",
            "problem": "Children missed school after harvest.",
            "what_was_done": "The headteacher phoned families of absent children.",
            "school": str(world.school_a1.pk),
            "network": str(lib.nets.cop.pk),
            "tags": "Attendance, phone",
            "language": "en",
        },
    )
    practice = Practice.objects.get(title="Daily attendance calls")
    assert response.status_code == 302
    assert response["Location"] == reverse("networks:practice", args=[practice.pk])
    assert (practice.school, practice.network, practice.tags) == (
        world.school_a1,
        lib.nets.cop,
        ["attendance", "phone"],
    )
    assert practice.created_by == world.head


def test_an_officer_shares_from_their_own_unit(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    response = world.client(world.district_officer).post(
        reverse("networks:practice_new"),
        {"title": "District plan", "problem": "p", "what_was_done": "w", "language": "hi"},
    )
    assert response.status_code == 302
    assert Practice.objects.get(title="District plan").org_unit == world.district


def test_the_share_form_keeps_what_was_typed(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    response = world.client(world.head).post(
        reverse("networks:practice_new"),
        {
            "title": "Kept title वाचन",
            "problem": "",
            "what_was_done": "Kept steps",
            "tags": ", ".join(f"tag{i}" for i in range(11)),
            "language": "mr",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Kept title वाचन" in content and "Kept steps" in content and "tag10" in content
    assert "At most 10 tags." in content
    assert not Practice.objects.filter(title__startswith="Kept").exists()


def test_a_school_outside_cannot_be_chosen(lib) -> None:  # type: ignore[no-untyped-def]
    response = lib.world.client(lib.world.head).post(
        reverse("networks:practice_new"),
        {
            "title": "T",
            "problem": "p",
            "what_was_done": "w",
            "school": str(lib.world.school_b1.pk),
            "language": "en",
        },
    )
    assert response.status_code == 200 and not Practice.objects.filter(title="T").exists()


def test_the_share_form_requires_the_role(lib) -> None:  # type: ignore[no-untyped-def]
    client = lib.world.client(_data_officer(lib.world))
    assert client.get(reverse("networks:practice_new")).status_code == 403


def test_editing_a_practice(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    url = reverse("networks:practice_edit", args=[lib.reading.pk])
    client = world.client(world.coach)
    assert client.get(url).status_code == 200
    data = {
        "title": "Reading corners, revised",
        "problem": lib.reading.problem,
        "what_was_done": lib.reading.what_was_done,
        "school": str(world.school_a1.pk),
        "network": str(lib.nets.cop.pk),
        "tags": "reading",
        "language": "en",
        "version": lib.reading.version,
    }
    assert client.post(url, data).status_code == 302
    lib.reading.refresh_from_db()
    assert lib.reading.title == "Reading corners, revised"
    # The same form again, now stale: the text typed is kept and the user told.
    data["title"] = "My later edit"
    response = client.post(url, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "My later edit" in content and "Someone else changed this" in content


def test_editing_requires_the_right_and_hides_other_states(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    url = reverse("networks:practice_edit", args=[lib.reading.pk])
    assert world.client(world.crc).get(url).status_code == 403
    assert world.client(lib.head_k).get(url).status_code == 404


def test_saying_we_tried_it(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    url = reverse("networks:practice_tried", args=[lib.maths.pk])
    data = {
        "school": str(world.school_a1.pk),
        "tried_on": timezone.localdate().isoformat(),
        "outcome": WORKED,
        "note": "Children asked for more",
    }
    client = world.client(world.teacher)
    assert client.post(url, data).status_code == 302
    assert client.post(url, data | {"outcome": "partly"}).status_code == 302
    trial = PracticeTrial.objects.get(practice=lib.maths)
    assert (trial.school, trial.outcome) == (world.school_a1, "partly")


def test_the_tried_form_keeps_what_was_typed(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = world.client(world.head).post(
        reverse("networks:practice_tried", args=[lib.maths.pk]),
        {
            "school": str(world.school_a1.pk),
            "tried_on": tomorrow.isoformat(),
            "outcome": WORKED,
            "note": "Our own words",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200 and "Our own words" in content and "future" in content
    assert not PracticeTrial.objects.exists()


def test_we_tried_it_requires_a_school_post_and_hides_other_states(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    data = {"school": str(world.school_a1.pk), "tried_on": "2026-01-01", "outcome": WORKED}
    url = reverse("networks:practice_tried", args=[lib.maths.pk])
    assert world.client(world.coach).post(url, data).status_code == 403
    url = reverse("networks:practice_tried", args=[lib.karnataka.pk])
    assert world.client(world.head).post(url, data).status_code == 404


def test_recommending_from_the_practice_page(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    response = world.client(world.crc).post(
        reverse("networks:practice_recommend", args=[lib.maths.pk]),
        {"network": str(lib.nets.cop.pk), "note": "Good for grade 3"},
    )
    assert response.status_code == 302
    assert Recommendation.objects.get(practice=lib.maths).note == "Good for grade 3"
    assert Notification.objects.filter(person__user=world.head).count() == 1


def test_the_recommend_form_keeps_what_was_typed_and_hides_networks_outside(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    response = world.client(world.crc).post(
        reverse("networks:practice_recommend", args=[lib.reading.pk]),
        {"network": str(lib.nets.other.pk), "note": "My reason"},
    )
    content = response.content.decode()
    assert response.status_code == 200 and "My reason" in content
    assert "Choose a network from the list." in content and lib.nets.other.name not in content
    assert not Recommendation.objects.exists()


def test_recommending_requires_the_role(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    url = reverse("networks:practice_recommend", args=[lib.maths.pk])
    assert (
        world.client(world.teacher).post(url, {"network": str(lib.nets.cop.pk)}).status_code == 403
    )
    url = reverse("networks:practice_recommend", args=[lib.karnataka.pk])
    assert world.client(world.coach).post(url, {"network": str(lib.nets.cop.pk)}).status_code == 404


def test_adding_and_downloading_a_file(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    client = world.client(world.head)
    response = client.post(
        reverse("networks:practice_attach", args=[lib.reading.pk]), {"file": _file("plan.pdf")}
    )
    assert response.status_code == 302
    attachment = lib.reading.files.get()
    page = world.client(world.outsider).get(reverse("networks:practice", args=[lib.reading.pk]))
    download = reverse("networks:practice_file", args=[attachment.pk])
    assert download in page.content.decode() and "/media/" not in page.content.decode()
    response = world.client(world.outsider).get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert world.client(lib.head_k).get(download).status_code == 404


def test_a_bad_file_is_explained_on_the_page(lib) -> None:  # type: ignore[no-untyped-def]
    response = lib.world.client(lib.world.head).post(
        reverse("networks:practice_attach", args=[lib.reading.pk]),
        {"file": _file("virus.exe", b"MZ")},
    )
    assert response.status_code == 200 and "cannot be added" in response.content.decode()
    assert not lib.reading.files.exists()


def test_adding_files_requires_the_right(lib) -> None:  # type: ignore[no-untyped-def]
    world = lib.world
    url = reverse("networks:practice_attach", args=[lib.reading.pk])
    assert world.client(world.teacher).post(url, {"file": _file("a.pdf")}).status_code == 403
    assert world.client(lib.head_k).post(url, {"file": _file("a.pdf")}).status_code == 404
