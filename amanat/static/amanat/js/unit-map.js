// Map of an administrative unit and the units directly below it.
// Reads its data from the JSON island #unit-points (written by json_script, so no
// inline script is needed under the Content-Security-Policy).
(function () {
  "use strict";

  function popupContent(point) {
    // Build DOM nodes rather than HTML strings: names come from data files.
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/geo/unit/" + encodeURIComponent(point.id) + "/";
    link.textContent = point.name;
    var kind = document.createElement("div");
    kind.className = "small text-body-secondary";
    kind.textContent = point.kind;
    box.appendChild(link);
    box.appendChild(kind);
    return box;
  }

  function draw() {
    var element = document.getElementById("unit-map");
    var config = AmanatMap.readIsland("unit-points");
    if (!element || !config || typeof L === "undefined") return;
    var points = config.points || [];
    if (points.length === 0 && !config.focus) {
      AmanatMap.showEmpty(element);
      return;
    }
    var map = AmanatMap.create(element, config, {
      zoomControl: true,
      zoomSnap: 0.25
    });
    var bounds = [];
    points.forEach(function (point) {
      var latlng = [point.lat, point.lon];
      bounds.push(latlng);
      L.circleMarker(latlng, {
        radius: point.self ? 9 : 5,
        color: point.self ? "#b08d3c" : "#0f5132",
        weight: point.self ? 3 : 1,
        fillColor: point.self ? "#f3d98b" : "#2e8b57",
        fillOpacity: 0.85,
      })
        .bindPopup(popupContent(point))
        .addTo(map);
    });
    if (bounds.length === 0) {
      map.setView([32.4, 53.7], 5); // Iran; the base map then zooms to the focused unit
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 9);
    } else {
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 11 });
    }
    element.dataset.ready = "true";
  }

  AmanatMap.onReady(draw);
})();
