// The outbox of observations on this device, and the service worker that keeps the
// observation pages for offline use. Loaded by every observation page (after Dexie and
// workbox-window); the form (observe.js) and the outbox page (outbox-page.js) build on it.
//
// Each save puts the whole observation under its UUID with the next local revision; a
// pending entry is replaced by a newer revision of itself. Sync PUTs each entry to the API;
// an entry leaves the outbox only after a 200 or 201. A network error, a 5xx or a lost
// login leave it pending (tried again with backoff); 422 marks it "needs fixing" with the
// server's messages per field; 409 marks it a conflict (the server kept its record and
// stored this one for a supervisor), which is not pending and can be dismissed.
(function () {
  "use strict";

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : {};
  }

  var config = readJson("observation-config");
  var texts = readJson("observation-texts");

  // "%(count)s pending" → "3 pending"
  function format(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function plural(one, other, count) {
    var rule = "other";
    try { rule = new Intl.PluralRules(config.language || "en").select(count); } catch (e) { /* old browser */ }
    return format(rule === "one" ? one : other, { count: count });
  }

  // --- storage ------------------------------------------------------------------------------

  var db = null;
  if (window.Dexie && window.indexedDB) {
    db = new window.Dexie("clusterwise-observation");
    db.version(1).stores({
      outbox: "id, state, user, updatedAt", // what waits to be sent
      forms: "id, user, updatedAt", // forms in progress (autosaved as typed)
      meta: "key", // device id, the form open per user
    });
  }

  var OPEN_STATES = ["pending", "sending", "invalid"]; // not yet on the server

  function mine(record) { return record.user === config.user; }

  function getMeta(key) {
    return db.meta.get(key).then(function (row) { return row ? row.value : undefined; });
  }

  function setMeta(key, value) { return db.meta.put({ key: key, value: value }); }

  var deviceIdPromise = null;
  function deviceId() {
    if (!deviceIdPromise) {
      deviceIdPromise = db.transaction("rw", db.meta, function () {
        return getMeta("device").then(function (id) {
          if (id) { return id; }
          id = window.crypto.randomUUID();
          return setMeta("device", id).then(function () { return id; });
        });
      });
    }
    return deviceIdPromise;
  }

  // Put the whole observation in the outbox under the next revision. `form` is what the
  // form needs to reopen it; `label` names it in the outbox list.
  function save(payload, form, label) {
    var now = Date.now();
    return db.transaction("rw", db.outbox, db.forms, function () {
      return Promise.all([db.outbox.get(payload.id), db.forms.get(payload.id)]).then(function (found) {
        var queued = found[0];
        var open = found[1];
        var revision = Math.max(queued ? queued.revision : 0, open ? open.revision : 0, form.revision || 0) + 1;
        payload.revision = revision;
        form.revision = revision;
        var record = {
          id: payload.id,
          user: config.user,
          revision: revision,
          status: payload.status,
          state: "pending",
          payload: payload,
          form: form,
          label: label,
          errors: null,
          detail: "",
          tries: 0,
          nextTryAt: 0,
          lastError: "",
          createdAt: queued ? queued.createdAt : now,
          updatedAt: now,
        };
        var writes = [db.outbox.put(record)];
        if (payload.status === "submitted") {
          writes.push(db.forms.delete(payload.id)); // finished: nothing left to edit
        } else {
          writes.push(db.forms.put({
            id: payload.id, user: config.user, revision: revision, dirty: false,
            status: payload.status, form: form, label: label, updatedAt: now,
          }));
        }
        return Promise.all(writes).then(function () { return record; });
      });
    }).then(function (record) {
      syncQuietly();
      return record;
    });
  }

  function dismiss(id) {
    return db.outbox.get(id).then(function (record) {
      if (record && record.state === "conflict") { return db.outbox.delete(id); }
      return null;
    });
  }

  // --- sync -------------------------------------------------------------------------------

  var BACKOFF_FIRST = 5000;
  var BACKOFF_MAX = 5 * 60 * 1000;
  var retryTimer = null;
  var running = null;
  var again = null;

  function csrfToken() {
    var name = (config.csrf_cookie || "csrftoken") + "=";
    var cookie = document.cookie.split(";").map(function (part) { return part.trim(); })
      .filter(function (part) { return part.indexOf(name) === 0; })[0];
    return cookie ? decodeURIComponent(cookie.slice(name.length)) : config.csrf_token || "";
  }

  function syncUrl(id) { return config.sync_url.replace("00000000-0000-0000-0000-000000000000", id); }

  // The 422 detail as {field: [messages]}: the service's own per-field dict, or the schema's
  // list of {loc, msg}.
  function fieldErrors(detail) {
    var errors = {};
    if (Array.isArray(detail)) {
      detail.forEach(function (error) {
        if (error && typeof error === "object") {
          var loc = (error.loc || []).filter(function (part) { return part !== "body" && part !== "data"; });
          var field = loc.join(".") || "__all__";
          (errors[field] = errors[field] || []).push(String(error.msg || error.message || ""));
        } else {
          (errors.__all__ = errors.__all__ || []).push(String(error));
        }
      });
    } else if (detail && typeof detail === "object") {
      Object.keys(detail).forEach(function (field) {
        var messages = detail[field];
        errors[field] = (Array.isArray(messages) ? messages : [messages]).map(String);
      });
    } else if (detail) {
      errors.__all__ = [String(detail)];
    }
    return errors;
  }

  // Change the entry only if it still holds the revision that was sent (a newer save
  // during the request stays pending and is sent next).
  function settle(sent, change) {
    return db.transaction("rw", db.outbox, function () {
      return db.outbox.get(sent.id).then(function (current) {
        if (!current) { return null; }
        if (current.revision !== sent.revision) {
          return current.state === "sending" ? db.outbox.update(sent.id, { state: "pending" }) : null;
        }
        if (change === "delete") { return db.outbox.delete(sent.id); }
        return db.outbox.update(sent.id, change);
      });
    });
  }

  function backoff(record, error) {
    var tries = (record.tries || 0) + 1;
    var wait = Math.min(BACKOFF_MAX, BACKOFF_FIRST * Math.pow(2, tries - 1));
    wait = Math.round(wait * (0.8 + Math.random() * 0.4));
    return settle(record, { state: "pending", tries: tries, nextTryAt: Date.now() + wait, lastError: error });
  }

  // Send one entry: "ok", or why it stopped ("network", "auth", "server", "kept").
  function send(record, device) {
    return db.outbox.update(record.id, { state: "sending" }).then(function () {
      return window.fetch(syncUrl(record.id), {
        method: "PUT",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
          "X-Device-Id": device,
          "X-Requested-With": "XMLHttpRequest",
        },
        body: JSON.stringify(record.payload),
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        var status = response.status;
        if (status === 200 || status === 201) {
          return db.transaction("rw", db.outbox, db.forms, function () {
            return settle(record, "delete").then(function () {
              return db.forms.update(record.id, { synced: true });
            });
          }).then(function () { return "ok"; });
        }
        if (status === 409) {
          return settle(record, {
            state: "conflict", detail: String(body.detail || ""), conflict: body.conflict || "",
          }).then(function () { return "kept"; });
        }
        if (status === 422) {
          return settle(record, { state: "invalid", errors: fieldErrors(body.detail) })
            .then(function () { return "kept"; });
        }
        if (status === 401 || status === 403) {
          return backoff(record, status === 401 ? texts.error_login : texts.error_forbidden)
            .then(function () { return "auth"; });
        }
        return backoff(record, format(texts.error_server, { status: status }))
          .then(function () { return "server"; });
      });
    }, function () {
      return backoff(record, texts.error_network).then(function () { return "network"; });
    });
  }

  function scheduleRetry() {
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    return db.outbox.where("state").equals("pending").filter(mine).toArray().then(function (records) {
      if (!records.length) { return; }
      var next = Math.min.apply(null, records.map(function (r) { return r.nextTryAt || 0; }));
      retryTimer = window.setTimeout(function () { syncQuietly(); }, Math.max(1000, next - Date.now()));
    });
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("clusterwise-observation-sync", work);
    }
    return work();
  }

  // Send what is due (everything pending with `force`). One run at a time per page, and
  // one per browser where Web Locks exist.
  function sync(force) {
    if (!db) { return Promise.resolve(false); }
    if (running) {
      // A save during a run is sent by one more run right after it.
      if (!again) {
        again = running.catch(function () { return null; }).then(function () {
          again = null;
          return sync(force);
        });
      }
      return again;
    }
    running = deviceId().then(function (device) {
      return withLock(function () {
        // An entry left "sending" by a closed page was never answered: pending again.
        return db.outbox.where("state").equals("sending").filter(mine).modify({ state: "pending" })
          .then(function () {
            return db.outbox.where("state").equals("pending").filter(mine).sortBy("updatedAt");
          })
          .then(function (records) {
            var now = Date.now();
            var due = records.filter(function (r) { return force || !r.nextTryAt || r.nextTryAt <= now; });
            var failed = false;
            return due.reduce(function (chain, record) {
              return chain.then(function () {
                if (failed) { return null; }
                return send(record, device).then(function (result) {
                  // Without a connection or a login the others would fail the same way.
                  if (result === "network" || result === "auth") { failed = true; }
                  if (result === "server") { failed = true; }
                });
              });
            }, Promise.resolve()).then(function () { return !failed; });
          });
      });
    }).then(function (ok) {
      running = null;
      return scheduleRetry().then(function () { return ok; });
    }, function (error) {
      running = null;
      scheduleRetry();
      throw error;
    });
    return running;
  }

  // Sync started by an event: a failure is already recorded on the entries.
  function syncQuietly(force) {
    return sync(force).catch(function (error) {
      if (window.console) { window.console.warn("outbox sync:", error); }
      return false;
    });
  }

  // --- the bar: pending badge, connection, sync now -------------------------------------

  function counts(records) {
    var result = { pending: 0, invalid: 0, conflict: 0 };
    records.filter(mine).forEach(function (record) {
      if (OPEN_STATES.indexOf(record.state) >= 0) { result.pending += 1; }
      if (record.state === "invalid") { result.invalid += 1; }
      if (record.state === "conflict") { result.conflict += 1; }
    });
    return result;
  }

  function renderBar(records) {
    var tally = counts(records);
    document.querySelectorAll(".js-pending-badge").forEach(function (badge) {
      badge.textContent = plural(texts.pending_one, texts.pending_other, tally.pending);
      badge.dataset.count = String(tally.pending);
      badge.classList.toggle("text-bg-warning", tally.pending > 0);
      badge.classList.toggle("text-bg-success", tally.pending === 0);
    });
    document.querySelectorAll(".js-fix-badge").forEach(function (badge) {
      badge.textContent = format(texts.needs_fixing_count, { count: tally.invalid });
      badge.hidden = tally.invalid === 0;
    });
    document.querySelectorAll(".js-conflict-badge").forEach(function (badge) {
      badge.textContent = format(texts.conflicts_count, { count: tally.conflict });
      badge.hidden = tally.conflict === 0;
    });
  }

  var offlineReady = false;
  function renderNetwork() {
    document.querySelectorAll(".js-net-status").forEach(function (status) {
      if (!navigator.onLine) {
        status.textContent = texts.offline;
      } else {
        status.textContent = offlineReady ? texts.offline_ready : texts.online;
      }
      status.classList.toggle("text-danger", !navigator.onLine);
    });
  }

  function watch(query, callback) {
    if (!db) { return; }
    window.Dexie.liveQuery(query).subscribe({
      next: callback,
      error: function (error) { if (window.console) { window.console.error(error); } },
    });
  }

  // --- the service worker ------------------------------------------------------------------

  function keepPagesOffline(wasControlled) {
    if (!window.caches) { return Promise.resolve(); }
    return window.caches.open(config.pages_cache).then(function (cache) {
      return Promise.all((config.offline_pages || []).map(function (url) {
        var here = window.location.pathname === url;
        if (here && wasControlled && !window.location.search) {
          return null; // the worker kept this very page as it loaded
        }
        return cache.match(url).then(function (hit) {
          if (hit && !here) { return null; }
          return navigator.onLine ? cache.add(url).catch(function () { return null; }) : null;
        });
      }));
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !window.workbox || !config.worker_url) {
      document.querySelectorAll(".js-net-status").forEach(function (status) {
        status.textContent = texts.offline_unsupported;
      });
      return;
    }
    var wasControlled = Boolean(navigator.serviceWorker.controller);
    var wb = new window.workbox.Workbox(config.worker_url, { scope: config.scope });
    wb.register().then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      return keepPagesOffline(wasControlled);
    }).then(function () {
      offlineReady = true;
      document.documentElement.dataset.offlineReady = "true";
      renderNetwork();
    }).catch(function (error) {
      if (window.console) { window.console.warn("service worker:", error); }
    });
  }

  // --- start --------------------------------------------------------------------------------

  window.ClusterwiseOutbox = {
    config: config,
    texts: texts,
    format: format,
    plural: plural,
    db: db,
    available: Boolean(db),
    save: save,
    sync: sync,
    dismiss: dismiss,
    watch: watch,
    mine: mine,
    getMeta: getMeta,
    setMeta: setMeta,
    openStates: OPEN_STATES,
  };

  document.addEventListener("DOMContentLoaded", function () {
    registerWorker();
    renderNetwork();
    window.addEventListener("online", function () { renderNetwork(); syncQuietly(true); });
    window.addEventListener("offline", renderNetwork);
    if (!db) {
      document.querySelectorAll(".js-net-status").forEach(function (status) {
        status.textContent = texts.storage_unavailable;
      });
      return;
    }
    watch(function () { return db.outbox.toArray(); }, renderBar);
    document.querySelectorAll(".js-sync-now").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        syncQuietly(true).then(function (ok) {
          document.querySelectorAll(".js-sync-result").forEach(function (result) {
            result.textContent = ok ? texts.sync_done : texts.sync_failed;
          });
        }).then(function () { button.disabled = false; });
      });
    });
    syncQuietly();
  });
})();
