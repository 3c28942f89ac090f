"""The demo's CRC programme: a pilot cohort of 93 CRCs in three districts and a scale-up
cohort, with workshops, attendance, field assignments and reviews, coaching visits and
skill assessments, so that every programme page shows real-looking data.

Deterministic for a seed. The pilot's endline is drawn so that about 63% of the CRCs
compared move up at least one level overall (the definition of skills/growth.py), as the
programme's pilot reported; a few CRCs miss their endline, so the report's "excluded"
shows. Rows are bulk-inserted without history: nobody edited demo data.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from clusterwise.core.scope import prefix_q
from clusterwise.org.models import Assignment, OrgUnit, Role
from clusterwise.programme.models import (
    Attendance,
    CoachingVisit,
    Cohort,
    CohortMember,
    FieldAssignment,
    Submission,
    VisitAction,
    Workshop,
)
from clusterwise.skills.growth import whole_level
from clusterwise.skills.models import Assessment, Framework, Rating
from clusterwise.skills.services import framework_load

FRAMEWORK = Path(__file__).resolve().parents[1] / "skills" / "frameworks" / "kpalp_crc.json"
PILOT_PER_DISTRICT = 31
PILOT_DISTRICTS = 3
MOVED_UP_SHARE = 0.63
MISSING_ENDLINE = 3

EVIDENCE = {
    1: ["Could not yet do this during the visit.", "Needed step-by-step help."],
    2: ["Did this with some prompting.", "Partly done; missed the key point once."],
    3: ["Did this on their own during the visit.", "Clear example seen in the cluster meeting."],
    4: ["Did this well and helped a colleague do it.", "Teachers now do this without the CRC."],
}
VENUES = ["DIET Pune", "Block resource centre", "Zilla Parishad hall", "Cluster school"]
ACTIONS = [
    "Share the reading results with each headteacher",
    "Observe two Class 3 lessons with the tool",
    "Write feedback with one next step for each teacher observed",
    "Agree the cluster's two learning priorities with headteachers",
    "Run the cluster meeting on the weakest competency",
    "Follow up last month's feedback with three teachers",
]


class ProgrammeDemo:
    def __init__(
        self, rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
    ):
        self.rng = rng
        self.today = today
        self.progress = progress
        self.framework = self._framework()
        self.skills = list(
            self.framework.skills.select_related("theme").order_by("theme__order", "order")
        )
        self.themes = list(self.framework.themes.order_by("order"))

    def _framework(self) -> Framework:
        existing = Framework.objects.filter(
            key="kpalp-crc", status=Framework.Status.PUBLISHED
        ).first()
        if existing:
            return existing
        return framework_load(data=json.loads(FRAMEWORK.read_text(encoding="utf-8")), by=None)

    def at(self, days: int, hour: int = 10) -> datetime.datetime:
        day = self.today + datetime.timedelta(days=days)
        return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))

    def day(self, days: int) -> datetime.date:
        return self.today + datetime.timedelta(days=days)

    # --- people -----------------------------------------------------------------------

    def posts(self, role: str, unit: OrgUnit) -> list[Assignment]:
        """Posts under a unit; the demo logins first, so they lead the cascade."""
        posts = list(
            Assignment.objects.filter(
                prefix_q("org_path", unit.path), role=role, end_date__isnull=True
            )
            .select_related("org_unit")
            .order_by("org_path", "start_date", "id")
        )
        return sorted(posts, key=lambda p: (p.org_path, p.person.user_id is None))

    def run(self) -> dict[str, int]:
        state = OrgUnit.objects.get_root_nodes().first()
        districts = list(OrgUnit.objects.filter(level="district").order_by("path"))
        pilot_districts = districts[:PILOT_DISTRICTS]
        expert_post = self.posts(Role.STATE_ADMIN, state)[0]
        with transaction.atomic():
            pilot = Cohort.objects.create(
                name="KPALP pilot",
                kind=Cohort.Kind.PILOT,
                framework=self.framework,
                org_unit=state,
                org_path=state.path,
                starts_on=self.day(-300),
                ends_on=self.day(60),
                visits_planned=3,
            )
            scale_up = Cohort.objects.create(
                name="KPALP scale-up, batch 2",
                kind=Cohort.Kind.BASIC,
                framework=self.framework,
                org_unit=state,
                org_path=state.path,
                starts_on=self.day(-90),
                ends_on=self.day(270),
                visits_planned=3,
            )
            pilot_crcs: list[CohortMember] = []
            scale_crcs: list[CohortMember] = []
            for cohort, crc_target in ((pilot, pilot_crcs), (scale_up, scale_crcs)):
                expert = self.member(cohort, expert_post, CohortMember.Role.EXPERT, None)
                for d_index, district in enumerate(districts):
                    crc_posts = self.posts(Role.CRC, district)
                    if cohort is pilot:
                        if district not in pilot_districts:
                            continue
                        chosen = crc_posts[:PILOT_PER_DISTRICT]
                    elif district in pilot_districts:
                        chosen = crc_posts[PILOT_PER_DISTRICT:]
                    else:  # the scale-up reaches the first block of every other district
                        blocks = OrgUnit.objects.filter(
                            prefix_q("path", district.path), level="block"
                        ).order_by("path")
                        first_block = blocks.first()
                        chosen = [
                            p
                            for p in crc_posts
                            if first_block and p.org_path.startswith(first_block.path)
                        ]
                    if not chosen:
                        continue
                    mf_posts = self.posts(Role.MASTER_FACILITATOR, district)
                    mf = (
                        self.member(
                            cohort, mf_posts[0], CohortMember.Role.MASTER_FACILITATOR, expert
                        )
                        if mf_posts
                        else None
                    )
                    coaches: dict[str, list[CohortMember]] = {}
                    for post in chosen:
                        block_path = post.org_path[: -OrgUnit.steplen]
                        if block_path not in coaches:
                            block = OrgUnit.objects.get(path=block_path)
                            coaches[block_path] = [
                                self.member(cohort, p, CohortMember.Role.COACH, mf)
                                for p in self.posts(Role.COACH, block)
                            ]
                        block_coaches = coaches[block_path]
                        index = len([c for c in crc_target if c.org_path.startswith(block_path)])
                        coach = block_coaches[index % len(block_coaches)] if block_coaches else None
                        crc_target.append(self.member(cohort, post, CohortMember.Role.CRC, coach))
                    self.progress(d_index + 1, len(districts))
            counts = self.pilot_activity(pilot, pilot_crcs)
            counts.update(self.scale_up_activity(scale_up, scale_crcs))
        counts["pilot_crcs"] = len(pilot_crcs)
        counts["scale_up_crcs"] = len(scale_crcs)
        return counts

    def member(
        self, cohort: Cohort, post: Assignment, role: str, supported_by: CohortMember | None
    ) -> CohortMember:
        existing = CohortMember.objects.filter(cohort=cohort, person_id=post.person_id).first()
        if existing:
            return existing
        return CohortMember.objects.create(
            cohort=cohort,
            person_id=post.person_id,
            role=role,
            supported_by=supported_by,
            org_unit=post.org_unit,
            org_path=post.org_path,
            joined_on=cohort.starts_on,
        )

    # --- what happened in each cohort ---------------------------------------------------------

    def workshops(
        self, cohort: Cohort, days: list[int], crcs: list[CohortMember], attendance: bool
    ) -> int:
        staff = list(
            cohort.members.exclude(role__in=[CohortMember.Role.CRC, CohortMember.Role.EXPERT])
        )
        titles = [
            ("Reading learning data", "data"),
            ("Observing a lesson and writing feedback", "observation"),
            ("Planning the cluster's year", "planning"),
            ("Review: from data to feedback to plans", None),
        ]
        themes = {t.code: t for t in self.themes}
        marks = []
        for index, offset in enumerate(days):
            title, theme = titles[index % len(titles)]
            virtual = index == 2
            workshop = Workshop.objects.create(
                cohort=cohort,
                title=title,
                theme=themes.get(theme) if theme else None,
                starts_at=self.at(offset),
                venue="" if virtual else self.rng.choice(VENUES),
                online_link="https://meet.example.org/kpalp-" + str(index + 1) if virtual else "",
            )
            workshop.facilitators.set(self.rng.sample(staff, min(3, len(staff))))
            if attendance and offset <= 0:
                for crc in crcs:
                    roll = self.rng.random()
                    status = "present" if roll < 0.85 else "late" if roll < 0.92 else "absent"
                    marks.append(Attendance(workshop=workshop, member=crc, status=status))
        Attendance.objects.bulk_create(marks, batch_size=2000)
        return len(marks)

    def field_work(
        self, cohort: Cohort, crcs: list[CohortMember], dues: list[int], handed_in: float
    ) -> int:
        themes = list(self.themes)
        tasks = [
            (
                "Read your cluster's assessment results",
                "Make a one-page summary of the reading results of your cluster's schools: the share of students at each level per school, and the two weakest competencies.",
                "Shows the share at each level per school\nNames the two weakest competencies with evidence\nSays what to discuss with headteachers",
            ),
            (
                "Written feedback to two teachers",
                "Observe two lessons with the observation tool and give each teacher written feedback. Hand in a photo of the feedback you wrote.",
                "Names a specific strength\nGives one or two focused next steps\nFeedback is based on what was observed",
            ),
            (
                "Draft the cluster development plan",
                "With your headteachers, agree two learning priorities and write actions with owners and dates.",
                "Priorities come from evidence\nEvery action has an owner and a date\nProgress can be measured | 4",
            ),
        ]
        submissions = []
        from clusterwise.programme.services import parse_rubric

        for index, offset in enumerate(dues):
            title, instructions, rubric = tasks[index % len(tasks)]
            fa = FieldAssignment.objects.create(
                cohort=cohort,
                title=title,
                instructions=instructions,
                due_on=self.day(offset),
                rubric=parse_rubric(rubric),
                theme=themes[index % len(themes)],
            )
            for crc in crcs:
                if self.rng.random() > handed_in:
                    continue
                coach = crc.supported_by
                submitted = self.at(min(offset - self.rng.randint(-5, 10), -1), 16)
                roll = self.rng.random()
                status = "accepted" if roll < 0.8 else "resubmit" if roll < 0.9 else "submitted"
                if status == "submitted" and index < len(dues) - 1:
                    status = "accepted"  # older work was reviewed long ago
                reviewed = status != "submitted"
                scores = {
                    c["key"]: self.rng.randint(1 if status == "resubmit" else 2, c["max"])
                    for c in fa.rubric
                }
                submissions.append(
                    Submission(
                        field_assignment=fa,
                        member=crc,
                        status=status,
                        text="Done in my cluster: " + instructions.split(".")[0].lower() + ".",
                        submitted_at=submitted,
                        reviewed_by_id=coach.person_id if reviewed and coach else None,
                        reviewed_at=submitted + datetime.timedelta(days=self.rng.randint(1, 6))
                        if reviewed
                        else None,
                        review_comment=(
                            "Good work: keep the next steps this focused."
                            if status == "accepted"
                            else "Make each next step one the teacher can try tomorrow."
                        )
                        if reviewed
                        else "",
                        scores=scores if reviewed else {},
                    )
                )
        Submission.objects.bulk_create(submissions, batch_size=2000)
        return len(submissions)

    def visits(self, crcs: list[CohortMember], per_crc: tuple[int, int], first: int) -> int:
        visits, actions, focus = [], [], []
        through = CoachingVisit.focus_skills.through
        for crc in crcs:
            if crc.supported_by is None:
                continue
            n = self.rng.randint(*per_crc)
            days = sorted(self.rng.sample(range(first, -4), n)) if n else []
            for v_index, offset in enumerate(days):
                visit = CoachingVisit(
                    cohort_id=crc.cohort_id,
                    coach=crc.supported_by,
                    crc=crc,
                    visited_on=self.day(offset),
                    place=crc.org_unit.name,
                    notes="Looked at the cluster's data together and observed a lesson.",
                )
                visits.append(visit)
                for skill in self.rng.sample(self.skills, 2):
                    focus.append(through(coachingvisit_id=visit.id, skill_id=skill.pk))
                last = v_index == len(days) - 1
                for text in self.rng.sample(ACTIONS, self.rng.randint(1, 2)):
                    due = offset + self.rng.randint(7, 30)
                    open_still = last and (due > 0 or self.rng.random() < 0.4)
                    done = None if open_still else self.day(min(due, -1))
                    actions.append(
                        VisitAction(
                            visit=visit, crc=crc, text=text, due_on=self.day(due), done_on=done
                        )
                    )
        CoachingVisit.objects.bulk_create(visits, batch_size=2000)
        through.objects.bulk_create(focus, batch_size=5000)
        VisitAction.objects.bulk_create(actions, batch_size=5000)
        return len(visits)

    def assess(
        self,
        cohort: Cohort,
        crc: CohortMember,
        round: str,
        kind: str,
        levels: dict[int, int],
        on: int,
        assessments: list[Assessment],
        ratings: list[Rating],
    ) -> None:
        assessor = (
            crc.person_id
            if kind == "self"
            else (crc.supported_by.person_id if crc.supported_by else crc.person_id)
        )
        assessment = Assessment(
            cohort=cohort,
            member=crc,
            round=round,
            kind=kind,
            assessor_id=assessor,
            assessed_on=self.day(on),
        )
        assessments.append(assessment)
        for skill in self.skills:
            level = levels[skill.pk]
            ratings.append(
                Rating(
                    assessment=assessment,
                    skill=skill,
                    level=level,
                    evidence=self.rng.choice(EVIDENCE[level]) if kind == "coach" else "",
                    cohort=cohort,
                    member=crc,
                    round=round,
                    kind=kind,
                )
            )

    def baseline(self) -> dict[int, int]:
        ability = self.rng.uniform(1.2, 2.4)
        return {
            s.pk: max(1, min(4, round(ability + self.rng.uniform(-0.7, 0.7)))) for s in self.skills
        }

    def grown(self, before: dict[int, int], move_up: bool) -> dict[int, int]:
        """Endline levels that move the CRC's overall level up, or keep it where it was."""
        after = dict(before)
        start = whole_level(sum(before.values()) / len(before))
        order = self.rng.sample(list(after), len(after))
        for pk in order:
            if after[pk] == 4:
                continue
            after[pk] += 1
            now = whole_level(sum(after.values()) / len(after))
            if move_up and now > start:
                break
            if not move_up and now > start:
                after[pk] -= 1
                break
        # Not every skill grows: one may slip back, as long as the overall outcome holds.
        if self.rng.random() < 0.35:
            pk = self.rng.choice([pk for pk in order if after[pk] > 1] or order)
            if after[pk] > 1:
                after[pk] -= 1
                if move_up and whole_level(sum(after.values()) / len(after)) <= start:
                    after[pk] += 1
        return after

    def pilot_activity(self, cohort: Cohort, crcs: list[CohortMember]) -> dict[str, int]:
        counts = {
            "pilot_attendance": self.workshops(
                cohort, [-280, -220, -160, -100], crcs, attendance=True
            ),
            "pilot_submissions": self.field_work(cohort, crcs, [-240, -170, -12], handed_in=0.9),
            "pilot_visits": self.visits(crcs, (2, 3), first=-270),
        }
        assessments: list[Assessment] = []
        ratings: list[Rating] = []
        without_endline = set(self.rng.sample(range(len(crcs)), min(MISSING_ENDLINE, len(crcs))))
        compared = [i for i in range(len(crcs)) if i not in without_endline]
        movers = set(self.rng.sample(compared, round(MOVED_UP_SHARE * len(compared))))
        for index, crc in enumerate(crcs):
            before = self.baseline()
            self.assess(cohort, crc, "baseline", "coach", before, -285, assessments, ratings)
            if self.rng.random() < 0.4:
                own = {
                    pk: min(4, level + self.rng.choice([0, 0, 1])) for pk, level in before.items()
                }
                self.assess(cohort, crc, "baseline", "self", own, -287, assessments, ratings)
            if index not in without_endline:
                self.assess(
                    cohort,
                    crc,
                    "endline",
                    "coach",
                    self.grown(before, index in movers),
                    -20,
                    assessments,
                    ratings,
                )
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        Rating.objects.bulk_create(ratings, batch_size=5000)
        counts["pilot_ratings"] = len(ratings)
        return counts

    def scale_up_activity(self, cohort: Cohort, crcs: list[CohortMember]) -> dict[str, int]:
        counts = {
            "scale_up_attendance": self.workshops(cohort, [-75, 20], crcs, attendance=True),
            # Most CRCs beyond the first batch could not complete the field component.
            "scale_up_submissions": self.field_work(cohort, crcs, [-20], handed_in=0.3),
            "scale_up_visits": self.visits(
                self.rng.sample(crcs, len(crcs) // 4) if crcs else [], (1, 1), first=-60
            ),
        }
        assessments: list[Assessment] = []
        ratings: list[Rating] = []
        for crc in crcs:
            before = self.baseline()
            self.assess(cohort, crc, "baseline", "coach", before, -80, assessments, ratings)
            if self.rng.random() < 0.45:
                self.assess(
                    cohort,
                    crc,
                    "midline",
                    "coach",
                    self.grown(before, self.rng.random() < 0.4),
                    -6,
                    assessments,
                    ratings,
                )
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        Rating.objects.bulk_create(ratings, batch_size=5000)
        counts["scale_up_ratings"] = len(ratings)
        return counts


def load_programme(
    rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
) -> dict[str, int]:
    """Add the demo cohorts to a freshly generated demo state."""
    return ProgrammeDemo(rng, today, progress).run()
