"""The skills pages: each works, requires the role, and hides the other cluster."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from clusterwise.org import services as org_services
from clusterwise.org.models import Role
from clusterwise.programme import services as programme_services
from clusterwise.programme.models import CohortMember
from clusterwise.reports.charts import LEVEL_COLOURS
from clusterwise.skills import selectors, services
from clusterwise.skills.models import Assessment, Framework, Rating, Skill

DAY = datetime.date(2024, 8, 1)


def record(programme, member, round, levels, *, kind="coach", on=DAY):
    """Rate `member`'s skills in order: levels[i] is the level of programme.skills[i]."""
    return services.assessment_record(
        member=member,
        round=round,
        kind=kind,
        assessor=programme.coach.person if kind == "coach" else member.person,
        assessed_on=on,
        levels={s.pk: lv for s, lv in zip(programme.skills, levels, strict=True)},
        evidence={},
        by=None,
    )


def assess_url(member, round="baseline", kind="coach"):
    return reverse("skills:assess", args=[member.pk, round, kind])


def html(response) -> str:
    return response.content.decode()


# --- frameworks --------------------------------------------------------------------------


def test_the_framework_list_shows_each_version_with_its_skills_and_cohorts(
    world, programme
) -> None:
    response = world.client(world.state_officer).get(reverse("skills:frameworks"))
    assert response.status_code == 200
    row = re.search(r"<tr>\s*<td><a[^>]*>Test CRC skills</a>.*?</tr>", html(response), re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[1:] == ["<code>test-crc</code>", "1", cells[3], "4", "1"]
    assert "Published" in cells[3]


def test_drafts_are_listed_only_for_those_who_edit_frameworks(world, programme) -> None:
    services.framework_revise(framework=programme.framework, by=None)
    admin = html(world.client(world.state_officer).get(reverse("skills:frameworks")))
    coach = html(world.client(world.coach).get(reverse("skills:frameworks")))
    assert "Draft" in admin
    assert "Draft" not in coach
    assert "Test CRC skills" in coach


def test_a_draft_answers_404_to_someone_who_cannot_edit_it(world, programme) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    url = reverse("skills:framework", args=[draft.pk])
    assert world.client(world.coach).get(url).status_code == 404
    assert world.client(world.state_officer).get(url).status_code == 200


def test_the_framework_page_shows_descriptors_and_indicators_in_the_readers_language(
    world, programme
) -> None:
    client = world.client(world.coach)
    url = reverse("skills:framework", args=[programme.framework.pk])
    english = html(client.get(url))
    assert "Data skill 1" in english
    assert "Data 1 at level 3" in english
    assert "Look for data 1" in english
    assert "Proficient" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    hindi = html(client.get(url))
    assert "कौशल 1" in hindi
    assert "Data skill 1" not in hindi
    # The descriptors have no Hindi text: the reader gets English, and sees which
    # languages each text is written in.
    assert "Data 1 at level 3" in hindi
    assert "[English, हिन्दी]" in hindi
    assert "[English]" in hindi


def test_a_published_version_shows_no_edit_buttons(world, programme) -> None:
    page = html(
        world.client(world.state_officer).get(
            reverse("skills:framework", args=[programme.framework.pk])
        )
    )
    skill = programme.skills[0]
    assert reverse("skills:skill_edit", args=[skill.pk]) not in page
    assert reverse("skills:skill_remove", args=[skill.pk]) not in page
    assert reverse("skills:framework_revise", args=[programme.framework.pk]) in page


def test_a_post_editing_a_published_skill_answers_the_clear_error(world, programme) -> None:
    skill = programme.skills[0]
    data = skill_post(name_en="Renamed")
    response = world.client(world.state_officer).post(
        reverse("skills:skill_edit", args=[skill.pk]), data
    )
    assert response.status_code == 200
    assert "is published, and cohorts may be using it" in html(response)
    skill.refresh_from_db()
    assert skill.name["en"] == "Data skill 1"


def skill_post(**changes: str) -> dict[str, str]:
    data = {"name_en": "Reads a class report", "name_hi": "", "name_mr": ""}
    for level in (1, 2, 3, 4):
        data[f"d{level}_en"] = f"Level {level} text"
        data[f"d{level}_hi"] = ""
        data[f"d{level}_mr"] = f"स्तर {level}"
    data["indicators_en"] = "Names the weakest competency\nPlans one step"
    data["indicators_hi"] = ""
    data["indicators_mr"] = "कमकुवत क्षमता सांगतो"
    data.update(changes)
    return data


def test_a_state_admin_makes_a_new_version_edits_a_skill_and_publishes_it(world, programme) -> None:
    client = world.client(world.state_officer)
    v1 = programme.framework
    response = client.post(reverse("skills:framework_revise", args=[v1.pk]))
    draft = Framework.objects.get(key=v1.key, status=Framework.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == reverse("skills:framework", args=[draft.pk])
    assert draft.version == 2

    page = html(client.get(reverse("skills:framework", args=[draft.pk])))
    skill = draft.skills.get(code="data.1")
    assert reverse("skills:skill_edit", args=[skill.pk]) in page

    edit = reverse("skills:skill_edit", args=[skill.pk])
    assert 'value="Data skill 1"' in html(client.get(edit))
    response = client.post(edit, skill_post())
    assert response.status_code == 302
    skill.refresh_from_db()
    assert skill.name == {"en": "Reads a class report"}
    assert skill.descriptors["2"] == {"en": "Level 2 text", "mr": "स्तर 2"}
    assert skill.indicators == [
        {"en": "Names the weakest competency", "mr": "कमकुवत क्षमता सांगतो"},
        {"en": "Plans one step"},
    ]
    assert v1.skills.get(code="data.1").name["en"] == "Data skill 1"

    response = client.post(reverse("skills:framework_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Framework.Status.PUBLISHED
    v1.refresh_from_db()
    assert v1.status == Framework.Status.PUBLISHED


def test_a_second_new_version_is_refused_while_a_draft_exists(world, programme) -> None:
    client = world.client(world.state_officer)
    url = reverse("skills:framework_revise", args=[programme.framework.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "A draft of this framework already exists" in html(response)
    assert Framework.objects.filter(key=programme.framework.key).count() == 2


def test_the_skill_form_keeps_what_was_typed_on_an_error(world, programme) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    skill = draft.skills.get(code="data.1")
    response = world.client(world.state_officer).post(
        reverse("skills:skill_edit", args=[skill.pk]),
        skill_post(name_en="A name I typed", d3_en="", indicators_mr="एक\nदोन\nतीन"),
    )
    page = html(response)
    assert response.status_code == 200
    assert 'value="A name I typed"' in page
    assert "स्तर 3" in page
    assert "This field is required." in page
    assert "More lines than in English" in page
    skill.refresh_from_db()
    assert skill.name["en"] == "Data skill 1"


def test_editing_a_skill_keeps_its_texts_in_languages_the_form_does_not_show(
    world, programme
) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    skill = draft.skills.get(code="data.1")
    Skill.objects.filter(pk=skill.pk).update(
        name={"en": "Data skill 1", "sw": "Ujuzi wa data"},
        descriptors={str(lv): {"en": f"L{lv}", "sw": f"Kiwango {lv}"} for lv in (1, 2, 3, 4)},
        indicators=[{"en": "Look", "sw": "Angalia"}],
    )
    response = world.client(world.state_officer).post(
        reverse("skills:skill_edit", args=[skill.pk]), skill_post()
    )
    assert response.status_code == 302
    skill.refresh_from_db()
    assert skill.name == {"en": "Reads a class report", "sw": "Ujuzi wa data"}
    assert skill.descriptors["4"] == {"en": "Level 4 text", "mr": "स्तर 4", "sw": "Kiwango 4"}
    assert skill.indicators[0]["sw"] == "Angalia"


def test_a_state_admin_adds_and_removes_a_skill_of_a_draft(world, programme) -> None:
    client = world.client(world.state_officer)
    draft = services.framework_revise(framework=programme.framework, by=None)
    theme = draft.themes.get(code="data")
    add = reverse("skills:skill_add", args=[draft.pk, theme.pk])
    taken = client.post(add, skill_post(code="data.1"))
    assert "already has a skill with this code" in html(taken)
    assert 'value="Reads a class report"' in html(taken)
    response = client.post(add, skill_post(code="data.3"))
    assert response.status_code == 302
    added = draft.skills.get(code="data.3")
    assert added.theme == theme

    remove = reverse("skills:skill_remove", args=[added.pk])
    assert "Remove the skill" in html(client.get(remove))
    client.post(remove)
    assert not draft.skills.filter(code="data.3").exists()


def test_a_state_admin_retires_a_version_and_deletes_a_draft(world, programme) -> None:
    client = world.client(world.state_officer)
    draft = services.framework_revise(framework=programme.framework, by=None)
    client.post(reverse("skills:framework_delete", args=[draft.pk]))
    assert not Framework.objects.filter(pk=draft.pk).exists()
    client.post(reverse("skills:framework_retire", args=[programme.framework.pk]))
    programme.framework.refresh_from_db()
    assert programme.framework.status == Framework.Status.RETIRED


def test_deleting_a_published_version_is_refused(world, programme) -> None:
    client = world.client(world.state_officer)
    response = client.post(
        reverse("skills:framework_delete", args=[programme.framework.pk]), follow=True
    )
    assert "is published" in html(response)
    assert Framework.objects.filter(pk=programme.framework.pk).exists()


def test_changing_frameworks_requires_the_state_admin(world, programme) -> None:
    framework = programme.framework
    draft = services.framework_revise(framework=framework, by=None)
    skill = draft.skills.first()
    theme = draft.themes.first()
    client = world.client(world.district_officer)
    for url in (
        reverse("skills:framework_revise", args=[framework.pk]),
        reverse("skills:framework_publish", args=[draft.pk]),
        reverse("skills:framework_retire", args=[framework.pk]),
        reverse("skills:framework_delete", args=[draft.pk]),
        reverse("skills:skill_edit", args=[skill.pk]),
        reverse("skills:skill_add", args=[draft.pk, theme.pk]),
        reverse("skills:skill_remove", args=[skill.pk]),
    ):
        assert client.post(url, skill_post()).status_code == 403, url
    assert Framework.objects.get(pk=draft.pk).status == Framework.Status.DRAFT
    assert draft.skills.count() == 4


# --- assessments ---------------------------------------------------------------------------


def assessment_post(programme, levels, **extra: str) -> dict[str, str]:
    data = {"assessed_on": "2024-08-01", "note": "", "version": ""}
    for skill, level in zip(programme.skills, levels, strict=True):
        data[f"skill_{skill.pk}"] = str(level) if level else ""
        data[f"evidence_{skill.pk}"] = f"Seen with {skill.code}"
    data.update(extra)
    return data


def test_the_assessment_form_shows_every_skill_with_its_four_levels(world, programme) -> None:
    response = world.client(world.coach).get(assess_url(programme.crc))
    page = html(response)
    assert response.status_code == 200
    for skill in programme.skills:
        assert page.count(f'name="skill_{skill.pk}"') == 4
        assert f'name="evidence_{skill.pk}"' in page
    assert "Feedback 2 at level 4" in page
    assert "Beginning" in page and "Advanced" in page
    assert page.index("Data skill 1") < page.index("Feedback skill 1")


def test_a_coach_records_an_assessment(world, programme) -> None:
    client = world.client(world.coach)
    response = client.post(assess_url(programme.crc), assessment_post(programme, [1, 2, 3, 4]))
    assert response.status_code == 302
    assessment = Assessment.objects.get(member=programme.crc, round="baseline", kind="coach")
    assert assessment.assessor == world.person(world.coach)
    levels = {r.skill.code: (r.level, r.evidence) for r in assessment.ratings.all()}
    assert levels["feedback.1"] == (3, "Seen with feedback.1")
    # The saved page clears the copy kept on the phone and shows what was saved.
    saved = html(client.get(response["Location"]))
    assert "data-draft-saved" in saved
    assert f'id="id_skill_{programme.skills[3].pk}_4" value="4" checked' in saved
    assert "The assessment was saved." in saved


def test_the_assessment_form_keeps_what_was_typed_and_marks_the_unrated_skill(
    world, programme
) -> None:
    missing = programme.skills[2]
    response = world.client(world.coach).post(
        assess_url(programme.crc),
        assessment_post(programme, [4, 3, None, 1], note="Met at the cluster centre"),
    )
    page = html(response)
    assert response.status_code == 200
    assert f'id="skill_{missing.pk}_error">Rate this skill.' in page
    assert f"Seen with {missing.code}" in page
    assert "Met at the cluster centre" in page
    assert f'id="id_skill_{programme.skills[0].pk}_4" value="4" checked' in page
    assert not Assessment.objects.exists()


def test_a_date_in_the_future_is_refused_and_nothing_is_lost(world, programme) -> None:
    response = world.client(world.coach).post(
        assess_url(programme.crc),
        assessment_post(programme, [2, 2, 2, 2], assessed_on="2999-01-01"),
    )
    page = html(response)
    assert "The date is in the future." in page
    assert 'value="2999-01-01"' in page
    assert not Assessment.objects.exists()


def test_the_form_is_prefilled_and_a_stale_edit_is_refused(world, programme) -> None:
    assessment = record(programme, programme.crc, "baseline", [1, 1, 2, 2])
    client = world.client(world.coach)
    page = html(client.get(assess_url(programme.crc)))
    assert f'name="version" value="{assessment.version}"' in page
    assert f'id="id_skill_{programme.skills[3].pk}_2" value="2" checked' in page
    # Someone else corrects it meanwhile.
    services.assessment_record(
        member=programme.crc,
        round="baseline",
        kind="coach",
        assessor=programme.coach.person,
        assessed_on=DAY,
        levels={s.pk: 3 for s in programme.skills},
        version=assessment.version,
        by=None,
    )
    response = client.post(
        assess_url(programme.crc),
        assessment_post(programme, [4, 4, 4, 4], version=str(assessment.version)),
    )
    assert "Someone else changed this" in html(response)
    assert set(Rating.objects.filter(member=programme.crc).values_list("level", flat=True)) == {3}


def test_a_first_assessment_saved_meanwhile_by_someone_else_is_not_overwritten(
    world, programme
) -> None:
    client = world.client(world.coach)
    assert re.search(
        r'<input type="hidden" name="version" [^>]*id="id_version"',
        html(client.get(assess_url(programme.crc))),
    )
    record(programme, programme.crc, "baseline", [3, 3, 3, 3])
    response = client.post(assess_url(programme.crc), assessment_post(programme, [1, 1, 1, 1]))
    assert "Someone else changed this" in html(response)
    assert set(Rating.objects.filter(member=programme.crc).values_list("level", flat=True)) == {3}


def test_a_crc_assesses_themself_but_not_as_their_coach(world, programme) -> None:
    client = world.client(world.crc)
    assert client.get(assess_url(programme.crc, kind="coach")).status_code == 403
    response = client.post(
        assess_url(programme.crc, kind="self"), assessment_post(programme, [2, 2, 3, 3])
    )
    assert response.status_code == 302
    own = Assessment.objects.get(member=programme.crc, kind="self")
    assert own.assessor == programme.crc.person
    assert not Assessment.objects.filter(kind="coach").exists()


def test_the_coach_cannot_fill_in_a_self_assessment(world, programme) -> None:
    assert world.client(world.coach).get(assess_url(programme.crc, kind="self")).status_code == 403


def test_the_coach_sees_the_self_assessment_apart_from_their_own_rating(world, programme) -> None:
    record(programme, programme.crc, "baseline", [4, 4, 4, 4], kind="self")
    record(programme, programme.crc, "baseline", [1, 1, 1, 1])
    page = html(world.client(world.coach).get(assess_url(programme.crc)))
    assert page.count('class="small mb-2 self-rating"') == 4
    assert f'id="id_skill_{programme.skills[0].pk}_1" value="1" checked' in page
    assert f'id="id_skill_{programme.skills[0].pk}_4" value="4" checked' not in page


def test_crc_b_cannot_open_crc_as_assessment_form(world, programme) -> None:
    client = world.client(world.outsider)
    for kind in ("coach", "self"):
        assert client.get(assess_url(programme.crc, kind=kind)).status_code == 404
    assert (
        client.post(
            assess_url(programme.crc, kind="self"), assessment_post(programme, [4, 4, 4, 4])
        ).status_code
        == 404
    )
    assert not Assessment.objects.exists()


def test_an_unknown_round_or_kind_answers_404(world, programme) -> None:
    client = world.client(world.coach)
    assert client.get(assess_url(programme.crc, round="final")).status_code == 404
    assert client.get(assess_url(programme.crc, kind="peer")).status_code == 404
    assert client.get(assess_url(programme.coach)).status_code == 404


def test_the_district_officer_assesses_any_crc_of_a_cohort_they_manage(world, programme) -> None:
    # The cohort is run by the state: a district officer sees its CRCs but does not manage it.
    client = world.client(world.district_officer)
    assert client.get(assess_url(programme.outsider)).status_code == 403
    assert world.client(world.state_officer).get(assess_url(programme.outsider)).status_code == 200


# --- the skill matrix --------------------------------------------------------------------


def get_matrix(client, programme, **query):
    return client.get(reverse("skills:matrix", args=[programme.cohort.pk]), query)


@pytest.fixture
def rated(programme):
    """crc_a: baseline 1,1,2,2 → endline 2,2,3,3; crc_b: baseline 1,2,3,4 only."""
    record(programme, programme.crc, "baseline", [1, 1, 2, 2])
    record(programme, programme.crc, "endline", [2, 2, 3, 3])
    record(programme, programme.outsider, "baseline", [1, 2, 3, 4])
    return programme


def matrix_rows(page: str) -> dict[str, list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name = re.search(r"<a [^>]*>(.*?)</a>", row).group(1)
        rows[name] = re.findall(r'<td tabindex="0"[^>]*>(.*?)</td>', row)
    return rows


def test_the_district_officer_sees_every_crc_in_the_matrix(world, rated) -> None:
    response = get_matrix(world.client(world.district_officer), rated, round="baseline")
    assert response.status_code == 200
    assert matrix_rows(html(response)) == {
        "Crc A": ["1", "1", "2", "2"],
        "Crc B": ["1", "2", "3", "4"],
    }


def test_each_cell_prints_its_level_and_carries_its_descriptor(world, rated) -> None:
    page = html(get_matrix(world.client(world.coach), rated, round="baseline"))
    skill = rated.skills[3]
    cell = f'<td tabindex="0" class="cell level-4" data-s="{skill.pk}" data-l="4" title="4 Advanced: Feedback 2 at level 4">4</td>'
    assert cell in page
    assert 'aria-live="polite"' in page
    assert 'id="matrix-data" type="application/json"' in page
    assert "skills/matrix.js" in page
    assert reverse("programme:member", args=[rated.crc.pk]) in page


def test_the_matrix_shows_a_legend_and_the_spread_of_levels(world, rated) -> None:
    page = html(get_matrix(world.client(world.coach), rated, round="baseline"))
    for name in ("Beginning", "Developing", "Proficient", "Advanced"):
        assert name in page
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    counts = [
        re.findall(r'<td class="text-center dist">(\d+)</td>', row)
        for row in foot.split("</tr>")[1:5]
    ]
    # Skills in order; crc_a 1,1,2,2 and crc_b 1,2,3,4.
    assert counts == [
        ["2", "1", "0", "0"],
        ["0", "1", "1", "1"],
        ["0", "0", "1", "0"],
        ["0", "0", "0", "1"],
    ]


def test_the_spread_counts_every_page(world, rated, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "MATRIX_PAGE_SIZE", 1)
    page = html(get_matrix(world.client(world.coach), rated, round="baseline"))
    assert len(matrix_rows(page)) == 1
    assert "Page 1 of 2" in page
    foot = page.split("<tfoot>", 1)[1]
    assert re.findall(r'<td class="text-center dist">(\d+)</td>', foot)[0] == "2"


def test_crc_b_does_not_see_crc_as_row(world, rated) -> None:
    response = get_matrix(world.client(world.outsider), rated, round="baseline")
    assert response.status_code == 200
    assert matrix_rows(html(response)) == {"Crc B": ["1", "2", "3", "4"]}


def test_the_matrix_filters_by_block_theme_round_and_kind(world, rated) -> None:
    record(rated, rated.crc, "baseline", [4, 3, 2, 1], kind="self")
    client = world.client(world.district_officer)
    theme = rated.skills[2].theme
    page = html(get_matrix(client, rated, round="endline", theme=theme.pk, block=world.block.pk))
    assert matrix_rows(page) == {"Crc A": ["3", "3"], "Crc B": ["–", "–"]}
    assert "Data skill 1" not in page.split("<table", 1)[1]
    own = html(get_matrix(client, rated, round="baseline", kind="self"))
    assert matrix_rows(own) == {"Crc A": ["4", "3", "2", "1"], "Crc B": ["–"] * 4}


def test_the_district_and_block_choices_are_those_of_the_cohort_in_scope(world, rated) -> None:
    page = html(get_matrix(world.client(world.district_officer), rated))
    assert f'<option value="{world.district.pk}">Pune</option>' in page
    assert f'<option value="{world.block.pk}">Khed</option>' in page
    crc_page = html(get_matrix(world.client(world.outsider), rated))
    assert f'value="{world.district.pk}"' not in crc_page


def test_a_unit_outside_the_choices_is_a_form_error(world, rated) -> None:
    client = world.client(world.district_officer)
    response = get_matrix(client, rated, district=world.cluster_a.pk)
    assert response.status_code == 200
    assert "Select a valid choice" in html(response)
    assert "<tbody>" not in html(response)


def test_the_matrix_defaults_to_the_latest_round_with_data(world, rated) -> None:
    page = html(get_matrix(world.client(world.district_officer), rated))
    assert matrix_rows(page)["Crc A"] == ["2", "2", "3", "3"]
    assert '<option value="endline" selected>' in page


def test_the_matrix_requires_a_programme_role_and_a_visible_cohort(world, rated) -> None:
    assert get_matrix(world.client(world.teacher), rated).status_code == 403
    other = programme_services.cohort_create(
        name="Elsewhere",
        kind="basic",
        framework=rated.framework,
        org_unit=world.cluster_b,
        starts_on=DAY,
        ends_on=DAY,
        by=None,
    )
    url = reverse("skills:matrix", args=[other.pk])
    assert world.client(world.crc).get(url).status_code == 404


def test_the_matrix_colours_are_the_charts_colour_blind_safe_palette() -> None:
    css = (Path(__file__).parents[1] / "static" / "skills" / "skills.css").read_text()
    for level, colour in enumerate(LEVEL_COLOURS, start=1):
        assert re.search(rf"\.matrix \.level-{level}[^{{]*\{{ background: {colour};", css), level


def add_crcs(world, programme, n: int) -> None:
    """n more CRCs in cluster A, each rated in the baseline."""
    for i in range(n):
        person = org_services.person_create(
            name=f"Extra CRC {i:02d}",
            role=Role.CRC,
            org_unit=world.cluster_a,
            start_date=datetime.date(2024, 6, 1),
            by=None,
        )
        member = programme_services.member_add(
            cohort=programme.cohort,
            person=person,
            role=CohortMember.Role.CRC,
            supported_by=programme.coach,
            joined_on=datetime.date(2024, 7, 1),
            by=None,
        )
        record(programme, member, "baseline", [1 + i % 4, 2, 3, 4])


def count_queries(client, url, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


def test_the_matrix_makes_the_same_few_queries_however_many_crcs(
    world, rated, django_assert_max_num_queries
) -> None:
    client = world.client(world.district_officer)
    url = reverse("skills:matrix", args=[rated.cohort.pk])
    query = {"round": "baseline", "block": str(world.block.pk)}
    few = count_queries(client, url, query)
    add_crcs(world, rated, 12)
    assert count_queries(client, url, query) == few
    with django_assert_max_num_queries(20):
        client.get(url, query)


# --- growth ------------------------------------------------------------------------------


def get_growth(client, programme, **query):
    return client.get(reverse("skills:growth", args=[programme.cohort.pk]), query)


def test_the_growth_page_says_who_moved_up_and_who_was_excluded(world, rated) -> None:
    response = get_growth(
        world.client(world.district_officer), rated, before="baseline", after="endline"
    )
    page = html(response)
    assert response.status_code == 200
    assert "100% of 1 CRC moved up at least one level." in page
    assert "1 CRC is excluded: a round or a rating is missing." in page
    assert "Wilcoxon signed-rank test" in page
    assert "halves round up" in page
    chart = (
        reverse("skills:growth_chart", args=[rated.cohort.pk])
        + "?before=baseline&amp;after=endline"
    )
    assert f'src="{chart}"' in page
    # The data table beside the chart: crc_a's ratings 1,1,2,2 → 2,2,3,3.
    table = page.split("Ratings at each level", 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<td class="text-end">(\d+)</td>', table) == [
        "2",
        "0",
        "2",
        "2",
        "0",
        "2",
        "0",
        "0",
    ]


def test_the_growth_tables_give_the_test_per_theme_and_skill(world, rated) -> None:
    page = html(get_growth(world.client(world.coach), rated, before="baseline", after="endline"))
    skill_table = page.split('id="by-skill"', 1)[1].split("</table>", 1)[0]
    row = re.search(r"Data skill 1</th>(.*?)</tr>", skill_table, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    # compared, excluded, moved up, stayed, down, mean change, W+, W−, p, r
    assert cells == ["1", "1", "1 (100%)", "0", "0", "+1.00", "1", "0", "1.000", "1.00"]


def test_comparing_a_round_with_itself_is_a_form_error(world, rated) -> None:
    page = html(get_growth(world.client(world.coach), rated, before="endline", after="endline"))
    assert "Choose two different rounds to compare." in page
    assert "moved up at least one level" not in page


def test_an_unknown_round_is_a_form_error(world, rated) -> None:
    page = html(get_growth(world.client(world.coach), rated, before="start", after="endline"))
    assert "Select a valid choice" in page
    url = reverse("skills:growth_chart", args=[rated.cohort.pk])
    assert world.client(world.coach).get(url, {"before": "x", "after": "y"}).status_code == 404


def test_the_growth_chart_is_an_svg_image(world, rated) -> None:
    response = world.client(world.coach).get(
        reverse("skills:growth_chart", args=[rated.cohort.pk]),
        {"before": "baseline", "after": "endline"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")
    assert b"Baseline" in response.content and b"Endline" in response.content


def test_growth_hides_the_other_cluster(world, rated) -> None:
    record(rated, rated.outsider, "endline", [1, 2, 3, 4])
    outsider = html(
        get_growth(world.client(world.outsider), rated, before="baseline", after="endline")
    )
    assert "0% of 1 CRC moved up at least one level." in outsider
    everyone = html(
        get_growth(world.client(world.district_officer), rated, before="baseline", after="endline")
    )
    assert "50% of 2 CRCs moved up at least one level." in everyone


def test_growth_narrows_to_an_area(world, rated) -> None:
    record(rated, rated.outsider, "endline", [1, 2, 3, 4])
    page = html(
        get_growth(
            world.client(world.district_officer),
            rated,
            before="baseline",
            after="endline",
            within=str(world.block.pk),
        )
    )
    assert "50% of 2 CRCs" in page
    assert f"?before=baseline&amp;after=endline&amp;within={world.block.pk}" in page


def test_growth_requires_a_programme_role(world, rated) -> None:
    assert get_growth(world.client(world.teacher), rated).status_code == 403


def test_growth_links_to_the_exports_once_they_exist(world, rated) -> None:
    try:
        xlsx = reverse("reports:growth_xlsx", args=[rated.cohort.pk])
        pdf = reverse("reports:growth_pdf", args=[rated.cohort.pk])
    except NoReverseMatch:
        pytest.skip("the reports app has no growth exports yet")
    page = html(get_growth(world.client(world.coach), rated, before="baseline", after="endline"))
    assert f'href="{xlsx}?before=baseline&amp;after=endline"' in page
    assert f'href="{pdf}?before=baseline&amp;after=endline"' in page


def test_the_growth_page_makes_the_same_few_queries_however_many_crcs(
    world, rated, django_assert_max_num_queries
) -> None:
    client = world.client(world.district_officer)
    url = reverse("skills:growth", args=[rated.cohort.pk])
    query = {"before": "baseline", "after": "endline"}
    few = count_queries(client, url, query)
    add_crcs(world, rated, 12)
    assert count_queries(client, url, query) == few
    with django_assert_max_num_queries(16):
        client.get(url, query)
