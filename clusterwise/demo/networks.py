"""The demo's school-leadership networks: a year of meetings, commitments, peer review and good
practice in the pilot's first block of each demo district, written through the networks
app's own services (their rules and audit history), each step on the day it happened.

What each district has (the pilot's first block; at the state scale the same, bounded):
- Communities of practice of headteachers within walking distance: the first group (4 to 8
  schools, a small cluster's 3 or 4) of each of the first COP_CLUSTERS clusters, meeting at
  the group's first school, moderated by the block's coaches. They meet every four weeks in
  the first district (the logins'), every eight elsewhere; one in each district stopped
  meeting months ago and left its actions overdue.
- A PLC of headteachers on foundational reading, led by a coach with a CRC co-facilitating.
- A peer-review group of three or four schools from different clusters: the first
  district's has completed a cycle (self- and peer reviews, the improvement workshop and
  its plan, school-to-school support with sessions, closed), the second's is at the peer
  review, the third's at the self-review.
- A cluster network per cluster of the block (the CRC facilitates), meeting every eight
  weeks: the first YEAR_CLUSTERS for a year, the others formed this term (a first meeting
  held, the next planned). Clusters are taken in order up to CLUSTER_NETWORK_SCHOOLS
  schools: all of the small demo's, a few of the state's big ones.
- Teachers' CoPs inside schools of the first CoP (two in the first district, one in each
  other), part of it: the triple helix.

Every step goes through a service (about 30 ms a meeting with its attendance, reviews and
commitments), which is why the sample is bounded rather than the whole state.

Meetings are in person, by video, phone or WhatsApp, on mixed agendas (one crisis meeting
after the monsoon floods); most members come, some are away, some join by phone. Each
meeting reviews the open commitments on its agenda (kept with evidence, in progress, not
started, dropped) and makes new ones, witnessed by those present; the commitments of the
latest meetings are open or overdue. Every active network has a meeting planned in the
coming two weeks, whose agenda holds its open commitments. Headteachers posted after a
network began join it when they take up the post.

Also: a school improvement plan, a cluster development plan and a performance contract
signed by the cluster's CRC; PRACTICES shared by member schools (some in Marathi or Hindi),
several tried by other schools and a few recommended to other networks by a coach or the
CRC; and the member schools' monthly figures for the last 12 months.

The demo logins: `coach` moderates the `head`'s CoP (meets regularly), a stuck CoP, the
PLC and the peer-review group with the completed cycle (the `head`'s school is in it);
`crc` facilitates the `head`'s cluster network and signed the `head`'s contract; `head`
facilitates the teachers' CoP of its school, where `teacher` is a member; `head.b` and
`crc.b` are in the next cluster's networks, which `head` does not see; `district` formed
the first district's networks.

Deterministic for a seed in content (ids are the services' own).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from clusterwise.core.scope import prefix_q
from clusterwise.networks.models import (
    Action,
    ActionPlan,
    ActionReview,
    AgendaItem,
    AreaRating,
    Attendance,
    Meeting,
    Network,
    NetworkMember,
    NetworkSchool,
    Notification,
    Practice,
    PracticeTrial,
    Recommendation,
    ReviewArea,
    ReviewCycle,
    ReviewFramework,
    SchoolFigures,
    SchoolReview,
    SupportLink,
    SupportSession,
    Witness,
)
from clusterwise.networks.selectors.reviews import support_pairs_suggested
from clusterwise.networks.services import meetings as meeting_svc
from clusterwise.networks.services import plans as plan_svc
from clusterwise.networks.services import practices as practice_svc
from clusterwise.networks.services import reviews as review_svc
from clusterwise.networks.services.networks import member_add, network_create
from clusterwise.org.models import Assignment, OrgUnit, Person, Role, User

FRAMEWORK = Path(__file__).resolve().parents[1] / "networks" / "frameworks" / "school_review.json"
DISTRICTS = 3  # the pilot's districts: the whole small demo, a sample of the state
COP_CLUSTERS = 3  # clusters of the block with a headteachers' CoP
STUCK_COP = 2  # which of them stopped meeting
COP_COACH = (0, 1, 0)  # which of the block's coaches moderates each CoP
COP_SIZE = (4, 8)  # schools in a CoP, where the cluster has enough
PLC_SCHOOLS = 8
CLUSTER_NETWORK_SCHOOLS = 124  # the small demo's block (31 clusters of 3–4), a sample of a big one
YEAR_CLUSTERS = 2  # cluster networks with a year of meetings; the others formed this term
TERM = (60, 75)  # days since the newer cluster networks were formed
YEAR = 365
# The tables this module fills, for the generator's ANALYZE after loading.
NETWORK_TABLES = (
    Network,
    NetworkSchool,
    NetworkMember,
    Meeting,
    AgendaItem,
    Attendance,
    ActionPlan,
    Action,
    Witness,
    ActionReview,
    ReviewFramework,
    ReviewArea,
    ReviewCycle,
    SchoolReview,
    AreaRating,
    SupportLink,
    SupportSession,
    Practice,
    PracticeTrial,
    Recommendation,
    Notification,
    SchoolFigures,
)

T = Meeting.Template
M = Meeting.Mode

# --- what networks say and do -------------------------------------------------------------

# (what, how we will know, evidence when kept)
COMMITMENTS = [
    (
        "Set up a reading corner in Class 2 and Class 3",
        "Both corners in use with a borrowing register",
        "Photos of both corners shared in the group; the register shows 140 loans.",
    ),
    (
        "Run the five-minute reading check with every Class 3 child",
        "Each Class 3 child's reading level recorded",
        "Levels of all Class 3 children brought to the meeting on one sheet.",
    ),
    (
        "Phone the parents of every child absent three days in a row",
        "The call log shows each such child followed up",
        "Call log shown: 11 families reached, 8 children back the next week.",
    ),
    (
        "Observe one lesson of each teacher with the observation tool",
        "Written feedback given to every teacher",
        "Feedback notes for all teachers seen by the coach.",
    ),
    (
        "Put the attendance chart before the school management committee",
        "The SMC's minutes mention the chart and a decision",
        "SMC minutes of the month record the chart and two home visits agreed.",
    ),
    (
        "Visit a member school to see its remedial reading groups",
        "Notes of the visit shared with the network",
        "Visit notes and photos posted in the group; two ideas tried at home school.",
    ),
    (
        "Form level groups for Class 4 mathematics",
        "Groups formed and listed on the staffroom wall",
        "Group lists seen on the wall; groups meet in the first period daily.",
    ),
    (
        "Hold a parents' meeting on reading at home",
        "At least 30 parents attend",
        "Attendance sheet: 41 parents came; 25 took a storybook home.",
    ),
    (
        "Try exit tickets on slates in every class for two weeks",
        "Teachers bring notes of what the slates showed",
        "Teachers' notes shared; three classes kept using slates.",
    ),
    (
        "Update the list of out-of-school children with the anganwadi worker",
        "The list updated and signed by both",
        "Signed list brought: 6 children found, 4 enrolled.",
    ),
    (
        "Write up our buddy-reading practice for the other schools",
        "The practice shared in the library",
        "Practice written up and shared; another school asked for the pairs list.",
    ),
    (
        "Bring the school's monthly figures to the next meeting",
        "Figures entered before the meeting",
        "Figures entered on time and discussed in the data review.",
    ),
    (
        "Agree a protected reading hour in the timetable",
        "Timetable shows the hour in every class",
        "New timetable on the notice board; reading hour seen during two visits.",
    ),
    (
        "Start a Monday wellbeing circle in Class 1 to 4",
        "Circles held four Mondays running",
        "Teachers' diary shows the circles; two children referred to the ASHA worker.",
    ),
]
TEACHER_COMMITMENTS = [
    (
        "Plan the next Marathi lesson together and teach it in both sections",
        "Both lessons taught, one observed by a colleague",
        "Plan and observation notes in the CoP file.",
    ),
    (
        "Make place-value bundles for every Class 2 child",
        "A set of 30 sticks per child in use",
        "Bundles in use in the lesson seen by the headteacher.",
    ),
    (
        "Observe a colleague's reading lesson and give one suggestion",
        "Every teacher observed once this month",
        "Observation slips for all five teachers.",
    ),
    (
        "Try the 'show me on your slate' check for a week",
        "Notes on what the slates showed",
        "Notes shared at the meeting; the check is now daily in Class 3.",
    ),
]
CRISIS_COMMITMENTS = [
    (
        "Visit the homes of the children listed as vulnerable",
        "Every listed child visited and the visit noted",
        "Visit notes for all 17 listed children; 3 families linked with the gram panchayat.",
    ),
    (
        "Send the parents' message about reopening by SMS and WhatsApp",
        "Message sent to every family on the list",
        "Screenshots of the messages; all but four families replied.",
    ),
    (
        "Track daily who is back in school after the reopening",
        "Daily return list kept for two weeks",
        "Return list shown: 96% of children back within ten days.",
    ),
]
GOALS = ["Reading", "Attendance", "Teaching", "Inclusion", "Leadership", "Data use"]
REVIEW_NOTES = {
    Action.Status.DONE: ["Done, evidence shown.", "Completed as agreed.", "Kept: see evidence."],
    Action.Status.IN_PROGRESS: [
        "Started; half the classes so far.",
        "Under way, will finish after the exams.",
        "Begun, needs the CRC's help.",
    ],
    Action.Status.OPEN: [
        "Not started: the teacher was on election duty.",
        "Not yet begun; carried to the next meeting.",
    ],
    Action.Status.DROPPED: ["Dropped: overtaken by the new timetable.", "Dropped by agreement."],
}
MINUTES = {
    T.SCHOOL_IMPROVEMENT: [
        "Each head said what changed since the last meeting. {school} showed its reading"
        " corners; others asked how children borrow books. We agreed to look at Class 3"
        " reading first.",
        "We compared our attendance and reading figures. {school} has the lowest attendance"
        " in Class 4; the head explained the sowing season. Two heads offered to share their"
        " home-visit routine.",
        "Focus topic: checking understanding in class. The coach showed the slate check; each"
        " head will try it with one teacher. {school} presented its morning read-aloud.",
    ],
    T.DATA_REVIEW: [
        "Learning results side by side: word problems are weak in every school; {school}"
        " does best on reading levels. Attendance dipped in the harvest weeks everywhere.",
        "We read the data pack school by school. Dropouts are few but three children of"
        " migrating families have not come back; {school} will follow them up with the"
        " anganwadi worker.",
    ],
    T.CRISIS: [
        "Heavy rain closed the road to two schools. Each head reported on staff and"
        " children: all safe, {school} had water in two classrooms. We listed children to"
        " visit at home, agreed a message to parents, and will track who returns each day.",
    ],
    T.PEER_REVIEW: [
        "The peer reviewers presented what they saw in each school. Teaching and inclusion"
        " came out as our common priorities; {school} is strong on community links and will"
        " help others. The plan and the support pairs were agreed.",
    ],
    T.CUSTOM: ["We discussed our schools' questions; {school} led the discussion."],
}
MINUTES_MR = [
    "प्रत्येक मुख्याध्यापकांनी मागील बैठकीपासून झालेले बदल सांगितले. {school} ने वाचन कोपऱ्याचे"
    " फोटो दाखवले. तिसरीच्या वाचनावर आधी लक्ष देण्याचे ठरले.",
    "आमच्या शाळांची उपस्थिती आणि वाचन पातळी शेजारी शेजारी पाहिली. {school} मधील चौथीची"
    " उपस्थिती कमी आहे; गृहभेटी वाढवण्याचे ठरले.",
]
DECISIONS = [
    "Next meeting at {venue}. Each head brings the month's figures.",
    "The coach shares the slate-check video in the group.",
    "Two heads visit {school} before the next meeting.",
    "We ask the block office for reading cards for Class 1.",
]
ALL_COMMITMENTS = COMMITMENTS + TEACHER_COMMITMENTS + CRISIS_COMMITMENTS
VENUES = ["Block resource centre", "Cluster resource centre", "Gram panchayat hall"]

# Each practice: title, the problem, what was done, evidence, tags, language.
PRACTICES: list[tuple[str, str, str, str, tuple[str, ...], str]] = [
    (
        "Reading corner from donated books",
        "Children in Class 1 to 3 had no books but the textbook, and few read with fluency.",
        "Each classroom has a corner with about 40 storybooks collected from parents, the"
        " gram panchayat and a library trust. Every Friday children borrow a book; class"
        " monitors keep the register.",
        "In five months 92 children borrowed 610 books; Class 3 children reading a paragraph"
        " rose from 38% to 55% on the school's own check.",
        ("reading", "library", "foundational literacy"),
        "en",
    ),
    (
        "Peer observation trios among teachers",
        "Teachers saw feedback on their teaching only twice a year, from the CRC.",
        "Three teachers watch 20 minutes of each other's lessons every fortnight with the"
        " same three look-fors, and talk for ten minutes after school.",
        "Fourteen observations in a term; all six teachers now check understanding with"
        " slates, as the CRC saw on her visits.",
        ("peer observation", "teacher growth", "feedback"),
        "en",
    ),
    (
        "SMS to parents on the day a child is absent",
        "Chronic absence in Class 4 and 5 during the sowing season.",
        "The class teacher sends a short SMS from the school phone by 11 am to the parents of"
        " every absent child; a third absence in a week brings a home visit by the head.",
        "Children absent more than ten days a month fell from 17 to 6 between July and September.",
        ("attendance", "parents", "sms"),
        "en",
    ),
    (
        "Attendance tracker on the staffroom wall",
        "Teachers knew their own class's absences, but nobody saw the pattern across the school.",
        "One chart per class with a dot per child per week. A ten-minute Monday huddle names"
        " children with three absences and who will follow them up.",
        "Monthly attendance rose from 81% to 88% in four months (the school's figures).",
        ("attendance", "data use", "staff meeting"),
        "en",
    ),
    (
        "Remedial reading groups by level, 30 minutes a day",
        "Half the children of Class 3 and 4 could not read simple words.",
        "After a five-minute oral reading check, children are grouped by level across classes"
        " for the first 30 minutes of the day; groups are formed again every six weeks.",
        "Children at the letter level fell from 41 to 19 of 88 in one term.",
        ("remedial", "grouping by level", "reading"),
        "en",
    ),
    (
        "Monday wellbeing circles",
        "After the floods some children came back withdrawn; a few families had lost their homes.",
        "A 15-minute circle in each class: each child says one word about the weekend; the"
        " teacher notes children who seem distressed and tells the head, who links families"
        " with the ASHA worker.",
        "Teachers found nine children needing support; all nine attended regularly again by"
        " October.",
        ("wellbeing", "crisis", "inclusion"),
        "en",
    ),
    (
        "Place value with bundles of sticks",
        "Class 2 and 3 children could not tell tens from ones.",
        "Every child has 30 sticks and rubber bands; a ten-minute bundling game opens each"
        " mathematics lesson, followed by worksheets the teachers made.",
        "Place-value items right in the endline: 62%, up from 35%.",
        ("mathematics", "place value", "teaching aids"),
        "en",
    ),
    (
        "Lesson plans shared in the cluster's WhatsApp group",
        "Teachers of single-teacher classes planned alone and repeated the textbook.",
        "Each Sunday one teacher posts a plan for the week's hardest lesson; others reply"
        " with how it went and photos of the board.",
        "Forty plans shared in a term; eight teachers say they used at least five of them.",
        ("teacher collaboration", "whatsapp", "planning"),
        "en",
    ),
    (
        "Children read aloud at the morning assembly",
        "Children were shy to read in front of others.",
        "Every day two children, one from a lower class, read a short story or news item at"
        " the assembly; the class chooses and practises it the day before.",
        "By December every Class 4 child had read at least once; teachers report more hands"
        " up in reading lessons.",
        ("reading", "assembly", "confidence"),
        "en",
    ),
    (
        "Mothers' reading hour",
        "Parents felt they could not help with reading because many cannot read well themselves.",
        "A mothers' group meets on Saturday mornings: mothers listen to their children read"
        " picture books and ask three questions from a card.",
        "Twenty-six mothers came regularly; their children read more books from the corner"
        " than others.",
        ("parents", "community", "reading"),
        "en",
    ),
    (
        "Following children who migrate for the sugarcane harvest",
        "Each October families leave for the harvest and their children drop out for months.",
        "A register of migrating families, bridge worksheets for the months away, a call to"
        " the school near the sugar factory, and an education guarantee card for each child.",
        "Twelve of fifteen children were back in school by January; three studied at the"
        " school near the factory.",
        ("migration", "dropout", "tracking"),
        "en",
    ),
    (
        "Exit tickets on slates",
        "Teachers learnt only in the unit test that most of the class had not understood.",
        "In the last three minutes of a lesson each child writes one answer on a slate and"
        " holds it up; the teacher re-teaches the next day if more than a third are wrong.",
        "Teachers re-taught 12 lessons in a month; unit test averages rose in Class 3 and 5.",
        ("assessment", "checking understanding"),
        "en",
    ),
    (
        "The SMC reviews attendance every month",
        "The school management committee met only to sign the grant papers.",
        "The head brings the attendance chart to each SMC meeting; members visit the homes"
        " of children absent most and report back.",
        "The SMC made 23 home visits in a term; chronic absentees fell by half.",
        ("smc", "community", "attendance"),
        "en",
    ),
    (
        "Walls written by the children",
        "Classroom walls held faded charts nobody looked at.",
        "Children write and draw word walls, number charts and a weekly 'new words' sheet;"
        " the walls change every month.",
        "Children use the walls during writing; a visiting CRC noted it in her feedback.",
        ("literacy", "classroom environment"),
        "en",
    ),
    (
        "Buddy reading: Class 5 reads with Class 1",
        "Class 1 children had little chance to hear stories read aloud.",
        "Twice a week for 20 minutes each Class 5 child reads with a Class 1 buddy, pointing"
        " at words; the teachers give a list of books.",
        "Class 1 children recognise more words; Class 5 readers' own fluency improved too.",
        ("reading", "peer learning"),
        "en",
    ),
    (
        "One number a week at the staff meeting",
        "The data pack came to the school but nobody used it.",
        "The head puts one figure from the data pack on the board each Monday (a class's"
        " attendance, a competency) and the staff agree one thing to try.",
        "Staff tried 15 changes in a term and kept 9; attendance rose in the two weakest classes.",
        ("data use", "leadership", "staff meeting"),
        "en",
    ),
    (
        "Kitchen garden for the mid-day meal and science",
        "Science was taught from the book only, and the mid-day meal lacked vegetables.",
        "Classes grow vegetables in a plot beside the school; children measure growth and"
        " keep a weather chart; the produce goes into the mid-day meal.",
        "The garden supplies vegetables twice a week; Class 5 science test results improved.",
        ("science", "nutrition", "environment"),
        "en",
    ),
    (
        "A girls' toilet and a sanitary-pad box with the SMC",
        "Older girls missed school a few days each month.",
        "The SMC repaired the girls' toilet and keeps a pad box in the headteacher's office;"
        " a woman teacher talks with the girls each term.",
        "Girls' attendance in Class 6 and 7 rose from 82% to 90%.",
        ("girls", "inclusion", "attendance"),
        "en",
    ),
    (
        "Picture cards in the home language",
        "Children whose home language is Bhili did not follow lessons in Marathi.",
        "Teachers and parents made 40 picture cards with each word in Bhili and Marathi; the"
        " teacher uses the home word first, then the school word.",
        "Class 1 children answer more in class; the tribal cluster's CRC asked to copy the cards.",
        ("multilingual", "tribal", "home language"),
        "en",
    ),
    (
        "The headteacher's Tuesday learning walk",
        "The head spent the day in the office and saw lessons only at inspections.",
        "Every Tuesday the head walks through all classes for five minutes each, with one"
        " question to look at, and gives one note to each teacher the same day.",
        "Sixty notes given in a term; teachers say the walk feels like help, not inspection.",
        ("leadership", "classroom visits"),
        "en",
    ),
    (
        "A phone tree to reach families when schools close",
        "During the flood closure many families could not be reached.",
        "Each teacher calls five parents, who each call two more; the list is kept up to date"
        " at every parents' meeting.",
        "All families were reached within a day in the second closure.",
        ("crisis", "parents", "continuity"),
        "en",
    ),
    (
        "Worksheets through the milk collection centre",
        "When the school was closed, worksheets could not reach the hamlets.",
        "Teachers leave worksheets at the milk collection centre, where parents come every"
        " morning; completed sheets come back the same way.",
        "Sixty-eight children returned worksheets during the three-week closure.",
        ("crisis", "homework", "community"),
        "en",
    ),
    (
        "A protected reading hour in the timetable",
        "Reading time was lost to other work every day.",
        "The first hour after the prayer is for reading in every class; nobody is called out"
        " of class during it, not even for data entry.",
        "Visits saw reading going on in 9 of 10 classes in the first hour.",
        ("timetable", "reading", "leadership"),
        "en",
    ),
    (
        "The children's cabinet runs the library",
        "Books stayed locked in a cupboard because teachers had no time to lend them.",
        "The elected children's cabinet keeps the library key, the lending register and a"
        " cleanliness roster.",
        "Books lent each week rose from none to about 120.",
        ("student voice", "library"),
        "en",
    ),
    (
        "A number line painted on the floor",
        "Class 1 and 2 children struggled with counting on and back.",
        "Teachers painted a 0–100 number line in the verandah; children jump along it in"
        " games of adding and taking away.",
        "Teachers report children counting on without fingers within weeks.",
        ("mathematics", "teaching aids"),
        "en",
    ),
    (
        "Joint lesson planning on Saturdays",
        "Teachers of the same class planned separately and covered the syllabus unevenly.",
        "On the second Saturday teachers of each class plan the month together and agree"
        " one common assessment task.",
        "Classes in the same grade now cover the same chapters; results are closer.",
        ("teacher collaboration", "planning"),
        "en",
    ),
    (
        "A door-to-door survey before admissions",
        "Some children of the hamlets never enrolled.",
        "In May teachers and SMC members visit every house with a list from the anganwadi;"
        " out-of-school children are enrolled with the family present.",
        "Nineteen children found and enrolled in one summer.",
        ("enrolment", "out-of-school", "community"),
        "en",
    ),
    (
        "A praise board for the work of the week",
        "Children whose work improved were rarely noticed.",
        "Each Friday every teacher pins one piece of improved work on the praise board and"
        " says why at the assembly.",
        "Teachers report more effort in written work; parents come to see the board.",
        ("motivation", "wellbeing"),
        "en",
    ),
    (
        "जुन्या साड्यांपासून बनवलेल्या वाचन पिशव्या",
        "मुलांना घरी वाचायला पुस्तके नव्हती.",
        "मातांनी जुन्या साड्यांपासून पिशव्या शिवल्या; प्रत्येक पिशवीत तीन गोष्टींची पुस्तके आठवडाभर घरी जातात.",
        "चार महिन्यांत 70 पिशव्या फिरल्या; मुले घरी वाचून दाखवतात असे पालक सांगतात.",
        ("reading", "parents", "वाचन"),
        "mr",
    ),
    (
        "हजेरी मित्र",
        "काही मुले वारंवार गैरहजर राहत होती आणि कारण कळत नव्हते.",
        "प्रत्येक गैरहजर मुलासाठी त्याच वस्तीतील एक मित्र; मित्र घरी जाऊन गृहपाठ देतो आणि"
        " कारण शिक्षकांना सांगतो.",
        "तीन महिन्यांत सततची गैरहजेरी निम्म्यावर आली.",
        ("attendance", "peer support", "उपस्थिती"),
        "mr",
    ),
    (
        "गणिताचे गटखेळ",
        "तिसरीच्या मुलांना शाब्दिक उदाहरणे सोडवता येत नव्हती.",
        "दर आठवड्याला दोन तास गटात बाजार, बस तिकीट अशी खेळातली उदाहरणे; प्रत्येक गटात एक चांगला वाचक.",
        "शाब्दिक उदाहरणांचे गुण 28% वरून 45% पर्यंत गेले.",
        ("mathematics", "word problems", "गणित"),
        "mr",
    ),
    (
        "शनिवारी पालकांची शाळाभेट",
        "पालक फक्त निकालाच्या दिवशी शाळेत येत.",
        "दर महिन्याच्या शेवटच्या शनिवारी पालक वर्गात येऊन मुलांचे काम पाहतात आणि शिक्षकांशी दहा मिनिटे बोलतात.",
        "पहिल्या तीन भेटींना सरासरी 45 पालक आले.",
        ("parents", "community"),
        "mr",
    ),
    (
        "हर सोमवार अभिभावकों को संदेश",
        "अभिभावकों को पता नहीं था कि बच्चे इस सप्ताह क्या सीखेंगे।",
        "हर सोमवार कक्षा शिक्षक एक छोटा संदेश भेजते हैं: इस सप्ताह का पाठ और घर पर पूछने के लिए एक प्रश्न।",
        "अभिभावक बैठक में 30 में से 24 अभिभावकों ने कहा कि वे प्रश्न पूछते हैं।",
        ("parents", "sms", "communication"),
        "hi",
    ),
    (
        "कहानी सुनाओ सप्ताह",
        "बच्चे कक्षा में बोलने से झिझकते थे।",
        "हर महीने एक सप्ताह बच्चे घर से सुनी कहानी कक्षा में सुनाते हैं; शिक्षक नए शब्द बोर्ड पर लिखते हैं।",
        "कक्षा 2 के लगभग सभी बच्चों ने कम से कम एक कहानी सुनाई।",
        ("speaking", "confidence", "reading"),
        "hi",
    ),
    (
        "कक्षा में शब्द दीवार",
        "बच्चे नए शब्द जल्दी भूल जाते थे।",
        "हर पाठ के नए शब्द बच्चे कार्ड पर लिखकर दीवार पर लगाते हैं और सप्ताह के अंत में उन शब्दों से वाक्य बनाते हैं।",
        "मासिक परीक्षा में शब्दावली के प्रश्नों में सुधार हुआ।",
        ("vocabulary", "literacy", "classroom environment"),
        "hi",
    ),
]
TRIAL_NOTES = {
    PracticeTrial.Outcome.WORKED: [
        "Worked well: we adapted it for our two combined classes.",
        "Our teachers liked it; we kept it after the trial month.",
    ],
    PracticeTrial.Outcome.PARTLY: [
        "Worked in Class 3, not yet in Class 1: the children need more help.",
        "Parents joined at first, fewer later; we will try Saturdays.",
    ],
    PracticeTrial.Outcome.DID_NOT: [
        "Our school has one room for two classes; there was no space for it.",
    ],
    PracticeTrial.Outcome.TRYING: ["Started this month; too early to say."],
}
SESSION_NOTES = [
    "Teachers of the helped school watched two lessons at the helping school and planned"
    " one together.",
    "The helping head walked through the classes with the helped head and shared the"
    " attendance chart.",
    "Phone call: went over the reading groups' lists and the next check.",
    "The helped school's teachers tried the slate check; the helping teacher gave feedback.",
]
REVIEW_TEXT = {
    "strengths": [
        "A welcoming school: children speak freely with teachers; the reading corner is used.",
        "The head knows every child's attendance; the SMC is active.",
        "Teachers plan together and the walls are the children's own work.",
    ],
    "to_develop": [
        "Checking understanding during lessons; the back rows are rarely asked.",
        "Following up children who are absent often.",
        "Using the learning results to group children for reading.",
    ],
    "evidence": [
        "Observed four lessons, looked at the attendance register and the SMC minutes.",
        "Lesson visits in Class 2, 3 and 5; children's notebooks; the school's figures.",
    ],
}
AREA_EVIDENCE = {
    1: "Little seen yet.",
    2: "Some signs, not yet in every class.",
    3: "Seen in most classes and in the records.",
    4: "Strong and steady; others could learn from it.",
}


# --- the people and places the demo works with ----------------------------------------------


@dataclass
class Staff:
    person: Person
    start: datetime.date
    user: User | None = None

    def acting(self, day: datetime.date) -> User | None:
        """The login, once the post had begun (so the services check its scope)."""
        return self.user if self.user is not None and self.start <= day else None


@dataclass
class SchoolInfo:
    unit: OrgUnit
    lat: float
    lon: float
    head: Staff | None
    teachers: list[Staff]


@dataclass
class ClusterInfo:
    unit: OrgUnit
    crc: Staff | None
    schools: list[SchoolInfo]


@dataclass
class DistrictInfo:
    unit: OrgUnit
    block: OrgUnit
    officer: Staff | None
    coaches: list[Staff]
    clusters: list[ClusterInfo]


@dataclass
class Net:
    """A demo network and who may join it when."""

    network: Network
    facilitator: Staff
    schools: list[SchoolInfo]
    # (who, their school, role) joining once their post has begun.
    pending: list[tuple[Staff, OrgUnit, str]] = field(default_factory=list)
    people: dict[Any, Person] = field(default_factory=dict)  # members now, by person id
    meetings: list[Meeting] = field(default_factory=list)
    owners: dict[Any, Staff] = field(default_factory=dict)  # person id → staff (for logins)
    recent: list[str] = field(default_factory=list)  # commitments made at the last meetings

    def by(self, day: datetime.date) -> User | None:
        return self.facilitator.acting(day)


@dataclass
class Plan:
    """A network's year: meeting days (held), the one planned, and what each is about."""

    held: list[datetime.date]
    upcoming: datetime.date | None
    templates: list[str]
    modes: list[str]
    cancelled: set[int] = field(default_factory=set)
    weeks: int = 4
    commitments: tuple[int, int] = (1, 3)
    duration: int = 90
    hour: int = 15
    first_minutes: str = ""  # a first meeting that only got to know each other


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _walking_minutes(a: SchoolInfo, b: SchoolInfo) -> int:
    """Walking time between two schools: straight-line distance, paths a third longer."""
    dy = (a.lat - b.lat) * 111.0
    dx = (a.lon - b.lon) * 111.0 * math.cos(math.radians(a.lat))
    return round(math.hypot(dx, dy) * 1.3 / 4.5 * 60)


class NetworksDemo:
    def __init__(
        self,
        rng: random.Random,
        today: datetime.date,
        progress: Callable[[int, int], None],
        districts: int = DISTRICTS,
    ) -> None:
        self.rng = rng
        self.district_count = districts
        self.today = today
        self.progress = progress
        self.done = 0
        self.total = 1
        self.nets: list[Net] = []
        self.users = {u.pk: u for u in User.objects.filter(person__isnull=False)}
        self.framework: ReviewFramework | None = None
        # One "now" for the whole load: steps due later are run as at this moment.
        self.now = timezone.now()

    # --- time ---------------------------------------------------------------------------

    @contextmanager
    def on(self, moment: datetime.datetime) -> Iterator[None]:
        """Run the services as at `moment` (never later than the load's start)."""
        moment = min(moment, self.now)
        with time_machine.travel(moment, tick=False):
            yield

    def step(self) -> None:
        self.done += 1
        self.progress(min(self.done, self.total), self.total)

    # --- where --------------------------------------------------------------------------

    def districts(self) -> list[DistrictInfo]:
        """The first block of each demo district, with its clusters, schools and staff."""
        step = OrgUnit.steplen
        result = []
        for district in OrgUnit.objects.filter(level=settings.ORG_LEVELS[1]).order_by("path")[
            : self.district_count
        ]:
            block = (
                OrgUnit.objects.filter(prefix_q("path", district.path), depth=district.depth + 1)
                .order_by("path")
                .first()
            )
            if block is None:
                continue
            units = list(
                OrgUnit.objects.filter(prefix_q("path", block.path), depth__gt=block.depth)
                .order_by("path")
                .select_related("school")
            )
            posts = (
                Assignment.objects.active(self.today)
                .filter(
                    prefix_q("org_path", block.path) | Q(org_path=district.path),
                    role__in=[
                        Role.DISTRICT_OFFICER,
                        Role.COACH,
                        Role.CRC,
                        Role.HEADTEACHER,
                        Role.TEACHER,
                    ],
                )
                .select_related("person")
                .order_by("org_path", "role", "start_date", "person__name")
            )
            by_unit: dict[tuple[str, str], list[Staff]] = defaultdict(list)
            for post in posts:
                login = self.users.get(post.person.user_id) if post.person.user_id else None
                staff = Staff(post.person, post.start_date, login)
                by_unit[(post.org_path, post.role)].append(staff)
            for staff_list in by_unit.values():
                # The demo logins first: `coach` is the block's first coach.
                staff_list.sort(key=lambda s: s.user is None)
            clusters: list[ClusterInfo] = []
            for unit in units:
                if unit.depth == block.depth + 1:
                    crcs = by_unit[(unit.path, Role.CRC)]
                    clusters.append(ClusterInfo(unit, crcs[0] if crcs else None, []))
                elif unit.level == settings.ORG_SCHOOL_LEVEL and clusters:
                    school = getattr(unit, "school", None)
                    heads = by_unit[(unit.path, Role.HEADTEACHER)]
                    clusters[-1].schools.append(
                        SchoolInfo(
                            unit,
                            float(school.latitude or 0) if school else 0.0,
                            float(school.longitude or 0) if school else 0.0,
                            heads[0] if heads else None,
                            by_unit[(unit.path, Role.TEACHER)],
                        )
                    )
            officers = by_unit[(district.path, Role.DISTRICT_OFFICER)]
            result.append(
                DistrictInfo(
                    district,
                    block,
                    officers[0] if officers else None,
                    by_unit[(block.path, Role.COACH)],
                    [c for c in clusters if c.schools and c.unit.path[: 3 * step] == block.path],
                )
            )
        return result

    # --- forming networks ---------------------------------------------------------------

    def form(
        self,
        *,
        name: str,
        kind: str,
        owner: OrgUnit,
        facilitator: Staff,
        schools: list[SchoolInfo],
        started: datetime.date,
        by: Staff | None,
        description: str,
        meeting_school: SchoolInfo | None = None,
        part_of: Net | None = None,
        teachers: bool = False,
    ) -> Net:
        """Form a network on the day it started; those not yet posted join later."""
        hub = meeting_school or schools[0]
        with self.on(_at(started, 11)):
            network = network_create(
                name=name,
                kind=kind,
                org_unit=owner,
                facilitator=facilitator.person,
                schools=[s.unit for s in schools],
                started_on=started,
                description=description,
                part_of=part_of.network if part_of else None,
                meeting_school=hub.unit,
                with_headteachers=not teachers,
                walking_minutes={str(s.unit.pk): _walking_minutes(s, hub) for s in schools}
                if kind == Network.Kind.COP
                else None,
                by=by.acting(started) if by else None,
            )
            net = Net(network, facilitator, schools)
            self.enrol(net, schools, started, teachers)
            self.join(net, started)
        net.owners[facilitator.person.pk] = facilitator
        self.nets.append(net)
        return net

    def enrol(
        self, net: Net, schools: list[SchoolInfo], started: datetime.date, teachers: bool
    ) -> None:
        """Who belongs: the heads posted by `started` joined with their schools; the rest
        (and a teachers' CoP's teachers) are waiting to join."""
        for school in schools:
            staff = school.teachers if teachers else [school.head] if school.head else []
            role = NetworkMember.Role.TEACHER if teachers else NetworkMember.Role.HEADTEACHER
            for member in staff:
                net.owners[member.person.pk] = member
                if member.start <= started and not teachers:
                    net.people[member.person.pk] = member.person
                else:
                    net.pending.append((member, school.unit, role))

    def join(self, net: Net, day: datetime.date) -> None:
        """Those whose posts have begun by `day` join (a new head joins the network)."""
        waiting = []
        for staff, school, role in net.pending:
            if staff.start <= day:
                member_add(
                    network=net.network,
                    person=staff.person,
                    role=role,
                    school=school,
                    by=net.by(day),
                )
                net.people[staff.person.pk] = staff.person
            else:
                waiting.append((staff, school, role))
        net.pending = waiting

    # --- a year of meetings ---------------------------------------------------------------

    def cadence(
        self, weeks: int, *, first: datetime.date, stop: datetime.date | None = None
    ) -> tuple[list[datetime.date], datetime.date | None]:
        """Meetings every `weeks` weeks on one weekday, counted back from the next one (in
        the coming two weeks); `stop`: none held after it and none planned (stuck)."""
        ahead = self.rng.randint(2, 8) + (7 if self.rng.random() < 0.4 else 0)
        upcoming = self.today + datetime.timedelta(days=min(ahead, 14))
        if upcoming.weekday() == 6:  # Sunday
            upcoming -= datetime.timedelta(days=1)
        held = []
        day = upcoming - datetime.timedelta(weeks=weeks)
        while day >= first:
            if stop is None or day <= stop:
                held.append(day)
            day -= datetime.timedelta(weeks=weeks)
        held.reverse()
        return held, (upcoming if stop is None else None)

    def modes(self, count: int, weights: tuple[int, int, int, int]) -> list[str]:
        return self.rng.choices([M.IN_PERSON, M.VIDEO, M.PHONE, M.WHATSAPP], weights, k=count)

    def where(self, net: Net, mode: str, rotate: int) -> dict[str, Any]:
        """Where a meeting is: a member school (taking turns), a call, or the group."""
        if mode == M.IN_PERSON:
            if net.network.kind == Network.Kind.PLC:
                return {"venue_text": f"{VENUES[rotate % len(VENUES)]}, {net.network.org_unit}"}
            rotating = (Network.Kind.COP, Network.Kind.PEER_REVIEW)
            schools = net.schools if net.network.kind in rotating else net.schools[:1]
            return {"venue": schools[rotate % len(schools)].unit}
        slug = slugify(net.network.name)[:40]
        if mode == M.VIDEO:
            return {"link": f"https://meet.jit.si/clusterwise-{slug}"}
        if mode == M.WHATSAPP:
            return {"whatsapp_group": net.network.name[:100]}
        return {}

    def title(self, template: str, day: datetime.date) -> str:
        if template == T.CRISIS:
            return "Floods: our children, staff and the way back to school"
        if template == T.PEER_REVIEW:
            return f"Peer review {day.year}: improvement workshop"
        label = {
            T.SCHOOL_IMPROVEMENT: "School improvement",
            T.DATA_REVIEW: "Data review",
            T.CUSTOM: "Lesson study",
        }[T(template)]
        return f"{label}, {day:%B %Y}"

    def schedule(
        self, net: Net, plan: Plan, index: int, day: datetime.date, by_day: datetime.date
    ) -> None:
        template = plan.templates[index]
        mode = plan.modes[index]
        meeting = meeting_svc.meeting_schedule(
            network=net.network,
            title=self.title(template, day),
            template=template,
            starts_at=_at(day, plan.hour),
            mode=mode,
            duration_minutes=plan.duration if mode == M.IN_PERSON else 60,
            by=net.by(by_day),
            **self.where(net, mode, index),
        )
        net.meetings.append(meeting)

    def events(self, net: Net, plan: Plan) -> list[tuple[datetime.datetime, Callable[[], None]]]:
        """The meetings as dated steps: each held meeting plans the next one at its end."""
        days = [*plan.held, *([plan.upcoming] if plan.upcoming else [])]
        started = net.network.started_on
        steps: list[tuple[datetime.datetime, Callable[[], None]]] = []
        if days:
            steps.append((_at(started, 12), lambda: self.schedule(net, plan, 0, days[0], started)))
        for index, day in enumerate(plan.held):

            def hold(index: int = index, day: datetime.date = day) -> None:
                self.join(net, day)
                meeting = net.meetings[index]
                if index in plan.cancelled:
                    meeting_svc.meeting_cancel(meeting=meeting, version=None, by=net.by(day))
                else:
                    self.hold(net, meeting, day, plan)
                if index + 1 < len(days):
                    self.schedule(net, plan, index + 1, days[index + 1], day)

            end = plan.hour + (plan.duration if plan.modes[index] == M.IN_PERSON else 60) // 60
            steps.append((_at(day, end, 30), hold))
        return steps

    def run(self, steps: list[tuple[datetime.datetime, Callable[[], None]]]) -> None:
        for moment, action in sorted(steps, key=lambda s: s[0]):
            with self.on(moment):
                action()

    def hold(self, net: Net, meeting: Meeting, day: datetime.date, plan: Plan) -> None:
        """Attendance, the review of open commitments, new commitments, the minutes."""
        rng = self.rng
        by = net.by(day)
        facilitator = net.facilitator.person
        people = sorted(net.people.values(), key=lambda p: p.name)
        present = [p for p in people if rng.random() < 0.82]
        if rng.random() < 0.93 or len(present) < 2:
            present.append(facilitator)
        for person in people:  # a commitment needs a witness besides its owner
            if len(present) >= 2:
                break
            if person not in present:
                present.append(person)
        remote = []
        if meeting.mode == M.IN_PERSON:
            remote = [p for p in present if p != facilitator and rng.random() < 0.1]
        meeting_svc.attendance_record(
            meeting=meeting,
            present=[p for p in present if p not in remote],
            remote=remote,
            by=by,
        )
        kept = self.review(net, meeting, day, by)
        if meeting.template != T.PEER_REVIEW:
            pool = COMMITMENTS
            if net.network.kind == Network.Kind.TEACHER_COP:
                pool = TEACHER_COMMITMENTS
            elif meeting.template == T.CRISIS:
                pool = CRISIS_COMMITMENTS
            owners = [p for p in present if p != facilitator] or present
            # Not what the last meetings promised again.
            fresh = [c for c in pool if c[0] not in net.recent] or pool
            count = 0 if plan.first_minutes else rng.randint(*plan.commitments)
            made = rng.sample(fresh, min(count, len(fresh)))
            net.recent = [text for text, _m, _e in made] + net.recent[: 2 * len(made)]
            moment = timezone.now()
            for n, (text, measure, _evidence) in enumerate(made, start=1):
                owner = rng.choice(owners)
                # Due around the next meeting, which will ask after it.
                days = max(14, 7 * plan.weeks + rng.choice([-7, 0, 0, 7, 14]))
                # A minute apart, so the agendas list them in a fixed order.
                with self.on(moment + datetime.timedelta(minutes=n)):
                    meeting_svc.commitment_record(
                        meeting=meeting,
                        text=text,
                        owner=owner,
                        due_on=day + datetime.timedelta(days=days),
                        success_measure=measure,
                        goal=rng.choice(GOALS),
                        by=self.owner_user(net, owner, day) or by,
                    )
        school = rng.choice(net.schools).unit.name
        venue = meeting.venue.name if meeting.venue else "the usual school"
        if plan.first_minutes:
            minutes = plan.first_minutes
        elif net.network.kind == Network.Kind.CLUSTER and rng.random() < 0.3:
            minutes = rng.choice(MINUTES_MR).format(school=school)
        else:
            minutes = rng.choice(MINUTES[T(meeting.template)]).format(school=school)
            if kept:
                minutes += f" {kept} of the commitments reviewed were kept."
        meeting_svc.minutes_record(
            meeting=meeting,
            minutes=minutes,
            decisions=rng.choice(DECISIONS).format(school=school, venue=venue),
            version=None,
            by=by,
        )

    def owner_user(self, net: Net, person: Person, day: datetime.date) -> User | None:
        staff = net.owners.get(person.pk)
        return staff.acting(day) if staff else None

    def review(self, net: Net, meeting: Meeting, day: datetime.date, by: User | None) -> int:
        """What the meeting found of each commitment on its agenda; how many were kept."""
        rng = self.rng
        kept = 0
        items = (
            meeting.agenda.filter(action__isnull=False).select_related("action").order_by("order")
        )
        for item in items:
            action = item.action
            assert action is not None
            if action.is_closed:
                continue
            due = action.due_on <= day
            status = rng.choices(
                [Action.Status.DONE, Action.Status.IN_PROGRESS, Action.Status.OPEN, "dropped"],
                [62, 22, 9, 7] if due else [30, 50, 20, 0],
            )[0]
            evidence = ""
            if status == Action.Status.DONE:
                kept += 1
                evidence = next(
                    (e for t, _m, e in ALL_COMMITMENTS if t == action.text),
                    "Seen by the members at the meeting.",
                )
            meeting_svc.commitment_review(
                meeting=meeting,
                action=action,
                status=status,
                note=rng.choice(REVIEW_NOTES[Action.Status(status)]),
                evidence=evidence,
                by=by,
            )
        return kept

    def year_of(
        self,
        net: Net,
        weeks: int,
        templates: Sequence[str],
        *,
        mode_weights: tuple[int, int, int, int],
        stop: datetime.date | None = None,
        **plan: Any,
    ) -> Plan:
        held, upcoming = self.cadence(
            weeks, first=net.network.started_on + datetime.timedelta(days=7), stop=stop
        )
        count = len(held) + (1 if upcoming else 0)
        chosen = [templates[n % len(templates)] for n in range(count)]
        return Plan(held, upcoming, chosen, self.modes(count, mode_weights), weeks=weeks, **plan)

    # --- the networks of a district --------------------------------------------------------

    def district(self, number: int, d: DistrictInfo) -> None:
        rng = self.rng
        coaches = d.coaches or [c.crc for c in d.clusters if c.crc]
        year_ago = self.today - datetime.timedelta(days=YEAR + 28)
        officer = d.officer

        # Communities of practice: the first group of each of the first clusters.
        cops: list[Net] = []
        monthly = number == 0  # every four weeks in the logins' district, else eight
        for index, cluster in enumerate(d.clusters[:COP_CLUSTERS]):
            schools = cluster.schools[: rng.randint(*COP_SIZE)]
            place = cluster.unit.name.rsplit(" ", 1)[0]
            stuck = index == STUCK_COP
            net = self.form(
                name=f"{place} heads' community of practice",
                kind=Network.Kind.COP,
                owner=d.block,
                facilitator=coaches[COP_COACH[index] % len(coaches)],
                schools=schools,
                started=year_ago + datetime.timedelta(days=rng.randint(0, 20)),
                by=officer,
                description=f"Headteachers of {len(schools)} schools within walking distance"
                f" of {schools[0].unit.name} meet {'every month' if monthly else 'in turn'}"
                " to improve reading and attendance together.",
            )
            stop = self.today - datetime.timedelta(days=rng.randint(120, 150)) if stuck else None
            templates = [T.SCHOOL_IMPROVEMENT, T.DATA_REVIEW]
            plan = self.year_of(
                net,
                4 if monthly else 8,
                templates,
                mode_weights=(70, 10, 8, 12),
                stop=stop,
                commitments=(1, 3) if monthly else (1, 2),
            )
            if number == 0 and index == 0:
                crisis = self.monsoon(plan)
                plan.cancelled = {n for n in (len(plan.held) // 3,) if n != crisis}
            self.run(self.events(net, plan))
            cops.append(net)
            self.step()

        # The PLC on foundational reading.
        plc_schools = [c.schools[1] for c in d.clusters[2:] if len(c.schools) > 1][:PLC_SCHOOLS]
        if plc_schools:
            lead = coaches[0]
            net = self.form(
                name=f"{d.block.name} PLC: foundational reading",
                kind=Network.Kind.PLC,
                owner=d.block,
                facilitator=lead,
                schools=plc_schools,
                started=year_ago + datetime.timedelta(days=rng.randint(20, 40)),
                by=officer,
                description="Headteachers of the block's schools with the weakest reading"
                " results study one reading practice a term, try it, and bring evidence.",
            )
            co = d.clusters[2].crc if len(d.clusters) > 2 else None
            if co is not None:
                with self.on(_at(net.network.started_on, 12)):
                    member_add(
                        network=net.network,
                        person=co.person,
                        role=NetworkMember.Role.CO_FACILITATOR,
                        by=None,
                    )
                net.people[co.person.pk] = co.person
                net.owners[co.person.pk] = co
            plan = self.year_of(
                net, 6, [T.DATA_REVIEW, T.SCHOOL_IMPROVEMENT], mode_weights=(55, 35, 5, 5)
            )
            self.run(self.events(net, plan))
            self.step()

        # The peer-review group.
        if len(d.clusters) >= 4:
            picks = [0, 2, 3, 5] if number == 0 else [1, 2, 3]
            schools = [d.clusters[i].schools[0] for i in picks if i < len(d.clusters)]
            self.peer_review(number, d, schools, coaches[0], officer, year_ago)
            self.step()

        # Cluster networks: one per cluster of the block, the CRC facilitating; the first
        # have met for a year, the others were formed this term.
        for index, cluster in enumerate(self.cluster_sample(d)):
            if index < YEAR_CLUSTERS:
                started = year_ago + datetime.timedelta(days=rng.randint(0, 30))
            else:
                started = self.today - datetime.timedelta(days=rng.randint(*TERM))
            assert cluster.crc is not None  # cluster_sample keeps clusters with a CRC
            net = self.form(
                name=f"{cluster.unit.name} cluster network",
                kind=Network.Kind.CLUSTER,
                owner=cluster.unit,
                facilitator=cluster.crc,
                schools=cluster.schools,
                started=started,
                by=officer,
                description="The cluster's headteachers meet with the CRC every two months.",
            )
            plan = self.year_of(
                net,
                8,
                [T.DATA_REVIEW, T.SCHOOL_IMPROVEMENT],
                mode_weights=(85, 0, 5, 10),
                commitments=(1, 2),
                first_minutes=""
                if index < YEAR_CLUSTERS
                else "First meeting: each head introduced the school; we agreed our ground"
                " rules, to meet every two months, and to look at reading results first.",
            )
            self.run(self.events(net, plan))
            self.step()

        # Teachers' CoPs inside schools of the first CoP, part of it (the triple helix).
        homes = cops[0].schools[: 2 if number == 0 else 1] if cops else []
        for school in homes:
            cop = cops[0]
            if school.head is None or len(school.teachers) < 2:
                continue
            net = self.form(
                name=f"{school.unit.name}: teachers' community of practice",
                kind=Network.Kind.TEACHER_COP,
                owner=school.unit,
                facilitator=school.head,
                schools=[school],
                started=year_ago + datetime.timedelta(days=rng.randint(60, 90)),
                by=school.head,
                description="The school's teachers plan, observe and improve lessons"
                " together; part of the headteachers' CoP.",
                part_of=cop,
                teachers=True,
            )
            plan = self.year_of(
                net,
                4 if monthly else 8,
                [T.CUSTOM],
                mode_weights=(100, 0, 0, 0),
                duration=45,
                hour=14,
                commitments=(1, 2),
            )
            self.run(self.events(net, plan))
            self.step()

    def cluster_sample(self, d: DistrictInfo) -> list[ClusterInfo]:
        """The block's clusters in order, up to CLUSTER_NETWORK_SCHOOLS schools (all of the
        small demo's), each with a CRC."""
        sample, total = [], 0
        for cluster in d.clusters:
            total += len(cluster.schools)
            if total > CLUSTER_NETWORK_SCHOOLS or cluster.crc is None:
                break
            sample.append(cluster)
        return sample

    def monsoon(self, plan: Plan) -> int | None:
        """The meeting nearest the floods (early August) becomes a crisis meeting on
        WhatsApp; its index."""
        if not plan.held:
            return None
        target = datetime.date(self.today.year, 8, 5)
        if target > self.today:
            target = target.replace(year=target.year - 1)
        index = min(range(len(plan.held)), key=lambda i: abs((plan.held[i] - target).days))
        plan.templates[index] = T.CRISIS
        plan.modes[index] = M.WHATSAPP
        return index

    # --- peer review ----------------------------------------------------------------------

    def peer_review(
        self,
        number: int,
        d: DistrictInfo,
        schools: list[SchoolInfo],
        facilitator: Staff,
        officer: Staff | None,
        year_ago: datetime.date,
    ) -> None:
        """The first district's group completes a cycle; the second's is at the peer
        review, the third's at the self-review."""
        rng = self.rng
        kind = "quartet" if len(schools) == 4 else "trio"
        net = self.form(
            name=f"{d.block.name} peer-review {kind}",
            kind=Network.Kind.PEER_REVIEW,
            owner=d.block,
            facilitator=facilitator,
            schools=schools,
            started=year_ago - datetime.timedelta(days=21),
            by=officer,
            description="Schools from different clusters review each other once a year"
            " and help each other on what the reviews find.",
        )
        plan = self.year_of(net, 8, [T.SCHOOL_IMPROVEMENT], mode_weights=(80, 10, 5, 5))
        steps = self.events(net, plan)
        quality = {
            s.unit.pk: {code: rng.choice([1, 2, 2, 3, 3, 3, 4]) for code in self.area_codes}
            for s in schools
        }
        state: dict[str, Any] = {}

        def start() -> None:
            assert self.framework is not None
            state["cycle"] = review_svc.cycle_start(
                network=net.network,
                year=timezone.localdate().year,
                framework=self.framework,
                by=net.by(timezone.localdate()),
            )

        def self_review(school: SchoolInfo, submit: bool) -> Callable[[], None]:
            def write() -> None:
                self.write_review(
                    net, state["cycle"], school, SchoolReview.Kind.SELF, quality, submit
                )

            return write

        def peer(school: SchoolInfo, submit: bool) -> Callable[[], None]:
            def write() -> None:
                self.write_review(
                    net, state["cycle"], school, SchoolReview.Kind.PEER, quality, submit
                )

            return write

        def advance() -> None:
            state["cycle"] = review_svc.cycle_advance(
                cycle=state["cycle"], version=None, by=net.by(timezone.localdate())
            )

        if number == 0:
            # A completed cycle around the workshop, the fourth meeting of the year.
            w = min(4, len(plan.held) - 2)
            plan.templates[w] = T.PEER_REVIEW
            kickoff = plan.held[w - 2] if w >= 2 else net.network.started_on
            workshop = plan.held[w]
            steps.append((_at(kickoff, 18), start))
            for n, school in enumerate(schools):
                steps.append(
                    (
                        _at(kickoff + datetime.timedelta(days=6 + 3 * n), 16),
                        self_review(school, True),
                    )
                )
            steps.append((_at(kickoff + datetime.timedelta(days=24), 10), advance))
            for n, school in enumerate(schools):
                steps.append(
                    (_at(kickoff + datetime.timedelta(days=30 + 5 * n), 16), peer(school, True))
                )
            steps.append((_at(workshop - datetime.timedelta(days=5), 10), advance))
            steps.append((_at(workshop, 19), lambda: self.workshop(net, state, workshop)))
            close = plan.held[-1] - datetime.timedelta(days=3)
            for n, day in enumerate(range(20, (close - workshop).days, 25)):

                def log(n: int = n, day: int = day) -> None:
                    self.session(state, n, workshop, day)

                steps.append((_at(workshop + datetime.timedelta(days=day), 15), log))
            steps.append((_at(close, 10), advance))
        else:
            begin = self.today - datetime.timedelta(days=60 if number == 1 else 21)
            steps.append((_at(begin, 10), start))
            if number == 1:
                for n, school in enumerate(schools):
                    steps.append(
                        (
                            _at(begin + datetime.timedelta(days=4 + 3 * n), 16),
                            self_review(school, True),
                        )
                    )
                steps.append((_at(begin + datetime.timedelta(days=25), 10), advance))
                for n, school in enumerate(schools):
                    steps.append(
                        (
                            _at(begin + datetime.timedelta(days=35 + 10 * n), 16),
                            peer(school, n < len(schools) - 1),
                        )
                    )
            else:
                for n, school in enumerate(schools[:2]):
                    steps.append(
                        (
                            _at(begin + datetime.timedelta(days=7 + 8 * n), 16),
                            self_review(school, n == 0),
                        )
                    )
        self.run(steps)

    @property
    def area_codes(self) -> list[str]:
        assert self.framework is not None
        return list(self.framework.areas.order_by("order").values_list("code", flat=True))

    def write_review(
        self,
        net: Net,
        cycle: ReviewCycle,
        school: SchoolInfo,
        kind: str,
        quality: dict[Any, dict[str, int]],
        submit: bool,
    ) -> None:
        """A self-review by the school's head and a teacher, or a peer review by heads of
        two other schools; saved, and submitted unless `submit` is false."""
        rng = self.rng
        day = timezone.localdate()
        truth = quality[school.unit.pk]
        if kind == SchoolReview.Kind.SELF:
            # Schools rate themselves a little higher than their peers do.
            ratings = {c: min(4, r + (1 if rng.random() < 0.35 else 0)) for c, r in truth.items()}
            team = [s.person for s in [school.head, *school.teachers[:1]] if s and s.start <= day]
            writer = school.head.acting(day) if school.head else None
        else:
            ratings = dict(truth)
            others = [
                s.head for s in net.schools if s is not school and s.head and s.head.start <= day
            ]
            team = [s.person for s in others[:2]] or [net.facilitator.person]
            writer = next((s.acting(day) for s in others[:2] if s.acting(day)), None)
        virtual = kind == SchoolReview.Kind.PEER and rng.random() < 0.25
        review = review_svc.school_review_save(
            cycle=cycle,
            school=school.unit,
            kind=kind,
            ratings={c: (r, AREA_EVIDENCE[r]) for c, r in ratings.items()},
            strengths=rng.choice(REVIEW_TEXT["strengths"]),
            to_develop=rng.choice(REVIEW_TEXT["to_develop"]),
            evidence=rng.choice(REVIEW_TEXT["evidence"]),
            interviews="Video calls with the head, two teachers and three parents."
            if virtual
            else "",
            visited_on=day,
            virtual=virtual,
            reviewers=team,
            version=None,
            by=writer,
        )
        if submit:
            review_svc.school_review_submit(review=review, version=None, by=writer)

    def workshop(self, net: Net, state: dict[str, Any], day: datetime.date) -> None:
        """The improvement workshop: its meeting named, a plan with actions, support pairs,
        then on to school-to-school support."""
        rng = self.rng
        by = net.by(day)
        meeting = next(m for m in net.meetings if m.template == T.PEER_REVIEW)
        cycle = review_svc.cycle_workshop_link(
            cycle=state["cycle"], meeting=meeting, version=None, by=by
        )
        plan = review_svc.workshop_plan_create(cycle=cycle, by=by)
        people = [s.head for s in net.schools if s.head and s.head.start <= day]
        for n, (text, measure, _evidence) in enumerate(rng.sample(COMMITMENTS, 3)):
            owner = people[n % len(people)].person if people else net.facilitator.person
            review_svc.workshop_action_add(
                plan=plan,
                text=text,
                owner=owner,
                due_on=day + datetime.timedelta(days=rng.choice([42, 56, 70])),
                success_measure=measure,
                goal=rng.choice(GOALS),
                by=by,
            )
        links = []
        for pair in support_pairs_suggested(cycle)[:3]:
            links.append(
                review_svc.support_link_create(
                    cycle=cycle,
                    helping=pair.helping,
                    helped=pair.helped,
                    area=pair.area,
                    focus=f"{pair.area}: from {pair.helped_rating} towards 3, with"
                    f" {pair.helping.name}'s help",
                    by=by,
                )
            )
        if not links and len(net.schools) > 1:
            links.append(
                review_svc.support_link_create(
                    cycle=cycle,
                    helping=net.schools[0].unit,
                    helped=net.schools[1].unit,
                    area=None,
                    focus="Reading groups by level",
                    by=by,
                )
            )
        state["links"] = links
        state["cycle"] = review_svc.cycle_advance(cycle=cycle, version=None, by=by)

    def session(self, state: dict[str, Any], n: int, workshop: datetime.date, day: int) -> None:
        links = state.get("links") or []
        if not links:
            return
        link = links[n % len(links)]
        review_svc.support_session_log(
            link=link,
            held_on=workshop + datetime.timedelta(days=day),
            mode=self.rng.choice([M.IN_PERSON, M.IN_PERSON, M.PHONE, M.VIDEO]),
            notes=self.rng.choice(SESSION_NOTES),
            by=None,
        )

    # --- plans of the first district -------------------------------------------------------

    def plans(self, d: DistrictInfo) -> None:
        """The `head`'s school improvement plan and performance contract (signed by the
        cluster's CRC), and the cluster's development plan."""
        rng = self.rng
        cluster = d.clusters[0]
        school = cluster.schools[0]
        head, crc = school.head, cluster.crc
        if head is None or crc is None:
            return
        june = datetime.date(
            self.today.year if self.today.month >= 6 else self.today.year - 1, 6, 15
        )
        april = datetime.date(june.year + 1, 4, 30)
        teacher = school.teachers[0] if school.teachers else head
        with self.on(_at(june, 11)):
            sip = plan_svc.plan_create(
                kind=ActionPlan.Kind.SCHOOL,
                title=f"{school.unit.name}: school improvement plan {june.year}–{april.year % 100}",
                org_unit=school.unit,
                starts_on=june,
                ends_on=april,
                goals="Every Class 3 child reads a paragraph by March.\n"
                "Attendance above 90% in every class.",
                by=head.acting(june),
            )
            cdp = plan_svc.plan_create(
                kind=ActionPlan.Kind.CLUSTER,
                title=f"{cluster.unit.name}: cluster development plan {june.year}–{april.year % 100}",
                org_unit=cluster.unit,
                starts_on=june,
                ends_on=april,
                goals="Two learning priorities agreed with the headteachers: reading fluency"
                " in Class 3 and word problems in Class 5.",
                by=crc.acting(june),
            )
            contract = plan_svc.plan_create(
                kind=ActionPlan.Kind.CONTRACT,
                title=f"{head.person.name}: performance contract {june.year}–{april.year % 100}",
                org_unit=school.unit,
                starts_on=june,
                ends_on=april,
                goals="What the headteacher commits to this year, signed by the CRC.",
                supervisor=crc.person,
                by=head.acting(june),
            )
            actions = []
            for plan, owner, text, measure, days in [
                (
                    sip,
                    head,
                    "Reading check for every Class 3 child each term",
                    "Levels recorded",
                    60,
                ),
                (sip, teacher, "Reading corner in every classroom", "Corners in use", 90),
                (sip, head, "Home visits to every chronic absentee", "Visit log complete", 150),
                (sip, teacher, "Level groups for Class 4 mathematics", "Groups meet daily", 200),
                (
                    cdp,
                    crc,
                    "Share each school's reading results with its head",
                    "Results shared",
                    45,
                ),
                (cdp, crc, "Cluster meeting on word problems", "Meeting held", 120),
                (cdp, head, "Model lessons on word problems in two schools", "Two lessons", 170),
            ]:
                due = min(june + datetime.timedelta(days=days), april)
                actions.append(
                    (
                        plan_svc.action_add(
                            plan=plan,
                            text=text,
                            owner=owner.person,
                            due_on=due,
                            success_measure=measure,
                            goal=rng.choice(GOALS),
                            by=None,
                        ),
                        owner,
                    )
                )
            for text, target in [
                ("Class 3 children reading a paragraph", "70%"),
                ("Average attendance", "90%"),
                ("Lessons observed with feedback each month", "8"),
                ("SMC meetings held with minutes", "10"),
            ]:
                plan_svc.action_add(
                    plan=contract,
                    text=text,
                    owner=head.person,
                    due_on=april,
                    success_measure="Measured by the CRC at the end of the year",
                    target=target,
                    by=None,
                )
        signed = june + datetime.timedelta(days=12)
        supervisor = crc.acting(signed)
        if supervisor is not None:
            with self.on(_at(signed, 12)):
                plan_svc.plan_sign_off(plan=contract, version=None, by=supervisor)
        # Progress on the plans' actions: the early ones kept, one started, one late.
        for action, owner in actions:
            if action.due_on < self.today - datetime.timedelta(days=20):
                done = action.due_on - datetime.timedelta(days=rng.randint(0, 10))
                if rng.random() < 0.75:
                    with self.on(_at(done, 16)):
                        meeting_svc.action_progress(
                            action=action,
                            version=None,
                            status=Action.Status.DONE,
                            evidence="Checked by the CRC on her visit.",
                            on=done,
                            by=owner.acting(done),
                        )
                    continue
            if action.due_on > self.today - datetime.timedelta(days=60):
                with self.on(_at(min(action.due_on, self.today) - datetime.timedelta(days=7), 16)):
                    meeting_svc.action_progress(
                        action=action,
                        version=None,
                        status=Action.Status.IN_PROGRESS,
                        by=owner.acting(self.today),
                    )

    # --- good practice ------------------------------------------------------------------

    def practices(self) -> None:
        """PRACTICES shared across the year by member schools; some tried elsewhere; a few
        recommended to other networks."""
        rng = self.rng
        places = [
            (net, school)
            for net in self.nets
            if net.network.kind in (Network.Kind.COP, Network.Kind.CLUSTER, Network.Kind.PLC)
            for school in net.schools
        ]
        if not places:
            return
        head_net = self.nets[0]
        shared = []
        start = self.today - datetime.timedelta(days=330)
        for n, (title, problem, done, evidence, tags, language) in enumerate(PRACTICES):
            net, school = (head_net, head_net.schools[0]) if n in (0, 28) else rng.choice(places)
            day = start + datetime.timedelta(days=round(n * 300 / len(PRACTICES)))
            author = school.head.acting(day) if school.head else None
            with self.on(_at(day, 17)):
                practice = practice_svc.practice_create(
                    title=title,
                    problem=problem,
                    what_was_done=done,
                    evidence=evidence,
                    school=school.unit,
                    network=net.network,
                    tags=list(tags),
                    language=language,
                    by=author,
                )
            shared.append((practice, net, school, day))
        # "We tried it": other schools of the district, a month or more later.
        for practice, _net, school, day in rng.sample(shared, min(16, len(shared))):
            step = OrgUnit.steplen
            nearby = [
                s
                for _n, s in places
                if s is not school and s.unit.path[: 2 * step] == school.unit.path[: 2 * step]
            ]
            unique = list({s.unit.pk: s for s in nearby}.values())
            for other in rng.sample(unique, min(rng.randint(1, 3), len(unique))):
                tried = day + datetime.timedelta(days=rng.randint(30, 120))
                if tried >= self.today:
                    continue
                outcome = rng.choices(list(TRIAL_NOTES), [45, 30, 10, 15])[0]
                with self.on(_at(tried, 17)):
                    practice_svc.practice_tried(
                        practice=practice,
                        school=other.unit,
                        outcome=outcome,
                        tried_on=tried,
                        note=rng.choice(TRIAL_NOTES[PracticeTrial.Outcome(outcome)]),
                        by=None,
                    )
        # Recommendations by the first district's coach and CRC to their networks.
        first = self.nets[0]
        for staff, targets in (
            (first.facilitator, [n for n in self.nets if n.facilitator is first.facilitator]),
            (
                self.cluster_crc,
                [n for n in self.nets if n.network.kind == Network.Kind.CLUSTER][:1],
            ),
        ):
            if staff is None:
                continue
            day = self.today - datetime.timedelta(days=rng.randint(5, 25))
            user = staff.acting(day)
            if user is None:
                continue
            for target in targets[:3]:
                own = {s.unit.pk for s in target.schools}
                candidates = [p for p, _n, s, _d in shared if s.unit.pk not in own]
                for practice in rng.sample(candidates, min(2, len(candidates))):
                    with self.on(_at(day, 18)):
                        practice_svc.practice_recommend(
                            practice=practice,
                            network=target.network,
                            note="Worked in a school much like yours; worth a try this term.",
                            by=user,
                        )

    @property
    def cluster_crc(self) -> Staff | None:
        cluster = next((n for n in self.nets if n.network.kind == Network.Kind.CLUSTER), None)
        return cluster.facilitator if cluster else None

    # --- the schools' own figures -----------------------------------------------------------

    def figures(self) -> int:
        """Monthly figures of every member school for the last 12 months."""
        rng = self.rng
        schools: dict[Any, SchoolInfo] = {}
        for net in self.nets:
            for school in net.schools:
                schools.setdefault(school.unit.pk, school)
        this_month = self.today.replace(day=1)
        months = []
        day = this_month
        for _n in range(12):
            day = (day - datetime.timedelta(days=1)).replace(day=1)
            months.append(day)
        months.reverse()
        # Dips: the monsoon, the harvest and migration, the summer heat.
        dip = {7: 5.0, 8: 6.0, 10: 4.0, 11: 7.0, 12: 3.0, 4: 4.0}
        rows = []
        for school in sorted(schools.values(), key=lambda s: s.unit.path):
            enrolled = rng.randint(45, 420)
            base = rng.uniform(82, 94)
            for month in months:
                if month.month in (6, 7):
                    enrolled += rng.randint(0, 6)  # admissions
                dropped = rng.choices([0, 1, 2, 3], [70, 18, 8, 4])[0]
                if month.month in (11, 12):
                    dropped += rng.randint(0, 2)  # families leave for the harvest
                came_back = rng.choices([0, 1, 2], [75, 18, 7])[0]
                if month.month in (1, 6):
                    came_back += rng.randint(0, 3)
                enrolled = max(20, enrolled - dropped + came_back)
                attendance = base - dip.get(month.month, 0.0) + rng.uniform(-2.5, 2.5)
                rows.append(
                    SchoolFigures(
                        school=school.unit,
                        school_path=school.unit.path,
                        month=month,
                        enrolled=enrolled,
                        attendance=decimal.Decimal(f"{min(99.0, attendance):.1f}"),
                        dropped_out=dropped,
                        came_back=came_back,
                    )
                )
        SchoolFigures.objects.bulk_create(rows, batch_size=2000)
        return len(rows)

    # --- all of it ----------------------------------------------------------------------------

    def run_all(self) -> dict[str, int]:
        districts = self.districts()
        # A step per network, and one each for plans, practices and figures.
        self.total = 3 + sum(
            min(COP_CLUSTERS, len(d.clusters)) + 4 + len(self.cluster_sample(d)) for d in districts
        )
        with self.on(_at(self.today - datetime.timedelta(days=YEAR + 60), 9)):
            self.framework = review_svc.review_framework_load(
                data=json.loads(FRAMEWORK.read_text(encoding="utf-8")), by=None
            )
        for number, d in enumerate(districts):
            if d.clusters:
                self.district(number, d)
        if districts and districts[0].clusters:
            self.plans(districts[0])
        self.step()
        self.practices()
        self.step()
        figures = self.figures()
        self.done = self.total - 1  # a district without a teachers' CoP took fewer steps
        self.step()
        return self.counts(figures)

    def counts(self, figures: int) -> dict[str, int]:
        today = self.today
        actions = Action.objects.filter(plan__network__isnull=False)
        open_ = [Action.Status.OPEN, Action.Status.IN_PROGRESS]
        return {
            "networks": Network.objects.count(),
            "network_members": NetworkMember.objects.count(),
            "network_meetings": Meeting.objects.filter(status=Meeting.Status.HELD).count(),
            "network_meetings_planned": Meeting.objects.filter(
                status=Meeting.Status.PLANNED
            ).count(),
            "network_commitments": actions.count(),
            "network_commitments_kept": actions.filter(status=Action.Status.DONE).count(),
            "network_commitments_overdue": actions.filter(
                status__in=open_, due_on__lt=today
            ).count(),
            "network_school_reviews": SchoolReview.objects.filter(
                status=SchoolReview.Status.SUBMITTED
            ).count(),
            "network_support_sessions": SupportSession.objects.count(),
            "network_plans": ActionPlan.objects.count(),
            "network_practices": Practice.objects.count(),
            "network_practices_tried": PracticeTrial.objects.count(),
            "network_recommendations": Recommendation.objects.count(),
            "network_school_figures": figures,
        }


def load_networks(
    rng: random.Random,
    today: datetime.date,
    progress: Callable[[int, int], None],
    *,
    districts: int = DISTRICTS,
) -> dict[str, int]:
    """Add the school-leadership networks to a freshly generated demo state (after the
    programme, observation and learning); `districts`: how many of the first districts."""
    with transaction.atomic():
        return NetworksDemo(rng, today, progress, districts).run_all()
