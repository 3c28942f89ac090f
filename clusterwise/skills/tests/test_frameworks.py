"""Framework versions: a published version is frozen, changes make a new version."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from clusterwise.skills import services
from clusterwise.skills.models import Framework, Skill
from conftest import TEST_FRAMEWORK

BUNDLED = Path(__file__).resolve().parents[1] / "frameworks" / "kpalp_crc.json"


def texts(level: str = "") -> dict[str, dict[str, str]]:
    return {str(lv): {"en": f"Level {lv}{level}"} for lv in (1, 2, 3, 4)}


def test_a_published_version_cannot_be_changed(programme) -> None:
    framework = programme.framework
    skill = programme.skills[0]
    theme = skill.theme
    changes = [
        lambda: services.skill_update(
            skill=skill, name={"en": "New"}, descriptors=texts(), indicators=[], by=None
        ),
        lambda: services.skill_add(
            theme=theme, code="data.9", name={"en": "New"}, descriptors=texts(), by=None
        ),
        lambda: services.skill_remove(skill=skill, by=None),
        lambda: services.framework_delete_draft(framework=framework, by=None),
        lambda: services.framework_publish(framework=framework, by=None),
    ]
    for change in changes:
        with pytest.raises(ValidationError, match="is published"):
            change()
    skill.refresh_from_db()
    assert skill.name["en"] == "Data skill 1"
    assert framework.skills.count() == 4


def test_a_new_version_copies_the_skills_and_leaves_the_old_one_as_it_was(programme) -> None:
    v1 = programme.framework
    v2 = services.framework_revise(framework=v1, by=None)
    assert (v2.version, v2.status, v2.based_on) == (2, Framework.Status.DRAFT, v1)
    copied = {s.code: (s.theme.code, s.name, s.descriptors, s.indicators) for s in v2.skills.all()}
    original = {
        s.code: (s.theme.code, s.name, s.descriptors, s.indicators) for s in v1.skills.all()
    }
    assert copied == original
    assert not set(v2.skills.values_list("pk", flat=True)) & set(
        v1.skills.values_list("pk", flat=True)
    )

    skill = v2.skills.get(code="data.1")
    services.skill_update(
        skill=skill, name={"en": "Reads data"}, descriptors=texts(" v2"), indicators=[], by=None
    )
    services.skill_remove(skill=v2.skills.get(code="feedback.2"), by=None)
    services.framework_publish(framework=v2, by=None)

    v1.refresh_from_db()
    assert v1.status == Framework.Status.PUBLISHED
    assert v1.skills.get(code="data.1").name["en"] == "Data skill 1"
    assert v1.skills.get(code="data.1").descriptors["1"] == {"en": "Data 1 at level 1"}
    assert v1.skills.filter(code="feedback.2").exists()
    # The cohort keeps rating against the version it chose.
    programme.cohort.refresh_from_db()
    assert programme.cohort.framework_id == v1.pk


def test_a_framework_has_at_most_one_draft(programme) -> None:
    services.framework_revise(framework=programme.framework, by=None)
    with pytest.raises(ValidationError, match="draft of this framework already exists"):
        services.framework_revise(framework=programme.framework, by=None)
    with pytest.raises(ValidationError, match="draft of this framework exists"):
        services.framework_load(data=TEST_FRAMEWORK, by=None)
    # The database refuses a second draft too, whoever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Framework.objects.create(key=programme.framework.key, version=9, name={"en": "x"})


def test_publishing_checks_every_skill_is_complete(programme) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    skill = draft.skills.get(code="data.2")
    incomplete = {k: v for k, v in skill.descriptors.items() if k != "4"}
    Skill.objects.filter(pk=skill.pk).update(descriptors=incomplete)
    with pytest.raises(ValidationError, match="descriptor for each level"):
        services.framework_publish(framework=draft, by=None)
    Skill.objects.filter(pk=skill.pk).update(descriptors={**incomplete, "4": {"hi": "केवल हिंदी"}})
    with pytest.raises(ValidationError, match="needs an English text"):
        services.framework_publish(framework=draft, by=None)
    draft.refresh_from_db()
    assert draft.status == Framework.Status.DRAFT


def test_a_draft_without_skills_cannot_be_published(programme) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    for skill in draft.skills.all():
        services.skill_remove(skill=skill, by=None)
    with pytest.raises(ValidationError, match="at least one skill"):
        services.framework_publish(framework=draft, by=None)


def test_only_a_published_version_is_retired(programme) -> None:
    draft = services.framework_revise(framework=programme.framework, by=None)
    with pytest.raises(ValidationError, match="Only a published version"):
        services.framework_retire(framework=draft, by=None)
    services.framework_retire(framework=programme.framework, by=None)
    with pytest.raises(ValidationError, match="Only a published version"):
        services.framework_retire(framework=programme.framework, by=None)


def test_loading_a_framework_again_makes_the_next_version(db) -> None:
    first = services.framework_load(data=TEST_FRAMEWORK, by=None)
    changed = copy.deepcopy(TEST_FRAMEWORK)
    changed["themes"][0]["skills"][0]["name"]["en"] = "Reads the class report"
    second = services.framework_load(data=changed, by=None)
    assert (first.version, second.version) == (1, 2)
    assert first.skills.get(code="data.1").name["en"] == "Data skill 1"
    assert second.skills.get(code="data.1").name["en"] == "Reads the class report"


def test_a_framework_with_a_missing_descriptor_is_not_loaded(db) -> None:
    broken = copy.deepcopy(TEST_FRAMEWORK)
    del broken["themes"][1]["skills"][0]["descriptors"]["3"]
    with pytest.raises(ValidationError, match="descriptor for each level"):
        services.framework_load(data=broken, by=None)
    assert not Framework.objects.exists()


@pytest.fixture
def bundled() -> dict:
    if not BUNDLED.exists():
        pytest.skip("the bundled framework file is not written yet")
    return json.loads(BUNDLED.read_text(encoding="utf-8"))


def test_the_bundled_crc_framework_loads_with_three_themes_of_three_to_five_skills(
    db, bundled
) -> None:
    framework = services.framework_load(data=bundled, by=None)
    assert framework.status == Framework.Status.PUBLISHED
    themes = list(framework.themes.prefetch_related("skills"))
    assert len(themes) == 3
    for theme in themes:
        assert 3 <= theme.skills.count() <= 5, theme.code
        for skill in theme.skills.all():
            assert set(skill.descriptors) == {"1", "2", "3", "4"}
            for level_texts in skill.descriptors.values():
                assert {"en", "hi", "mr"} <= set(level_texts), skill.code


def test_the_load_framework_command_loads_the_bundled_file_once_with_if_missing(
    db, bundled
) -> None:
    out = StringIO()
    call_command("load_framework", stdout=out)
    call_command("load_framework", "--if-missing", stdout=out)
    assert Framework.objects.filter(key=bundled["key"]).count() == 1
    assert "already loaded" in out.getvalue()
