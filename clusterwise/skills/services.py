"""Every write to skill frameworks and skill assessments."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.i18n import missing_languages

from .models import LEVELS, Assessment, Framework, Rating, Round, Skill, Theme

if TYPE_CHECKING:
    from clusterwise.org.models import Person, User
    from clusterwise.programme.models import CohortMember

REQUIRED_LANGUAGES = ("en",)
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


# --- frameworks ---------------------------------------------------------------------


def _require_draft(framework: Framework) -> None:
    if framework.is_frozen:
        raise ValidationError(
            _(
                "Version %(version)s is published, and cohorts may be using it: make a new "
                "version to change it."
            )
            % {"version": framework.version}
        )


def _check_text(texts: Any, where: str) -> dict[str, str]:
    if not isinstance(texts, dict) or missing_languages(texts, REQUIRED_LANGUAGES):
        raise ValidationError(_("%(where)s needs an English text.") % {"where": where})
    return {code: str(text).strip() for code, text in texts.items() if str(text).strip()}


def _check_skill_texts(
    name: Any, descriptors: Any, indicators: Any, where: str
) -> tuple[dict[str, str], dict[str, dict[str, str]], list[dict[str, str]]]:
    name = _check_text(name, where)
    if not isinstance(descriptors, dict) or {str(k) for k in descriptors} != {
        str(lv) for lv in LEVELS
    }:
        raise ValidationError(
            _("%(where)s needs a descriptor for each level 1 to 4.") % {"where": where}
        )
    clean_descriptors = {
        str(level): _check_text(
            descriptors[str(level)] if str(level) in descriptors else descriptors[level],
            _("%(where)s, level %(level)s") % {"where": where, "level": level},
        )
        for level in LEVELS
    }
    clean_indicators = [
        _check_text(ind, _("%(where)s, indicator %(n)s") % {"where": where, "n": n})
        for n, ind in enumerate(indicators or [], start=1)
    ]
    return name, clean_descriptors, clean_indicators


@transaction.atomic
def framework_load(*, data: dict[str, Any], by: User | None, publish: bool = True) -> Framework:
    """Create a framework version from its JSON form (see skills/frameworks/kpalp_crc.json).

    The next free version of the key is used, so loading again never changes a version
    cohorts may use."""
    key = str(data.get("key", "")).strip()
    if not re.match(r"^[-a-z0-9_]{1,60}$", key):
        raise ValidationError(
            _("The framework needs a key of lowercase letters, digits and dashes.")
        )
    themes = data.get("themes") or []
    if not themes:
        raise ValidationError(_("The framework needs at least one theme."))
    last = Framework.objects.filter(key=key).aggregate(v=Max("version"))["v"] or 0
    if Framework.objects.filter(key=key, status=Framework.Status.DRAFT).exists():
        raise ValidationError(_("A draft of this framework exists: publish or delete it first."))
    framework = Framework(
        key=key,
        version=last + 1,
        name=_check_text(data.get("name"), _("The framework name")),
        description=data.get("description") or {},
        created_by=by,
    )
    audited_save(framework, by=by, reason="loaded")
    seen_skills: set[str] = set()
    for t_index, theme_data in enumerate(themes):
        code = str(theme_data.get("code", ""))
        if not _CODE.match(code):
            raise ValidationError(_("Theme %(n)s has no valid code.") % {"n": t_index + 1})
        theme = Theme.objects.create(
            framework=framework,
            code=code,
            order=t_index,
            name=_check_text(theme_data.get("name"), _("Theme %(code)s") % {"code": code}),
        )
        for s_index, skill_data in enumerate(theme_data.get("skills") or []):
            skill_code = str(skill_data.get("code", ""))
            if not _CODE.match(skill_code) or skill_code in seen_skills:
                raise ValidationError(
                    _("Skill %(n)s of theme %(code)s has no valid, unique code.")
                    % {"n": s_index + 1, "code": code}
                )
            seen_skills.add(skill_code)
            name, descriptors, indicators = _check_skill_texts(
                skill_data.get("name"),
                skill_data.get("descriptors"),
                skill_data.get("indicators"),
                _("Skill %(code)s") % {"code": skill_code},
            )
            Skill.objects.create(
                framework=framework,
                theme=theme,
                code=skill_code,
                order=s_index,
                name=name,
                descriptors=descriptors,
                indicators=indicators,
            )
    if not seen_skills:
        raise ValidationError(_("The framework needs at least one skill."))
    if publish:
        framework_publish(framework=framework, by=by)
    return framework


@transaction.atomic
def framework_revise(*, framework: Framework, by: User | None) -> Framework:
    """A new draft version copying `framework`'s themes and skills, ready to change."""
    if Framework.objects.filter(key=framework.key, status=Framework.Status.DRAFT).exists():
        raise ValidationError(_("A draft of this framework already exists: change that one."))
    last = Framework.objects.filter(key=framework.key).aggregate(v=Max("version"))["v"]
    draft = Framework(
        key=framework.key,
        version=last + 1,
        name=framework.name,
        description=framework.description,
        based_on=framework,
        created_by=by,
    )
    audited_save(draft, by=by, reason=f"revision of v{framework.version}")
    for theme in framework.themes.prefetch_related("skills"):
        new_theme = Theme.objects.create(
            framework=draft, code=theme.code, order=theme.order, name=theme.name
        )
        Skill.objects.bulk_create(
            Skill(
                framework=draft,
                theme=new_theme,
                code=skill.code,
                order=skill.order,
                name=skill.name,
                descriptors=skill.descriptors,
                indicators=skill.indicators,
            )
            for skill in theme.skills.all()
        )
    return draft


@transaction.atomic
def framework_publish(*, framework: Framework, by: User | None) -> Framework:
    """Freeze a draft so cohorts can use it; it can no longer change."""
    _require_draft(framework)
    skills = list(framework.skills.all())
    if not skills:
        raise ValidationError(_("A framework needs at least one skill before it is published."))
    for skill in skills:
        _check_skill_texts(skill.name, skill.descriptors, skill.indicators, skill.code)
    framework.status = Framework.Status.PUBLISHED
    framework.published_at = timezone.now()
    return audited_save(framework, by=by, reason="published")  # type: ignore[return-value]


@transaction.atomic
def framework_retire(*, framework: Framework, by: User | None) -> Framework:
    """No new cohorts on this version; cohorts using it carry on."""
    if framework.status != Framework.Status.PUBLISHED:
        raise ValidationError(_("Only a published version can be retired."))
    framework.status = Framework.Status.RETIRED
    return audited_save(framework, by=by, reason="retired")  # type: ignore[return-value]


@transaction.atomic
def framework_delete_draft(*, framework: Framework, by: User | None) -> None:
    _require_draft(framework)
    framework._history_user = by  # type: ignore[attr-defined]
    framework.delete()


@transaction.atomic
def skill_update(
    *,
    skill: Skill,
    by: User | None,
    name: dict[str, str],
    descriptors: dict[str, dict[str, str]],
    indicators: list[dict[str, str]],
) -> Skill:
    """Change a skill's texts; only in a draft version."""
    framework = Framework.objects.select_for_update().get(pk=skill.framework_id)
    _require_draft(framework)
    skill.name, skill.descriptors, skill.indicators = _check_skill_texts(
        name, descriptors, indicators, skill.code
    )
    skill.save()
    framework.updated_at = timezone.now()
    audited_save(framework, by=by, reason=f"changed skill {skill.code}", validate=False)
    return skill


@transaction.atomic
def skill_add(
    *,
    theme: Theme,
    code: str,
    by: User | None,
    name: dict[str, str],
    descriptors: dict[str, dict[str, str]],
    indicators: list[dict[str, str]] | None = None,
) -> Skill:
    framework = Framework.objects.select_for_update().get(pk=theme.framework_id)
    _require_draft(framework)
    if not _CODE.match(code):
        raise ValidationError({"code": _("Use lowercase letters, digits, dots and dashes.")})
    if framework.skills.filter(code=code).exists():
        raise ValidationError({"code": _("This framework already has a skill with this code.")})
    name, descriptors, clean_indicators = _check_skill_texts(name, descriptors, indicators, code)
    order = (theme.skills.aggregate(o=Max("order"))["o"] or 0) + 1
    skill = Skill.objects.create(
        framework=framework,
        theme=theme,
        code=code,
        order=order,
        name=name,
        descriptors=descriptors,
        indicators=clean_indicators,
    )
    audited_save(framework, by=by, reason=f"added skill {code}", validate=False)
    return skill


@transaction.atomic
def skill_remove(*, skill: Skill, by: User | None) -> None:
    framework = Framework.objects.select_for_update().get(pk=skill.framework_id)
    _require_draft(framework)
    code = skill.code
    skill.delete()
    audited_save(framework, by=by, reason=f"removed skill {code}", validate=False)


# --- assessments --------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *,
    member: CohortMember,
    round: str,
    kind: str,
    assessor: Person,
    assessed_on: datetime.date,
    levels: dict[Any, int],
    evidence: dict[Any, str] | None = None,
    note: str = "",
    version: int | None = None,
    by: User | None,
) -> Assessment:
    """Record (or correct) a CRC's rating of every skill of their cohort's framework.

    `levels` maps skill id → level 1–4 and must rate every skill. Saving again for the
    same CRC, round and kind replaces the ratings (quoting `version` guards against
    overwriting someone else's correction)."""
    from clusterwise.programme.models import CohortMember

    evidence = evidence or {}
    if member.role != CohortMember.Role.CRC:
        raise ValidationError(_("Only CRCs are assessed."))
    if round not in Round.values:
        raise ValidationError({"round": _("Unknown round.")})
    if kind not in Assessment.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of assessment.")})
    cohort = member.cohort
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("The date is in the future.")})
    skills = {str(s.pk): s for s in Skill.objects.filter(framework_id=cohort.framework_id)}
    given = {str(k): v for k, v in levels.items()}
    errors: dict[str, list[str]] = {}
    for key in given:
        if key not in skills:
            errors.setdefault("levels", []).append(
                _("A skill is not part of this cohort's framework.")
            )
    for key in skills:
        value = given.get(key)
        if value in (None, ""):
            errors.setdefault(f"skill_{key}", []).append(_("Rate this skill."))
            continue
        try:
            level = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            level = 0
        if level not in LEVELS:
            errors.setdefault(f"skill_{key}", []).append(_("Choose a level from 1 to 4."))
        given[key] = level
    if errors:
        raise ValidationError(errors)
    assessment = (
        Assessment.objects.select_for_update().filter(member=member, round=round, kind=kind).first()
    )
    if assessment is None:
        assessment = Assessment(cohort=cohort, member=member, round=round, kind=kind, created_by=by)
    else:
        claim_version(assessment, version)
    assessment.assessor = assessor
    assessment.assessed_on = assessed_on
    assessment.note = note
    audited_save(assessment, by=by)
    Rating.objects.filter(assessment=assessment).delete()
    bulk_create_with_history(
        [
            Rating(
                assessment=assessment,
                skill=skill,
                level=given[key],
                evidence=(evidence.get(key) or evidence.get(skill.pk) or "").strip(),  # type: ignore[call-overload]
                cohort=cohort,
                member=member,
                round=round,
                kind=kind,
            )
            for key, skill in skills.items()
        ],
        Rating,
        default_user=by,
    )
    return assessment
