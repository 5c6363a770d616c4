// What every Amanat map shares: reading its JSON data island (json_script, so no inline
// script under the Content-Security-Policy), a Leaflet map with tiles only when the
// settings name a tile server (it must work offline), and the "no points" state.
(function () {
  "use strict";

  function readIsland(id) {
    var island = document.getElementById(id);
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (err) {
      return null;
    }
  }

  function showEmpty(element) {
    element.classList.add("amanat-map-empty");
    element.textContent = element.dataset.emptyText || "—";
    element.dataset.ready = "true";
  }

  function create(element, config, options) {
    var settings = Object.assign({ attributionControl: Boolean(config.tileUrl) }, options || {});
    var map = L.map(element, settings);
    L.control.scale({ imperial: false }).addTo(map);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" }).addTo(map);
    }
    return map;
  }

  function onReady(draw) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", draw);
    } else {
      draw();
    }
  }

  window.AmanatMap = { readIsland: readIsland, showEmpty: showEmpty, create: create, onReady: onReady };
})();
