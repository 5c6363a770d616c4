// The field app page: the report form writes into the outbox (outbox.js) and the outbox
// is sent on start, when the network returns ("online"), on "send now" and, where the
// browser has it, by Background Sync in the service worker.  The count of unsent
// reports is always on screen.
(function () {
  "use strict";

  var SYNC_TAG = "amanat-outbox";
  var Outbox = window.AmanatOutbox;

  function $(id) { return document.getElementById(id); }

  function number(n) {
    return new Intl.NumberFormat(document.documentElement.lang || "fa").format(n);
  }

  function render() {
    var app = $("field-app");
    Outbox.items().then(function (items) {
      var count = $("unsent-count");
      count.textContent = number(items.length);
      count.dataset.count = String(items.length);
      var list = $("outbox-list");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "list-group-item d-flex flex-wrap justify-content-between gap-2";
        li.dataset.testid = "outbox-item";
        var text = item.fields.filter(function (p) { return p[0] === "text"; })[0];
        var label = document.createElement("span");
        label.textContent = (text ? text[1] : "").slice(0, 80);
        li.appendChild(label);
        var state = document.createElement("span");
        state.className = "small";
        if (item.problem === "signin") state.textContent = app.dataset.signin;
        else if (item.problem) state.textContent = app.dataset.refused + " " + item.problem;
        else state.textContent = app.dataset.waiting;
        li.appendChild(state);
        if (item.problem && item.problem !== "signin") {
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "btn btn-sm btn-outline-danger";
          discard.textContent = app.dataset.discard;
          discard.addEventListener("click", function () { Outbox.discard(item.key).then(render); });
          li.appendChild(discard);
        }
        list.appendChild(li);
      });
    });
    Outbox.sent().then(function (sent) {
      var list = $("sent-list");
      list.textContent = "";
      sent.forEach(function (s) {
        var li = document.createElement("li");
        li.className = "list-group-item";
        li.dir = "ltr";
        li.dataset.testid = "sent-item";
        li.textContent = s.reference;
        list.appendChild(li);
      });
    });
    var online = navigator.onLine;
    $("net-state").textContent = online ? app.dataset.online : app.dataset.offline;
    $("net-state").className = "badge " + (online ? "text-bg-success" : "text-bg-secondary");
  }

  function send() {
    return Outbox.flush().then(render, render);
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(SYNC_TAG);
    }).catch(function () { /* no Background Sync: "online" and "send now" still send */ });
  }

  function entries(form) {
    var fields = [];
    var files = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else if (value.size > 0) files.push({ name: name, blob: value, filename: value.name });
    });
    return { fields: fields, files: files };
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target;
    var data = entries(form);
    var text = data.fields.filter(function (p) { return p[0] === "text"; })[0];
    if (!text || !text[1].trim()) {
      form.querySelector("[name=text]").focus();
      return;
    }
    Outbox.add(form.action, data.fields, data.files).then(function () {
      form.reset();
      $("field-saved").textContent = $("field-app").dataset.saved;
      render();
      askForSync();
      if (navigator.onLine) send();
    });
  }

  function signOutClean(event) {
    // On a shared device: nothing of this user stays in the browser.
    var app = $("field-app");
    event.preventDefault();
    var form = event.target;
    Outbox.count().then(function (n) {
      if (n > 0 && !window.confirm(app.dataset.unsentWarning)) return;
      var work = [Outbox.clear()];
      if (window.caches) {
        work.push(caches.keys().then(function (keys) {
          return Promise.all(keys.map(function (k) { return caches.delete(k); }));
        }));
      }
      if ("serviceWorker" in navigator) {
        work.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
          return Promise.all(regs.map(function (r) { return r.unregister(); }));
        }));
      }
      Promise.all(work).finally(function () { form.submit(); });
    });
  }

  function start() {
    var app = $("field-app");
    Outbox.setUser(app.dataset.user);
    var token = document.querySelector("#field-form [name=csrfmiddlewaretoken]");
    Outbox.setToken(token ? token.value : "");
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(app.dataset.sw, { scope: app.dataset.scope })
        .then(function () { app.dataset.swReady = "true"; })
        .catch(function () { /* the page still works online */ });
    }
    $("field-form").addEventListener("submit", onSubmit);
    $("send-now").addEventListener("click", send);
    var clean = $("sign-out-clean");
    if (clean) clean.addEventListener("submit", signOutClean);
    window.addEventListener("online", send);
    window.addEventListener("offline", render);
    if (Outbox.channel) Outbox.channel.onmessage = render;
    render();
    send().then(function () { app.dataset.ready = "true"; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
