// Map of one polling station: a single marker, or a plain note when it has no
// coordinates.  Data comes from the JSON island #station-point (json_script), so no
// inline script is needed under the Content-Security-Policy.  Tiles only when the
// settings name a tile server: the page must work offline.
(function () {
  "use strict";

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
    var config = AmanatMap.readIsland("station-point");
    if (!element || !config || typeof L === "undefined") return;
    var points = config.points || [];
    if (points.length === 0) {
      AmanatMap.showEmpty(element);
      return;
    }
    var map = AmanatMap.create(element, config, { zoomControl: true });
    var point = points[0];
    L.circleMarker([point.lat, point.lon], {
      radius: 9, color: "#b08d3c", weight: 3, fillColor: "#f3d98b", fillOpacity: 0.9,
    }).bindPopup(label(point)).addTo(map);
    map.setView([point.lat, point.lon], 14);
    element.dataset.ready = "true";
  }

  AmanatMap.onReady(draw);
})();
