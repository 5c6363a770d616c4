// Loaded by the sign-in page, where signing out lands: the field app's service worker
// keeps the last user's app page and station list for offline use (cache
// "amanat-field-pages", portal/sw.js); on a shared device the next person must not open
// them. The queued reports stay (each is sent only by its writer, portal/outbox.js).
(function () {
  "use strict";
  if (window.caches) window.caches.delete("amanat-field-pages");
})();
