{% autoescape off %}// The field app's service worker (served by amanat.portal.views.field_service_worker at
// /field/sw.js, scope /field/).  Workbox precaches the app shell's static files and keeps
// the shell page and my stations for offline use (network first, the cache when there is
// no network); the outbox (outbox.js, IndexedDB) is sent on a Background Sync event.
"use strict";
var CONFIG = {{ config }};
importScripts(CONFIG.workboxSw);
workbox.setConfig({ modulePathCb: function (name) { return CONFIG.workbox[name]; } });
importScripts(CONFIG.dexie, CONFIG.outbox);

var PAGES = "amanat-field-pages";
workbox.core.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.precacheAndRoute(CONFIG.precache);
workbox.precaching.cleanupOutdatedCaches();

// ignoreVary: the answers vary on Cookie and Accept-Language, which a navigation and the
// install-time fetch below send differently; the cache holds one user's copy anyway (it is
// emptied on "sign out and clear this device").
var keep = new workbox.strategies.NetworkFirst({
  cacheName: PAGES, networkTimeoutSeconds: 5, matchOptions: { ignoreVary: true },
});
workbox.routing.registerRoute(function (options) {
  var path = options.url.pathname;
  return options.url.origin === self.location.origin &&
    (path === CONFIG.shell || path === CONFIG.stations);
}, keep);

// The shell and my stations are cached when the worker installs, so the app opens
// offline even if the network goes before the page is loaded a second time.
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return cache.addAll([CONFIG.shell, CONFIG.stations]);
  }).catch(function () { /* signed out: nothing to keep */ }));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "amanat-outbox") {
    event.waitUntil(self.AmanatOutbox.flush().then(function (result) {
      // Still waiting (no network): reject so that the browser tries the sync again.
      if (result.waiting > 0) throw new Error("outbox not empty");
    }));
  }
});
{% endautoescape %}
