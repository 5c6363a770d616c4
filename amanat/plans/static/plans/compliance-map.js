// Compliance map: counties as circles coloured by their localisation and compliance with
// the current directive (red: not localised; orange: localised, under half done; yellow:
// under 90%; green: the rest). Data come from the JSON island #compliance-points.
(function () {
  "use strict";

  function colour(point) {
    if (point.state === "missing") return "#b02a37";
    if (point.percent < 50) return "#e8590c";
    if (point.percent < 90) return "#f0ad00";
    return "#2f9e44";
  }

  function draw() {
    var element = document.getElementById("compliance-map");
    var config = AmanatMap.readIsland("compliance-points");
    if (!element || !config || typeof L === "undefined") return;
    var points = config.points || [];
    if (points.length === 0) {
      AmanatMap.showEmpty(element);
      return;
    }
    var map = AmanatMap.create(element, config, { zoomSnap: 0.25 });
    var bounds = [];
    points.forEach(function (point) {
      var latlng = [point.lat, point.lon];
      bounds.push(latlng);
      var link = document.createElement("a");
      link.href = element.dataset.linkBase + encodeURIComponent(point.id) + "/";
      link.textContent = point.name + " · " + point.label;
      L.circleMarker(latlng, {
        radius: 7, color: "#343a40", weight: 1, fillColor: colour(point), fillOpacity: 0.85,
      }).bindPopup(link).bindTooltip(AmanatMap.text(point.name)).addTo(map);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 9);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 10 });
    }
    element.dataset.ready = "true";
  }

  AmanatMap.onReady(draw);
})();
