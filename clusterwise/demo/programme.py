"""The demo's CRC programme: a pilot cohort of 93 CRCs in three districts and a scale-up
cohort, with workshops, attendance, field assignments and reviews, coaching visits and
skill assessments, so that every programme page shows real-looking data.

Who is in which cohort:
- The pilot (run by the state) took "the lowest-performing block of each district" of the
  first three districts. The demo has no learning data to rank blocks by, so it takes each
  district's blocks in tree order, whole, until it has 31 CRCs (at the small scale the
  first block holds exactly 31 clusters; at larger scales the last block taken is cut at 31).
  The cascade: the state admin is the expert, one master facilitator per district supports
  the coaches of its pilot blocks, and each block's coaches share its CRCs (the generator
  posts about one coach per ten clusters). The demo logins `state`, `mf`, `coach` and `crc`
  form one line of that cascade.
- The scale-up (a basic cohort, started later) has every other CRC of those districts and,
  at the state scale, the first half of the blocks of every other district.

Deterministic for a seed, ids included. The pilot's endline is drawn so that 63% of the
CRCs compared move up at least one level overall (the definition of skills/growth.py), as
the programme's pilot reported; three CRCs miss their endline, so the report's "excluded"
shows. Rows are bulk-inserted without history: nobody edited demo data. Dates count back
from the generator's today, so "overdue" and "waiting for review" mean something.
"""

from __future__ import annotations

import datetime
import json
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

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
from clusterwise.programme.services import parse_rubric
from clusterwise.skills.growth import whole_level
from clusterwise.skills.models import Assessment, Framework, Rating
from clusterwise.skills.services import framework_load

FRAMEWORK = Path(__file__).resolve().parents[1] / "skills" / "frameworks" / "kpalp_crc.json"
PILOT_PER_DISTRICT = 31
PILOT_DISTRICTS = 3
MOVED_UP_SHARE = 0.63
MISSING_ENDLINE = 3
STEPS = 10  # progress: members, workshops, field work, visits, assessments × two cohorts

EVIDENCE = {
    1: ["Could not yet do this during the visit.", "Needed step-by-step help."],
    2: ["Did this with some prompting.", "Partly done; missed the key point once."],
    3: ["Did this on their own during the visit.", "Clear example seen in the cluster meeting."],
    4: ["Did this well and helped a colleague do it.", "Teachers now do this without the CRC."],
}
VENUES = ["DIET Pune", "Block resource centre", "Zilla Parishad hall", "Cluster school"]
WORKSHOPS = [
    ("Reading learning data", "data"),
    ("Observing a lesson and writing feedback", "observation"),
    ("Planning the cluster's year", "planning"),
    ("Review: from data to feedback to plans", None),
]
TASKS = [
    (
        "Read your cluster's assessment results",
        "Make a one-page summary of the reading results of your cluster's schools: the share"
        " of students at each level per school, and the two weakest competencies.",
        "Shows the share at each level per school\nNames the two weakest competencies with"
        " evidence\nSays what to discuss with headteachers",
    ),
    (
        "Written feedback to two teachers",
        "Observe two lessons with the observation tool and give each teacher written feedback."
        " Hand in a photo of the feedback you wrote.",
        "Names a specific strength\nGives one or two focused next steps\nFeedback is based on"
        " what was observed",
    ),
    (
        "Draft the cluster development plan",
        "With your headteachers, agree two learning priorities and write actions with owners"
        " and dates.",
        "Priorities come from evidence\nEvery action has an owner and a date\nProgress can be"
        " measured | 4\nHeadteachers agreed to it",
    ),
]
ACTIONS = [
    "Share the reading results with each headteacher",
    "Observe two Class 3 lessons with the tool",
    "Write feedback with one next step for each teacher observed",
    "Agree the cluster's two learning priorities with headteachers",
    "Run the cluster meeting on the weakest competency",
    "Follow up last month's feedback with three teachers",
]


@dataclass(frozen=True)
class Post:
    """An active post, as the demo needs it."""

    person_id: uuid.UUID
    role: str
    org_unit_id: uuid.UUID
    org_path: str
    place: str
    username: str | None

    def under(self, path: str) -> bool:
        return self.org_path.startswith(path)


class ProgrammeDemo:
    def __init__(
        self, rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
    ):
        self.rng = rng
        self.today = today
        self.progress = progress
        self.done = 0
        self.framework = self._framework()
        self.skills = list(
            self.framework.skills.select_related("theme").order_by("theme__order", "order")
        )
        self.themes = list(self.framework.themes.order_by("order"))
        self.username: dict[uuid.UUID, str] = {}  # member id → demo login
        self.place: dict[uuid.UUID, str] = {}  # member id → where they work

    def _framework(self) -> Framework:
        """The bundled framework's published version (loaded if missing, as load_framework)."""
        data = json.loads(FRAMEWORK.read_text(encoding="utf-8"))
        existing = (
            Framework.objects.filter(key=data["key"], status=Framework.Status.PUBLISHED)
            .order_by("-version")
            .first()
        )
        return existing or framework_load(data=data, by=None)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def step(self) -> None:
        self.done += 1
        self.progress(self.done, STEPS)

    def at(self, days: int, hour: int = 10) -> datetime.datetime:
        day = self.today + datetime.timedelta(days=days)
        return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))

    def day(self, days: int) -> datetime.date:
        return self.today + datetime.timedelta(days=days)

    # --- who ----------------------------------------------------------------------------

    def posts(self) -> dict[str, list[Post]]:
        """Active posts by role, in tree order; at one unit, demo logins first."""
        rows = (
            Assignment.objects.filter(
                end_date__isnull=True,
                role__in=[Role.STATE_ADMIN, Role.MASTER_FACILITATOR, Role.COACH, Role.CRC],
            )
            .order_by("org_path", "start_date", "id")
            .values_list(
                "person_id",
                "role",
                "org_unit_id",
                "org_path",
                "org_unit__name",
                "person__user__username",
            )
        )
        by_role: dict[str, list[Post]] = defaultdict(list)
        for row in rows:
            by_role[row[1]].append(Post(*row))
        for posts in by_role.values():
            posts.sort(key=lambda p: (p.org_path, p.username is None))
        return by_role

    def run(self) -> dict[str, int]:
        state = OrgUnit.objects.get_root_nodes().first()
        if state is None:
            return {}
        districts = list(OrgUnit.objects.filter(level="district").order_by("path"))
        blocks = defaultdict(list)
        for block in OrgUnit.objects.filter(level="block").order_by("path"):
            blocks[block.path[: -OrgUnit.steplen]].append(block.path)
        posts = self.posts()
        crcs_of: dict[str, list[Post]] = defaultdict(list)  # block path → CRC posts
        for post in posts[Role.CRC]:
            crcs_of[post.org_path[: 3 * OrgUnit.steplen]].append(post)

        pilot_posts: list[Post] = []
        scale_posts: list[Post] = []
        for d_index, district in enumerate(districts):
            in_pilot = d_index < PILOT_DISTRICTS
            taken = 0
            for b_index, block_path in enumerate(blocks[district.path]):
                for post in crcs_of[block_path]:
                    if in_pilot and taken < PILOT_PER_DISTRICT:
                        pilot_posts.append(post)
                        taken += 1
                    elif in_pilot or b_index < math.ceil(len(blocks[district.path]) / 2):
                        scale_posts.append(post)

        with transaction.atomic():
            pilot = self.cohort("KPALP pilot", Cohort.Kind.PILOT, state, starts=-330, ends=45)
            scale_up = self.cohort(
                "KPALP scale-up, batch 2", Cohort.Kind.BASIC, state, starts=-90, ends=270
            )
            Cohort.objects.bulk_create([pilot, scale_up])
            pilot_crcs = self.cascade(pilot, pilot_posts, posts, mfs_per_district=1)
            scale_crcs = self.cascade(scale_up, scale_posts, posts, mfs_per_district=3)
            counts = self.pilot_activity(pilot, pilot_crcs)
            counts.update(self.scale_up_activity(scale_up, scale_crcs))
        counts["pilot_crcs"] = len(pilot_crcs)
        counts["scale_up_crcs"] = len(scale_crcs)
        return counts

    def cohort(self, name: str, kind: str, state: OrgUnit, starts: int, ends: int) -> Cohort:
        return Cohort(
            id=self.uid(),
            name=name,
            kind=kind,
            framework=self.framework,
            org_unit=state,
            org_path=state.path,
            starts_on=self.day(starts),
            ends_on=self.day(ends),
            visits_planned=3,
        )

    def member(
        self, cohort: Cohort, post: Post, role: str, supported_by: CohortMember | None
    ) -> CohortMember:
        member = CohortMember(
            id=self.uid(),
            cohort=cohort,
            person_id=post.person_id,
            role=role,
            supported_by=supported_by,
            org_unit_id=post.org_unit_id,
            org_path=post.org_path,
            joined_on=cohort.starts_on,
        )
        self.place[member.id] = post.place
        if post.username:
            self.username[member.id] = post.username
        return member

    def cascade(
        self,
        cohort: Cohort,
        crc_posts: list[Post],
        posts: dict[str, list[Post]],
        mfs_per_district: int,
    ) -> list[CohortMember]:
        """The cohort's members: its CRCs, their coaches, the coaches' MFs, the expert."""
        if not crc_posts:
            self.step()
            return []
        expert = self.member(cohort, posts[Role.STATE_ADMIN][0], CohortMember.Role.EXPERT, None)
        staff = [expert]
        crcs: list[CohortMember] = []
        by_block: dict[str, list[Post]] = defaultdict(list)
        for post in crc_posts:
            by_block[post.org_path[: 3 * OrgUnit.steplen]].append(post)
        mfs: dict[str, list[CohortMember]] = {}
        coached: dict[str, int] = defaultdict(int)  # district path → coaches so far
        for block_path, block_crcs in by_block.items():
            district_path = block_path[: 2 * OrgUnit.steplen]
            if district_path not in mfs:
                mf_posts = [p for p in posts[Role.MASTER_FACILITATOR] if p.under(district_path)]
                mfs[district_path] = [
                    self.member(cohort, p, CohortMember.Role.MASTER_FACILITATOR, expert)
                    for p in mf_posts[:mfs_per_district]
                ]
                staff.extend(mfs[district_path])
            district_mfs = mfs[district_path]
            # About one coach for ten CRCs: a block only partly in the cohort needs fewer.
            needed = math.ceil(len(block_crcs) / 10)
            coaches = []
            for post in [p for p in posts[Role.COACH] if p.under(block_path)][:needed]:
                # The district's coaches take turns among its master facilitators.
                turn = coached[district_path]
                coached[district_path] += 1
                mf = district_mfs[turn % len(district_mfs)] if district_mfs else expert
                coaches.append(self.member(cohort, post, CohortMember.Role.COACH, mf))
            staff.extend(coaches)
            # Neighbouring clusters share a coach: the block's CRCs in runs, one per coach.
            for index, post in enumerate(block_crcs):
                coach = coaches[index * len(coaches) // len(block_crcs)] if coaches else None
                crcs.append(self.member(cohort, post, CohortMember.Role.CRC, coach))
        CohortMember.objects.bulk_create(staff + crcs, batch_size=2000)
        self.step()
        return crcs

    # --- what happened in each cohort ---------------------------------------------------

    def workshops(
        self, cohort: Cohort, days: list[int], crcs: list[CohortMember]
    ) -> tuple[int, int]:
        staff = [
            m
            for m in {c.supported_by for c in crcs if c.supported_by}
            | {c.supported_by.supported_by for c in crcs if c.supported_by}
            if m is not None and m.role != CohortMember.Role.EXPERT
        ]
        staff.sort(key=lambda m: (m.org_path, str(m.id)))
        themes = {t.code: t for t in self.themes}
        workshops, facilitators, marks = [], [], []
        through = Workshop.facilitators.through
        for index, offset in enumerate(days):
            title, theme = WORKSHOPS[index % len(WORKSHOPS)]
            virtual = index == 2  # the planning session ran online
            workshop = Workshop(
                id=self.uid(),
                cohort=cohort,
                title=title,
                theme=themes.get(theme) if theme else None,
                starts_at=self.at(offset),
                venue="" if virtual else self.rng.choice(VENUES),
                online_link=f"https://meet.example.org/kpalp-{index + 1}" if virtual else "",
            )
            workshops.append(workshop)
            for member in self.rng.sample(staff, min(3, len(staff))):
                facilitators.append(through(workshop_id=workshop.id, cohortmember_id=member.id))
            if offset > 0:
                continue  # not held yet
            for crc in crcs:
                roll = self.rng.random()
                status = "present" if roll < 0.85 else "late" if roll < 0.92 else "absent"
                marks.append(
                    Attendance(id=self.uid(), workshop=workshop, member=crc, status=status)
                )
        Workshop.objects.bulk_create(workshops)
        through.objects.bulk_create(facilitators)
        Attendance.objects.bulk_create(marks, batch_size=2000)
        self.step()
        return len(workshops), len(marks)

    def field_work(
        self, cohort: Cohort, crcs: list[CohortMember], dues: list[int], handed_in: float
    ) -> int:
        """Field assignments and what came of them: a share `handed_in` of the CRCs does all
        of them, the others now and then. Older work was reviewed long ago; some of the last
        one waits for review (a few for more than a week, which the dashboard flags)."""
        keen = {crc.id for crc in crcs if self.rng.random() < handed_in}
        assignments, submissions = [], []
        for index, offset in enumerate(dues):
            title, instructions, rubric = TASKS[index % len(TASKS)]
            fa = FieldAssignment(
                id=self.uid(),
                cohort=cohort,
                title=title,
                instructions=instructions,
                due_on=self.day(offset),
                rubric=parse_rubric(rubric),
                theme=self.themes[index % len(self.themes)],
            )
            assignments.append(fa)
            last = index == len(dues) - 1
            for crc in crcs:
                login = self.username.get(crc.id)
                if not (login or crc.id in keen or self.rng.random() < 0.25):
                    continue
                submitted = self.at(min(offset + self.rng.randint(-8, 3), -1), 16)
                roll = self.rng.random()
                if not last:
                    status = "accepted" if roll < 0.95 else "resubmit"
                else:
                    status = "accepted" if roll < 0.8 else "resubmit" if roll < 0.9 else "submitted"
                if last and login == "crc":
                    status = "resubmit"  # the demo CRC has work to hand in again
                elif last and login == "crc.b":
                    status, submitted = "submitted", self.at(-2, 16)  # the demo coach reviews it
                reviewed = status != "submitted"
                coach = crc.supported_by
                low = 1 if status == "resubmit" else 2
                submissions.append(
                    Submission(
                        id=self.uid(),
                        field_assignment=fa,
                        member=crc,
                        status=status,
                        text="Done in my cluster: " + instructions.split(".")[0].lower() + ".",
                        submitted_at=submitted,
                        reviewed_by_id=coach.person_id if reviewed and coach else None,
                        reviewed_at=(
                            submitted + datetime.timedelta(days=self.rng.randint(1, 6))
                            if reviewed
                            else None
                        ),
                        review_comment=(
                            ""
                            if not reviewed
                            else "Good work: keep the next steps this focused."
                            if status == "accepted"
                            else "Make each next step one the teacher can try tomorrow."
                        ),
                        scores=(
                            {c["key"]: self.rng.randint(low, c["max"]) for c in fa.rubric}
                            if reviewed
                            else {}
                        ),
                    )
                )
        FieldAssignment.objects.bulk_create(assignments)
        Submission.objects.bulk_create(submissions, batch_size=2000)
        self.step()
        return len(submissions)

    def visits(self, crcs: list[CohortMember], per_crc: tuple[int, int], first: int) -> int:
        """Coaching visits; the last visit's actions are partly still open, some overdue."""
        visits, actions, focus = [], [], []
        through = CoachingVisit.focus_skills.through
        for crc in crcs:
            if crc.supported_by is None:
                continue
            login = self.username.get(crc.id)
            n = self.rng.randint(*per_crc)
            days = sorted(self.rng.sample(range(first, -4), n))
            for v_index, offset in enumerate(days):
                visit = CoachingVisit(
                    id=self.uid(),
                    cohort_id=crc.cohort_id,
                    coach=crc.supported_by,
                    crc=crc,
                    visited_on=self.day(offset),
                    place=self.place[crc.id],
                    notes="Looked at the cluster's data together and observed a lesson.",
                )
                visits.append(visit)
                for skill in self.rng.sample(self.skills, 2):
                    focus.append(through(coachingvisit_id=visit.id, skill_id=skill.pk))
                last = v_index == len(days) - 1
                for a_index, text in enumerate(self.rng.sample(ACTIONS, self.rng.randint(1, 2))):
                    due = offset + self.rng.randint(7, 30)
                    open_still = last and (
                        due > 0 or self.rng.random() < 0.25 or (login == "crc" and a_index == 0)
                    )
                    actions.append(
                        VisitAction(
                            id=self.uid(),
                            visit=visit,
                            crc=crc,
                            text=text,
                            due_on=self.day(due),
                            done_on=None if open_still else self.day(min(due, -1)),
                        )
                    )
        CoachingVisit.objects.bulk_create(visits, batch_size=2000)
        through.objects.bulk_create(focus, batch_size=5000)
        VisitAction.objects.bulk_create(actions, batch_size=5000)
        self.step()
        return len(visits)

    def assess(
        self,
        crc: CohortMember,
        round: str,
        kind: str,
        levels: dict[int, int],
        on: int,
        into: tuple[list[Assessment], list[Rating]],
    ) -> None:
        assessments, ratings = into
        coach = crc.supported_by
        assessment = Assessment(
            id=self.uid(),
            cohort_id=crc.cohort_id,
            member=crc,
            round=round,
            kind=kind,
            assessor_id=coach.person_id if kind == "coach" and coach else crc.person_id,
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
                    cohort_id=crc.cohort_id,
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
        """Later levels that move the CRC's overall level up, or keep it where it was."""
        after = dict(before)
        start = whole_level(sum(before.values()) / len(before))
        order = self.rng.sample(list(after), len(after))
        for pk in order:
            if after[pk] == 4:
                continue
            after[pk] += 1
            if whole_level(sum(after.values()) / len(after)) > start:
                if not move_up:
                    after[pk] -= 1
                break
        # Not every skill grows: one may slip back, as long as the overall outcome holds.
        if self.rng.random() < 0.35:
            pk = self.rng.choice(order)
            if after[pk] > 1:
                after[pk] -= 1
                if move_up and whole_level(sum(after.values()) / len(after)) <= start:
                    after[pk] += 1
        return after

    def save_assessments(self, into: tuple[list[Assessment], list[Rating]]) -> int:
        assessments, ratings = into
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        Rating.objects.bulk_create(ratings, batch_size=5000)
        self.step()
        return len(ratings)

    def pilot_activity(self, cohort: Cohort, crcs: list[CohortMember]) -> dict[str, int]:
        workshops, marks = self.workshops(cohort, [-300, -230, -160, -100], crcs)
        counts = {
            "pilot_workshops": workshops,
            "pilot_attendance": marks,
            "pilot_submissions": self.field_work(cohort, crcs, [-250, -170, -6], handed_in=0.9),
            "pilot_visits": self.visits(crcs, (2, 3), first=-290),
        }
        into: tuple[list[Assessment], list[Rating]] = ([], [])
        # The demo logins keep their endline, so their pages show growth.
        others = [i for i, crc in enumerate(crcs) if crc.id not in self.username]
        without_endline = set(self.rng.sample(others, min(MISSING_ENDLINE, len(others))))
        compared = [i for i in range(len(crcs)) if i not in without_endline]
        movers = set(self.rng.sample(compared, round(MOVED_UP_SHARE * len(compared))))
        for index, crc in enumerate(crcs):
            before = self.baseline()
            self.assess(crc, "baseline", "coach", before, -310, into)
            if crc.id in self.username or self.rng.random() < 0.4:
                own = {pk: min(4, lv + self.rng.choice([0, 0, 1])) for pk, lv in before.items()}
                self.assess(crc, "baseline", "self", own, -312, into)
            if index not in without_endline:
                after = self.grown(before, index in movers)
                self.assess(crc, "endline", "coach", after, -20, into)
        counts["pilot_ratings"] = self.save_assessments(into)
        return counts

    def scale_up_activity(self, cohort: Cohort, crcs: list[CohortMember]) -> dict[str, int]:
        workshops, marks = self.workshops(cohort, [-75, 20], crcs)
        counts = {
            "scale_up_workshops": workshops,
            "scale_up_attendance": marks,
            # Most CRCs beyond the first batch could not complete the field component.
            "scale_up_submissions": self.field_work(cohort, crcs, [-20], handed_in=0.2),
            "scale_up_visits": self.visits(
                self.rng.sample(crcs, len(crcs) // 4), (1, 1), first=-60
            ),
        }
        into: tuple[list[Assessment], list[Rating]] = ([], [])
        for crc in crcs:
            before = self.baseline()
            self.assess(crc, "baseline", "coach", before, -80, into)
            if self.rng.random() < 0.45:  # the midline is under way
                after = self.grown(before, self.rng.random() < 0.4)
                self.assess(crc, "midline", "coach", after, -6, into)
        counts["scale_up_ratings"] = self.save_assessments(into)
        return counts


def load_programme(
    rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
) -> dict[str, Any]:
    """Add the demo cohorts to a freshly generated demo state."""
    return ProgrammeDemo(rng, today, progress).run()
