"""The demo's learning data: the foundational baseline of 2026 and its endline of 2027, with
per-student results imported through the real pipeline, so the gap analysis and the block
ranking have something to say.

Who is assessed: every school of the first ASSESSED_DISTRICTS districts (the pilot's), at
most SCHOOLS_PER_CLUSTER of each cluster (every school of the small demo; a sample of a big
cluster at larger scales, so the state demo stays quick), grades 2 to 5, every child in
every competency the round assesses in the child's grade. Most grades have 8 to 30
children; small schools have fewer than ten in a grade, so small-cell suppression shows.
A child keeps a pseudonymous ID from baseline to endline (same school year, same grade);
a few are absent at endline and a few joined after the baseline.

The story the numbers tell:
- The pilot "took the lowest-performing block of each district" (demo/programme.py): that
  block (where the district has no pilot, one drawn at random) is clearly the weakest in
  reading level, and weaker in arithmetic; the other blocks vary a little around their
  district, and schools around their block.
- Higher grades score higher; tribal-area schools lower; girls a little lower in
  mathematics and a little higher in language.
- Word problems, and to a lesser degree reading comprehension and place value, are weak
  everywhere, so "competencies to re-teach" lists exist; word problems improve least.
- The endline is better than the baseline on average, and most in the pilot's blocks, which
  close part of their gap.

Each child has one ability per subject (a shared part and a subject part); a result is
that ability plus the school's, block's and district's effects, the grade's step, the
competency's difficulty and some noise, put on the competency's scale (a level, or a score
from 0 to its maximum). Deterministic for a seed. The rounds are defined with round_load
and the results imported with import_results from one CSV file per round, which checks
every row and builds the analytics tables.
"""

from __future__ import annotations

import csv
import json
import math
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from clusterwise.learning.imports import import_results
from clusterwise.learning.models import (
    Competency,
    Level,
    Result,
    ResultCell,
    ResultImport,
    Round,
)
from clusterwise.learning.services import round_load
from clusterwise.org.models import OrgUnit
from clusterwise.programme.models import Cohort, CohortMember

ROUND_FILE = (
    Path(__file__).resolve().parents[1] / "learning" / "rounds" / "foundational_baseline.json"
)
ENDLINE = {
    "key": "2027-endline",
    "name": {
        "en": "Foundational learning endline 2027",
        "mr": "पायाभूत अध्ययन अंतिम चाचणी 2027",
        "hi": "बुनियादी अधिगम अंतिम परीक्षण 2027",
    },
    "starts_on": "2027-02-01",
    "ends_on": "2027-02-28",
}
ASSESSED_DISTRICTS = 3  # the pilot's districts: the whole small demo
SCHOOLS_PER_CLUSTER = 4  # every school of the small demo, a sample of a big cluster
# The tables this module fills, for the generator's ANALYZE after loading.
LEARNING_TABLES = (Round, Level, Competency, ResultImport, Result, ResultCell)
HEADER = [
    "school_code",
    "grade",
    "section",
    "student_id",
    "gender",
    "subject",
    "competency",
    "score",
    "level",
]

# --- the model behind the numbers (in units of a child's ability) -----------------------

GRADE_STEP = 0.55  # a grade higher
CHILD_SHARED = 0.75  # spread of a child's ability common to both subjects
CHILD_SUBJECT = 0.45  # spread of the subject's own part
SCHOOL_SPREAD = 0.25
BLOCK_SPREAD = 0.15  # the ordinary blocks, capped at ±2 spreads
DISTRICT_SPREAD = 0.1
WEAKEST_BLOCK = {"language": -0.6, "mathematics": -0.35}
TRIBAL = -0.4
GIRLS = {"language": 0.05, "mathematics": -0.15}  # against boys
GAIN = 0.3  # baseline to endline, everywhere
PILOT_GAIN = 0.35  # more in the pilot's blocks
GROWTH_SPREAD = 0.2  # children grow unevenly
# Per competency: how hard it is, and how much of the gain it takes.
DIFFICULTY = {
    "read-level": 0.0,
    "read-comprehension": -0.3,
    "write-words": 0.3,
    "arith-level": 0.0,
    "place-value": -0.2,
    "word-problems": -1.2,
}
GAIN_SHARE = {"word-problems": 0.3}
LEVEL_CENTRE = 1.85  # grade 2's level at baseline (before rounding) where no effect pulls
LEVEL_NOISE = 0.4
SCORE_CENTRE = 0.3  # the ability at which half the marks are scored
SCORE_SLOPE = 1.4
SCORE_NOISE = 0.5
# Children per grade: most schools 8 to 30, small ones fewer than ten.
SMALL_SCHOOL_SHARE = 0.12
ABSENT_AT_ENDLINE = 0.04
JOINED_AFTER_BASELINE = 0.03
GIRLS_SHARE = 0.49


@dataclass
class _Competency:
    subject: str
    code: str
    level: bool  # level scale, else score
    top: int  # the highest level's order, or the maximum score
    codes: list[str]  # level codes, lowest first
    difficulty: float
    gain_share: float


@dataclass
class _Child:
    id: str
    gender: str
    ability: dict[str, float]  # by subject, at baseline
    growth: dict[str, float]
    at_baseline: bool
    at_endline: bool


@dataclass
class _School:
    code: str
    path: str
    tribal: bool


class LearningDemo:
    def __init__(
        self,
        rng: random.Random,
        progress: Callable[[int, int], None],
        districts: int,
        schools_per_cluster: int,
    ) -> None:
        self.rng = rng
        self.progress = progress
        self.districts = districts
        self.schools_per_cluster = schools_per_cluster
        self.step = OrgUnit.steplen

    def uid(self, taken: set[str]) -> str:
        """A pseudonymous student ID, unique in its school."""
        while True:
            value = f"{self.rng.getrandbits(40):010X}"
            if value not in taken:
                taken.add(value)
                return value

    # --- where ---------------------------------------------------------------------------

    def schools(self) -> list[_School]:
        """The assessed schools, in tree order."""
        step = self.step
        districts = list(
            OrgUnit.objects.filter(level=settings.ORG_LEVELS[1])
            .order_by("path")
            .values_list("path", flat=True)[: self.districts]
        )
        by_cluster: dict[str, list[_School]] = defaultdict(list)
        for district in districts:
            for path, code, tribal in (
                OrgUnit.objects.filter(level=settings.ORG_SCHOOL_LEVEL, path__startswith=district)
                .order_by("path")
                .values_list("path", "code", "school__tribal_area")
            ):
                by_cluster[path[: 4 * step]].append(_School(code, path, bool(tribal)))
        schools: list[_School] = []
        for cluster in sorted(by_cluster):
            members = by_cluster[cluster]
            if len(members) > self.schools_per_cluster:
                members = sorted(
                    self.rng.sample(members, self.schools_per_cluster), key=lambda s: s.path
                )
            schools.extend(members)
        return schools

    def effects(self, schools: list[_School]) -> tuple[dict[str, dict[str, float]], set[str]]:
        """Each block's effect per subject (its district's included) and the pilot's blocks."""
        step = self.step
        rng = self.rng
        pilot = Counter(
            path[: 3 * step]
            for path in CohortMember.objects.filter(
                cohort__kind=Cohort.Kind.PILOT, role=CohortMember.Role.CRC
            ).values_list("org_path", flat=True)
        )
        blocks_of: dict[str, list[str]] = defaultdict(list)
        for school in schools:
            block = school.path[: 3 * step]
            if block not in blocks_of[block[: 2 * step]]:
                blocks_of[block[: 2 * step]].append(block)
        effect: dict[str, dict[str, float]] = {}
        for blocks in blocks_of.values():
            shift = rng.gauss(0, DISTRICT_SPREAD)
            piloted = [b for b in blocks if pilot[b]]
            # The pilot's block with the most CRCs (the first, if tied); else any block.
            weakest = (
                max(piloted, key=lambda b: (pilot[b], -blocks.index(b)))
                if piloted
                else rng.choice(blocks)
            )
            for block in blocks:
                if block == weakest:
                    effect[block] = {s: shift + e for s, e in WEAKEST_BLOCK.items()}
                else:
                    limit = 2 * BLOCK_SPREAD
                    effect[block] = {
                        s: shift + max(-limit, min(limit, rng.gauss(0, BLOCK_SPREAD)))
                        for s in WEAKEST_BLOCK
                    }
        return effect, set(pilot)

    # --- what ----------------------------------------------------------------------------

    def rounds(self) -> tuple[Round, Round]:
        definition = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
        baseline = round_load(data=definition, by=None)
        endline = round_load(data={**definition, **ENDLINE}, by=None)
        return baseline, endline

    def competencies(self, round_: Round) -> dict[int, list[_Competency]]:
        """The round's competencies per grade, in the round's order."""
        codes: dict[str, list[str]] = defaultdict(list)
        for step in round_.levels.order_by("subject", "order"):
            codes[step.subject].append(step.code)
        by_grade: dict[int, list[_Competency]] = defaultdict(list)
        for comp in round_.competencies.order_by("order"):
            level = comp.scale == Competency.Scale.LEVEL
            item = _Competency(
                comp.subject,
                comp.code,
                level,
                round(comp.max_score),
                codes[comp.subject] if level else [],
                DIFFICULTY.get(comp.code, 0.0),
                GAIN_SHARE.get(comp.code, 1.0),
            )
            for grade in comp.grades:
                by_grade[grade].append(item)
        return by_grade

    def class_sizes(self, grades: list[int]) -> dict[int, int]:
        """Children per grade of one school at baseline."""
        rng = self.rng
        if rng.random() < SMALL_SCHOOL_SHARE:
            usual = rng.randint(4, 9)
        else:
            usual = round(rng.triangular(10, 30, 18))
        return {grade: max(2, usual + rng.randint(-3, 3)) for grade in grades}

    def child(self, taken: set[str], subjects: list[str], *, baseline: bool) -> _Child:
        rng = self.rng
        shared = rng.gauss(0, CHILD_SHARED)
        return _Child(
            self.uid(taken),
            "F" if rng.random() < GIRLS_SHARE else "M",
            {s: shared + rng.gauss(0, CHILD_SUBJECT) for s in subjects},
            {s: rng.gauss(0, GROWTH_SPREAD) for s in subjects},
            at_baseline=baseline,
            at_endline=not baseline or rng.random() >= ABSENT_AT_ENDLINE,
        )

    def mark(self, comp: _Competency, value: float) -> tuple[str, str]:
        """A result of this ability in the competency, as a file has it: (score, level)."""
        if comp.level:
            level = round(LEVEL_CENTRE + value + self.rng.gauss(0, LEVEL_NOISE))
            return "", comp.codes[max(0, min(comp.top, level))]
        x = SCORE_SLOPE * (value - SCORE_CENTRE) + self.rng.gauss(0, SCORE_NOISE)
        mark = round(comp.top / (1 + math.exp(-x)))
        return str(max(0, min(comp.top, mark))), ""

    def write(
        self,
        schools: list[_School],
        baseline: Round,
        endline: Round,
        folder: Path,
    ) -> tuple[Path, Path, int]:
        """One results file per round; how many children were assessed."""
        rng = self.rng
        step = self.step
        effect, pilot = self.effects(schools)
        base_comps = self.competencies(baseline)
        end_comps = self.competencies(endline)
        grades = sorted(baseline.grades)
        subjects = sorted({c.subject for comps in base_comps.values() for c in comps})
        paths = (folder / f"{baseline.key}.csv", folder / f"{endline.key}.csv")
        children_count = 0
        with (
            paths[0].open("w", encoding="utf-8", newline="") as base_file,
            paths[1].open("w", encoding="utf-8", newline="") as end_file,
        ):
            writers = (csv.writer(base_file), csv.writer(end_file))
            for writer in writers:
                writer.writerow(HEADER)
            for done, school in enumerate(schools, start=1):
                block = school.path[: 3 * step]
                school_shift = rng.gauss(0, SCHOOL_SPREAD) + (TRIBAL if school.tribal else 0.0)
                place = {s: effect[block][s] + school_shift for s in subjects}
                gain = GAIN + (PILOT_GAIN if block in pilot else 0.0)
                taken: set[str] = set()
                for grade, size in self.class_sizes(grades).items():
                    kids = [self.child(taken, subjects, baseline=True) for _ in range(size)]
                    joined = sum(rng.random() < JOINED_AFTER_BASELINE for _ in range(size))
                    kids += [self.child(taken, subjects, baseline=False) for _ in range(joined)]
                    kids.sort(key=lambda c: c.id)
                    sections = "AB" if size > 24 else "A"
                    for index, kid in enumerate(kids):
                        section = sections[index % len(sections)]
                        mean = {
                            s: GRADE_STEP * (grade - 2)
                            + place[s]
                            + kid.ability[s]
                            + (GIRLS[s] / 2 if kid.gender == "F" else -GIRLS[s] / 2)
                            for s in subjects
                        }
                        for writer, comps, present, later in (
                            (writers[0], base_comps, kid.at_baseline, False),
                            (writers[1], end_comps, kid.at_endline, True),
                        ):
                            if not present:
                                continue
                            for comp in comps[grade]:
                                value = mean[comp.subject] + comp.difficulty
                                if later:
                                    value += gain * comp.gain_share + kid.growth[comp.subject]
                                score, level = self.mark(comp, value)
                                writer.writerow(
                                    (
                                        school.code,
                                        grade,
                                        section,
                                        kid.id,
                                        kid.gender,
                                        comp.subject,
                                        comp.code,
                                        score,
                                        level,
                                    )
                                )
                    children_count += len(kids)
                if done % 50 == 0 or done == len(schools):
                    self.progress(done, 3 * len(schools))
        return paths[0], paths[1], children_count

    def load(self, round_: Round, path: Path, offset: int, share: int) -> ResultImport:
        """Import one round's file; refuse to go on unless every row went in."""

        def report(done: int, total: int) -> None:
            self.progress(offset + min(share, share * done // max(total, 1)), 3 * share)

        batch = import_results(
            round_=round_,
            path=path,
            file_name=f"demo-{path.name}",
            by=None,
            progress=report,
        )
        if batch.status != ResultImport.Status.DONE or batch.errors:
            problems = "; ".join(
                f"row {p.line}, {p.column} {p.value!r}: {p.reason}"
                for p in batch.problems.order_by("line")[:5]
            )
            raise RuntimeError(
                f"The demo's {round_.key} results were not imported ({batch.status}, "
                f"{batch.errors} errors): {batch.message} {problems}".strip()
            )
        report(1, 1)
        return batch

    def run(self) -> dict[str, int]:
        schools = self.schools()
        if not schools:
            return {}
        share = len(schools)
        self.progress(0, 3 * share)
        with (
            transaction.atomic(),
            tempfile.TemporaryDirectory(prefix="clusterwise-learning-") as folder,
        ):
            baseline, endline = self.rounds()
            base_path, end_path, children = self.write(schools, baseline, endline, Path(folder))
            batches = [
                self.load(baseline, base_path, share, share),
                self.load(endline, end_path, 2 * share, share),
            ]
        return {
            "learning_rounds": 2,
            "learning_schools": len(schools),
            "learning_students": children,
            "learning_results": sum(b.added for b in batches),
            "learning_cells": ResultCell.objects.filter(round__in=[baseline, endline]).count(),
        }


def load_learning(
    rng: random.Random,
    progress: Callable[[int, int], None],
    *,
    districts: int = ASSESSED_DISTRICTS,
    schools_per_cluster: int = SCHOOLS_PER_CLUSTER,
) -> dict[str, int]:
    """Add the learning rounds and results to a freshly generated demo state (after the
    programme, whose pilot blocks it reads): the first `districts` districts, at most
    `schools_per_cluster` schools of each cluster."""
    return LearningDemo(rng, progress, districts, schools_per_cluster).run()
