// The outbox page: what waits on this phone, each entry with its state, the server's
// messages for one that needs fixing, and the conflicts (which can be dismissed).
(function () {
  "use strict";

  var Outbox = window.ClusterwiseOutbox;
  var texts = Outbox.texts;
  var format = Outbox.format;
  var config = Outbox.config;

  var STATE_CLASS = {
    pending: "text-bg-warning",
    sending: "text-bg-info",
    invalid: "text-bg-danger",
    conflict: "text-bg-dark",
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function title(label) {
    label = label || {};
    return [label.teacher || texts.no_teacher, label.school, label.date].filter(Boolean).join(" · ");
  }

  function openLink(id) {
    return el("a", {
      className: "btn btn-sm btn-outline-primary",
      href: config.observe_url + "?record=" + encodeURIComponent(id),
      text: texts.open_in_form,
    });
  }

  function time(ms) {
    try { return new Date(ms).toLocaleTimeString(config.language, { hour: "2-digit", minute: "2-digit" }); }
    catch (e) { return new Date(ms).toLocaleTimeString(); }
  }

  function entry(record) {
    var state = record.state;
    var item = el("li", { className: "card mb-2 outbox-entry", "data-id": record.id, "data-state": state }, []);
    var body = el("div", { className: "card-body py-2" });
    body.appendChild(el("div", { className: "d-flex flex-wrap gap-2 align-items-baseline" }, [
      el("span", { className: "fw-semibold me-auto", text: title(record.label) }),
      el("span", { className: "badge " + (record.status === "submitted" ? "text-bg-primary" : "text-bg-secondary"), text: record.status === "submitted" ? texts.status_submitted : texts.status_draft }),
      el("span", { className: "badge " + (STATE_CLASS[state] || "text-bg-secondary"), text: texts["state_" + state] || state }),
    ]));
    if (record.label && record.label.instrument) {
      body.appendChild(el("div", { className: "small text-body-secondary", text: record.label.instrument }));
    }
    if (state === "pending" && record.lastError) {
      var line = format(texts.last_error, { error: record.lastError });
      if (record.nextTryAt) { line += " · " + format(texts.next_try, { time: time(record.nextTryAt) }); }
      body.appendChild(el("div", { className: "small text-danger mt-1", text: line }));
    }
    if (state === "invalid") {
      body.appendChild(el("p", { className: "small mb-1 mt-2", text: texts.invalid_help }));
      var list = el("ul", { className: "small text-danger mb-2" });
      Object.keys(record.errors || {}).forEach(function (field) {
        (record.errors[field] || []).forEach(function (message) {
          list.appendChild(el("li", { text: message }));
        });
      });
      body.appendChild(list);
      body.appendChild(openLink(record.id));
    }
    if (state === "conflict") {
      body.appendChild(el("p", { className: "small mt-2 mb-1", text: texts.conflict_help }));
      if (record.detail) { body.appendChild(el("p", { className: "small text-body-secondary mb-2", text: record.detail })); }
      var dismiss = el("button", { type: "button", className: "btn btn-sm btn-outline-secondary", text: texts.dismiss });
      dismiss.addEventListener("click", function () { Outbox.dismiss(record.id); });
      body.appendChild(dismiss);
    }
    item.appendChild(body);
    return item;
  }

  function renderOutbox(records) {
    records = records.filter(Outbox.mine).sort(function (a, b) { return a.createdAt - b.createdAt; });
    var list = document.querySelector(".js-outbox");
    list.textContent = "";
    records.forEach(function (record) { list.appendChild(entry(record)); });
    var empty = document.querySelector(".js-empty");
    empty.textContent = texts.nothing_pending;
    empty.hidden = records.length > 0;
  }

  function renderDrafts(forms) {
    forms = forms.filter(Outbox.mine).sort(function (a, b) { return b.updatedAt - a.updatedAt; });
    var list = document.querySelector(".js-drafts");
    list.textContent = "";
    forms.forEach(function (saved) {
      var state = saved.dirty ? texts.state_local : saved.synced ? texts.state_saved : texts.status_draft;
      list.appendChild(el("li", { className: "card mb-2" }, [
        el("div", { className: "card-body py-2 d-flex flex-wrap gap-2 align-items-center" }, [
          el("span", { className: "fw-semibold me-auto", text: title(saved.label) }),
          el("span", { className: "badge text-bg-light border", text: state }),
          openLink(saved.id),
        ]),
      ]));
    });
    document.querySelector(".js-drafts-section").hidden = forms.length === 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!Outbox.available) { return; }
    Outbox.watch(function () { return Outbox.db.outbox.toArray(); }, renderOutbox);
    Outbox.watch(function () { return Outbox.db.forms.toArray(); }, renderDrafts);
  });
})();
