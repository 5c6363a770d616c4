// Map of one polling station: a single marker, or a plain note when it has no
// coordinates.  Data comes from the JSON island #station-point (json_script), so no
// inline script is needed under the Content-Security-Policy.  Tiles only when the
// settings name a tile server: the page must work offline.
(function () {
  "use strict";

  function readConfig() {
    var island = document.getElementById("station-point");
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (err) {
      return null;
    }
  }

  function label(point) {
    // DOM nodes, not HTML strings: names come from uploaded spreadsheets.
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = point.code;
    box.appendChild(strong);
    box.appendChild(document.createTextNode(" " + point.name));
    return box;
  }

  function draw() {
    var element = document.getElementById("station-map");
    var config = readConfig();
    if (!element || !config || typeof L === "undefined") return;
    var points = config.points || [];
    if (points.length === 0) {
      element.classList.add("amanat-map-empty");
      element.textContent = element.dataset.emptyText || "—";
      return;
    }
    var map = L.map(element, { zoomControl: true, attributionControl: Boolean(config.tileUrl) });
    L.control.scale({ imperial: false }).addTo(map);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" }).addTo(map);
    }
    var point = points[0];
    L.circleMarker([point.lat, point.lon], {
      radius: 9, color: "#b08d3c", weight: 3, fillColor: "#f3d98b", fillOpacity: 0.9,
    }).bindPopup(label(point)).addTo(map);
    map.setView([point.lat, point.lon], 14);
    element.dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
