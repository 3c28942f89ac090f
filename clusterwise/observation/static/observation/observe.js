// The observation + feedback form. Everything it needs comes with the page (the
// "observe-data" JSON block), so it works offline once the service worker holds the page.
// What is typed is autosaved to IndexedDB as it is typed; "Save draft" and "Submit" put the
// whole observation in the outbox (outbox.js), which sends it when there is a connection.
(function () {
  "use strict";

  var Outbox = window.ClusterwiseOutbox;
  var texts = Outbox.texts;
  var format = Outbox.format;
  var config = Outbox.config;
  var data = JSON.parse(document.getElementById("observe-data").textContent);
  var CURRENT = "current:" + config.user;

  var form, state;
  var saveTimer = null;
  var tickTimer = null;
  var vibrated = {};

  // --- lookups --------------------------------------------------------------------------

  function instrumentById(id) {
    return data.instruments.filter(function (i) { return i.id === id; })[0] || null;
  }

  function teacherOf(value) {
    var parts = String(value || "").split("|");
    var school = data.schools.filter(function (s) { return s.id === parts[0]; })[0];
    var teacher = school && school.teachers.filter(function (t) { return t.id === parts[1]; })[0];
    return teacher ? { school: school, teacher: teacher } : null;
  }

  function items(instrument) {
    var list = [];
    (instrument ? instrument.sections : []).forEach(function (section) {
      section.items.forEach(function (item) { list.push(item); });
    });
    return list;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) {
        node.setAttribute(key, attrs[key] === true ? "" : attrs[key]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  // A group of big radio buttons: [[value, label], ...].
  function choices(name, options, extraClass) {
    return el("div", { className: "choice-group " + (extraClass || "") }, options.map(function (option) {
      return el("label", { className: "choice" }, [
        el("input", { type: "radio", name: name, value: option[0] }),
        el("span", { text: option[1] }),
      ]);
    }));
  }

  // --- the fixed selects ----------------------------------------------------------------

  function fillSelects() {
    var teacher = form.querySelector("#f-teacher");
    data.schools.forEach(function (school) {
      var group = el("optgroup", { label: school.name + (school.code ? " (" + school.code + ")" : "") });
      school.teachers.forEach(function (t) {
        group.appendChild(el("option", { value: school.id + "|" + t.id, text: t.name }));
      });
      teacher.appendChild(group);
    });
    var instrument = form.querySelector("#f-instrument");
    data.instruments.forEach(function (i) {
      instrument.appendChild(el("option", { value: i.id, text: i.name + " · " + i.kind_label }));
    });
    var language = form.querySelector("#f-language");
    data.languages.forEach(function (pair) {
      language.appendChild(el("option", { value: pair[0], lang: pair[0], text: pair[1] }));
    });
  }

  // --- the parts that depend on the teacher and the instrument ----------------------------

  function renderFollowups() {
    var chosen = teacherOf(form.elements.teacher.value);
    var box = form.querySelector(".js-followups");
    var section = form.querySelector("#followup");
    box.textContent = "";
    var actions = chosen ? data.open_actions[chosen.teacher.id] || [] : [];
    section.hidden = !actions.length;
    actions.forEach(function (action) {
      var commentId = nextId("fu-comment");
      box.appendChild(el("fieldset", { className: "followup border rounded p-2 mb-2", "data-field": "fu:" + action.id }, [
        el("legend", { className: "fs-6 fw-semibold mb-1", text: action.text }),
        el("p", { className: "small text-body-secondary mb-2", text: format(texts.followup_agreed, { date: action.agreed_on, due: action.due_on }) }),
        choices("fu:" + action.id, texts.followup_status, "choice-3"),
        el("label", { className: "form-label small mt-2", for: commentId, text: texts.followup_comment }),
        el("input", { className: "form-control", id: commentId, name: "fuc:" + action.id, maxlength: "300" }),
      ]));
    });
    var school = form.querySelector(".js-teacher-school");
    school.textContent = chosen ? chosen.school.name : "";
  }

  function renderInstrument() {
    var instrument = instrumentById(form.elements.instrument.value);
    var snapshots = form.querySelector(".js-snapshots");
    var sections = form.querySelector(".js-sections");
    snapshots.textContent = "";
    sections.textContent = "";
    if (!instrument) { return; }
    instrument.snapshot_minutes.forEach(function (minute) {
      snapshots.appendChild(el("fieldset", { className: "snapshot border rounded p-2 mb-2", id: "snap-" + minute, "data-field": "snap:" + minute }, [
        el("legend", { className: "fs-6 fw-semibold mb-1", text: format(texts.snapshot_title, { n: minute }) }),
        el("fieldset", { className: "mb-2" }, [
          el("legend", { className: "small mb-1", text: texts.learning_activity }),
          choices("la:" + minute, [["yes", texts.yes], ["no", texts.no]], "choice-2"),
        ]),
        el("fieldset", {}, [
          el("legend", { className: "small mb-1", text: texts.on_task }),
          choices("ot:" + minute, texts.on_task_choices, "choice-3 choice-long"),
        ]),
      ]));
    });
    instrument.sections.forEach(function (section) {
      var card = el("div", { className: "card mb-3" }, [
        el("div", { className: "card-header fw-semibold", text: section.name }),
      ]);
      var body = el("div", { className: "card-body" });
      section.items.forEach(function (item) {
        var evidenceId = nextId("evidence");
        var points = Object.keys(item.descriptors).sort();
        body.appendChild(el("fieldset", { className: "item mb-3 pb-3 border-bottom", "data-field": "score:" + item.code }, [
          el("legend", { className: "fs-6 fw-semibold mb-1", text: item.name }),
          item.guidance ? el("p", { className: "small text-body-secondary mb-1", text: texts.guidance + ": " + item.guidance }) : null,
          choices("score:" + item.code, [1, 2, 3, 4, 5].map(function (n) { return [String(n), String(n)]; }), "choice-5"),
          el("details", { className: "small my-2" }, [
            el("summary", { text: texts.descriptors }),
            el("dl", { className: "descriptors mb-0 mt-1" }, points.reduce(function (list, point) {
              list.push(el("dt", { text: point }));
              list.push(el("dd", { text: item.descriptors[point] }));
              return list;
            }, [])),
          ]),
          el("label", { className: "form-label small", for: evidenceId, text: format(texts.evidence, { item: item.name }) }),
          el("textarea", { className: "form-control", id: evidenceId, name: "evidence:" + item.code, rows: "2", maxlength: "2000" }),
        ]));
      });
      card.appendChild(body);
      sections.appendChild(card);
    });
  }

  // --- form state <-> fields --------------------------------------------------------------

  function readFields() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.disabled) { return; }
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { fields[input.name] = input.value; }
      } else {
        fields[input.name] = input.value;
      }
    });
    return fields;
  }

  function writeFields(fields) {
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) { return; }
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = fields[input.name] === input.value;
      } else if (input.name in fields) {
        input.value = fields[input.name];
      } else if (input.tagName !== "SELECT") {
        input.value = "";
      }
    });
  }

  function hasContent(fields) {
    return Object.keys(fields).some(function (name) {
      if (["instrument", "observed_on", "language", "planned_visit"].indexOf(name) >= 0) { return false; }
      return String(fields[name] || "").trim() !== "";
    });
  }

  function fresh(preselect) {
    var fields = {
      observed_on: data.today,
      instrument: (data.instruments.filter(function (i) { return i.kind === "full"; })[0] || data.instruments[0] || {}).id || "",
      planned_visit: preselect.visit || "",
      language: config.language,
    };
    var chosen = preselect.teacher ? findTeacher(preselect.teacher, preselect.school) : null;
    if (chosen) {
      fields.teacher = chosen.school.id + "|" + chosen.teacher.id;
      fields.language = chosen.teacher.language || fields.language;
    }
    return {
      id: window.crypto.randomUUID(),
      revision: 0,
      fields: fields,
      timer: { elapsed: 0, since: null, started_at: null },
      dismissed: [],
    };
  }

  function findTeacher(teacherId, schoolId) {
    var found = null;
    data.schools.forEach(function (school) {
      if (found || (schoolId && school.id !== schoolId)) { return; }
      school.teachers.forEach(function (t) { if (!found && t.id === teacherId) { found = { school: school, teacher: t }; } });
    });
    return found || (schoolId ? findTeacher(teacherId, "") : null);
  }

  function show(newState) {
    state = newState;
    state.timer = state.timer || { elapsed: 0, since: null, started_at: null };
    state.dismissed = state.dismissed || [];
    var fields = state.fields || {};
    form.elements.teacher.value = fields.teacher || "";
    if (!form.elements.teacher.value) { fields.teacher = ""; }
    form.elements.instrument.value = fields.instrument || "";
    renderFollowups();
    renderInstrument();
    writeFields(fields);
    clearInvalid();
    tick();
  }

  function label() {
    var chosen = teacherOf(form.elements.teacher.value);
    var instrument = instrumentById(form.elements.instrument.value);
    return {
      teacher: chosen ? chosen.teacher.name : "",
      school: chosen ? chosen.school.name : "",
      date: form.elements.observed_on.value,
      instrument: instrument ? instrument.name : "",
    };
  }

  function snapshotOf(fields, minute) {
    return { la: fields["la:" + minute] || "", ot: fields["ot:" + minute] || "" };
  }

  // --- autosave --------------------------------------------------------------------------

  function persist(saved, fields, savedLabel) {
    saved.fields = fields;
    if (!saved.dirty || !hasContent(fields)) { return Promise.resolve(); }
    return Outbox.db.forms.put({
      id: saved.id,
      user: config.user,
      revision: saved.revision || 0,
      dirty: true,
      status: "draft",
      form: saved,
      label: savedLabel,
      updatedAt: Date.now(),
    });
  }

  function autosave() {
    var current = state;
    return persist(current, readFields(), label()).then(function () {
      return current === state ? Outbox.setMeta(CURRENT, current.id) : null;
    });
  }

  function autosaveSoon() {
    state.dirty = true;
    if (saveTimer) { window.clearTimeout(saveTimer); }
    saveTimer = window.setTimeout(function () { saveTimer = null; autosave(); }, 250);
  }

  // --- validation (the server's rules, named one by one) --------------------------------

  function actionRows(fields) {
    return [1, 2, 3].map(function (n) {
      return {
        n: n,
        text: String(fields["action_text_" + n] || "").trim(),
        due: fields["action_due_" + n] || "",
      };
    });
  }

  function addDays(isoDate, days) {
    var date = new Date(isoDate + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  function validate(fields, submitting) {
    var errors = [];
    function add(message, target) { errors.push({ message: message, target: target }); }
    var instrument = instrumentById(fields.instrument);
    if (!teacherOf(fields.teacher)) { add(texts.choose_teacher, "f-teacher"); }
    if (!instrument) { add(texts.choose_instrument, "f-instrument"); }
    if (!fields.observed_on) { add(texts.choose_date, "f-date"); }
    else if (fields.observed_on > addDays(data.today, 1)) { add(texts.date_future, "f-date"); }
    actionRows(fields).forEach(function (row) {
      if (row.text && !row.due) { add(format(texts.action_no_date, { action: row.text }), "f-action-due-" + row.n); }
      if (!row.text && row.due) { add(format(texts.action_no_text, { date: row.due }), "f-action-" + row.n); }
      if (row.text && row.due && fields.observed_on && row.due < fields.observed_on) {
        add(format(texts.action_before_visit, { action: row.text }), "f-action-due-" + row.n);
      }
    });
    if (!submitting) { return errors; }
    if (instrument) {
      instrument.snapshot_minutes.forEach(function (minute) {
        var snap = snapshotOf(fields, minute);
        if (!snap.la || !snap.ot) { add(format(texts.snapshot_missing, { n: minute }), "snap-" + minute); }
      });
      items(instrument).forEach(function (item) {
        if (!fields["score:" + item.code]) {
          add(format(texts.item_score, { item: item.name }), fieldsetId("score:" + item.code));
        }
      });
    }
    if (!String(fields.strengths || "").trim()) { add(texts.strengths_missing, "f-strengths"); }
    if (!String(fields.next_step_1 || "").trim() && !String(fields.next_step_2 || "").trim()) {
      add(texts.next_steps_missing, "f-step-1");
    }
    if (!actionRows(fields).some(function (row) { return row.text && row.due; })) {
      add(texts.actions_missing, "f-action-1");
    }
    return errors;
  }

  function fieldsetId(field) {
    var fieldset = form.querySelector("[data-field='" + CSS.escape(field) + "']");
    if (!fieldset) { return ""; }
    if (!fieldset.id) { fieldset.id = nextId("field"); }
    return fieldset.id;
  }

  function clearInvalid() {
    form.querySelectorAll(".is-invalid").forEach(function (node) { node.classList.remove("is-invalid"); });
    var box = form.querySelector(".js-errors");
    box.hidden = true;
  }

  function showErrors(title, errors) {
    clearInvalid();
    var box = form.querySelector(".js-errors");
    var list = box.querySelector(".js-errors-list");
    box.querySelector(".js-errors-title").textContent = title;
    list.textContent = "";
    errors.forEach(function (error) {
      var target = error.target ? document.getElementById(error.target) : null;
      if (target) { target.classList.add("is-invalid"); }
      var item = el("li");
      if (target) {
        var link = el("a", { href: "#" + error.target, text: error.message });
        link.addEventListener("click", function (event) {
          event.preventDefault();
          target.scrollIntoView({ block: "center" });
          var focusable = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
          if (focusable) { focusable.focus({ preventScroll: true }); }
        });
        item.appendChild(link);
      } else {
        item.textContent = error.message;
      }
      list.appendChild(item);
    });
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
    box.focus({ preventScroll: true });
  }

  // The 422 messages the server stored with an outbox entry, shown when it is reopened.
  function serverErrors(errors) {
    var list = [];
    Object.keys(errors || {}).forEach(function (field) {
      var target = "";
      var match = /^scores\.(.+)$/.exec(field);
      if (field.indexOf("feedback.strengths") === 0) { target = "f-strengths"; }
      else if (field.indexOf("feedback.next_steps") === 0) { target = "f-step-1"; }
      else if (field.indexOf("feedback.actions") === 0) { target = "f-action-1"; }
      else if (field === "teacher" || field === "school") { target = "f-teacher"; }
      else if (field === "observed_on") { target = "f-date"; }
      else if (field === "instrument") { target = "f-instrument"; }
      else if (/^snapshots\.\d+$/.test(field)) { target = "snap-" + field.split(".")[1]; }
      else if (match) { target = fieldsetId("score:" + match[1]); }
      if (target && !document.getElementById(target)) { target = ""; }
      errors[field].forEach(function (message) { list.push({ message: message, target: target }); });
    });
    return list;
  }

  // --- the payload the sync door takes (api/observation_api.py ObservationIn) -------------

  function payload(fields, status) {
    var instrument = instrumentById(fields.instrument);
    var chosen = teacherOf(fields.teacher);
    var students = String(fields.students_present || "").trim();
    var scores = items(instrument).map(function (item) {
      var score = fields["score:" + item.code];
      var evidence = String(fields["evidence:" + item.code] || "").trim();
      return { item: item.code, score: score ? parseInt(score, 10) : null, evidence: evidence };
    }).filter(function (score) { return score.score !== null || score.evidence; });
    var snapshots = (instrument ? instrument.snapshot_minutes : []).map(function (minute) {
      var snap = snapshotOf(fields, minute);
      return {
        minute: minute,
        learning_activity: snap.la === "yes" ? true : snap.la === "no" ? false : null,
        on_task: snap.ot || null,
      };
    }).filter(function (snap) { return snap.learning_activity !== null || snap.on_task; });
    var actions = chosen ? data.open_actions[chosen.teacher.id] || [] : [];
    var followups = actions.filter(function (action) { return fields["fu:" + action.id]; }).map(function (action) {
      return {
        action: action.id,
        status: fields["fu:" + action.id],
        comment: String(fields["fuc:" + action.id] || "").trim(),
      };
    });
    return {
      id: state.id,
      revision: state.revision || 1,
      status: status,
      instrument: fields.instrument,
      school: chosen ? chosen.school.id : "",
      teacher: chosen ? chosen.teacher.id : "",
      planned_visit: fields.planned_visit || null,
      observed_on: fields.observed_on,
      started_at: state.timer.started_at || null,
      grade: String(fields.grade || "").trim(),
      subject: String(fields.subject || "").trim(),
      topic: String(fields.topic || "").trim(),
      students_present: students === "" ? null : parseInt(students, 10),
      notes: String(fields.notes || "").trim(),
      scores: scores,
      snapshots: snapshots,
      followups: followups,
      feedback: {
        strengths: String(fields.strengths || "").trim(),
        next_steps: [fields.next_step_1, fields.next_step_2].map(function (step) { return String(step || "").trim(); })
          .filter(Boolean),
        actions: actionRows(fields).filter(function (row) { return row.text && row.due; }).map(function (row) {
          return { text: row.text, due_on: row.due };
        }),
        resources: String(fields.resources || "").trim(),
        language: fields.language || "",
      },
    };
  }

  function notice(message) {
    var box = document.querySelector(".js-form-notice");
    box.textContent = message;
    box.hidden = !message;
    if (message) { box.focus({ preventScroll: true }); }
  }

  function save(status) {
    if (saveTimer) { window.clearTimeout(saveTimer); saveTimer = null; }
    var fields = readFields();
    state.fields = fields;
    var submitting = status === "submitted";
    var errors = validate(fields, submitting);
    if (errors.length) {
      autosave();
      showErrors(submitting ? texts.fix_these : texts.fix_these_draft, errors);
      return Promise.resolve(false);
    }
    clearInvalid();
    var body = payload(fields, status);
    state.dirty = false;
    return Outbox.save(body, state, label()).then(function (record) {
      state.revision = record.revision;
      if (submitting) {
        hidePrompt();
        stopTicking();
        var next = fresh({});
        show(next);
        window.history.replaceState(null, "", window.location.pathname);
        return Outbox.setMeta(CURRENT, next.id).then(function () {
          notice(texts.saved_submitted);
          window.scrollTo(0, 0);
          return true;
        });
      }
      notice(format(texts.saved_draft, { revision: record.revision }));
      return Outbox.setMeta(CURRENT, state.id).then(function () { return true; });
    }, function (error) {
      notice(texts.storage_unavailable);
      throw error;
    });
  }

  // --- the lesson timer and the snapshot prompts ----------------------------------------

  function elapsed() {
    var timer = state.timer;
    return timer.elapsed + (timer.since ? Date.now() - timer.since : 0);
  }

  function stopTicking() {
    if (tickTimer) { window.clearInterval(tickTimer); tickTimer = null; }
  }

  function toggleTimer() {
    var timer = state.timer;
    if (timer.since) {
      timer.elapsed = elapsed();
      timer.since = null;
    } else {
      timer.since = Date.now();
      if (!timer.started_at) { timer.started_at = new Date().toISOString(); }
    }
    tick();
    state.dirty = true;
    autosave();
  }

  var promptMinute = null;

  function hidePrompt() {
    document.querySelector(".js-prompt").hidden = true;
    promptMinute = null;
  }

  function tick() {
    var ms = elapsed();
    var seconds = Math.floor(ms / 1000);
    var clock = document.querySelector(".js-clock");
    clock.textContent = String(Math.floor(seconds / 60)).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
    var running = Boolean(state.timer.since);
    var button = form.querySelector(".js-timer");
    button.textContent = running ? texts.timer_pause : state.timer.elapsed ? texts.timer_resume : texts.timer_start;
    button.classList.toggle("btn-primary", !running);
    button.classList.toggle("btn-outline-primary", running);
    if (running && !tickTimer) { tickTimer = window.setInterval(tick, 1000); }
    if (!running) { stopTicking(); }
    checkPrompts(ms);
  }

  function checkPrompts(ms) {
    var instrument = instrumentById(form.elements.instrument.value);
    if (!instrument || !state.timer.started_at) { return; }
    var fields = readFields();
    var due = instrument.snapshot_minutes.filter(function (minute) {
      var snap = snapshotOf(fields, minute);
      return ms >= minute * 60000 && !(snap.la && snap.ot) && state.dismissed.indexOf(minute) < 0;
    });
    if (!due.length) { hidePrompt(); return; }
    var minute = due[0];
    if (promptMinute === minute) { return; }
    promptMinute = minute;
    var prompt = document.querySelector(".js-prompt");
    prompt.querySelector(".js-prompt-text").textContent = format(texts.snapshot_due, { n: minute });
    prompt.querySelector(".js-prompt-go").textContent = texts.snapshot_go;
    prompt.hidden = false;
    if (!vibrated[state.id + ":" + minute] && navigator.vibrate) {
      try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed before a tap */ }
    }
    vibrated[state.id + ":" + minute] = true;
  }

  // --- start ----------------------------------------------------------------------------

  function preselection() {
    var params = new URLSearchParams(window.location.search);
    var initial = data.initial || {};
    var visit = params.get("visit") || "";
    if (visit && visit === initial.visit) {
      return { teacher: initial.teacher, school: initial.school, visit: visit };
    }
    return { teacher: params.get("teacher") || "", school: params.get("school") || "", visit: visit };
  }

  function matches(saved, wanted) {
    var fields = (saved && saved.fields) || {};
    if (wanted.visit) { return fields.planned_visit === wanted.visit; }
    return String(fields.teacher || "").split("|")[1] === wanted.teacher;
  }

  function load() {
    var params = new URLSearchParams(window.location.search);
    var record = params.get("record");
    var wanted = preselection();
    if (record) {
      return Promise.all([Outbox.db.forms.get(record), Outbox.db.outbox.get(record)]).then(function (found) {
        var open = found[0];
        var queued = found[1];
        var errors = queued && queued.state === "invalid" ? queued.errors : null;
        if (open && (open.dirty || !queued)) {
          return { state: open.form, message: texts.reopened, errors: errors };
        }
        if (queued) {
          var reopened = queued.form;
          reopened.revision = queued.revision;
          reopened.dirty = false;
          return { state: reopened, message: texts.reopened, errors: errors };
        }
        return { state: fresh(wanted) };
      });
    }
    return Outbox.getMeta(CURRENT).then(function (id) {
      return id ? Outbox.db.forms.get(id) : null;
    }).then(function (open) {
      if (open && open.form && (!wanted.teacher && !wanted.visit || matches(open.form, wanted))) {
        return { state: open.form, message: open.dirty && hasContent(open.form.fields || {}) ? texts.restored : "" };
      }
      return { state: fresh(wanted) };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("observe-form");
    if (!Outbox.available) { return; } // the bar says why
    fillSelects();

    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "teacher") {
        renderFollowups();
        var chosen = teacherOf(form.elements.teacher.value);
        if (chosen && chosen.teacher.language) { form.elements.language.value = chosen.teacher.language; }
        // The planned visit was to one school: another school's teacher is not that visit.
        var visit = form.elements.planned_visit;
        var planned = preselection();
        if (visit.value && planned.visit === visit.value && planned.school && (!chosen || chosen.school.id !== planned.school)) {
          visit.value = "";
        }
      }
      if (name === "instrument") {
        var fields = readFields();
        renderInstrument();
        writeFields(fields);
      }
      var group = event.target.closest(".is-invalid");
      if (group) { group.classList.remove("is-invalid"); }
      if (/^(la|ot):/.test(name || "")) { checkPrompts(elapsed()); }
      autosaveSoon();
    });
    form.addEventListener("input", autosaveSoon);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save("submitted");
    });
    form.querySelector(".js-save-draft").addEventListener("click", function () { save("draft"); });
    form.querySelector(".js-timer").addEventListener("click", toggleTimer);
    document.querySelector(".js-prompt-go").addEventListener("click", function () {
      var target = document.getElementById("snap-" + promptMinute);
      if (target) {
        target.scrollIntoView({ block: "center" });
        var first = target.querySelector("input");
        if (first) { first.focus({ preventScroll: true }); }
      }
    });
    document.querySelector(".js-prompt-close").addEventListener("click", function () {
      if (promptMinute !== null) { state.dismissed.push(promptMinute); }
      hidePrompt();
      checkPrompts(elapsed());
      state.dirty = true;
      autosave();
    });
    document.querySelector(".js-new-form").addEventListener("click", function () {
      // The form in hand stays on this phone (the outbox page lists it under drafts).
      if (saveTimer) { window.clearTimeout(saveTimer); saveTimer = null; }
      var previous = persist(state, readFields(), label());
      stopTicking();
      hidePrompt();
      var next = fresh({});
      show(next);
      window.history.replaceState(null, "", window.location.pathname);
      notice("");
      previous.then(function () { return Outbox.setMeta(CURRENT, next.id); });
    });
    window.addEventListener("pagehide", function () { if (saveTimer) { autosave(); } });

    load().then(function (loaded) {
      show(loaded.state);
      form.hidden = false;
      if (loaded.message) { notice(loaded.message); }
      if (loaded.errors) { showErrors(texts.invalid_help, serverErrors(loaded.errors)); }
      form.dataset.ready = "true";
      return Outbox.setMeta(CURRENT, state.id);
    });
  });
})();
