// The field app's outbox: reports written without a network wait in IndexedDB (Dexie)
// until they are sent.  Loaded by the page and by the service worker (importScripts), so
// both can send: the page on start, on "online" and on "send now"; the worker on a
// Background Sync event.  Each report carries the Idempotency-Key made when it was
// written, so a report sent twice (the page and the worker at once, or a retry after a
// lost answer) is stored once by the server.
(function (scope) {
  "use strict";

  var db = new Dexie("amanat-field");
  db.version(1).stores({ outbox: "key, created", sent: "key, sentAt", meta: "name" });
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("amanat-outbox") : null;
  var running = null;
  // The signed-in user of the page (its id): on a shared device the outbox may hold
  // another user's reports, which this page neither shows nor sends (the server refuses
  // them too). Null in the service worker: it sends all and the server sorts them.
  var currentUser = null;

  function mine(item) {
    return currentUser === null || !item.user || item.user === currentUser;
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function changed() {
    if (channel) channel.postMessage("changed");
  }

  // fields: [[name, string]]; files: [{name, blob, filename}] (Blobs are stored as they are).
  function add(url, fields, files) {
    var user = currentUser || "";
    if (user) fields = fields.concat([["queued_by", user]]);
    var item = { key: newKey(), url: url, fields: fields, files: files, created: Date.now(),
                 attempts: 0, problem: "", user: user };
    return db.outbox.add(item).then(function () { changed(); return item.key; });
  }

  function body(item, token) {
    var form = new FormData();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") form.append(pair[0], pair[1]);
    });
    item.files.forEach(function (f) { form.append(f.name, f.blob, f.filename); });
    form.append("csrfmiddlewaretoken", token);
    return form;
  }

  function problemOf(data) {
    var errors = (data && data.errors) || [];
    return errors.map(function (e) { return e.message; }).join(" ") || (data && data.detail) || "";
  }

  // One POST of one item.  Resolves to "sent", "refused" (kept, with the server's
  // reason), "signin" (the session has ended), "later" (no network or server trouble).
  function send(item) {
    return db.meta.get("csrf").then(function (meta) {
      var token = meta ? meta.value : "";
      return fetch(item.url, {
        method: "POST", body: body(item, token), credentials: "same-origin",
        redirect: "manual",
        headers: { "Idempotency-Key": item.key, "Accept": "application/json", "X-CSRFToken": token },
      });
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (data) {
          return db.transaction("rw", db.outbox, db.sent, function () {
            db.outbox.delete(item.key);
            db.sent.put({ key: item.key, reference: data.reference, sentAt: Date.now(),
                          user: item.user || "" });
          }).then(function () { return "sent"; });
        });
      }
      if (response.status === 400 || response.status === 422) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return db.outbox.update(item.key, { problem: problemOf(data) || "refused",
                                              attempts: item.attempts + 1 })
            .then(function () { return "refused"; });
        });
      }
      if (response.type === "opaqueredirect" || response.status === 403 || response.status === 401) {
        return db.outbox.update(item.key, { problem: "signin" }).then(function () { return "signin"; });
      }
      return "later";
    }, function () { return "later"; });
  }

  function run() {
    var result = { sent: 0, refused: 0, waiting: 0 };
    return db.outbox.orderBy("created").toArray().then(function (items) {
      items = items.filter(mine);
      var chain = Promise.resolve(false);
      items.forEach(function (item) {
        chain = chain.then(function (stop) {
          if (stop) { result.waiting += 1; return true; }
          if (item.problem && item.problem !== "signin") { result.refused += 1; return false; }
          return send(item).then(function (outcome) {
            if (outcome === "sent") result.sent += 1;
            else if (outcome === "refused") result.refused += 1;
            else result.waiting += 1;
            return outcome === "later" || outcome === "signin";
          });
        });
      });
      return chain;
    }).then(function () { changed(); return result; });
  }

  // Send everything waiting, oldest first; one run at a time in this context.
  function flush() {
    if (!running) {
      running = run().finally(function () { running = null; });
    }
    return running;
  }

  scope.AmanatOutbox = {
    db: db, add: add, flush: flush, send: send, channel: channel,
    setUser: function (user) { currentUser = user ? String(user) : null; },
    count: function () {
      return db.outbox.toArray().then(function (items) { return items.filter(mine).length; });
    },
    items: function () {
      return db.outbox.orderBy("created").toArray().then(function (items) {
        return items.filter(mine);
      });
    },
    sent: function () {
      return db.sent.orderBy("sentAt").reverse().toArray().then(function (rows) {
        return rows.filter(mine).slice(0, 10);
      });
    },
    discard: function (key) { return db.outbox.delete(key).then(changed); },
    setToken: function (token) { return db.meta.put({ name: "csrf", value: token }); },
    clear: function () { return db.delete(); },
  };
})(self);
