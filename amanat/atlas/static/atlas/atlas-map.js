// Atlas map: counties (or provinces) as circles coloured by tier, with the explanation
// in a popup. Data come from the JSON island #atlas-points (json_script), so no inline
// script is needed under the Content-Security-Policy. Without a tile URL the map draws
// on a plain background, so it works offline.
(function () {
  "use strict";

  // Numbers in the page's language: Persian digits and «٫» in Persian (Intl knows both).
  var lang = document.documentElement.lang || "fa";
  var integer = new Intl.NumberFormat(lang);
  var decimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function popupContent(point, element) {
    // DOM nodes, not HTML strings: names come from data files.
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = element.dataset.linkBase + encodeURIComponent(point.id) + "/?election=" +
      encodeURIComponent(element.dataset.election || "");
    link.textContent = point.name;
    box.appendChild(link);
    var line = document.createElement("div");
    line.className = "small";
    line.textContent = element.dataset.tierLabel + " " + integer.format(point.tier) + " · " +
      element.dataset.scoreLabel + " " + decimal.format(point.score) +
      (point.floor ? " · " + element.dataset.floorLabel : "");
    box.appendChild(line);
    var list = document.createElement("ul");
    list.className = "small mb-0 ps-3";
    (point.factors || []).forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = name;
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function draw() {
    var element = document.getElementById("atlas-map");
    var config = AmanatMap.readIsland("atlas-points");
    if (!element || !config || typeof L === "undefined") return;
    var points = config.points || [];
    if (points.length === 0 && !config.focus) {
      AmanatMap.showEmpty(element);
      return;
    }
    var map = AmanatMap.create(element, config, { zoomSnap: 0.25 });
    var bounds = [];
    points.forEach(function (point) {
      var latlng = [point.lat, point.lon];
      bounds.push(latlng);
      L.circleMarker(latlng, {
        radius: point.level === "province" ? 10 : 7,
        color: "#343a40",
        weight: point.floor ? 3 : 1,
        fillColor: point.colour,
        fillOpacity: 0.85,
      })
        .bindPopup(popupContent(point, element))
        .bindTooltip(AmanatMap.text(point.name))
        .addTo(map);
    });
    if (bounds.length === 0) {
      map.setView([32.4, 53.7], 5); // Iran; the base map then zooms to the focused unit
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 9);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 10 });
    }
    element.dataset.ready = "true";
  }

  AmanatMap.onReady(draw);
})();
