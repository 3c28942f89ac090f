"""The growth report's Excel and PDF exports and a CRC's one-page profile, read back as a
user would: the workbook with openpyxl, the PDFs with poppler's pdftotext and pdfinfo."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clusterwise.skills.services import assessment_record

QUERY = {"before": "baseline", "after": "endline"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (make check-system)", pytrace=False)
    return path


def pdf_text(content: bytes, tmp_path: Path) -> str:
    assert content.startswith(b"%PDF")
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    command = [tool("pdftotext"), "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def pdf_pages(content: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    command = [tool("pdfinfo"), str(path)]
    info = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture
def rated(world, programme):
    """crc_a: baseline 1,1,2,2 → endline 2,2,3,3 (mean 1.5 → 2.5: level 2 → 3, moved up);
    the outsider crc_b: baseline only (excluded)."""
    coach = world.person(world.coach)

    def rate(member, round_, levels):
        assessment_record(
            member=member,
            round=round_,
            kind="coach",
            assessor=coach,
            assessed_on=datetime.date(2024, 8, 1),
            levels=dict(zip([s.pk for s in programme.skills], levels, strict=True)),
            by=world.coach,
        )

    rate(programme.crc, "baseline", [1, 1, 2, 2])
    rate(programme.crc, "endline", [2, 2, 3, 3])
    rate(programme.outsider, "baseline", [2, 2, 2, 2])
    return programme


def workbook(client, cohort):
    response = client.get(reverse("reports:growth_xlsx", args=[cohort.pk]), QUERY)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_the_workbook_holds_the_hand_computed_figures(world, rated) -> None:
    book = workbook(world.client(world.state_officer), rated.cohort)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    overall = next(r for r in rows if r and r[1] == "All skills")
    # compared, excluded, up, stayed, down, share, mean change, W+, W−, p, r
    assert overall[2:9] == (1, 1, 1, 0, 0, 1.0, 1.0)
    assert overall[9:11] == (1.0, 0.0)
    assert overall[12] == 1.0
    data_skill = next(r for r in rows if r and r[1] == "Data skill 1")
    assert data_skill[2:5] == (1, 1, 1)
    levels = list(book["Levels"].iter_rows(values_only=True))
    by_name = {r[0]: r for r in levels[1:]}
    assert by_name["Crc A"][4:12] == (1, 1, 2, 2, 2, 2, 3, 3)
    assert by_name["Crc A"][-3:] == (1.5, 2.5, "yes")
    assert by_name["Crc B"][-1] == "excluded"
    assert book["Definitions"].max_row >= 4


def test_each_export_holds_only_the_crcs_the_user_sees(world, rated) -> None:
    def names(user):
        book = workbook(world.client(user), rated.cohort)
        return {r[0] for r in list(book["Levels"].iter_rows(values_only=True))[1:]}

    assert names(world.district_officer) == {"Crc A", "Crc B"}
    assert names(world.coach) == {"Crc A", "Crc B"}
    assert names(world.crc) == {"Crc A"}


def test_the_exports_require_the_programme_and_hide_other_cohorts(world, rated) -> None:
    url = reverse("reports:growth_xlsx", args=[rated.cohort.pk])
    assert world.client(world.teacher).get(url, QUERY).status_code == 403
    assert (
        world.client(world.crc)
        .get(reverse("reports:growth_xlsx", args=["7d0c1d5e-1d1b-4f4e-9a51-000000000000"]), QUERY)
        .status_code
        == 404
    )
    assert (
        world.client(world.state_officer)
        .get(url, {"before": "endline", "after": "endline"})
        .status_code
        == 404
    )


def test_the_growth_pdf_says_the_headline(world, rated, tmp_path) -> None:
    response = world.client(world.state_officer).get(
        reverse("reports:growth_pdf", args=[rated.cohort.pk]), QUERY
    )
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "100% of 1 CRCs moved up at least one level." in " ".join(text.split())
    assert "1 CRC is excluded" in text


def test_the_growth_pdf_in_marathi_is_in_devanagari(world, rated, tmp_path) -> None:
    client = world.client(world.state_officer)
    client.cookies["django_language"] = "mr"
    response = client.get(reverse("reports:growth_pdf", args=[rated.cohort.pk]), QUERY)
    text = pdf_text(response.content, tmp_path)
    assert any("\u0900" <= ch <= "\u097f" for ch in text), text[:300]


def test_a_crc_profile_is_one_page_and_only_for_those_who_see_them(world, rated, tmp_path) -> None:
    url = reverse("reports:profile_pdf", args=[rated.crc.pk])
    response = world.client(world.coach).get(url)
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert "Crc A" in text and "Pilot 2024" in text
    assert pdf_pages(response.content, tmp_path) == 1
    assert world.client(world.crc).get(url).status_code == 200
    assert world.client(world.outsider).get(url).status_code == 404
    assert world.client(world.teacher).get(url).status_code == 403


def test_the_profile_of_the_bundled_framework_fits_one_page(world, programme, tmp_path) -> None:
    import json

    from clusterwise.programme import services
    from clusterwise.programme.models import CohortMember
    from clusterwise.skills.models import Framework
    from clusterwise.skills.services import framework_load

    path = Path(__file__).resolve().parents[2] / "skills" / "frameworks" / "kpalp_crc.json"
    framework = framework_load(data=json.loads(path.read_text(encoding="utf-8")), by=None)
    assert isinstance(framework, Framework)
    cohort = services.cohort_create(
        name="Full framework",
        kind="pilot",
        framework=framework,
        org_unit=world.state,
        starts_on=datetime.date(2024, 7, 1),
        ends_on=datetime.date(2030, 1, 1),
        by=None,
    )
    crc = services.member_add(
        cohort=cohort, person=world.person(world.crc), role=CohortMember.Role.CRC, by=None
    )
    for round_, level in (("baseline", 1), ("midline", 2), ("endline", 3)):
        for kind in ("coach", "self"):
            assessment_record(
                member=crc,
                round=round_,
                kind=kind,
                assessor=world.person(world.crc),
                assessed_on=datetime.date(2024, 8, 1),
                levels={s.pk: level for s in framework.skills.all()},
                by=None,
            )
    client = world.client(world.state_officer)
    client.cookies["django_language"] = "mr"
    response = client.get(reverse("reports:profile_pdf", args=[crc.pk]))
    assert pdf_pages(response.content, tmp_path) == 1
