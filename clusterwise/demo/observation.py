"""The demo's classroom observation: both bundled instruments, about four months of observed
lessons in the demo clusters with feedback and follow-ups, this month's visit plans, a few
drafts and sync conflicts, and coaches' ratings of the pilot CRCs' written feedback.

Who observes whom:
- Every CRC of the observed clusters (at the small scale all of them; at larger scales the
  pilot CRCs and the next CRCs in tree order, up to MAX_CRCS, so the state demo stays quick)
  observes most teachers of the cluster (at most MAX_TEACHERS of a big cluster) once to
  three times, three to six weeks apart.
  Now and then the block's coach or the school's headteacher observes instead.
- About a third of the teachers were observed this month: those visits are this month's
  plan, marked done; teachers not yet visited have visits planned for the rest of the month,
  and a few visits were cancelled. The caseload therefore shows visited and not yet visited.
- Each later observation of a teacher follows up the previous one's agreed actions (done,
  partly, not done); the newest one's actions stay open, some of them overdue.
- The pilot CRCs also observed a few lessons before their cohort's workshop on observation
  and feedback. Their coaches rated a sample of the feedback written before the workshop and
  after it; the CRCs wrote vaguer feedback before, so the ratings (and the automatic
  indicators of observation/quality.py) rise for most of them.

The demo logins: `crc` has this month's plan, open follow-ups, two drafts and three open sync
conflicts; `teacher` has three lessons observed by `crc`, the newest not yet acknowledged;
`head` observed a colleague once; `coach` has recent feedback of the pilot CRCs to review.

Deterministic for a seed, ids included. Rows are inserted in bulk without history, with
timestamps of when they would have been written.
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from clusterwise.core.bulk import bulk_insert
from clusterwise.observation.models import (
    Feedback,
    FeedbackAction,
    FeedbackReview,
    Instrument,
    Item,
    Observation,
    OnTask,
    PlannedVisit,
    Score,
    Snapshot,
    SyncConflict,
)
from clusterwise.observation.services import instrument_load, payload_digest
from clusterwise.org.models import Assignment, OrgUnit, Person, Role
from clusterwise.programme.models import Cohort, CohortMember, Workshop

INSTRUMENTS = Path(__file__).resolve().parents[1] / "observation" / "instruments"
INSTRUMENT_FILES = ("teach_classroom.json", "quick_visit.json")
MAX_CRCS = 186  # observed clusters: the whole small demo, a sample at larger scales
MAX_TEACHERS = 24  # observed per CRC: every teacher of a small cluster, a sample of a big one
WINDOW = 120  # days of observations before today
THIS_MONTH_SHARE = 0.3  # of a cluster's teachers, observed this month
STEPS = 9
# The tables this module fills, for the generator's ANALYZE after loading.
OBSERVATION_TABLES = (
    Instrument,
    Item,
    PlannedVisit,
    Observation,
    Score,
    Snapshot,
    Feedback,
    FeedbackAction,
    FeedbackReview,
    SyncConflict,
)

# --- what observers write -------------------------------------------------------------

LANGUAGES = ("mr", "en", "hi")
# Per topic and language: evidence of a strong (4–5) and a weak (1–2) practice, a next
# step (with a time, as the workshop teaches) and the action agreed for it.
TOPICS: dict[str, dict[str, dict[str, list[str]]]] = {
    "supportive": {
        "en": {
            "high": [
                "Called children by name and thanked them for every answer, even a wrong one.",
                "Walked between the rows and knelt to talk with the children at the back.",
            ],
            "low": [
                "Scolded a child for a wrong answer in front of the class; after that few"
                " hands went up.",
                "Taught from the blackboard the whole time; the back rows were not spoken to.",
            ],
            "step": ["Thank each answer, right or wrong, before correcting it, from tomorrow."],
            "action": ["Call five children from the back rows by name in every lesson"],
        },
        "mr": {
            "high": [
                "मुलांना नावाने हाक मारली आणि चुकीच्या उत्तरालाही 'छान प्रयत्न' म्हणून दाद दिली.",
                "बाकांच्या रांगांमधून फिरून मागे बसलेल्या मुलांशी खाली बसून संवाद साधला.",
            ],
            "low": [
                "चुकीचे उत्तर देणाऱ्या मुलावर सर्वांसमोर टीका केली; त्यानंतर फार कमी मुलांनी हात वर केले.",
                "संपूर्ण तास फळ्याजवळूनच शिकवले; मागच्या रांगांतील मुलांशी संवाद झाला नाही.",
            ],
            "step": ["उद्यापासून प्रत्येक उत्तराला, बरोबर असो वा चूक, आधी दाद द्या आणि मग दुरुस्ती करा."],
            "action": ["प्रत्येक तासात मागच्या रांगांतील पाच मुलांना नावाने प्रश्न विचारणे"],
        },
        "hi": {
            "high": [
                "बच्चों को नाम से बुलाया और गलत उत्तर पर भी 'अच्छी कोशिश' कहकर हौसला बढ़ाया।",
                "पंक्तियों के बीच घूमकर पीछे बैठे बच्चों से झुककर बात की।",
            ],
            "low": [
                "गलत उत्तर देने वाले बच्चे को सबके सामने डाँटा; उसके बाद कम बच्चों ने हाथ उठाया।",
                "पूरा पाठ बोर्ड के पास से ही पढ़ाया; पीछे की पंक्तियों से बात नहीं हुई।",
            ],
            "step": ["कल से हर उत्तर पर, सही हो या गलत, पहले सराहना करें, फिर सुधारें।"],
            "action": ["हर पाठ में पीछे की पंक्तियों के पाँच बच्चों से नाम लेकर प्रश्न पूछना"],
        },
    },
    "behaviour": {
        "en": {
            "high": [
                "Set two class rules at the start and praised the group that followed them.",
                "Used a clap signal; the class was quiet within a few seconds.",
            ],
            "low": [
                "Shouted 'silence' several times; the noise came back each time.",
                "Children at the back played with a ball during the explanation; this was"
                " not noticed.",
            ],
            "step": [
                "Agree one simple signal for attention with the class and use it in next"
                " week's lessons."
            ],
            "action": ["Write three class rules with the children and put them on the wall"],
        },
        "mr": {
            "high": [
                "तासाच्या सुरुवातीला वर्गाचे दोन नियम सांगितले आणि नियम पाळणाऱ्या गटाचे कौतुक केले.",
                "टाळीचा इशारा वापरला; काही सेकंदांत वर्ग शांत झाला.",
            ],
            "low": [
                "'शांत बसा' असे अनेकदा ओरडून सांगितले; गोंधळ पुन्हा पुन्हा सुरू झाला.",
                "स्पष्टीकरण चालू असताना मागे मुले चेंडूशी खेळत होती; याकडे लक्ष गेले नाही.",
            ],
            "step": ["पुढच्या आठवड्यात मुलांसोबत लक्ष वेधण्याचा एक सोपा इशारा ठरवा आणि तो रोज वापरा."],
            "action": ["मुलांसोबत वर्गाचे तीन नियम लिहून भिंतीवर लावणे"],
        },
        "hi": {
            "high": [
                "पाठ की शुरुआत में कक्षा के दो नियम बताए और नियम मानने वाले समूह की तारीफ़ की।",
                "ताली का संकेत इस्तेमाल किया; कुछ ही सेकंड में कक्षा शांत हो गई।",
            ],
            "low": [
                "कई बार 'चुप रहो' चिल्लाकर कहा; शोर बार-बार लौट आया।",
                "समझाते समय पीछे बच्चे गेंद से खेल रहे थे; इस पर ध्यान नहीं गया।",
            ],
            "step": ["अगले सप्ताह बच्चों के साथ ध्यान खींचने का एक आसान संकेत तय करें और रोज़ इस्तेमाल करें।"],
            "action": ["बच्चों के साथ कक्षा के तीन नियम लिखकर दीवार पर लगाना"],
        },
    },
    "facilitation": {
        "en": {
            "high": [
                "Stated the lesson goal in one sentence and showed a worked example on the board.",
                "Modelled reading the first paragraph aloud, then the children read it in pairs.",
            ],
            "low": [
                "The goal of the lesson was not said; children copied sums from the board for"
                " most of the time.",
                "Explained for 20 minutes without an example; many children lost the thread.",
            ],
            "step": [
                "From Monday, start each lesson by saying what the children will be able to"
                " do by the end."
            ],
            "action": ["Write the lesson goal on the board at the start of every lesson"],
        },
        "mr": {
            "high": [
                "तासाचे उद्दिष्ट एका वाक्यात सांगितले आणि फळ्यावर एक सोडवलेले उदाहरण दाखवले.",
                "पहिला परिच्छेद स्वतः मोठ्याने वाचून दाखवला, मग मुलांनी जोडीने वाचन केले.",
            ],
            "low": [
                "तासाचे उद्दिष्ट सांगितले नाही; बराच वेळ मुले फळ्यावरची गणिते उतरवून घेत होती.",
                "उदाहरण न देता 20 मिनिटे स्पष्टीकरण दिले; अनेक मुलांचे लक्ष सुटले.",
            ],
            "step": ["सोमवारपासून प्रत्येक तासाच्या सुरुवातीला 'आज शेवटी आपण काय करू शकू' हे मुलांना सांगा."],
            "action": ["प्रत्येक तासाच्या सुरुवातीला फळ्यावर उद्दिष्ट लिहिणे"],
        },
        "hi": {
            "high": [
                "पाठ का उद्देश्य एक वाक्य में बताया और बोर्ड पर एक हल किया हुआ उदाहरण दिखाया।",
                "पहला अनुच्छेद खुद ज़ोर से पढ़कर दिखाया, फिर बच्चों ने जोड़ियों में पढ़ा।",
            ],
            "low": [
                "पाठ का उद्देश्य नहीं बताया; ज़्यादातर समय बच्चे बोर्ड से सवाल उतारते रहे।",
                "बिना उदाहरण के 20 मिनट समझाया; कई बच्चों का ध्यान भटक गया।",
            ],
            "step": ["सोमवार से हर पाठ की शुरुआत में बताएँ कि अंत तक बच्चे क्या कर पाएँगे।"],
            "action": ["हर पाठ की शुरुआत में बोर्ड पर उद्देश्य लिखना"],
        },
    },
    "checks": {
        "en": {
            "high": [
                "Asked all children to show answers on slates and looked around the room"
                " before moving on.",
                "Used thumbs up/down after the explanation and re-taught the step most"
                " children missed.",
            ],
            "low": [
                "Asked 'Understood?' and moved on when a few children said yes.",
                "Only the children in the front row answered questions.",
            ],
            "step": [
                "From tomorrow, after each new step ask every child to show an answer on a"
                " slate before you move on."
            ],
            "action": ["Use slates for a whole-class check twice in each lesson"],
        },
        "mr": {
            "high": [
                "सर्व मुलांना पाटीवर उत्तर लिहून दाखवायला सांगितले आणि पुढे जाण्यापूर्वी संपूर्ण"
                " वर्गावर नजर फिरवली.",
                "स्पष्टीकरणानंतर अंगठा वर/खाली करून विचारले आणि बहुतेक मुलांना न समजलेली पायरी पुन्हा शिकवली.",
            ],
            "low": [
                "'समजलं का?' असे विचारून, काही मुलांनी हो म्हणताच पुढचा भाग सुरू केला.",
                "फक्त पुढच्या रांगेतील मुलांनीच प्रश्नांची उत्तरे दिली.",
            ],
            "step": [
                "उद्यापासून प्रत्येक नवीन पायरीनंतर सर्व मुलांना पाटीवर उत्तर दाखवायला सांगा, मगच पुढे जा."
            ],
            "action": ["प्रत्येक तासात दोनदा पाटीवर संपूर्ण वर्गाची तपासणी करणे"],
        },
        "hi": {
            "high": [
                "सभी बच्चों से स्लेट पर उत्तर लिखकर दिखाने को कहा और आगे बढ़ने से पहले पूरी कक्षा पर नज़र डाली।",
                "समझाने के बाद अंगूठा ऊपर/नीचे से पूछा और जो कदम ज़्यादातर बच्चों को समझ नहीं आया,"
                " उसे दोबारा पढ़ाया।",
            ],
            "low": [
                "'समझ आया?' पूछकर, कुछ बच्चों की हाँ सुनते ही अगला सवाल शुरू किया।",
                "केवल आगे की पंक्ति के बच्चों ने ही प्रश्नों के उत्तर दिए।",
            ],
            "step": ["कल से हर नए कदम के बाद सभी बच्चों से स्लेट पर उत्तर दिखवाएँ, फिर आगे बढ़ें।"],
            "action": ["हर पाठ में दो बार स्लेट से पूरी कक्षा की जाँच करना"],
        },
    },
    "feedback": {
        "en": {
            "high": [
                "Told a child exactly what was right in her sentence and what to add next.",
                "Went through the notebooks during group work and wrote one hint in each.",
            ],
            "low": [
                "Said 'good' or 'wrong' without saying why.",
                "Corrected notebooks only after the lesson; children did not see what to fix.",
            ],
            "step": [
                "Starting this week, when you check work tell the child one thing that is"
                " right and one thing to fix."
            ],
            "action": ["Give each child in one group a specific comment every day"],
        },
        "mr": {
            "high": [
                "एका मुलीला तिच्या वाक्यात नेमके काय बरोबर आहे आणि पुढे काय जोडायचे ते सांगितले.",
                "गटकार्य सुरू असताना वह्या पाहिल्या आणि प्रत्येक वहीत एक सूचना लिहिली.",
            ],
            "low": [
                "'छान' किंवा 'चूक' एवढेच सांगितले, कारण सांगितले नाही.",
                "वह्या फक्त तासानंतर तपासल्या; काय दुरुस्त करायचे ते मुलांना कळले नाही.",
            ],
            "step": [
                "या आठवड्यापासून काम तपासताना मुलाला एक गोष्ट बरोबर आणि एक दुरुस्त करण्याजोगी गोष्ट सांगा."
            ],
            "action": ["रोज एका गटातील प्रत्येक मुलाला नेमकी प्रतिक्रिया देणे"],
        },
        "hi": {
            "high": [
                "एक बच्ची को बताया कि उसके वाक्य में ठीक-ठीक क्या सही है और आगे क्या जोड़ना है।",
                "समूह कार्य के दौरान कॉपियाँ देखीं और हर कॉपी में एक संकेत लिखा।",
            ],
            "low": [
                "केवल 'अच्छा' या 'गलत' कहा, कारण नहीं बताया।",
                "कॉपियाँ पाठ के बाद ही जाँचीं; बच्चों को पता नहीं चला कि क्या सुधारना है।",
            ],
            "step": ["इस सप्ताह से काम जाँचते समय बच्चे को एक सही बात और एक सुधारने लायक बात बताएँ।"],
            "action": ["रोज़ एक समूह के हर बच्चे को ठोस प्रतिक्रिया देना"],
        },
    },
    "thinking": {
        "en": {
            "high": [
                "Asked 'Why do you think so?' and let two children explain different methods.",
                "Asked the class to predict the end of the story before reading it.",
            ],
            "low": [
                "All questions had one-word answers from the textbook.",
                "Children repeated answers in chorus; nobody was asked to explain.",
            ],
            "step": [
                "From next week, ask at least two 'why' or 'how do you know' questions in"
                " each lesson."
            ],
            "action": ["Plan two open questions for each lesson in the lesson diary"],
        },
        "mr": {
            "high": [
                "'तुला असे का वाटते?' असे विचारले आणि दोन मुलांना वेगवेगळ्या पद्धती समजावून सांगू दिल्या.",
                "गोष्ट वाचण्यापूर्वी शेवट काय होईल याचा अंदाज वर्गाला करायला लावला.",
            ],
            "low": [
                "सर्व प्रश्नांची उत्तरे पाठ्यपुस्तकातील एका शब्दाची होती.",
                "मुलांनी उत्तरे सामूहिकपणे म्हटली; कोणालाही कारण विचारले नाही.",
            ],
            "step": ["पुढच्या आठवड्यापासून प्रत्येक तासात किमान दोन 'का' किंवा 'कसे कळले' असे प्रश्न विचारा."],
            "action": ["पाठ टाचणात प्रत्येक तासासाठी दोन खुले प्रश्न लिहिणे"],
        },
        "hi": {
            "high": [
                "'तुम्हें ऐसा क्यों लगता है?' पूछा और दो बच्चों को अलग-अलग तरीके समझाने दिए।",
                "कहानी पढ़ने से पहले कक्षा से अंत का अनुमान लगवाया।",
            ],
            "low": [
                "सभी प्रश्नों के उत्तर पाठ्यपुस्तक से एक शब्द के थे।",
                "बच्चों ने एक सुर में उत्तर दोहराए; किसी से कारण नहीं पूछा।",
            ],
            "step": ["अगले सप्ताह से हर पाठ में कम से कम दो 'क्यों' या 'कैसे पता' वाले प्रश्न पूछें।"],
            "action": ["पाठ डायरी में हर पाठ के लिए दो खुले प्रश्न लिखना"],
        },
    },
    "autonomy": {
        "en": {
            "high": [
                "Let the children choose which of two reading cards to work on.",
                "Group leaders handed out the materials and kept time themselves.",
            ],
            "low": [
                "The teacher did every step; the children only copied.",
                "Children waited for permission for every small thing.",
            ],
            "step": [
                "Starting tomorrow, give children one small choice in each lesson: which"
                " problem, which partner, which card."
            ],
            "action": ["Let the children hand out materials by rota"],
        },
        "mr": {
            "high": [
                "दोन वाचन कार्डांपैकी कोणते घ्यायचे ते मुलांना निवडू दिले.",
                "गटप्रमुखांनी स्वतः साहित्य वाटले आणि वेळेचे नियोजन केले.",
            ],
            "low": [
                "प्रत्येक पायरी शिक्षकांनीच केली; मुलांनी फक्त उतरवून घेतले.",
                "प्रत्येक लहान गोष्टीसाठी मुले परवानगीची वाट पाहत होती.",
            ],
            "step": [
                "उद्यापासून प्रत्येक तासात मुलांना एक छोटी निवड द्या: कोणते उदाहरण, कोणता जोडीदार,"
                " कोणते कार्ड."
            ],
            "action": ["साहित्य वाटपाची जबाबदारी आळीपाळीने मुलांकडे देणे"],
        },
        "hi": {
            "high": [
                "दो पठन कार्डों में से कौन-सा लेना है, यह बच्चों को चुनने दिया।",
                "समूह प्रमुखों ने खुद सामग्री बाँटी और समय का ध्यान रखा।",
            ],
            "low": [
                "हर कदम शिक्षक ने खुद किया; बच्चों ने केवल नकल की।",
                "हर छोटी बात के लिए बच्चे अनुमति का इंतज़ार करते रहे।",
            ],
            "step": [
                "कल से हर पाठ में बच्चों को एक छोटा चुनाव दें: कौन-सा सवाल, कौन-सा साथी, कौन-सा कार्ड।"
            ],
            "action": ["सामग्री बाँटने की ज़िम्मेदारी बारी-बारी से बच्चों को देना"],
        },
    },
    "perseverance": {
        "en": {
            "high": [
                "When a sum went wrong, said 'mistakes help us learn' and asked the child to"
                " try again.",
                "Praised a boy for trying three times until he read the word.",
            ],
            "low": [
                "Gave the answer as soon as a child hesitated.",
                "A child who made a mistake was told to sit down.",
            ],
            "step": [
                "From next week, when a child is stuck wait five seconds and give a hint"
                " instead of the answer."
            ],
            "action": ["Give a hint and a second try instead of the answer, in every lesson"],
        },
        "mr": {
            "high": [
                "गणित चुकल्यावर 'चुकांमधूनच आपण शिकतो' असे सांगून मुलाला पुन्हा प्रयत्न करायला लावले.",
                "शब्द वाचता येईपर्यंत तीनदा प्रयत्न करणाऱ्या मुलाचे कौतुक केले.",
            ],
            "low": [
                "मूल अडखळताच लगेच उत्तर सांगून टाकले.",
                "चूक करणाऱ्या मुलाला खाली बसायला सांगितले.",
            ],
            "step": ["पुढच्या आठवड्यापासून मूल अडल्यावर पाच सेकंद थांबा आणि उत्तराऐवजी एक संकेत द्या."],
            "action": ["उत्तर सांगण्याऐवजी संकेत देऊन पुन्हा प्रयत्न करायला लावणे"],
        },
        "hi": {
            "high": [
                "सवाल गलत होने पर 'गलतियों से ही हम सीखते हैं' कहकर बच्चे से फिर कोशिश करवाई।",
                "शब्द पढ़ पाने तक तीन बार कोशिश करने वाले लड़के की तारीफ़ की।",
            ],
            "low": [
                "बच्चे के अटकते ही तुरंत उत्तर बता दिया।",
                "गलती करने वाले बच्चे को बैठ जाने को कहा।",
            ],
            "step": ["अगले सप्ताह से बच्चा अटके तो पाँच सेकंड रुकें और उत्तर की जगह एक संकेत दें।"],
            "action": ["उत्तर बताने के बजाय संकेत देकर फिर कोशिश करवाना"],
        },
    },
    "collaboration": {
        "en": {
            "high": [
                "Children worked in pairs on the word cards and took turns to read.",
                "In groups of four each child had a role; the reporter shared the group's answer.",
            ],
            "low": [
                "Children sat in groups but each worked alone.",
                "Group work lasted two minutes; two children did all the talking.",
            ],
            "step": [
                "In next week's group work, give each child a role: reader, writer, reporter."
            ],
            "action": ["Run one pair or group activity with roles in every lesson"],
        },
        "mr": {
            "high": [
                "मुलांनी जोडीने शब्दकार्डांवर काम केले आणि आळीपाळीने वाचन केले.",
                "चार जणांच्या गटात प्रत्येकाला भूमिका होती; प्रतिनिधीने गटाचे उत्तर सांगितले.",
            ],
            "low": [
                "मुले गटात बसली होती पण प्रत्येकाने एकट्यानेच काम केले.",
                "गटकार्य दोनच मिनिटे चालले; दोन मुलेच सगळे बोलली.",
            ],
            "step": ["पुढच्या आठवड्यातील गटकार्यात प्रत्येक मुलाला भूमिका द्या: वाचक, लेखक, प्रतिनिधी."],
            "action": ["प्रत्येक तासात भूमिका ठरवून एक जोडी किंवा गट उपक्रम घेणे"],
        },
        "hi": {
            "high": [
                "बच्चों ने जोड़ियों में शब्द कार्डों पर काम किया और बारी-बारी से पढ़ा।",
                "चार-चार के समूहों में हर बच्चे की भूमिका थी; प्रतिनिधि ने समूह का उत्तर बताया।",
            ],
            "low": [
                "बच्चे समूह में बैठे थे पर हर बच्चे ने अकेले काम किया।",
                "समूह कार्य दो मिनट चला; दो बच्चे ही सारी बात करते रहे।",
            ],
            "step": ["अगले सप्ताह के समूह कार्य में हर बच्चे को भूमिका दें: पढ़ने वाला, लिखने वाला, प्रतिनिधि।"],
            "action": ["हर पाठ में भूमिकाओं के साथ एक जोड़ी या समूह गतिविधि करवाना"],
        },
    },
}
# Which topic an item is about, from words of its code and English name.
TOPIC_WORDS = (
    ("checks", ("check", "understand")),
    ("feedback", ("feedback",)),
    ("thinking", ("critical", "thinking", "question")),
    ("autonomy", ("autonomy", "choice")),
    ("perseverance", ("persever", "mistake", "effort")),
    ("collaboration", ("social", "collab", "peer", "group", "engag")),
    ("behaviour", ("behavio", "expectation", "rules", "discipline")),
    ("supportive", ("support", "environment", "respect", "warm", "climate")),
    ("facilitation", ("facilitat", "objective", "explain", "material", "instruction")),
)
SECTION_TOPICS = {
    "culture": "supportive",
    "instruction": "facilitation",
    "socioemotional": "collaboration",
}
PARTLY = {
    "en": " This happened for some children, not yet for all.",
    "mr": " हे काही मुलांबाबत झाले, अजून सर्वांबाबत नाही.",
    "hi": " यह कुछ बच्चों के साथ हुआ, अभी सबके साथ नहीं।",
}
# Strengths that quote one piece of evidence ({a}) or two ({a} and {b}).
STRENGTHS = {
    "en": (
        ["{a}", "What worked well: {a}", "I liked this: {a} Keep doing it."],
        [
            "What worked well: {a} {b}",
            "{a} {b} Keep doing this: the children responded to it.",
            "I liked two things today. {a} Also: {b}",
        ],
    ),
    "mr": (
        ["{a}", "चांगली बाब: {a}", "आज जे छान झाले: {a} हे असेच सुरू ठेवा."],
        [
            "आज जे छान झाले: {a} {b}",
            "{a} {b} हे असेच सुरू ठेवा; मुलांनी चांगला प्रतिसाद दिला.",
            "आज दोन गोष्टी आवडल्या. {a} तसेच, {b}",
        ],
    ),
    "hi": (
        ["{a}", "अच्छी बात: {a}", "आज जो अच्छा हुआ: {a} इसे जारी रखें।"],
        [
            "आज जो अच्छा हुआ: {a} {b}",
            "{a} {b} इसे जारी रखें; बच्चों ने अच्छा जवाब दिया।",
            "आज दो बातें अच्छी लगीं। {a} साथ ही, {b}",
        ],
    ),
}
# A next step that says what was seen ({seen}) before what to do ({step}).
GROUNDED_STEP = {
    "en": "Seen today: {seen} Next: {step}",
    "mr": "आज दिसले: {seen} पुढची पायरी: {step}",
    "hi": "आज दिखा: {seen} अगला कदम: {step}",
}
# What feedback looked like before the workshop: general praise, steps with no time.
VAGUE_STRENGTHS = {
    "en": [
        "Good lesson. Children were disciplined.",
        "Nice teaching, keep it up.",
        "Class was well managed and the teacher was prepared.",
        "Teaching was good and children were attentive.",
    ],
    "mr": [
        "तास चांगला झाला. मुले शिस्तीत होती.",
        "अध्यापन छान, असेच सुरू ठेवा.",
        "वर्ग व्यवस्थित होता आणि तयारी चांगली होती.",
        "शिकवणे चांगले, मुले लक्ष देऊन ऐकत होती.",
    ],
    "hi": [
        "पाठ अच्छा रहा। बच्चे अनुशासन में थे।",
        "अच्छा पढ़ाया, ऐसे ही जारी रखें।",
        "कक्षा व्यवस्थित थी और तैयारी अच्छी थी।",
        "पढ़ाना अच्छा था, बच्चे ध्यान से सुन रहे थे।",
    ],
}
VAGUE_STEPS = {
    "en": [
        "Improve classroom management.",
        "Use more teaching aids.",
        "Give attention to weak students.",
        "Make the lesson more interesting.",
        "Involve all students.",
    ],
    "mr": [
        "वर्ग व्यवस्थापन सुधारावे.",
        "अधिक शैक्षणिक साहित्य वापरावे.",
        "कमकुवत मुलांकडे लक्ष द्यावे.",
        "तास अधिक रंजक करावा.",
        "सर्व मुलांना सहभागी करून घ्यावे.",
    ],
    "hi": [
        "कक्षा प्रबंधन सुधारें।",
        "अधिक शिक्षण सामग्री का उपयोग करें।",
        "कमजोर बच्चों पर ध्यान दें।",
        "पाठ को और रोचक बनाएँ।",
        "सभी बच्चों को शामिल करें।",
    ],
}
NOTES = {
    "en": "Started {time}, {present} children present. {a} {b}",
    "mr": "सुरुवात {time}, उपस्थित मुले {present}. {a} {b}",
    "hi": "शुरुआत {time}, उपस्थित बच्चे {present}। {a} {b}",
}
SUBJECTS = {
    "Mathematics": {
        "en": ["Subtraction with borrowing", "Place value to 100", "Measuring length"],
        "mr": ["हातच्याची वजाबाकी", "100 पर्यंत स्थानिक किंमत", "लांबी मोजणे"],
        "hi": ["हासिल वाला घटाव", "100 तक स्थानीय मान", "लंबाई मापना"],
    },
    "Marathi": {
        "en": ["Reading a story: the clever crow", "Vowel signs ा and ि", "Writing a short letter"],
        "mr": ["गोष्ट वाचन: हुशार कावळा", "काना आणि वेलांटी", "छोटे पत्र लेखन"],
        "hi": ["कहानी पढ़ना: चतुर कौआ", "मात्राएँ: ा और ि", "छोटा पत्र लिखना"],
    },
    "English": {
        "en": ["Action words", "Reading a picture story", "Greetings and introductions"],
        "mr": ["Action words", "चित्रकथा वाचन", "ओळख आणि अभिवादन"],
        "hi": ["Action words", "चित्र कहानी पढ़ना", "अभिवादन और परिचय"],
    },
    "EVS": {
        "en": ["Water around us", "Parts of a plant", "People who help us"],
        "mr": ["आपल्या सभोवतालचे पाणी", "वनस्पतीचे भाग", "आपले मदतनीस"],
        "hi": ["हमारे आसपास पानी", "पौधे के भाग", "हमारे सहायक"],
    },
}
RESOURCES = {
    "en": [
        "DIKSHA video: think-pair-share in Class 3",
        "NIPUN Bharat handbook: whole-class checks with slates",
        "Cluster meeting notes: classroom signals that work",
        "Reading cards, set B (cluster resource centre)",
    ],
    "mr": [
        "दीक्षा व्हिडिओ: गटकार्य कसे घ्यावे",
        "निपुण भारत पुस्तिका: पाटीवर संपूर्ण वर्गाची तपासणी",
        "केंद्र संमेलनातील नोंदी: वर्गातील इशारे",
    ],
    "hi": [
        "दीक्षा वीडियो: जोड़ी में सोचो-बाँटो",
        "निपुण भारत पुस्तिका: स्लेट से पूरी कक्षा की जाँच",
    ],
}
FOLLOW_UPS = {
    "done": {
        "en": ["Seen today: done throughout the lesson.", "Done; the children now expect it."],
        "mr": ["आज पाहिले: संपूर्ण तासभर हे केले.", "पूर्ण झाले; मुलांना आता याची सवय झाली आहे."],
        "hi": ["आज देखा: पूरे पाठ में यह किया गया।", "पूरा हुआ; बच्चों को अब इसकी आदत हो गई है।"],
    },
    "partly": {
        "en": [
            "Tried in some lessons, not yet every day.",
            "Started; still to do with the whole class.",
        ],
        "mr": ["काही तासांत केले, अजून रोज नाही.", "सुरुवात झाली; संपूर्ण वर्गासोबत करणे बाकी आहे."],
        "hi": ["कुछ पाठों में किया, अभी रोज़ नहीं।", "शुरुआत हुई; पूरी कक्षा के साथ करना बाकी है।"],
    },
    "not_done": {
        "en": [
            "Not done yet: the syllabus had to be finished first.",
            "Not seen today; we agreed a smaller first step.",
        ],
        "mr": [
            "अजून झाले नाही; अभ्यासक्रम पूर्ण करण्याचा ताण असल्याचे सांगितले.",
            "आज दिसले नाही; आम्ही एक छोटी पहिली पायरी ठरवली.",
        ],
        "hi": [
            "अभी नहीं हुआ; पाठ्यक्रम पूरा करने का दबाव बताया।",
            "आज नहीं दिखा; हमने एक छोटा पहला कदम तय किया।",
        ],
    },
}
REPLIES = {
    "en": [
        "Thank you, I will try the slates tomorrow.",
        "Thanks for the visit. The children enjoyed reading in pairs.",
        "I tried the signal: it works with Class 2, not yet with Class 4.",
        "Can you share the video you mentioned?",
    ],
    "mr": [
        "धन्यवाद, उद्यापासून नक्की प्रयत्न करीन.",
        "भेटीबद्दल धन्यवाद. जोडी वाचन मुलांना आवडले.",
        "इशारा वापरून पाहिला; दुसरीत उपयोग होतो, चौथीत अजून नाही.",
        "तुम्ही सांगितलेला व्हिडिओ पाठवू शकाल का?",
    ],
    "hi": [
        "धन्यवाद, कल से इसे कक्षा में आज़माएँगे।",
        "भेंट के लिए धन्यवाद। बच्चों को जोड़ी में पढ़ना अच्छा लगा।",
        "संकेत आज़माया; दूसरी कक्षा में काम करता है, चौथी में अभी नहीं।",
        "आपने जो वीडियो बताया था, क्या भेज सकते हैं?",
    ],
}
REVIEW_COMMENTS = {
    "low": [
        "Strengths are general: quote what you saw the teacher do.",
        "Next steps need a time and a first small action.",
        "Ground the feedback in your evidence notes.",
        "सामर्थ्य सर्वसाधारण आहेत: तुम्ही काय पाहिले ते नेमके लिहा.",
    ],
    "mid": [
        "Good evidence; make the next step smaller and give it a date.",
        "One step would be more focused than two here.",
        "पुरावा चांगला; पुढची पायरी अजून छोटी आणि तारखेसह लिहा.",
    ],
    "high": [
        "Specific, grounded, and one clear step with a date. Well done.",
        "The strength quotes the evidence; the action is realistic.",
        "नेमका पुरावा आणि एकच स्पष्ट पुढची पायरी. छान.",
    ],
}
PURPOSES = {
    "teacher": [
        "Observe a lesson and follow up the agreed actions",
        "Observe a reading lesson",
        "Observe a mathematics lesson",
        "Follow up last month's feedback",
    ],
    "school": [
        "Meet the headteacher about the reading results",
        "Look at the school's learning data with the headteacher",
        "Support the school's improvement plan",
    ],
    "cancelled": [
        "Observe a lesson (school closed for a local holiday)",
        "Observe a lesson (teacher on election duty)",
        "Observe a lesson (called to a block meeting)",
    ],
}


# --- the people and the plan ----------------------------------------------------------


@dataclass(frozen=True)
class Post:
    person_id: uuid.UUID
    role: str
    org_unit_id: uuid.UUID
    org_path: str
    user_id: int | None
    username: str | None


@dataclass
class Form:
    """A loaded instrument, as the demo uses it."""

    id: uuid.UUID
    kind: str
    minutes: list[int]
    items: list[tuple[int, str, str]]  # (item pk, code, topic)


@dataclass
class Writer:
    """An observer: who they are and how well they write feedback (0–1)."""

    post: Post
    language: str
    skill: float
    device: str
    pilot_skill: tuple[float, float] | None = None  # before and after the workshop


@dataclass
class Visit:
    """One observed lesson being generated."""

    id: uuid.UUID
    form: Form
    writer: Writer
    teacher: Post
    day: datetime.date
    language: str
    specific: bool
    status: str = Observation.Status.SUBMITTED
    revision: int = 1
    previous: Visit | None = None
    planned_visit: uuid.UUID | None = None
    feedback_id: uuid.UUID | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)
    scores: list[tuple[int, int | None, str]] = field(default_factory=list)
    snapshots: list[tuple[int, bool | None, str]] = field(default_factory=list)
    feedback: dict[str, Any] = field(default_factory=dict)


def _topic(code: str, name: str, section: str, index: int) -> str:
    words = f"{code} {name}".casefold()
    for topic, stems in TOPIC_WORDS:
        if any(stem in words for stem in stems):
            return topic
    return SECTION_TOPICS.get(section, list(TOPICS)[index % len(TOPICS)])


def _db(value: Any) -> Any:
    """A Python value as both databases take it in a bulk insert."""
    kind = type(value)
    if kind is uuid.UUID:
        return value.hex
    if kind is datetime.datetime:
        return connection.ops.adapt_datetimefield_value(value)
    if kind is datetime.date:
        return value.isoformat()
    if kind is dict or kind is list:
        return json.dumps(value, ensure_ascii=False)
    return value


def _insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows given as {column: value}; columns left out take the field's default."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    defaults = {f.column: f.get_default() if f.has_default() else None for f in fields}
    columns = [f.column for f in fields]
    return bulk_insert(
        model,
        columns,
        (tuple(_db(row.get(c, defaults[c])) for c in columns) for row in rows),
    )


class ObservationDemo:
    def __init__(
        self, rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
    ):
        self.rng = rng
        self.today = today
        self.now = timezone.now()
        self.progress = progress
        self.done = 0
        self.month_start = today.replace(day=1)
        next_month = (self.month_start + datetime.timedelta(days=32)).replace(day=1)
        self.month_end = next_month - datetime.timedelta(days=1)
        # The last day a lesson was observed: yesterday, unless the month began today.
        self.last_day = today - datetime.timedelta(days=1) if today.day > 1 else today

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def step(self) -> None:
        self.done += 1
        self.progress(self.done, STEPS)

    def at(self, day: datetime.date, minutes: int) -> datetime.datetime:
        """A moment of a day (minutes after midnight, local time), never after now."""
        moment = timezone.make_aware(datetime.datetime(day.year, day.month, day.day))
        return min(moment + datetime.timedelta(minutes=minutes), self.now)

    def school_day(self, day: datetime.date, low: datetime.date) -> datetime.date:
        """Sundays are no school days: the Saturday before, or the Monday after."""
        if day.weekday() != 6:
            return day
        before = day - datetime.timedelta(days=1)
        after = day + datetime.timedelta(days=1)
        return before if before >= low else after if after <= self.last_day else day

    def ahead(self, days: int) -> datetime.date:
        """A school day `days` from today, within this month."""
        day = self.today + datetime.timedelta(days=days)
        if day.weekday() == 6:
            later = day + datetime.timedelta(days=1)
            day = (
                later
                if later <= self.month_end
                else max(self.today, day - datetime.timedelta(days=1))
            )
        return day

    # --- instruments ------------------------------------------------------------------

    def instruments(self) -> dict[str, Form]:
        """The bundled instruments' published versions (loaded when missing)."""
        forms = {}
        for name in INSTRUMENT_FILES:
            data = json.loads((INSTRUMENTS / name).read_text(encoding="utf-8"))
            instrument = (
                Instrument.objects.filter(key=data["key"], status=Instrument.Status.PUBLISHED)
                .order_by("-version")
                .first()
            ) or instrument_load(data=data, by=None)
            items = list(
                Item.objects.filter(instrument=instrument)
                .select_related("section")
                .order_by("section__order", "order")
            )
            forms[instrument.kind] = Form(
                id=instrument.pk,
                kind=instrument.kind,
                minutes=list(instrument.snapshot_minutes),
                items=[
                    (
                        item.pk,
                        item.code,
                        _topic(item.code, str(item.name.get("en", "")), item.section.code, i),
                    )
                    for i, item in enumerate(items)
                ],
            )
        self.step()
        return forms

    # --- who --------------------------------------------------------------------------

    def posts(self, roles: Iterable[str], q: Q | None = None) -> list[Post]:
        rows = (
            Assignment.objects.active(self.today)
            .filter(q or Q(), role__in=list(roles))
            .order_by("org_path", "start_date", "id")
            .values_list(
                "person_id", "role", "org_unit_id", "org_path", "person__user_id",
                "person__user__username",
            )
        )  # fmt: skip
        return [Post(*row) for row in rows]

    def run(self) -> dict[str, int]:
        if not OrgUnit.objects.exists():
            return {}
        with transaction.atomic():
            return self.load()

    def load(self) -> dict[str, int]:
        forms = self.instruments()
        steplen = OrgUnit.steplen
        pilot = Cohort.objects.filter(kind=Cohort.Kind.PILOT).order_by("starts_on").first()
        coach_of: dict[uuid.UUID, uuid.UUID] = {}  # pilot CRC person → coach person
        workshop_on: datetime.date | None = None
        if pilot is not None:
            coach_of = dict(
                CohortMember.objects.filter(
                    cohort=pilot, role=CohortMember.Role.CRC, supported_by__isnull=False
                ).values_list("person_id", "supported_by__person_id")
            )
            workshop = (
                Workshop.objects.filter(cohort=pilot, theme__code="observation")
                .order_by("starts_at")
                .first()
            )
            if workshop is not None:
                workshop_on = timezone.localtime(workshop.starts_at).date()

        crcs = self.posts([Role.CRC])
        crcs.sort(key=lambda p: (p.person_id not in coach_of, p.org_path, p.username is None))
        seen: set[str] = set()
        observed = []
        for post in crcs:  # one CRC per cluster
            if post.org_path not in seen and len(observed) < MAX_CRCS:
                seen.add(post.org_path)
                observed.append(post)
        observed.sort(key=lambda p: p.org_path)
        blocks = sorted({p.org_path[: 3 * steplen] for p in observed})
        in_blocks = Q()
        for path in blocks:
            in_blocks |= Q(org_path__startswith=path)
        teaching = self.posts([Role.TEACHER, Role.HEADTEACHER], in_blocks)
        teachers: dict[str, list[Post]] = defaultdict(list)  # cluster path → teachers
        head_of: dict[str, Post] = {}  # school path → headteacher
        for post in teaching:
            if post.role == Role.HEADTEACHER:
                head_of.setdefault(post.org_path, post)
            else:
                teachers[post.org_path[: 4 * steplen]].append(post)
        coach_posts = self.posts([Role.COACH], in_blocks)
        block_coach: dict[str, Post] = {}
        by_person = {p.person_id: p for p in coach_posts}
        for post in coach_posts:
            block_coach.setdefault(post.org_path, post)

        visits = self.observe(forms, observed, teachers, head_of, by_person, block_coach,
                              coach_of, workshop_on)  # fmt: skip
        plans = self.plans(observed, teachers, visits)
        drafts = self.drafts(forms, observed, teachers)
        # Plain indexes are built once after loading, as the generator does for the tree.
        from .generator import _indexes_built_after_loading, _large_sqlite_cache

        with (
            _large_sqlite_cache(),
            _indexes_built_after_loading(list(OBSERVATION_TABLES[2:]), lambda done, total: None),
        ):
            counts = self.save(visits + drafts, plans)
            counts["observation_reviews"] = self.reviews(visits, coach_of, workshop_on)
            counts["observation_conflicts"] = self.conflicts(visits + drafts)
        counts["observation_drafts"] = len(drafts)
        counts["observation_instruments"] = len(forms)
        return counts

    # --- observing --------------------------------------------------------------------

    def writer(self, post: Post, skill: float) -> Writer:
        language = self.rng.choices(LANGUAGES, weights=[65, 25, 10])[0]
        return Writer(post, language, skill, f"android-{post.person_id.hex[:8]}")

    def observe(
        self,
        forms: dict[str, Form],
        crcs: list[Post],
        teachers: dict[str, list[Post]],
        head_of: dict[str, Post],
        coaches: dict[uuid.UUID, Post],
        block_coach: dict[str, Post],
        coach_of: dict[uuid.UUID, uuid.UUID],
        workshop_on: datetime.date | None,
    ) -> list[Visit]:
        rng = self.rng
        steplen = OrgUnit.steplen
        writers: dict[uuid.UUID, Writer] = {}

        def writer_of(post: Post, skill: float) -> Writer:
            if post.person_id not in writers:
                writers[post.person_id] = self.writer(post, skill)
            return writers[post.person_id]

        visits: list[Visit] = []
        head_observed = False
        for crc in crcs:
            crc_writer = writer_of(crc, rng.uniform(0.35, 0.85))
            if crc.person_id in coach_of and workshop_on is not None:
                # Most write better after the workshop; some do not.
                before = rng.uniform(0.05, 0.35)
                gain = rng.uniform(-0.15, 0.6) if crc.username != "crc" else 0.45
                crc_writer.pilot_skill = (before, max(0.02, min(0.95, before + gain)))
            coach_id = coach_of.get(crc.person_id)
            coach = (
                coaches.get(coach_id) if coach_id else block_coach.get(crc.org_path[: 3 * steplen])
            )
            cluster = teachers.get(crc.org_path, [])
            if len(cluster) > MAX_TEACHERS:
                keep = {p.person_id for p in rng.sample(cluster, MAX_TEACHERS)}
                keep |= {p.person_id for p in cluster if p.username == "teacher"}
                cluster = [p for p in cluster if p.person_id in keep]
            demo_crc = crc.username == "crc"
            # Who is seen this month: about a third, at least one (three for the demo CRC).
            this_month = {p.person_id for p in cluster if rng.random() < THIS_MONTH_SHARE}
            need = 3 if demo_crc else 1
            for post in cluster:
                if len(this_month) >= min(need, len(cluster)):
                    break
                this_month.add(post.person_id)
            pre = set()  # teachers the pilot CRC observed before the workshop
            if crc_writer.pilot_skill and cluster:
                pre = {
                    p.person_id for p in rng.sample(cluster, min(len(cluster), rng.randint(2, 4)))
                }
            for teacher in cluster:
                demo_teacher = teacher.username == "teacher"
                count = (
                    3 if demo_teacher else rng.choices([0, 1, 2, 3], weights=[15, 30, 40, 15])[0]
                )
                if teacher.person_id in this_month:
                    count = max(count, 1)
                days = self.days(count, teacher.person_id in this_month, demo_teacher)
                plan: list[tuple[datetime.date, Writer, bool]] = []
                if teacher.person_id in pre and workshop_on is not None:
                    day = workshop_on - datetime.timedelta(days=rng.randint(4, 70))
                    plan.append((self.school_day(day, day), crc_writer, True))
                head = head_of.get(teacher.org_path)
                for index, day in enumerate(days):
                    who = crc_writer
                    roll = rng.random()
                    if demo_teacher:
                        pass
                    elif head and head.username == "head" and not head_observed:
                        who, head_observed = writer_of(head, 0.45), True
                    elif roll < 0.05 and coach is not None and index < len(days) - 1:
                        who = writer_of(coach, 0.85)
                    elif roll < 0.08 and head is not None:
                        who = writer_of(head, rng.uniform(0.2, 0.6))
                    plan.append((day, who, False))
                previous = None
                for day, who, before_workshop in plan:
                    visit = self.visit(forms, who, teacher, day, before_workshop, previous)
                    visits.append(visit)
                    previous = visit
        self.step()
        return visits

    def days(self, count: int, this_month: bool, demo_teacher: bool) -> list[datetime.date]:
        """The days a teacher was observed, oldest first, three to six weeks apart."""
        if count == 0:
            return []
        rng = self.rng
        first = self.today - datetime.timedelta(days=WINDOW)
        if demo_teacher:
            latest = max(self.month_start, self.last_day - datetime.timedelta(days=6))
        elif this_month:
            latest = self.month_start + datetime.timedelta(
                days=rng.randint(0, (self.last_day - self.month_start).days)
            )
        else:
            span = (self.month_start - first).days - 1
            latest = first + datetime.timedelta(days=rng.randint(30, max(30, span)))
        low = self.month_start if this_month else first
        days = [self.school_day(latest, low)]
        for _ in range(count - 1):
            day = days[-1] - datetime.timedelta(days=rng.randint(21, 42))
            if day < first:
                break
            days.append(self.school_day(day, first))
        return days[::-1]

    def visit(
        self,
        forms: dict[str, Form],
        writer: Writer,
        teacher: Post,
        day: datetime.date,
        before_workshop: bool,
        previous: Visit | None,
    ) -> Visit:
        rng = self.rng
        role = writer.post.role
        if before_workshop or role == Role.COACH:
            kind = Instrument.Kind.FULL
        elif role == Role.HEADTEACHER:
            kind = Instrument.Kind.QUICK if rng.random() < 0.6 else Instrument.Kind.FULL
        else:
            kind = Instrument.Kind.QUICK if rng.random() < 0.2 else Instrument.Kind.FULL
        form = forms.get(kind) or forms[Instrument.Kind.FULL]
        skill = writer.skill
        if writer.pilot_skill:
            skill = writer.pilot_skill[0 if before_workshop else 1]
        language = writer.language if rng.random() < 0.85 else rng.choice(LANGUAGES)
        visit = Visit(
            id=self.uid(),
            form=form,
            writer=writer,
            teacher=teacher,
            day=day,
            language=language,
            specific=rng.random() < skill,
            previous=previous,
        )
        self.lesson(visit, previous)
        return visit

    def profile(self, teacher: Post) -> tuple[float, float, dict[str, float]]:
        """A teacher's level, growth per observation and strengths by topic (seeded by id)."""
        own = random.Random(teacher.person_id.int)
        return (
            own.uniform(1.8, 3.5),
            own.uniform(0.05, 0.35),
            {topic: own.uniform(-0.7, 0.7) for topic in TOPICS},
        )

    def lesson(self, visit: Visit, previous: Visit | None) -> None:
        """Scores, snapshots, notes and feedback of one observation."""
        rng = self.rng
        lang = visit.language
        level, growth, offsets = self.profile(visit.teacher)
        seen = 0
        link = previous
        while link is not None:
            seen += 1
            link = link.previous
        ability = level + growth * seen
        scored: list[tuple[int, str, int, str]] = []  # item pk, topic, score, evidence
        for item_pk, _code, topic in visit.form.items:
            score = max(1, min(5, round(ability + offsets[topic] + rng.gauss(0, 0.5))))
            bank = TOPICS[topic][lang]
            line = rng.choice(bank["high" if score >= 3 else "low"])
            if score == 3:
                line += PARTLY[lang]
            scored.append((item_pk, topic, score, line))
        keeps_notes = 0.9 if visit.specific else 0.45
        visit.scores = [
            (pk, score, line if rng.random() < keeps_notes else "")
            for pk, _topic, score, line in scored
        ]
        share = (ability - 1) / 4  # 0–1
        for minute in visit.form.minutes:
            activity = rng.random() < 0.55 + 0.4 * share
            roll = rng.random() + (0.2 if activity else -0.35) + 0.3 * (share - 0.5)
            on_task = OnTask.MOST if roll > 0.75 else OnTask.SOME if roll > 0.35 else OnTask.FEW
            visit.snapshots.append((minute, activity, on_task.value))

        subject = rng.choice(list(SUBJECTS))
        if subject == "Marathi" and lang == "hi":
            subject = "Hindi"
        topics = SUBJECTS["Marathi" if subject == "Hindi" else subject][lang]
        start = rng.randint(9 * 60 + 30, 13 * 60)
        present = rng.randint(14, 42)
        best = sorted(scored, key=lambda s: -s[2])
        worst = sorted(scored, key=lambda s: s[2])
        visit.row = {
            "grade": str(rng.randint(1, 5)) + rng.choice(["", "", "A", "B"]),
            "subject": subject,
            "topic": rng.choice(topics),
            "students_present": present,
            "notes": NOTES[lang].format(
                time=f"{start // 60}:{start % 60:02d}",
                present=present,
                a=worst[0][3],
                b=best[0][3],
            ),
            "started_at": self.at(visit.day, start),
            "submitted_at": self.at(
                visit.day + datetime.timedelta(days=1 if rng.random() < 0.15 else 0),
                start + rng.randint(60, 150) if rng.random() < 0.85 else 19 * 60,
            ),
        }

        # Feedback: strengths from the best evidence, steps and actions for the weakest.
        if visit.specific:
            good = [s for s in best if s[2] >= 3][:2] or best[:1]
            template = rng.choice(STRENGTHS[lang][len(good) > 1])
            cited = [line.removesuffix(PARTLY[lang]) for _pk, _t, _s, line in good]
            strengths = template.format(a=cited[0], b=cited[-1])
            second = len(worst) > 1 and worst[1][2] <= 2 and rng.random() < 0.5
            weak = worst[:2] if second else worst[:1]
            steps = [
                GROUNDED_STEP[lang].format(seen=seen, step=rng.choice(TOPICS[t][lang]["step"]))
                if score <= 3 and rng.random() < 0.6
                else rng.choice(TOPICS[t][lang]["step"])
                for _pk, t, score, seen in weak
            ]
            texts = [rng.choice(TOPICS[t][lang]["action"]) for _pk, t, _s, _e in weak]
            dues = [rng.randint(7, 28) for _ in texts]
        else:
            strengths = rng.choice(VAGUE_STRENGTHS[lang])
            steps = rng.sample(VAGUE_STEPS[lang], rng.randint(1, 2))
            texts = [step.rstrip(".।") for step in steps]
            dues = [rng.randint(14, 60) for _ in texts]
        visit.feedback = {
            "strengths": strengths,
            "next_steps": steps,
            "resources": rng.choice(RESOURCES[lang]) if rng.random() < 0.25 else "",
            "language": lang,
        }
        visit.actions = [
            {"text": text, "due_on": visit.day + datetime.timedelta(days=due)}
            for text, due in zip(texts, dues, strict=True)
        ]

    # --- this month's plan ------------------------------------------------------------

    def plans(
        self, crcs: list[Post], teachers: dict[str, list[Post]], visits: list[Visit]
    ) -> list[dict[str, Any]]:
        rng = self.rng
        by_crc: dict[uuid.UUID, list[Visit]] = defaultdict(list)
        for visit in visits:
            if visit.day >= self.month_start:
                by_crc[visit.writer.post.person_id].append(visit)
        rows = []
        ahead = max(0, (self.month_end - self.today).days)

        def row(
            crc: Post, school: tuple[uuid.UUID, str], teacher: Post | None, day, status, purpose
        ):
            made = self.at(self.month_start - datetime.timedelta(days=rng.randint(1, 5)), 17 * 60)
            plan = {
                "id": self.uid(),
                "created_at": made,
                "updated_at": made,
                "created_by_id": crc.user_id,
                "observer_id": crc.person_id,
                "school_id": school[0],
                "org_path": school[1],
                "teacher_id": teacher.person_id if teacher else None,
                "planned_on": day,
                "purpose": purpose,
                "status": status,
            }
            rows.append(plan)
            return plan

        for crc in crcs:
            done = sorted(by_crc.get(crc.person_id, []), key=lambda v: v.day)
            for visit in done:
                if rng.random() < 0.9 or crc.username == "crc":
                    teacher = visit.teacher
                    plan = row(crc, (teacher.org_unit_id, teacher.org_path), teacher, visit.day,
                               PlannedVisit.Status.DONE, rng.choice(PURPOSES["teacher"]))  # fmt: skip
                    plan["updated_at"] = visit.row["submitted_at"]
                    visit.planned_visit = plan["id"]
            seen = {v.teacher.person_id for v in done}
            waiting = [t for t in teachers.get(crc.org_path, []) if t.person_id not in seen]
            n = min(len(waiting), rng.randint(3, 6) if crc.username != "crc" else 4)
            for teacher in rng.sample(waiting, n):
                day = self.ahead(rng.randint(min(1, ahead), ahead))
                row(crc, (teacher.org_unit_id, teacher.org_path), teacher, day,
                    PlannedVisit.Status.PLANNED, rng.choice(PURPOSES["teacher"]))  # fmt: skip
            schools = sorted({(t.org_unit_id, t.org_path) for t in teachers.get(crc.org_path, [])},
                             key=lambda s: s[1])  # fmt: skip
            if schools:
                day = self.ahead(rng.randint(0, ahead))
                row(crc, rng.choice(schools), None, day, PlannedVisit.Status.PLANNED,
                    rng.choice(PURPOSES["school"]))  # fmt: skip
            if waiting and (rng.random() < 0.4 or crc.username == "crc"):
                teacher = rng.choice(waiting)
                span = (self.today - self.month_start).days
                day = self.month_start + datetime.timedelta(days=rng.randint(0, span))
                day = self.school_day(day, self.month_start)
                row(crc, (teacher.org_unit_id, teacher.org_path), teacher, day,
                    PlannedVisit.Status.CANCELLED, rng.choice(PURPOSES["cancelled"]))  # fmt: skip
        self.step()
        return rows

    # --- drafts -----------------------------------------------------------------------

    def drafts(
        self, forms: dict[str, Form], crcs: list[Post], teachers: dict[str, list[Post]]
    ) -> list[Visit]:
        """Observations still on the phone or half written: two of the demo CRC's, a few
        others'."""
        rng = self.rng
        chosen = [c for c in crcs if c.username == "crc"] * 2
        others = [c for c in crcs if c.username != "crc"]
        chosen += rng.sample(others, min(6, len(others)))
        drafts = []
        for index, crc in enumerate(chosen):
            cluster = [t for t in teachers.get(crc.org_path, []) if t.username != "teacher"]
            if not cluster:
                continue
            teacher = (
                cluster[index % len(cluster)] if crc.username == "crc" else rng.choice(cluster)
            )
            writer = self.writer(crc, 0.7)
            day = self.last_day - datetime.timedelta(days=index % 2)
            visit = Visit(
                id=self.uid(),
                form=forms[Instrument.Kind.FULL],
                writer=writer,
                teacher=teacher,
                day=day,
                language=writer.language,
                specific=True,
                status=Observation.Status.DRAFT,
                revision=rng.randint(1, 3),
            )
            self.lesson(visit, None)
            # Half written: the later items not yet scored, no actions agreed yet.
            cut = rng.randint(2, max(2, len(visit.scores) - 2))
            visit.scores = [(pk, s if i < cut else None, e if i < cut else "")
                            for i, (pk, s, e) in enumerate(visit.scores)]  # fmt: skip
            visit.feedback["next_steps"] = []
            visit.actions = []
            visit.row["submitted_at"] = None
            drafts.append(visit)
        self.step()
        return drafts

    # --- writing it all ---------------------------------------------------------------

    def digest(self, visit: Visit, revision: int = 1) -> str:
        return payload_digest(
            {
                "id": str(visit.id),
                "instrument": str(visit.form.id),
                "teacher": str(visit.teacher.person_id),
                "school": str(visit.teacher.org_unit_id),
                "observed_on": visit.day.isoformat(),
                "status": visit.status,
                "revision": revision,
            }
        )

    def save(self, visits: list[Visit], plans: list[dict[str, Any]]) -> dict[str, int]:
        rng = self.rng
        visits.sort(key=lambda v: (v.day, v.row["started_at"]))
        # The newest submitted observation of each teacher keeps its actions open.
        newest: dict[uuid.UUID, Visit] = {}
        for visit in visits:
            if visit.status == Observation.Status.SUBMITTED:
                newest[visit.teacher.person_id] = visit
        observations: list[dict[str, Any]] = []
        scores: list[tuple[Any, ...]] = []
        snapshots: list[tuple[Any, ...]] = []
        feedback: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        for visit in visits:
            submitted = visit.status == Observation.Status.SUBMITTED
            writer = visit.writer.post
            written = visit.row["submitted_at"] or self.at(visit.day, 17 * 60)
            revision = visit.revision
            observations.append(
                {
                    **visit.row,
                    "id": visit.id,
                    "created_at": written,
                    "updated_at": written,
                    "created_by_id": writer.user_id,
                    "instrument_id": visit.form.id,
                    "observer_id": writer.person_id,
                    "teacher_id": visit.teacher.person_id,
                    "school_id": visit.teacher.org_unit_id,
                    "org_path": visit.teacher.org_path,
                    "planned_visit_id": visit.planned_visit,
                    "previous_id": visit.previous.id if visit.previous and submitted else None,
                    "observed_on": visit.day,
                    "status": visit.status,
                    "revision": revision,
                    "payload_digest": self.digest(visit, revision),
                    "device": visit.writer.device if rng.random() < 0.8 else "",
                }
            )
            # The many small rows go in as tuples, ready for the database.
            key = visit.id.hex
            scores.extend((key, pk, score, text) for pk, score, text in visit.scores)
            snapshots.extend((key, *snapshot) for snapshot in visit.snapshots)
            visit.feedback_id = self.uid()
            row = {
                **visit.feedback,
                "id": visit.feedback_id,
                "created_at": written,
                "updated_at": written,
                "created_by_id": writer.user_id,
                "observation_id": visit.id,
                "acknowledged_at": None,
                "reply": "",
                "replied_at": None,
            }
            if submitted:
                self.read(visit, row, newest.get(visit.teacher.person_id) is visit)
            feedback.append(row)
            for order, action in enumerate(visit.actions):
                action.update(
                    id=self.uid(),
                    created_at=written,
                    updated_at=written,
                    created_by_id=writer.user_id,
                    feedback_id=visit.feedback_id,
                    order=order,
                    status=FeedbackAction.Status.OPEN,
                    followed_up_in_id=None,
                    follow_up_comment="",
                )
                actions.append(action)
            # This visit follows up the previous one's actions.
            if submitted and visit.previous is not None:
                for action in visit.previous.actions:
                    status = rng.choices(
                        [FeedbackAction.Status.DONE, FeedbackAction.Status.PARTLY,
                         FeedbackAction.Status.NOT_DONE], weights=[50, 30, 20]
                    )[0]  # fmt: skip
                    action["status"] = status
                    action["followed_up_in_id"] = visit.id
                    action["follow_up_comment"] = rng.choice(FOLLOW_UPS[status][visit.language])
                    action["updated_at"] = written
        self.step()
        counts = {
            "observation_visit_plans": _insert(PlannedVisit, plans),
            "observations": _insert(Observation, observations),
        }
        self.step()
        counts["observation_scores"] = bulk_insert(
            Score, ["observation_id", "item_id", "score", "evidence"], scores
        )
        counts["observation_snapshots"] = bulk_insert(
            Snapshot, ["observation_id", "minute", "learning_activity", "on_task"], snapshots
        )
        counts["observation_feedback"] = _insert(Feedback, feedback)
        counts["observation_actions"] = _insert(FeedbackAction, actions)
        self.step()
        return counts

    def read(self, visit: Visit, row: dict[str, Any], newest: bool) -> None:
        """Whether the teacher acknowledged the feedback, and what they replied."""
        rng = self.rng
        if visit.teacher.username == "teacher":
            acknowledged, replied = not newest, not newest and visit.previous is None
        else:
            acknowledged = rng.random() < (0.45 if newest else 0.8)
            replied = acknowledged and rng.random() < (0.15 if newest else 0.3)
        if not acknowledged:
            return
        sent = visit.row["submitted_at"]
        read = min(sent + datetime.timedelta(minutes=rng.randint(60, 4 * 24 * 60)), self.now)
        row["acknowledged_at"] = read
        row["updated_at"] = read
        if replied:
            row["reply"] = rng.choice(REPLIES[visit.language])
            row["replied_at"] = read
            row["version"] = 2

    def reviews(
        self,
        visits: list[Visit],
        coach_of: dict[uuid.UUID, uuid.UUID],
        workshop_on: datetime.date | None,
    ) -> int:
        """Coaches' ratings of a sample of their pilot CRCs' feedback, before the workshop on
        observation and feedback and after it (recent feedback still waits for review)."""
        if workshop_on is None:
            self.step()
            return 0
        rng = self.rng
        by_writer: dict[uuid.UUID, list[Visit]] = defaultdict(list)
        for visit in visits:
            post = visit.writer.post
            if post.person_id in coach_of and visit.status == Observation.Status.SUBMITTED:
                by_writer[post.person_id].append(visit)
        users = dict(
            Person.objects.filter(pk__in=set(coach_of.values())).values_list("pk", "user_id")
        )
        waiting_from = self.today - datetime.timedelta(days=14)
        rows = []
        for writer_id in sorted(by_writer, key=lambda pk: pk.int):
            written = by_writer[writer_id]
            before = [v for v in written if v.day < workshop_on]
            after = [v for v in written if workshop_on <= v.day < waiting_from]
            sample = before + rng.sample(after, min(len(after), rng.randint(3, 5)))
            coach = coach_of[writer_id]
            for visit in sample:
                pilot = visit.writer.pilot_skill or (visit.writer.skill, visit.writer.skill)
                skill = pilot[0] if visit.day < workshop_on else pilot[1]
                quality = 1.4 + 1.6 * skill + (0.4 if visit.specific else -0.2)
                marks = {
                    name: max(1, min(4, round(quality + rng.gauss(0, 0.45))))
                    for name in FeedbackReview.CRITERIA
                }
                total = sum(marks.values())
                band = "low" if total <= 10 else "mid" if total <= 15 else "high"
                rated = min(
                    visit.row["submitted_at"] + datetime.timedelta(days=rng.randint(2, 12)),
                    self.now,
                )
                rows.append(
                    {
                        "id": self.uid(),
                        "created_at": rated,
                        "updated_at": rated,
                        "created_by_id": users.get(coach),
                        "feedback_id": visit.feedback_id,
                        "reviewer_id": coach,
                        **marks,
                        "comment": rng.choice(REVIEW_COMMENTS[band]),
                        "writer_id": writer_id,
                        "written_on": visit.day,
                        "org_path": visit.teacher.org_path,
                    }
                )
        count = _insert(FeedbackReview, rows)
        self.step()
        return count

    def conflicts(self, visits: list[Visit]) -> int:
        """Open conflicts in the demo CRC's cluster: two payloads a phone sent again after
        the record was submitted, one an older revision of a draft with other content."""
        mine = [v for v in visits if v.writer.post.username == "crc"]
        mine.sort(key=lambda v: (v.day, v.id.int))
        submitted = [v for v in mine if v.status == Observation.Status.SUBMITTED][-2:]
        drafts = [v for v in mine if v.status == Observation.Status.DRAFT][:1]
        rows = []
        for visit in submitted + drafts:
            payload = self.payload(visit)
            if visit.status == Observation.Status.SUBMITTED:
                payload["notes"] += " (edited on the phone after submitting)"
                payload["scores"][0]["score"] = max(1, (payload["scores"][0]["score"] or 3) - 1)
                reason = "The record was already submitted; a submitted record is not changed."
            else:
                payload["topic"] = payload["topic"] + " (2)"
                reason = (
                    f"The server holds revision {payload['revision']}; this is revision "
                    f"{payload['revision']} with different content."
                )
            sent = self.at(self.last_day, 18 * 60 + self.rng.randint(0, 90))
            rows.append(
                {
                    "id": self.uid(),
                    "created_at": sent,
                    "updated_at": sent,
                    "created_by_id": visit.writer.post.user_id,
                    "record_id": visit.id,
                    "observation_id": visit.id,
                    "org_path": visit.teacher.org_path,
                    "submitted_by_id": visit.writer.post.user_id,
                    "device": visit.writer.device,
                    "payload": payload,
                    "payload_digest": payload_digest(payload),
                    "reason": reason,
                    "status": SyncConflict.Status.OPEN,
                }
            )
        rows = [r for r in rows if r["submitted_by_id"] is not None]
        count = _insert(SyncConflict, rows)
        self.step()
        return count

    def payload(self, visit: Visit) -> dict[str, Any]:
        """The record as the phone sends it (what observation_sync takes)."""
        codes = {pk: code for pk, code, _topic in visit.form.items}
        row = visit.row
        return {
            "id": str(visit.id),
            "instrument": str(visit.form.id),
            "school": str(visit.teacher.org_unit_id),
            "teacher": str(visit.teacher.person_id),
            "planned_visit": str(visit.planned_visit) if visit.planned_visit else None,
            "observed_on": visit.day.isoformat(),
            "started_at": row["started_at"].isoformat(),
            "grade": row["grade"],
            "subject": row["subject"],
            "topic": row["topic"],
            "students_present": row["students_present"],
            "notes": row["notes"],
            "status": visit.status,
            "revision": visit.revision,
            "scores": [
                {"item": codes[pk], "score": score, "evidence": text}
                for pk, score, text in visit.scores
            ],
            "snapshots": [
                {"minute": minute, "learning_activity": activity, "on_task": on_task}
                for minute, activity, on_task in visit.snapshots
            ],
            "feedback": {
                **visit.feedback,
                "actions": [
                    {"text": a["text"], "due_on": a["due_on"].isoformat()} for a in visit.actions
                ],
            },
            "followups": [],
        }


def load_observation(
    rng: random.Random, today: datetime.date, progress: Callable[[int, int], None]
) -> dict[str, int]:
    """Add classroom observation to a freshly generated demo state (after the programme)."""
    return ObservationDemo(rng, today, progress).run()
