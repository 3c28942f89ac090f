"""The peer-review cycle: frameworks and their versions, the stage rules, reviews, the
workshop's plan, school-to-school support, and every page's access (works, needs the role,
hides the other network)."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from clusterwise.core.audit import StaleEdit
from clusterwise.networks.models import (
    ActionPlan,
    Meeting,
    ReviewCycle,
    ReviewFramework,
    SchoolReview,
)
from clusterwise.networks.selectors import reviews as sel
from clusterwise.networks.services import reviews as svc
from clusterwise.networks.services.networks import member_add
from clusterwise.org import services as org_services
from clusterwise.org.models import Role

FRAMEWORK_FILE = Path(__file__).resolve().parents[1] / "frameworks" / "school_review.json"
YEAR = 2026
Stage = ReviewCycle.Stage
SELF, PEER = SchoolReview.Kind.SELF, SchoolReview.Kind.PEER


def shipped() -> dict[str, Any]:
    return json.loads(FRAMEWORK_FILE.read_text(encoding="utf-8"))


@dataclass
class ReviewWorld:
    """`nets` (the CoP of A1 and A2, run by the coach; `other` the outsider's PLC of B1S)
    with the shipped framework loaded, a headteacher of A2 in the CoP, and the CoP's 2026
    cycle at the self-review stage."""

    nets: Any
    world: Any
    framework: ReviewFramework
    cycle: ReviewCycle
    head_a2: Any  # User
    other_cycle: ReviewCycle

    def ratings(self, value: int | None = 3, **overrides: int | None) -> dict[str, Any]:
        return {
            a.code: (overrides.get(a.code.replace("-", "_"), value), f"saw {a.code}")
            for a in self.framework.areas.all()
        }

    def refresh(self) -> ReviewCycle:
        self.cycle.refresh_from_db()
        return self.cycle


@pytest.fixture
def rw(nets) -> ReviewWorld:  # type: ignore[no-untyped-def]
    world = nets.world
    framework = svc.review_framework_load(data=shipped(), by=None)
    head_a2 = org_services.person_create(
        name="Head A2",
        role=Role.HEADTEACHER,
        org_unit=world.school_a2,
        start_date=datetime.date(2024, 6, 1),
        username="head_a2",
        password="pw-head_a2",
        by=None,
    )
    member_add(
        network=nets.cop,
        person=head_a2,
        role="headteacher",
        school=world.school_a2,
        by=world.coach,
    )
    cycle = svc.cycle_start(network=nets.cop, year=YEAR, framework=framework, by=world.coach)
    other_cycle = svc.cycle_start(
        network=nets.other, year=YEAR, framework=framework, by=world.outsider
    )
    return ReviewWorld(
        nets=nets,
        world=world,
        framework=framework,
        cycle=cycle,
        head_a2=head_a2.user,
        other_cycle=other_cycle,
    )


def self_review(rw: ReviewWorld, school: Any, by: Any, submit: bool = True, **kw: Any) -> Any:
    review = svc.school_review_save(
        cycle=rw.cycle,
        school=school,
        kind=SELF,
        ratings=kw.pop("ratings", None) or rw.ratings(),
        strengths="Reading corners in every class",
        version=None,
        by=by,
        **kw,
    )
    if submit:
        review = svc.school_review_submit(review=review, version=review.version, by=by)
    return review


def peer_review(rw: ReviewWorld, school: Any, by: Any, submit: bool = True, **kw: Any) -> Any:
    reviewer = rw.world.person(by)
    review = svc.school_review_save(
        cycle=rw.cycle,
        school=school,
        kind=PEER,
        ratings=kw.pop("ratings", None) or rw.ratings(),
        to_develop="Use the baseline to group children",
        visited_on=timezone.localdate(),
        reviewers=kw.pop("reviewers", [reviewer]),
        version=None,
        by=by,
        **kw,
    )
    if submit:
        review = svc.school_review_submit(review=review, version=review.version, by=by)
    return review


def to_peer_review(rw: ReviewWorld, **ratings: Any) -> None:
    w = rw.world
    self_review(rw, w.school_a1, w.head, ratings=rw.ratings(**ratings.get("a1_self", {})))
    self_review(rw, w.school_a2, rw.head_a2, ratings=rw.ratings(**ratings.get("a2_self", {})))
    svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)


def to_workshop(
    rw: ReviewWorld, a1: dict[str, Any] | None = None, a2: dict[str, Any] | None = None
) -> None:
    """Self-reviews (all 3), then peer reviews: A1 rated by head_a2, A2 by head_a1."""
    w = rw.world
    to_peer_review(rw)
    peer_review(rw, w.school_a1, rw.head_a2, ratings=rw.ratings(**(a1 or {})))
    peer_review(rw, w.school_a2, w.head, ratings=rw.ratings(**(a2 or {})))
    svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)


def to_support(rw: ReviewWorld, **kw: Any) -> ActionPlan:
    to_workshop(rw, **kw)
    plan = svc.workshop_plan_create(cycle=rw.refresh(), by=rw.world.coach)
    svc.workshop_action_add(
        plan=plan,
        text="Group children by reading level for 30 minutes daily",
        owner=rw.world.person(rw.world.head),
        due_on=timezone.localdate() + datetime.timedelta(days=30),
        success_measure="Reading levels checked again in 8 weeks",
        by=rw.world.coach,
    )
    svc.cycle_advance(cycle=rw.cycle, version=rw.refresh().version, by=rw.world.coach)
    return plan


# --- frameworks ----------------------------------------------------------------------


def test_the_shipped_framework_has_seven_areas_in_three_languages(rw) -> None:  # type: ignore[no-untyped-def]
    framework = rw.framework
    assert (framework.key, framework.version) == ("school-review", 1)
    areas = list(framework.areas.all())
    assert 6 <= len(areas) <= 8
    for area in areas:
        assert set(area.name) == {"en", "hi", "mr"} and set(area.guidance) == {"en", "hi", "mr"}
    assert [label["en"] for label in framework.scale] == [
        "Needs urgent support",
        "Developing",
        "Good",
        "Strong",
    ]
    assert all(set(label) == {"en", "hi", "mr"} for label in framework.scale)


def test_loading_the_same_file_twice_makes_no_second_version(rw) -> None:  # type: ignore[no-untyped-def]
    call_command("load_review_framework", str(FRAMEWORK_FILE), stdout=io.StringIO())
    call_command("load_review_framework", stdout=io.StringIO())
    assert ReviewFramework.objects.filter(key="school-review").count() == 1
    data = shipped()
    del data["version"]
    assert svc.review_framework_load(data=data, by=None) == rw.framework


def test_a_changed_file_needs_a_new_version_number(rw) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    data["areas"][0]["name"]["en"] = "Leading the school"
    with pytest.raises(ValidationError, match="Version 1 of “school-review” exists"):
        svc.review_framework_load(data=data, by=None)
    data["version"] = 2
    assert svc.review_framework_load(data=data, by=None).version == 2
    del data["version"]
    data["areas"][0]["name"]["en"] = "Leading"
    assert svc.review_framework_load(data=data, by=None).version == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["areas"][2].pop("name"), "Area 3 (“outcomes”): “name” is missing"),
        (lambda d: d["areas"][2].update(name=["x"]), "Area 3 (“outcomes”): “name” must be texts"),
        (lambda d: d["areas"][1]["name"].pop("en"), "Area 2 (“teaching”): “name” needs an English"),
        (lambda d: d["areas"][4].update(code="Bad Code"), "Area 5 (“Bad Code”): “code” must"),
        (lambda d: d["areas"][5].update(code="leadership"), "Area 6 (“leadership”): another"),
        (lambda d: d["areas"][0].update(guidance="look"), "Area 1 (“leadership”): “guidance”"),
        (lambda d: d["scale"].pop(), "exactly four labels"),
        (lambda d: d.update(areas=[]), "at least one area"),
        (lambda d: d.update(key="School Review"), "“key”"),
    ],
)
def test_a_bad_file_is_refused_naming_the_area_and_field(db, change, message) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(ValidationError, match=re.escape(message)):
        svc.review_framework_load(data=data, by=None)
    assert not ReviewFramework.objects.exists()


def test_a_bad_file_fails_the_command_with_the_message(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    data = shipped()
    data["areas"][1]["name"] = {"hi": "केवल हिंदी"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="Area 2"):
        call_command("load_review_framework", str(path), stdout=io.StringIO())


def test_a_framework_in_use_is_revised_as_a_new_version_never_in_place(rw) -> None:  # type: ignore[no-untyped-def]
    framework = rw.framework
    with pytest.raises(ValidationError, match="used by a peer-review cycle"):
        svc.review_framework_update(framework=framework, name={"en": "Renamed"}, by=None)
    areas = sel.framework_export(framework)["areas"][:3]
    areas[0]["guidance"] = {"en": "Look at the plan on the wall."}
    revised = svc.review_framework_revise(
        framework=framework, areas=areas, by=rw.world.state_officer
    )
    assert revised.version == 2 and revised.areas.count() == 3
    assert revised.areas.get(code="leadership").guidance == {"en": "Look at the plan on the wall."}
    framework.refresh_from_db()
    assert framework.areas.count() == 7  # the cycle's version is as it was
    assert rw.cycle.framework_id == framework.pk
    # Not yet used: edited in place.
    svc.review_framework_update(framework=revised, name={"en": "Short review"}, by=None)
    revised.refresh_from_db()
    assert revised.name == {"en": "Short review"} and revised.version == 2
    assert [f.version for f in sel.frameworks_usable()] == [2]


# --- the cycle's stages ----------------------------------------------------------------


def test_a_network_has_one_cycle_a_year_and_one_running_at_a_time(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    with pytest.raises(ValidationError, match="already has a cycle for 2026"):
        svc.cycle_start(network=rw.nets.cop, year=YEAR, framework=rw.framework, by=w.coach)
    with pytest.raises(ValidationError, match="2026 cycle is still at the stage “Self-review”"):
        svc.cycle_start(network=rw.nets.cop, year=YEAR + 1, framework=rw.framework, by=w.coach)
    with pytest.raises(ValidationError, match="Choose a year"):
        svc.cycle_start(network=rw.nets.cop, year=1999, framework=rw.framework, by=w.coach)


def test_self_review_moves_on_only_when_every_school_submitted(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    with pytest.raises(ValidationError) as refused:
        svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)
    assert refused.value.messages == [
        "No submitted self-review yet from: ZP School Chakan, ZP School Medankarwadi."
    ]
    self_review(rw, w.school_a1, w.head)
    self_review(rw, w.school_a2, rw.head_a2, submit=False)  # a draft does not count
    with pytest.raises(ValidationError) as refused:
        svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)
    assert refused.value.messages == ["No submitted self-review yet from: ZP School Medankarwadi."]
    review = SchoolReview.objects.get(school=w.school_a2, kind=SELF)
    svc.school_review_submit(review=review, version=review.version, by=rw.head_a2)
    cycle = svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)
    assert cycle.stage == Stage.PEER_REVIEW
    assert rw.refresh().stage == Stage.PEER_REVIEW


def test_peer_review_moves_on_only_when_every_school_was_reviewed(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    peer_review(rw, w.school_a1, rw.head_a2)
    with pytest.raises(ValidationError) as refused:
        svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    assert refused.value.messages == ["No submitted peer review yet of: ZP School Medankarwadi."]
    peer_review(rw, w.school_a2, w.head)
    svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    assert rw.refresh().stage == Stage.WORKSHOP


def test_the_workshop_moves_on_only_with_a_plan_that_has_an_action(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw)
    message = "has not made an action plan with at least one action"
    with pytest.raises(ValidationError, match=message):
        svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    plan = svc.workshop_plan_create(cycle=rw.cycle, by=w.coach)
    with pytest.raises(ValidationError, match=message):  # a plan without actions
        svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    svc.workshop_action_add(
        plan=plan,
        text="Read aloud daily",
        owner=w.person(w.head),
        due_on=timezone.localdate(),
        success_measure="Log kept",
        by=w.coach,
    )
    svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    assert rw.refresh().stage == Stage.SUPPORT
    svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)
    assert rw.refresh().stage == Stage.CLOSED
    with pytest.raises(ValidationError, match="The cycle is closed"):
        svc.cycle_advance(cycle=rw.cycle, version=rw.cycle.version, by=w.coach)
    # History is kept, and next year's cycle may start.
    stages = [h.stage for h in rw.cycle.history.order_by("history_date")]
    assert stages == ["self_review", "peer_review", "workshop", "support", "closed"]
    nxt = svc.cycle_start(network=rw.nets.cop, year=YEAR + 1, framework=rw.framework, by=w.coach)
    assert nxt.stage == Stage.SELF_REVIEW


def test_advancing_from_a_stale_page_is_refused(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    with pytest.raises(StaleEdit):
        svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version - 1, by=w.coach)


def test_a_refusal_leaves_the_cycle_as_it_was(rw) -> None:  # type: ignore[no-untyped-def]
    version = rw.cycle.version
    with pytest.raises(ValidationError):
        svc.cycle_advance(cycle=rw.cycle, version=version, by=rw.world.coach)
    assert rw.cycle.version == version == rw.refresh().version


# --- reviews ---------------------------------------------------------------------------


def test_every_area_is_rated_1_to_4_before_a_review_is_submitted(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    with pytest.raises(ValidationError, match="rate from 1 to 4"):
        self_review(rw, w.school_a1, w.head, ratings=rw.ratings(5))
    draft = self_review(rw, w.school_a1, w.head, submit=False, ratings=rw.ratings(outcomes=None))
    with pytest.raises(ValidationError, match="not yet rated: Learning outcomes and use of data"):
        svc.school_review_submit(review=draft, version=draft.version, by=w.head)
    with pytest.raises(ValidationError, match="not in the cycle's framework: nope"):
        svc.school_review_save(
            cycle=rw.cycle,
            school=w.school_a1,
            kind=SELF,
            ratings={"nope": (2, "")},
            version=draft.version,
            by=w.head,
        )


def test_a_self_review_is_written_by_the_schools_own_people(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    with pytest.raises(ValidationError, match="school's own headteacher and teachers"):
        self_review(rw, w.school_a1, rw.head_a2)
    with pytest.raises(ValidationError, match="school's own headteacher and teachers"):
        self_review(rw, w.school_a1, w.coach)
    review = self_review(rw, w.school_a1, w.head)
    assert [p.name for p in review.reviewers.all()] == ["Head A1"]


def test_a_peer_reviewer_is_never_from_the_reviewed_school(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    with pytest.raises(ValidationError, match="members from the network's other schools"):
        peer_review(rw, w.school_a1, w.head)  # A1's own head
    with pytest.raises(ValidationError, match="may not be from the school reviewed: Head A1"):
        peer_review(rw, w.school_a1, rw.head_a2, reviewers=[w.person(rw.head_a2), w.person(w.head)])
    with pytest.raises(ValidationError, match="may not be from the school reviewed: Teacher A1"):
        peer_review(rw, w.school_a1, rw.head_a2, reviewers=[w.person(w.teacher)])
    with pytest.raises(ValidationError, match="Crc B is not"):  # not of the network
        peer_review(rw, w.school_a1, rw.head_a2, reviewers=[w.person(w.outsider)])
    with pytest.raises(ValidationError, match="at least one reviewer"):
        peer_review(rw, w.school_a1, rw.head_a2, reviewers=[])
    # The facilitator writes one too, and may be on the team.
    review = peer_review(
        rw, w.school_a1, w.coach, reviewers=[w.person(w.coach), w.person(rw.head_a2)]
    )
    assert review.status == SchoolReview.Status.SUBMITTED


def test_a_virtual_peer_review_keeps_its_interviews_and_evidence(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    review = peer_review(
        rw,
        w.school_a2,
        w.head,
        submit=False,
        virtual=True,
        interviews="Video call with the headteacher and two teachers; phone call with the SMC chair",
    )
    svc.evidence_attach(
        review=review, files=[SimpleUploadedFile("plan.pdf", b"%PDF-1.4 x")], by=w.head
    )
    review.refresh_from_db()
    assert review.virtual and "SMC chair" in review.interviews
    assert [f.name for f in review.files.all()] == ["plan.pdf"]


def test_reviews_are_written_in_their_own_stage_only(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    with pytest.raises(ValidationError, match="Peer review stage has not begun"):
        peer_review(rw, w.school_a1, rw.head_a2)
    to_peer_review(rw)
    with pytest.raises(ValidationError, match="Self-review stage has passed"):
        self_review(rw, w.school_a1, w.head)
    review = SchoolReview.objects.get(school=w.school_a1, kind=SELF)
    with pytest.raises(ValidationError, match="stage has passed"):
        svc.evidence_attach(
            review=review, files=[SimpleUploadedFile("a.pdf", b"%PDF-1")], by=w.head
        )


def test_a_submitted_review_may_be_corrected_while_its_stage_lasts(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    review = self_review(rw, w.school_a1, w.head)
    review = svc.school_review_save(
        cycle=rw.cycle,
        school=w.school_a1,
        kind=SELF,
        ratings=rw.ratings(2),
        version=review.version,
        by=w.head,
    )
    assert review.status == SchoolReview.Status.SUBMITTED
    assert set(review.ratings.values_list("rating", flat=True)) == {2}
    with pytest.raises(ValidationError, match="not yet rated"):  # it must stay complete
        svc.school_review_save(
            cycle=rw.cycle,
            school=w.school_a1,
            kind=SELF,
            ratings=rw.ratings(teaching=None),
            version=review.version,
            by=w.head,
        )
    with pytest.raises(StaleEdit):
        svc.school_review_save(
            cycle=rw.cycle,
            school=w.school_a1,
            kind=SELF,
            ratings=rw.ratings(),
            version=review.version - 1,
            by=w.head,
        )
    assert review.ratings.first().history.count() == 2  # rated 3, then 2


def _docx(part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(part, "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("notes.docx", _docx(), None),
        ("scores.xlsx", _docx("xl/workbook.xml"), None),
        ("photo.JPG", b"\xff\xd8\xff\xe0rest", None),
        ("board.png", b"\x89PNG\r\n\x1a\nrest", None),
        ("wall.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", None),
        ("notes.docx", _docx("xl/workbook.xml"), "not what its name says"),
        ("script.exe", b"MZ", "is not a PDF, a photo"),
        ("fake.pdf", b"<html>", "not what its name says"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_evidence_files_are_checked(rw, name, content, error) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    review = self_review(rw, w.school_a1, w.head, submit=False)
    upload = SimpleUploadedFile(name, content)
    if error is None:
        (kept,) = svc.evidence_attach(review=review, files=[upload], by=w.head)
        assert kept.name == name and kept.size == len(content)
    else:
        with pytest.raises(ValidationError, match=error):
            svc.evidence_attach(review=review, files=[upload], by=w.head)


def test_evidence_larger_than_10_mb_is_refused(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    review = self_review(rw, w.school_a1, w.head, submit=False)
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        svc.evidence_attach(review=review, files=[big], by=w.head)


# --- the board, the workshop and support ------------------------------------------------


def test_the_board_puts_self_and_peer_ratings_side_by_side_with_the_gap(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw, a1={"teaching": 2})
    board = sel.board(rw.refresh())
    row = next(r for r in board.rows if r.school == w.school_a1)
    teaching = next(a for a in row.areas if a.area.code == "teaching")
    assert (teaching.self_rating, teaching.peer_rating, teaching.gap) == (3, 2, -1)
    assert board.count(SELF) == board.count(PEER) == 2


def test_the_workshop_plan_starts_from_the_areas_rated_1_or_2(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw, a1={"teaching": 2}, a2={"outcomes": 1, "teaching": 1})
    plan = svc.workshop_plan_create(cycle=rw.refresh(), by=w.coach)
    assert plan.kind == ActionPlan.Kind.NETWORK and plan.cycle == rw.cycle
    assert plan.goals.splitlines() == [
        "Teaching and learning in classrooms: ZP School Medankarwadi (1), ZP School Chakan (2)",
        "Learning outcomes and use of data: ZP School Medankarwadi (1)",
    ]
    with pytest.raises(ValidationError, match="exists already"):
        svc.workshop_plan_create(cycle=rw.cycle, by=w.coach)
    school_plan = svc.workshop_plan_create(
        cycle=rw.cycle, kind=ActionPlan.Kind.SCHOOL, school=w.school_a1, by=w.coach
    )
    assert school_plan.goals == "Teaching and learning in classrooms: from 2 to 3"
    assert school_plan.org_unit == w.school_a1


def test_support_pairs_a_strong_school_with_a_weak_one_on_an_area(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_support(rw, a1={"teaching": 4, "community": 2}, a2={"teaching": 1, "community": 3})
    pairs = {
        (p.area.code, p.helping.name, p.helped.name) for p in sel.support_pairs_suggested(rw.cycle)
    }
    assert pairs == {
        ("teaching", "ZP School Chakan", "ZP School Medankarwadi"),
        ("community", "ZP School Medankarwadi", "ZP School Chakan"),
    }
    teaching = rw.framework.areas.get(code="teaching")
    with pytest.raises(ValidationError, match="ZP School Medankarwadi is rated 1 on “Teaching"):
        svc.support_link_create(
            cycle=rw.cycle,
            helping=w.school_a2,
            helped=w.school_a1,
            area=teaching,
            focus="x",
            by=w.coach,
        )
    with pytest.raises(ValidationError, match="not a school of this network"):
        svc.support_link_create(
            cycle=rw.cycle,
            helping=w.school_b1,
            helped=w.school_a2,
            area=None,
            focus="x",
            by=w.coach,
        )
    link = svc.support_link_create(
        cycle=rw.cycle,
        helping=w.school_a1,
        helped=w.school_a2,
        area=teaching,
        focus="Grouping by level in grade 3",
        by=w.coach,
    )
    with pytest.raises(ValidationError, match="already linked"):
        svc.support_link_create(
            cycle=rw.cycle,
            helping=w.school_a1,
            helped=w.school_a2,
            area=teaching,
            focus="again",
            by=w.coach,
        )
    assert [p.area.code for p in sel.support_pairs_suggested(rw.cycle)] == ["community"]
    session = svc.support_session_log(
        link=link,
        held_on=timezone.localdate(),
        mode=Meeting.Mode.IN_PERSON,
        notes="Watched a grouped lesson",
        by=w.head,
    )
    assert list(link.sessions.all()) == [session]
    with pytest.raises(ValidationError, match="future"):
        svc.support_session_log(
            link=link,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
            mode=Meeting.Mode.PHONE,
            notes="x",
            by=w.head,
        )
    svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    with pytest.raises(ValidationError, match="during the support stage"):
        svc.support_session_log(
            link=link, held_on=timezone.localdate(), mode=Meeting.Mode.PHONE, notes="x", by=w.head
        )


def test_the_workshop_meeting_is_one_of_the_networks_peer_review_meetings(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw)

    def meeting(network: Any, template: str) -> Meeting:
        return Meeting.objects.create(
            network=network,
            title="Workshop",
            template=template,
            starts_at=timezone.now(),
            mode=Meeting.Mode.IN_PERSON,
        )

    with pytest.raises(ValidationError, match="improvement workshop"):
        svc.cycle_workshop_link(
            cycle=rw.refresh(),
            meeting=meeting(rw.nets.cop, "data_review"),
            version=None,
            by=w.coach,
        )
    with pytest.raises(ValidationError, match="improvement workshop"):
        svc.cycle_workshop_link(
            cycle=rw.refresh(),
            meeting=meeting(rw.nets.other, "peer_review"),
            version=None,
            by=w.coach,
        )
    workshop = meeting(rw.nets.cop, "peer_review")
    svc.cycle_workshop_link(
        cycle=rw.refresh(), meeting=workshop, version=rw.cycle.version, by=w.coach
    )
    plan = svc.workshop_plan_create(cycle=rw.refresh(), by=w.coach)
    action = svc.workshop_action_add(
        plan=plan,
        text="x",
        owner=w.person(rw.head_a2),
        due_on=timezone.localdate(),
        success_measure="y",
        by=w.coach,
    )
    assert action.made_in == workshop
    with pytest.raises(ValidationError, match="member of the network"):
        svc.workshop_action_add(
            plan=plan,
            text="x",
            owner=w.person(w.outsider),
            due_on=timezone.localdate(),
            success_measure="y",
            by=w.coach,
        )


def test_a_schools_history_spans_the_years(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_support(rw, a1={"teaching": 2})
    svc.cycle_advance(cycle=rw.refresh(), version=rw.cycle.version, by=w.coach)
    nxt = svc.cycle_start(network=rw.nets.cop, year=YEAR + 1, framework=rw.framework, by=w.coach)
    rw.cycle = nxt
    self_review(rw, w.school_a1, w.head, ratings=rw.ratings(4))
    history = sel.school_history(w.crc, w.school_a1)
    assert [c.cycle.year for c in history.columns] == [YEAR + 1, YEAR]
    teaching = dict(history.rows)["Teaching and learning in classrooms"]
    assert teaching == [(4, None), (3, 2)]
    assert sel.school_history(w.outsider, w.school_a1).columns == []


# --- pages: each works, needs its role, and hides the other network --------------------


def url(rw: ReviewWorld, name: str, network: Any = None, **kw: Any) -> str:
    from django.urls import reverse

    network = network or rw.nets.cop
    if name in ("review_frameworks",):
        return reverse(f"networks:{name}")
    return reverse(f"networks:{name}", kwargs={"pk": network.pk, **kw})


def ratings_post(rw: ReviewWorld, value: int | None = 3, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"form": "review", "strengths": "Morning reading", **extra}
    for area in rw.framework.areas.all():
        if value is not None:
            data[f"area_{area.code}"] = str(value)
        data[f"evidence_{area.code}"] = f"seen {area.code}"
    return data


def cop_urls(rw: ReviewWorld) -> list[str]:
    w = rw.world
    a1 = w.school_a1.pk
    return [
        url(rw, "review_cycles"),
        url(rw, "review_cycle", year=YEAR),
        url(rw, "review_workshop", year=YEAR),
        url(rw, "review_support", year=YEAR),
        url(rw, "review_school", year=YEAR, school=a1, kind="self"),
        url(rw, "review_school", year=YEAR, school=a1, kind="peer"),
        url(rw, "review_history", school=a1),
    ]


def test_every_page_of_a_network_outside_is_not_found(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    review = self_review(rw, w.school_a1, w.head, submit=False)
    (kept,) = svc.evidence_attach(
        review=review, files=[SimpleUploadedFile("p.pdf", b"%PDF-1")], by=w.head
    )
    urls = [*cop_urls(rw), url(rw, "review_file", file=kept.pk)]
    outsider = w.client(w.outsider)
    for address in urls:
        assert outsider.get(address).status_code == 404, address
        assert outsider.post(address, {"form": "review"}).status_code == 404, address
    assert outsider.post(url(rw, "review_cycle_advance", year=YEAR)).status_code == 404
    # And the other way round: the CRC of cluster A does not see cluster B's PLC.
    crc = w.client(w.crc)
    b1 = w.school_b1.pk
    for address in [
        url(rw, "review_cycles", rw.nets.other),
        url(rw, "review_cycle", rw.nets.other, year=YEAR),
        url(rw, "review_school", rw.nets.other, year=YEAR, school=b1, kind="self"),
        url(rw, "review_history", rw.nets.other, school=b1),
    ]:
        assert crc.get(address).status_code == 404, address
    # A school that is not in the network, a year without a cycle, a kind that does not exist.
    head = w.client(w.head)
    assert head.get(url(rw, "review_school", year=YEAR, school=b1, kind="self")).status_code == 404
    assert head.get(url(rw, "review_cycle", year=YEAR + 5)).status_code == 404
    bad_kind = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="other")
    assert head.get(bad_kind).status_code == 404


def test_everyone_who_sees_the_network_sees_its_cycle_pages(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    self_review(rw, w.school_a1, w.head)
    for login in ("state_officer", "district_officer", "coach", "crc", "head", "teacher"):
        client = w.client(getattr(w, login))
        for address in cop_urls(rw):
            assert client.get(address).status_code == 200, (login, address)


def test_pages_need_a_login_and_frameworks_need_the_state(rw) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    w = rw.world
    assert Client().get(url(rw, "review_cycles")).status_code == 302
    assert w.client(w.coach).get(url(rw, "review_frameworks")).status_code == 403
    assert w.client(w.state_officer).get(url(rw, "review_frameworks")).status_code == 200


def test_those_who_run_the_network_start_a_cycle(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    ReviewCycle.objects.filter(pk=rw.cycle.pk).update(stage=Stage.CLOSED)
    data = {"year": YEAR + 1, "framework": rw.framework.pk}
    for login in ("crc", "head", "teacher"):
        assert w.client(getattr(w, login)).post(url(rw, "review_cycles"), data).status_code == 403
    page = w.client(w.coach).get(url(rw, "review_cycles"))
    assert "Start a cycle" in page.content.decode()
    assert "Start a cycle" not in w.client(w.head).get(url(rw, "review_cycles")).content.decode()
    response = w.client(w.coach).post(url(rw, "review_cycles"), data)
    assert response.status_code == 302
    assert response["Location"] == url(rw, "review_cycle", year=YEAR + 1)
    # The same year again: the form comes back with the year typed and the reason.
    again = w.client(w.district_officer).post(url(rw, "review_cycles"), data)
    text = again.content.decode()
    assert again.status_code == 200 and "already has a cycle for 2027" in text
    assert 'value="2027"' in text


def test_the_cycle_page_shows_what_blocks_moving_on_and_moves_on(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    coach = w.client(w.coach)
    page = coach.get(url(rw, "review_cycle", year=YEAR)).content.decode()
    assert "No submitted self-review yet from: ZP School Chakan, ZP School Medankarwadi." in page
    assert 'aria-current="step"' in page
    advance = url(rw, "review_cycle_advance", year=YEAR)
    refused = coach.post(advance, {"version": rw.cycle.version}, follow=True)
    assert "No submitted self-review yet from" in refused.content.decode()
    assert rw.refresh().stage == Stage.SELF_REVIEW
    self_review(rw, w.school_a1, w.head)
    self_review(rw, w.school_a2, rw.head_a2)
    assert w.client(w.crc).post(advance, {"version": rw.cycle.version}).status_code == 403
    assert w.client(w.head).post(advance, {"version": rw.cycle.version}).status_code == 403
    assert w.client(w.head).get(advance).status_code == 405
    assert coach.post(advance, {"version": rw.cycle.version}).status_code == 302
    assert rw.refresh().stage == Stage.PEER_REVIEW
    # A second click from the same (now stale) page moves nothing.
    stale = coach.post(advance, {"version": rw.cycle.version - 1}, follow=True)
    assert "Someone else changed this" in stale.content.decode()
    assert rw.refresh().stage == Stage.PEER_REVIEW


def test_the_headteacher_writes_the_schools_self_review_on_the_phone_form(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    head = w.client(w.head)
    address = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="self")
    page = head.get(address).content.decode()
    assert page.count('type="radio"') == 4 * 7 and "What to look for" in page
    assert "Needs urgent support" in page
    # A draft with one area left unrated is kept; submitting it says what is missing, and
    # the form keeps what was typed.
    data = ratings_post(rw)
    del data["area_outcomes"]
    assert head.post(address, {**data, "action": "save"}).status_code == 302
    review = SchoolReview.objects.get(school=w.school_a1, kind=SELF)
    assert review.status == SchoolReview.Status.DRAFT and review.ratings.count() == 6
    data["version"] = review.version
    data["strengths"] = "Library period every day"
    refused = head.post(address, {**data, "action": "submit"})
    text = refused.content.decode()
    assert refused.status_code == 200 and "not yet rated: Learning outcomes" in text
    assert "Library period every day" in text
    data["area_outcomes"] = "2"
    done = head.post(address, {**data, "action": "submit"})
    assert done.status_code == 302 and done["Location"] == url(rw, "review_cycle", year=YEAR)
    review.refresh_from_db()
    assert review.status == SchoolReview.Status.SUBMITTED
    assert review.strengths == "Library period every day"


def test_only_the_schools_own_people_write_its_self_review(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    a1_self = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="self")
    for user in (rw.head_a2, w.coach, w.crc, w.teacher):  # teacher: not a network member
        client = w.client(user)
        assert client.post(a1_self, {**ratings_post(rw), "action": "save"}).status_code == 403
        assert 'type="radio"' not in client.get(a1_self).content.decode()
    assert not SchoolReview.objects.exists()


def test_peers_from_other_schools_write_the_peer_review_with_evidence(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    a1_peer = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="peer")
    assert w.client(w.head).post(a1_peer, ratings_post(rw)).status_code == 403  # own school
    client = w.client(rw.head_a2)
    page = client.get(a1_peer).content.decode()
    assert "Head A2" in page and "Head A1" not in page  # the team to choose from
    data = ratings_post(
        rw,
        action="submit",
        visited_on=timezone.localdate().isoformat(),
        virtual="on",
        interviews="Phone call with the SMC chair",
    )
    refused = client.post(a1_peer, data)
    assert "Name at least one reviewer" in refused.content.decode()
    data["reviewers"] = [str(w.person(rw.head_a2).pk)]
    assert client.post(a1_peer, data).status_code == 302
    review = SchoolReview.objects.get(school=w.school_a1, kind=PEER)
    assert review.virtual and review.status == SchoolReview.Status.SUBMITTED
    upload = SimpleUploadedFile("lesson.jpg", b"\xff\xd8\xff\xe0photo", content_type="image/jpeg")
    assert client.post(a1_peer, {"form": "evidence", "files": [upload]}).status_code == 302
    attachment = review.files.get()
    wrong = SimpleUploadedFile("run.exe", b"MZ")
    refused = client.post(a1_peer, {"form": "evidence", "files": [wrong]})
    assert "is not a PDF, a photo" in refused.content.decode()
    # Everyone who sees the network may open the file; nobody else.
    file_url = url(rw, "review_file", file=attachment.pk)
    got = w.client(w.teacher).get(file_url)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    assert got["X-Content-Type-Options"] == "nosniff"
    assert b"".join(got.streaming_content) == b"\xff\xd8\xff\xe0photo"
    assert w.client(w.outsider).get(file_url).status_code == 404


def test_a_review_of_a_passed_stage_is_shown_and_not_editable(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_peer_review(rw)
    a1_self = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="self")
    page = w.client(w.head).get(a1_self).content.decode()
    assert "This stage has passed" in page and 'type="radio"' not in page
    assert "saw teaching" in page
    assert w.client(w.head).post(a1_self, ratings_post(rw)).status_code == 403


def test_the_workshop_page_turns_findings_into_a_plan(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw, a2={"teaching": 1})
    address = url(rw, "review_workshop", year=YEAR)
    assert "Make a plan" not in w.client(w.head).get(address).content.decode()
    assert w.client(w.head).post(address, {"form": "plan", "kind": "network"}).status_code == 403
    coach = w.client(w.coach)
    page = coach.get(address).content.decode()
    assert "Make a plan" in page and "ZP School Medankarwadi" in page
    assert coach.post(address, {"form": "plan", "kind": "network"}).status_code == 302
    plan = ActionPlan.objects.get(cycle=rw.cycle)
    assert plan.goals == "Teaching and learning in classrooms: ZP School Medankarwadi (1)"
    # A school plan without its school: the form comes back with the reason and the title.
    refused = coach.post(address, {"form": "plan", "kind": "school", "title": "Our plan"})
    assert "Choose the school" in refused.content.decode()
    assert 'value="Our plan"' in refused.content.decode()
    action = {
        "form": "action",
        "plan": plan.pk,
        "text": "Pair grade 3 teachers for reading lessons",
        "owner": w.person(rw.head_a2).pk,
        "due_on": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        "success_measure": "Both teachers observed twice",
    }
    assert coach.post(address, action).status_code == 302
    assert plan.actions.count() == 1
    page = coach.get(address).content.decode()
    assert "Pair grade 3 teachers" in page
    meeting = Meeting.objects.create(
        network=rw.nets.cop,
        title="Workshop day",
        template=Meeting.Template.PEER_REVIEW,
        starts_at=timezone.now(),
        mode=Meeting.Mode.IN_PERSON,
    )
    data = {"form": "meeting", "meeting": meeting.pk, "version": rw.refresh().version}
    assert coach.post(address, data).status_code == 302
    assert rw.refresh().workshop == meeting


def test_the_support_page_suggests_pairs_links_them_and_logs_sessions(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_support(rw, a1={"teaching": 4}, a2={"teaching": 1})
    address = url(rw, "review_support", year=YEAR)
    coach = w.client(w.coach)
    page = coach.get(address).content.decode()
    assert "Suggested pairs" in page and "Link these schools" in page
    teaching = rw.framework.areas.get(code="teaching")
    link = {
        "form": "link",
        "helping": w.school_a1.pk,
        "helped": w.school_a2.pk,
        "area": teaching.pk,
        "focus": "Grouping by level",
    }
    assert w.client(w.head).post(address, link).status_code == 403  # a member: no links
    wrong = {**link, "helping": w.school_a2.pk, "helped": w.school_a1.pk, "focus": "Backwards"}
    refused = coach.post(address, wrong).content.decode()
    assert "a helping school is rated 3 or 4" in refused and 'value="Backwards"' in refused
    assert coach.post(address, link).status_code == 302
    created = rw.cycle.links.get()
    assert "Suggested pairs" not in coach.get(address).content.decode()
    # The helped school's head logs a session; a teacher who is no member cannot.
    session = {
        "form": "session",
        "link": created.pk,
        "held_on": timezone.localdate().isoformat(),
        "mode": Meeting.Mode.VIDEO,
        "notes": "Watched a grouped lesson on video",
    }
    assert w.client(w.teacher).post(address, session).status_code == 403
    assert w.client(rw.head_a2).post(address, session).status_code == 302
    assert created.sessions.get().notes == "Watched a grouped lesson on video"
    assert "Watched a grouped lesson" in w.client(w.teacher).get(address).content.decode()


def test_a_schools_history_page(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_workshop(rw, a1={"teaching": 2})
    page = w.client(w.teacher).get(url(rw, "review_history", school=w.school_a1.pk))
    text = page.content.decode()
    assert page.status_code == 200 and "ZP School Chakan: reviews year by year" in text
    assert "Teaching and learning in classrooms" in text


def test_frameworks_are_downloaded_and_loaded_back_as_a_new_version(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    state = w.client(w.state_officer)
    got = state.get(f"/networks/review-frameworks/{rw.framework.pk}.json")
    data = json.loads(got.content)
    assert data["key"] == "school-review" and len(data["areas"]) == 7
    assert (
        w.client(w.coach).get(f"/networks/review-frameworks/{rw.framework.pk}.json").status_code
        == 403
    )
    same = SimpleUploadedFile("f.json", json.dumps(data).encode())
    page = state.post(url(rw, "review_frameworks"), {"file": same}, follow=True)
    assert "Nothing changed" in page.content.decode()
    del data["version"]
    data["areas"][0]["name"]["en"] = "Leading the school"
    changed = SimpleUploadedFile("f.json", json.dumps(data).encode())
    page = state.post(url(rw, "review_frameworks"), {"file": changed}, follow=True)
    assert "Loaded as version 2" in page.content.decode()
    data["areas"][0]["name"] = {}
    bad = SimpleUploadedFile("f.json", json.dumps(data).encode())
    page = state.post(url(rw, "review_frameworks"), {"file": bad})
    assert "Area 1 (“leadership”): “name” is missing" in page.content.decode()
    assert w.client(w.coach).post(url(rw, "review_frameworks"), {"file": bad}).status_code == 403


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("review_cycles", 10),
        ("review_cycle", 15),
        ("review_workshop", 20),
        ("review_support", 17),
        ("review_history", 9),
    ],
)
def test_list_pages_take_a_fixed_number_of_queries(
    rw, django_assert_max_num_queries, name, limit
) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    to_support(rw, a1={"teaching": 4}, a2={"teaching": 1})
    link = svc.support_link_create(
        cycle=rw.cycle,
        helping=w.school_a1,
        helped=w.school_a2,
        area=rw.framework.areas.get(code="teaching"),
        focus="Grouping",
        by=w.coach,
    )
    for day in range(3):
        svc.support_session_log(
            link=link,
            held_on=timezone.localdate() - datetime.timedelta(days=day),
            mode=Meeting.Mode.PHONE,
            notes=f"call {day}",
            by=w.coach,
        )
    kwargs: dict[str, Any] = {"school": w.school_a1.pk} if name == "review_history" else {}
    if name not in ("review_cycles", "review_history"):
        kwargs["year"] = YEAR
    client = w.client(w.coach)
    client.get(url(rw, name, **kwargs))  # warm the session
    with django_assert_max_num_queries(limit):
        assert client.get(url(rw, name, **kwargs)).status_code == 200


def test_the_board_and_workshop_cost_the_same_with_more_schools(rw) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clusterwise.networks.services.networks import schools_add

    w = rw.world
    to_workshop(rw, a2={"teaching": 1})
    client = w.client(w.coach)
    pages = [url(rw, "review_cycle", year=YEAR), url(rw, "review_workshop", year=YEAR)]

    def counts() -> list[int]:
        result = []
        for address in pages:
            client.get(address)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(address).status_code == 200
            result.append(len(queries))
        return result

    before = counts()
    schools_add(network=rw.nets.cop, schools=[w.school_b1], with_headteachers=False, by=None)
    for kind in (SELF, PEER):
        review = SchoolReview.objects.create(
            cycle=rw.cycle, school=w.school_b1, school_path=w.school_b1.path, kind=kind
        )
        for area in rw.framework.areas.all():
            review.ratings.create(area=area, rating=2)
        SchoolReview.objects.filter(pk=review.pk).update(status=SchoolReview.Status.SUBMITTED)
    assert counts() == before
    assert "ZP School Wada" in client.get(pages[0]).content.decode()


def test_a_draft_is_its_writers_until_it_is_submitted(rw) -> None:  # type: ignore[no-untyped-def]
    w = rw.world
    review = self_review(rw, w.school_a1, w.head, submit=False)
    (kept,) = svc.evidence_attach(
        review=review, files=[SimpleUploadedFile("p.pdf", b"%PDF-1")], by=w.head
    )
    a1_self = url(rw, "review_school", year=YEAR, school=w.school_a1.pk, kind="self")
    file_url = url(rw, "review_file", file=kept.pk)
    page = w.client(w.coach).get(a1_self).content.decode()
    assert "Being written" in page and "saw teaching" not in page and "p.pdf" not in page
    assert w.client(w.coach).get(file_url).status_code == 404
    assert w.client(w.head).get(file_url).status_code == 200
    svc.school_review_submit(review=review, version=review.version, by=w.head)
    assert "saw teaching" in w.client(w.coach).get(a1_self).content.decode()
    assert w.client(w.coach).get(file_url).status_code == 200
