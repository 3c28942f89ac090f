// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  // The language picker submits itself when a language is chosen.
  document.querySelectorAll("form.js-language select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // The login page (where logging out ends) forgets page caches that hold a user's data.
  document.querySelectorAll("[data-forget-cache]").forEach(function (element) {
    if ("caches" in window) { window.caches.delete(element.dataset.forgetCache); }
  });

  // Forms marked js-draft keep what was entered in this browser until the server says it
  // is saved, so a dropped connection on a phone loses nothing: the marks come back when
  // the page is opened again.
  document.querySelectorAll("[data-draft-clear]").forEach(function (element) {
    try { window.localStorage.removeItem("draft:" + element.dataset.draftClear); } catch (e) { /* no storage */ }
  });
  document.querySelectorAll("form.js-draft").forEach(function (form) {
    var key = "draft:" + form.dataset.draftKey;
    var store;
    try { store = window.localStorage; } catch (e) { return; }
    if (!store) { return; }
    if (form.hasAttribute("data-draft-saved")) { store.removeItem(key); }
    var note = form.querySelector(".js-draft-note");
    if (note) { note.hidden = false; }
    var saved = store.getItem(key);
    if (saved) {
      var values = {};
      try { values = JSON.parse(saved); } catch (e) { values = {}; }
      var restored = false;
      Object.keys(values).forEach(function (name) {
        form.querySelectorAll("[name='" + CSS.escape(name) + "']").forEach(function (input) {
          if (input.type === "radio" || input.type === "checkbox") {
            if (input.checked !== (input.value === values[name])) { restored = true; }
            input.checked = input.value === values[name];
          } else if (input.value !== values[name]) {
            input.value = values[name];
            restored = true;
          }
        });
      });
      var restoredNote = form.querySelector(".js-draft-restored");
      if (restored && restoredNote) { restoredNote.hidden = false; }
    }
    form.addEventListener("change", function () {
      var values = {};
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") { values[name] = value; }
      });
      store.setItem(key, JSON.stringify(values));
    });
  });
});
