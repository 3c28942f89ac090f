"""The growth report's Excel and PDF exports and a CRC's one-page profile, read back as a
user would: the workbook with openpyxl, the PDFs with poppler's pdftotext and pdfinfo."""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clusterwise.org import services as org_services
from clusterwise.org.models import OrgUnit, Role
from clusterwise.programme import services as programme_services
from clusterwise.programme.models import CohortMember
from clusterwise.reports import charts
from clusterwise.skills.models import Framework
from clusterwise.skills.services import assessment_record, framework_load

QUERY = {"before": "baseline", "after": "endline"}
BUNDLED = Path(__file__).resolve().parents[2] / "skills" / "frameworks" / "kpalp_crc.json"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (make check-system)", pytrace=False)
    return path


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The PDF's text with runs of white space made one space."""
    assert content.startswith(b"%PDF")
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    command = [tool("pdftotext"), "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return " ".join(text.split())


def pdf_pages(content: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    command = [tool("pdfinfo"), str(path)]
    info = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


@pytest.fixture
def rated(world, programme):
    """crc_a: baseline 1,1,2,2 → endline 2,2,3,3 (mean 1.5 → 2.5: level 2 → 3, moved up;
    each skill up by one); the outsider crc_b: baseline only (excluded)."""
    coach = world.person(world.coach)

    def rate(member, round_, levels, kind="coach"):
        assessment_record(
            member=member,
            round=round_,
            kind=kind,
            assessor=coach if kind == "coach" else member.person,
            assessed_on=datetime.date(2024, 8, 1),
            levels=dict(zip([s.pk for s in programme.skills], levels, strict=True)),
            by=world.coach,
        )

    rate(programme.crc, "baseline", [1, 1, 2, 2])
    rate(programme.crc, "endline", [2, 2, 3, 3])
    rate(programme.crc, "endline", [4, 4, 4, 4], kind="self")  # never counted in growth
    rate(programme.outsider, "baseline", [2, 2, 2, 2])
    programme.rate = rate
    return programme


@pytest.fixture
def second_district(world, rated):
    """A CRC of another district (D2), in the same cohort, rated in both rounds."""
    district = OrgUnit.objects.add_child(
        world.state, instance=OrgUnit(code="D2", name="Nashik", level="district")
    )
    block = OrgUnit.objects.add_child(
        district, instance=OrgUnit(code="B2", name="Igatpuri", level="block")
    )
    cluster = OrgUnit.objects.add_child(
        block, instance=OrgUnit(code="CC", name="Ghoti Kendra", level="cluster")
    )
    person = org_services.person_create(
        name="Crc Nashik",
        role=Role.CRC,
        org_unit=cluster,
        start_date=datetime.date(2024, 6, 1),
        by=None,
    )
    member = programme_services.member_add(
        cohort=rated.cohort,
        person=person,
        role=CohortMember.Role.CRC,
        joined_on=datetime.date(2024, 7, 1),
        by=None,
    )
    rated.rate(member, "baseline", [1, 1, 1, 1])
    rated.rate(member, "endline", [1, 1, 1, 1])
    return district


def workbook(client, cohort, query=QUERY):
    response = client.get(reverse("reports:growth_xlsx", args=[cohort.pk]), query)
    assert response["Content-Disposition"] == (
        'attachment; filename="growth-pilot-2024-baseline-endline.xlsx"'
    )
    return load_workbook(io.BytesIO(body(response)))


def crc_names(book) -> set[str]:
    return {r[0] for r in list(book["Levels"].iter_rows(values_only=True))[1:]}


def test_the_workbook_holds_the_hand_computed_figures(world, rated) -> None:
    book = workbook(world.client(world.state_officer), rated.cohort)
    assert book.sheetnames == ["Summary", "Levels", "Definitions"]
    rows = list(book["Summary"].iter_rows(values_only=True))
    facts = {r[0]: r[1] for r in rows[:7]}
    assert facts["Cohort"] == "Pilot 2024"
    assert (facts["From round"], facts["To round"]) == ("Baseline", "Endline")
    assert facts["Area"] == "The whole cohort"
    assert facts["Result"] == "100% of 1 CRC moved up at least one level."
    by_label = {r[1]: r for r in rows if r and r[0] in ("Overall", "Theme", "Skill")}
    # compared, excluded, up, stayed, down, share up, mean change, W+, W−, p, r: one CRC
    # rose by one level (mean 1.5 → 2.5), so its one change has rank 1: W+ = 1, W− = 0,
    # the exact two-sided p is 2 × ½ = 1 and r = (1 − 0) / 1 = 1.
    assert by_label["All skills"][2:] == (1, 1, 1, 0, 0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0)
    assert by_label["Data"][2:9] == (1, 1, 1, 0, 0, 1.0, 1.0)  # 1, 1 → 2, 2
    assert by_label["Feedback"][2:9] == (1, 1, 1, 0, 0, 1.0, 1.0)  # 2, 2 → 3, 3
    assert by_label["Data skill 1"][2:9] == (1, 1, 1, 0, 0, 1.0, 1.0)
    levels = list(book["Levels"].iter_rows(values_only=True))
    assert levels[0][:4] == ("CRC", "District", "Block", "Cluster")
    by_name = {r[0]: r for r in levels[1:]}
    assert by_name["Crc A"][1:4] == ("Pune", "Khed", "Chakan Kendra")
    assert by_name["Crc A"][4:12] == (1, 1, 2, 2, 2, 2, 3, 3)  # the self-assessment is not here
    assert by_name["Crc A"][-3:] == (1.5, 2.5, "yes")
    assert by_name["Crc B"][4:12] == (2, 2, 2, 2, None, None, None, None)
    assert by_name["Crc B"][-3:] == (None, None, "excluded")
    definitions = [r[0] for r in book["Definitions"].iter_rows(values_only=True)]
    assert any("Wilcoxon signed-rank test" in d for d in definitions)


def test_each_export_holds_only_the_crcs_the_user_sees(world, rated, second_district) -> None:
    cohort = rated.cohort
    assert crc_names(workbook(world.client(world.state_officer), cohort)) == {
        "Crc A",
        "Crc B",
        "Crc Nashik",
    }
    district_book = workbook(world.client(world.district_officer), cohort)
    assert crc_names(district_book) == {"Crc A", "Crc B"}
    summary = {r[0]: r[1] for r in list(district_book["Summary"].iter_rows(values_only=True))[:7]}
    assert summary["Area"] == "The CRCs you may see"
    assert crc_names(workbook(world.client(world.coach), cohort)) == {"Crc A", "Crc B"}
    assert crc_names(workbook(world.client(world.crc), cohort)) == {"Crc A"}
    assert crc_names(workbook(world.client(world.outsider), cohort)) == {"Crc B"}


def test_an_export_of_one_area_holds_its_crcs_and_an_area_out_of_scope_answers_404(
    world, rated, second_district
) -> None:
    state = world.client(world.state_officer)
    book = workbook(state, rated.cohort, {**QUERY, "within": second_district.pk})
    assert crc_names(book) == {"Crc Nashik"}
    assert {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}["Area"] == "Nashik"
    url = reverse("reports:growth_xlsx", args=[rated.cohort.pk])
    district_officer = world.client(world.district_officer)
    assert district_officer.get(url, {**QUERY, "within": second_district.pk}).status_code == 404
    assert district_officer.get(url, {**QUERY, "within": world.block.pk}).status_code == 200


def test_the_exports_require_the_programme_and_hide_other_cohorts(world, rated) -> None:
    url = reverse("reports:growth_xlsx", args=[rated.cohort.pk])
    pdf_url = reverse("reports:growth_pdf", args=[rated.cohort.pk])
    assert world.client(world.teacher).get(url, QUERY).status_code == 403
    assert world.client(world.teacher).get(pdf_url, QUERY).status_code == 403
    assert world.client(world.head).get(url, QUERY).status_code in (403, 404)
    unknown = reverse("reports:growth_xlsx", args=["7d0c1d5e-1d1b-4f4e-9a51-000000000000"])
    assert world.client(world.crc).get(unknown, QUERY).status_code == 404
    same_round = {"before": "endline", "after": "endline"}
    assert world.client(world.state_officer).get(url, same_round).status_code == 404
    assert Client().get(url, QUERY).status_code == 302  # to the login page


def test_the_workbook_of_many_crcs_takes_a_fixed_number_of_queries(
    world, rated, second_district, django_assert_max_num_queries
) -> None:
    client = world.client(world.state_officer)
    url = reverse("reports:growth_xlsx", args=[rated.cohort.pk])
    with django_assert_max_num_queries(30) as captured:
        body(client.get(url, QUERY))
    few = len(captured)
    for n in range(10):
        person = org_services.person_create(
            name=f"Crc More {n}",
            role=Role.CRC,
            org_unit=world.cluster_a,
            start_date=datetime.date(2024, 6, 1),
            by=None,
        )
        member = programme_services.member_add(
            cohort=rated.cohort, person=person, role=CohortMember.Role.CRC, by=None
        )
        rated.rate(member, "baseline", [1, 2, 3, 4])
    with django_assert_max_num_queries(few):
        assert len(crc_names(load_workbook(io.BytesIO(body(client.get(url, QUERY)))))) == 13


def test_the_growth_pdf_says_the_headline_and_the_tables(world, rated, tmp_path) -> None:
    response = world.client(world.state_officer).get(
        reverse("reports:growth_pdf", args=[rated.cohort.pk]), QUERY
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="growth-pilot-2024-baseline-endline.pdf"'
    )
    text = pdf_text(body(response), tmp_path)
    assert "100% of 1 CRC moved up at least one level." in text
    assert "1 CRC is excluded" in text
    # The overall row: compared 1, excluded 1, moved up 1 (100%), stayed 0, down 0, +1.00,
    # W+ 1, W− 0, p 1, r 1.
    assert re.search(r"All skills 1 1 1 \(100%\) 0 0 \+1\.00 1 0 1\.000 1\.00", text), text
    assert "Data skill 1" in text and "Feedback" in text
    assert "Levels before and after" in text and "How to read this report" in text


def test_the_growth_pdf_in_marathi_is_in_devanagari(world, rated, tmp_path) -> None:
    client = world.client(world.state_officer)
    client.cookies["django_language"] = "mr"
    response = client.get(reverse("reports:growth_pdf", args=[rated.cohort.pk]), QUERY)
    text = pdf_text(body(response), tmp_path)
    assert devanagari(text), text[:300]
    # "1 केंद्रप्रमुखापैकी 100% किमान एक स्तर वर गेले." (pdftotext may split some vowel signs)
    assert re.search(r"1 केंद्रप्रमुख\S* 100%", text), text[:300]


def test_the_pdf_chart_draws_no_words_which_svg_text_in_weasyprint_would_break() -> None:
    names = {1: "प्रारंभिक", 2: "विकसनशील", 3: "प्रवीण", 4: "प्रगत"}
    spec = charts.levels_before_after_spec(
        {1: 3, 2: 1},
        {2: 2, 3: 2},
        level_names=names,
        before_label="पायाभूत",
        after_label="अंतिम",
        count_label="रेटिंग",
        words=False,
    )
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", charts.svg(spec))
    assert labels and all(re.fullmatch(r"[0-9.,]*", label) for label in labels), labels
    with_words = charts.levels_before_after_spec(
        {1: 3},
        {2: 2},
        level_names=names,
        before_label="पायाभूत",
        after_label="अंतिम",
        count_label="n",
    )
    assert any(devanagari(t) for t in re.findall(r">([^<]+)</text>", charts.svg(with_words)))


@pytest.fixture
def busy(world, rated):
    """crc_a went to one workshop and had one coaching visit with an open action."""
    workshop = programme_services.workshop_save(
        cohort=rated.cohort,
        title="Reading data",
        starts_at=timezone.now() - datetime.timedelta(days=3),
        venue="Block office",
        by=world.state_officer,
    )
    programme_services.attendance_record(
        workshop=workshop,
        marks={rated.crc.pk: "present", rated.outsider.pk: "absent"},
        by=world.state_officer,
    )
    programme_services.visit_record(
        coach=rated.coach,
        crc=rated.crc,
        visited_on=timezone.localdate() - datetime.timedelta(days=2),
        place="Chakan",
        actions=[("Share the cluster's results with heads", timezone.localdate())],
        by=world.coach,
    )
    return rated


def test_a_crc_profile_is_one_page_and_only_for_those_who_see_them(world, busy, tmp_path) -> None:
    url = reverse("reports:profile_pdf", args=[busy.crc.pk])
    response = world.client(world.coach).get(url)
    assert response["Content-Disposition"] == (
        'attachment; filename="profile-crc-a-pilot-2024.pdf"'
    )
    content = body(response)
    text = pdf_text(content, tmp_path)
    assert "Crc A" in text and "Pilot 2024" in text and "coach: Coach" in text
    assert "Chakan Kendra, Khed, Pune" in text
    assert "1 of 1 attended (100%)" in text
    assert "1 done of 3 planned" in text
    assert "Share the cluster's results with heads" in text
    # Data skill 1: the coach's 1 then 2; the CRC's own 4 at endline, in its own column.
    assert re.search(r"Data skill 1 1 Beginning – 2 Developing 4 Advanced", text), text
    assert pdf_pages(content, tmp_path) == 1
    assert world.client(world.crc).get(url).status_code == 200  # their own
    assert world.client(world.district_officer).get(url).status_code == 200
    assert world.client(world.outsider).get(url).status_code == 404
    assert world.client(world.teacher).get(url).status_code == 403
    coach_profile = reverse("reports:profile_pdf", args=[busy.coach.pk])
    assert world.client(world.state_officer).get(coach_profile).status_code == 404  # CRCs only


def test_the_profile_of_the_bundled_framework_fits_one_page_in_marathi(
    world, programme, tmp_path
) -> None:
    framework = framework_load(data=json.loads(BUNDLED.read_text(encoding="utf-8")), by=None)
    assert isinstance(framework, Framework)
    cohort = programme_services.cohort_create(
        name="Full framework",
        kind="pilot",
        framework=framework,
        org_unit=world.state,
        starts_on=datetime.date(2024, 7, 1),
        ends_on=datetime.date(2030, 1, 1),
        by=None,
    )
    crc = programme_services.member_add(
        cohort=cohort, person=world.person(world.crc), role=CohortMember.Role.CRC, by=None
    )
    skills = list(framework.skills.all())
    assert len(skills) == 12
    for round_, level in (("baseline", 1), ("midline", 2), ("endline", 3)):
        for kind in ("coach", "self"):
            assessment_record(
                member=crc,
                round=round_,
                kind=kind,
                assessor=world.person(world.crc),
                assessed_on=datetime.date(2024, 8, 1),
                levels={s.pk: level for s in skills},
                by=None,
            )
    client = world.client(world.state_officer)
    client.cookies["django_language"] = "mr"
    content = body(client.get(reverse("reports:profile_pdf", args=[crc.pk])))
    assert pdf_pages(content, tmp_path) == 1
    assert devanagari(pdf_text(content, tmp_path))
