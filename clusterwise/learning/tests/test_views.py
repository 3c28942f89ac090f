"""Learning pages and API: who sees what, small cells hidden the same on every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clusterwise.api.services import token_issue
from clusterwise.core.models import ReadLog
from clusterwise.learning.models import ImportProblem, Result, ResultImport, Round

from .conftest import GOOD_ROWS, run_import, write_csv


def _rows(school: str, n: int, score: int = 8, prefix: str = "") -> list[list[Any]]:
    return [
        [
            school,
            3,
            "A",
            f"{prefix}{school}-{i}",
            "F" if i % 2 else "M",
            "mathematics",
            "place-value",
            score,
            "",
        ]
        for i in range(n)
    ]


@pytest.fixture
def imported(baseline: Round, tmp_path: Path) -> Round:
    # Cluster A: A1 has 12 children, A2 has 3 (a small cell); cluster B: 20.
    rows = _rows("A1", 12) + _rows("A2", 3, score=2) + _rows("B1S", 20, score=5)
    run_import(baseline, write_csv(tmp_path / "r.csv", rows))
    return baseline


def _api(user: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})


def _results(world: Any, user: Any, unit: Any, **query: Any) -> Any:
    response = _api(user).get(
        f"/api/v1/learning/rounds/baseline/units/{unit.pk}/results",
        {"grade": 3, "subject": "mathematics", **query},
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_small_school_and_its_complement_are_hidden_on_every_page(
    world: Any, imported: Round
) -> None:
    cluster = _results(world, world.state_officer, world.cluster_a)
    school_a1 = _results(world, world.state_officer, world.school_a1)
    school_a2 = _results(world, world.state_officer, world.school_a2)

    place = cluster["competencies"].index("place-value")
    # The cluster's own figure (15 children) is shown...
    assert cluster["results"][place]["figure"] == {
        "hidden": False,
        "students": 15,
        "proficient": 80.0,
        "mean": 68.0,
        "levels": None,
    }
    # ...but A2 (3) is hidden, and so is A1 (12): else 15 - 12 would give A2 away.
    assert [c["figures"][place]["hidden"] for c in cluster["children"]] == [True, True]
    assert school_a1["results"][place]["figure"]["hidden"] is True
    assert school_a1["results"][place]["figure"]["students"] is None
    assert school_a2["results"][place]["figure"]["hidden"] is True
    # The same on the page.
    page = world.client(world.state_officer).get(
        reverse("learning:gaps", args=["baseline", world.school_a1.pk]),
        {"grade": 3, "subject": "mathematics"},
    )
    assert "Hidden: too few students to show safely" in page.content.decode()
    assert ">12<" not in page.content.decode()


def test_a_hidden_group_above_hides_it_below(world: Any, imported: Round) -> None:
    # Cluster A's girls (7) are a small cell, so cluster B's girls (10) are hidden in the
    # block's table as its complement; B1S is cluster B's only school, so its girls (and
    # then its boys) must be hidden too, or they would give cluster B's girls away.
    school_b = _results(world, world.state_officer, world.school_b1)
    row = school_b["results"][school_b["competencies"].index("place-value")]
    assert row["figure"]["students"] == 20
    assert (row["girls"]["hidden"], row["boys"]["hidden"]) == (True, True)
    block = _results(world, world.state_officer, world.block)
    row = block["results"][block["competencies"].index("place-value")]
    assert (row["girls"]["students"], row["boys"]["students"]) == (17, 18)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("state_officer", 200),
        ("district_officer", 200),
        ("coach", 200),
        ("crc", 200),
        ("head", 200),
        ("teacher", 200),
    ],
)
def test_every_role_with_an_area_sees_the_pages(
    world: Any, imported: Round, who: str, status: int
) -> None:
    client = world.client(getattr(world, who))
    assert client.get(reverse("learning:index")).status_code == status
    assert client.get(reverse("learning:round", args=["baseline"])).status_code == status
    home = client.get(reverse("learning:gaps_home", args=["baseline"]))
    assert home.status_code == 302
    assert client.get(home["Location"]).status_code == status


def test_units_outside_the_area_answer_404(world: Any, imported: Round) -> None:
    client = world.client(world.crc)  # cluster A
    other = world.cluster_b.pk
    for name in ("learning:gaps", "learning:gaps_chart", "learning:gaps_map"):
        assert client.get(reverse(name, args=["baseline", other])).status_code == 404
    assert (
        client.get(reverse("learning:gaps", args=["baseline", world.school_a1.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("learning:ranking", args=["baseline", world.district.pk])).status_code
        == 404
    )
    assert (
        _api(world.crc).get(f"/api/v1/learning/rounds/baseline/units/{other}/results").status_code
        == 404
    )


def test_the_map_gives_schools_with_their_share_or_nothing(world: Any, imported: Round) -> None:
    from clusterwise.org.models import School

    School.objects.filter(org_unit__code__in=["A1", "A2", "B1S"]).update(
        latitude=18.7, longitude=73.8
    )
    response = world.client(world.state_officer).get(
        reverse("learning:gaps_map", args=["baseline", world.block.pk]),
        {"grade": 3, "subject": "mathematics"},
    )
    features = {f["properties"]["code"]: f["properties"] for f in response.json()["features"]}
    assert features["A1"]["proficient"] is None and features["A1"]["suppressed"] is True
    assert features["B1S"]["proficient"] == 0.0  # 20 children, all scored 5 of 10


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("head", 200),
        ("teacher", 200),
        ("crc", 200),
        ("coach", 403),
        ("state_officer", 403),
        ("district_officer", 403),
        ("outsider", 404),
    ],
)
def test_childrens_own_results_only_for_the_school_and_its_crc(
    world: Any, imported: Round, who: str, status: int
) -> None:
    response = world.client(getattr(world, who)).get(
        reverse("learning:classes", args=["baseline", world.school_a1.pk]), {"grade": 3}
    )
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert "A1-0" in body  # the class table lists the students
        assert "Classes and competencies to re-teach" in body
        # Reading children's own results is logged.
        log = ReadLog.objects.get()
        assert (log.user, log.what, log.org_path, log.rows) == (
            getattr(world, who),
            "learning.class_results",
            world.school_a1.path,
            12,
        )
        assert log.detail == "baseline A1 grade 3"
    else:
        assert not ReadLog.objects.exists()


def test_the_reteach_list_follows_the_rule(world: Any, imported: Round, tmp_path: Path) -> None:
    response = world.client(world.crc).get(
        reverse("learning:classes", args=["baseline", world.school_a2.pk])
    )
    reteach = response.context["reteach"]
    # A2's 3 children scored 2 of 10: all below 75% of the maximum.
    assert [(r.grade, r.section, r.competency.code, r.students, r.struggling) for r in reteach] == [
        (3, "A", "place-value", 3, 3)
    ]
    none = world.client(world.crc).get(
        reverse("learning:classes", args=["baseline", world.school_a1.pk])
    )
    assert none.context["reteach"] == []


def test_managing_rounds_and_imports_needs_the_permission(world: Any, imported: Round) -> None:
    crc = world.client(world.crc)
    assert crc.get(reverse("learning:define")).status_code == 403
    assert crc.get(reverse("learning:import", args=["baseline"])).status_code == 403
    state = world.client(world.state_officer)
    assert state.get(reverse("learning:define")).status_code == 200
    assert state.get(reverse("learning:import", args=["baseline"])).status_code == 200


def test_defining_a_round_on_the_page_keeps_the_text_and_lists_problems(world: Any) -> None:
    client = world.client(world.state_officer)
    text = '{"key": "x", "run_by": "NOPE"}'
    response = client.post(reverse("learning:define"), {"definition": text})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No org unit has this code." in body and "run_by" in body
    assert response.context["form"]["definition"].value() == text
    bad_json = client.post(reverse("learning:define"), {"definition": "{oops"})
    assert "This is not valid JSON" in bad_json.content.decode()

    import json

    from .conftest import round_data

    good = client.post(
        reverse("learning:define"), {"definition": json.dumps(round_data(key="web"))}
    )
    assert good.status_code == 302 and Round.objects.filter(key="web").exists()


def test_uploading_a_file_runs_the_import_and_reports_it(
    world: Any, baseline: Round, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client(world.state_officer)
    bad = [*GOOD_ROWS, ["A1", 9, "A", "z", "F", "language", "read", "", "word"]]
    path = write_csv(tmp_path / "upload.csv", bad)
    with path.open("rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("learning:import", args=["baseline"]), {"file": fh, "mode": "quarantine"}
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "6 rows imported; 1 rows set aside with 1 problems." in body, body[body.find("<main") :]
    assert "The round does not assess grade 9." in body
    batch = ResultImport.objects.get()
    assert Result.objects.count() == 6 and batch.job is not None
    report = client.get(reverse("learning:problems", args=["baseline", batch.pk]))
    assert b"".join(report.streaming_content).decode().splitlines()[1] == (
        "8,grade,9,The round does not assess grade 9."
    )
    aside = client.get(reverse("learning:quarantine", args=["baseline", batch.pk]))
    assert "8,A1,9,A,z,F,language,read,,word" in b"".join(aside.streaming_content).decode()

    # Someone else's job and reports: 404 (the district officer's area does not hold the round).
    other = world.client(world.district_officer)
    assert other.get(response["Location"]).status_code == 404
    assert other.get(reverse("learning:problems", args=["baseline", batch.pk])).status_code == 404


def test_the_api_lists_rounds_imports_and_ranks_blocks(world: Any, imported: Round) -> None:
    api = _api(world.district_officer)
    assert [r["key"] for r in api.get("/api/v1/learning/rounds").json()] == ["baseline"]
    detail = api.get("/api/v1/learning/rounds/baseline").json()
    assert sorted(c["code"] for c in detail["competencies"]) == ["division", "place-value", "read"]
    assert api.get("/api/v1/learning/rounds/baseline/imports").json() == []  # not theirs
    state = _api(world.state_officer).get("/api/v1/learning/rounds/baseline/imports").json()
    assert state[0]["added"] == 35 and state[0]["status"] == "done"
    ranked = api.get(
        f"/api/v1/learning/rounds/baseline/districts/{world.district.pk}/ranking",
        {"subject": "mathematics"},
    ).json()
    assert [(r["code"], r["lowest"]) for r in ranked] == [("B1", True)]
    assert (
        api.get(
            f"/api/v1/learning/rounds/baseline/districts/{world.district.pk}/ranking",
            {"metric": "x"},
        ).status_code
        == 422
    )
    assert _api(world.teacher).get("/api/v1/learning/rounds/nope").status_code == 404
    assert ImportProblem.objects.count() == 0


def test_the_excel_export_hides_what_the_page_hides(world: Any, imported: Round) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    response = world.client(world.state_officer).get(
        reverse("learning:gaps_xlsx", args=["baseline", world.cluster_a.pk]),
        {"grade": 3, "subject": "mathematics"},
    )
    assert response.status_code == 200
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    summary = [row for row in book["Competencies"].iter_rows(values_only=True) if row]
    place = next(row for row in summary if row[0] == "Place value")
    assert place[1:4] == (15, 80.0, 68.0)
    below = list(book["Below"].iter_rows(values_only=True))
    assert [row[:2] for row in below[1:]] == [
        ("A1", "ZP School Chakan"),
        ("A2", "ZP School Medankarwadi"),
    ]
    assert {row[3] for row in below[1:]} == {"•"}  # both schools hidden, as on the page
    outside = world.client(world.crc).get(
        reverse("learning:gaps_xlsx", args=["baseline", world.cluster_b.pk])
    )
    assert outside.status_code == 404


def test_a_round_run_elsewhere_is_invisible(world: Any, baseline: Round, tmp_path: Path) -> None:
    from clusterwise.learning.services import round_load

    from .conftest import round_data

    other = round_load(data=round_data(key="cluster-b", run_by="CB"), by=None)
    batch = run_import(other, write_csv(tmp_path / "b.csv", _rows("B1S", 12)))
    crc_a, crc_b = world.client(world.crc), world.client(world.outsider)
    api_a = _api(world.crc)

    assert crc_b.get(reverse("learning:round", args=["cluster-b"])).status_code == 200
    for url in (
        reverse("learning:round", args=["cluster-b"]),
        reverse("learning:gaps", args=["cluster-b", world.cluster_a.pk]),
        reverse("learning:ranking", args=["cluster-b", world.district.pk]),
        reverse("learning:classes", args=["cluster-b", world.school_a1.pk]),
        reverse("learning:problems", args=["cluster-b", batch.pk]),
    ):
        assert crc_a.get(url).status_code in (403, 404), url
    assert [r["key"] for r in api_a.get("/api/v1/learning/rounds").json()] == ["baseline"]
    for url in (
        "/api/v1/learning/rounds/cluster-b",
        "/api/v1/learning/rounds/cluster-b/imports",
        f"/api/v1/learning/rounds/cluster-b/imports/{batch.pk}",
        f"/api/v1/learning/rounds/cluster-b/units/{world.cluster_a.pk}/results",
    ):
        assert api_a.get(url).status_code == 404, url
    # The state officer sees it, and its import.
    state = _api(world.state_officer)
    assert state.get(f"/api/v1/learning/rounds/cluster-b/imports/{batch.pk}").json()["added"] == 12
