// The map of violation cases (incidents/dashboard_map.html).
//
// Configuration comes from the JSON island #case-map-config (no inline script under the
// Content-Security-Policy).  At low zoom the server sends H3 cells with case counts,
// drawn as circles sized by count and coloured by the most severe open case (grey when
// all are closed; a dark ring when some are overdue); zoomed in it sends the cases in
// view grouped by place.  Tiles only when configured and reachable; otherwise a plain
// background with province and county centres, so the map works offline.  After the
// first draw the element gets data-ready="true" (tests wait on it).
(function () {
  "use strict";

  var SEVERITY = { 0: "#adb5bd", 1: "#6c9bd2", 2: "#f0ad4e", 3: "#e8590c", 4: "#c92a2a" };
  var RADIUS = { min: 4, max: 16 };

  // Tiles, units, fetching and drawing: static/amanat/js/cell-map.js.
  function CaseMap(element, config) {
    AmanatCellMap.call(this, element, config, { statusId: "case-map-status", itemsKey: "places" });
  }
  AmanatCellMap.extend(CaseMap);

  CaseMap.prototype.drawCell = function (cell) {
    // [h3 cell, lat, lon, cases, open, overdue, worst open severity 0-4]
    var count = cell[3];
    var marker = L.circleMarker([cell[1], cell[2]], {
      radius: this.cellRadius(count, RADIUS),
      color: cell[5] ? "#212529" : "#ffffff",
      weight: cell[5] ? 3 : 1,
      fillColor: SEVERITY[cell[6]] || SEVERITY[0],
      fillOpacity: 0.85,
    });
    var labels = this.labels;
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = this.number.format(count) + " " + labels.cases;
    box.appendChild(strong);
    this.line(box, this.number.format(cell[4]) + " " + labels.open + " · " +
      this.number.format(count - cell[4]) + " " + labels.closed);
    if (cell[5]) this.line(box, this.number.format(cell[5]) + " " + labels.overdue, "text-danger");
    if (cell[6]) this.line(box, labels.worst + ": " + labels.severity[String(cell[6])]);
    marker.bindPopup(box);
    this.data.addLayer(marker);
  };

  CaseMap.prototype.caseLink = function (id) {
    return this.config.caseUrl.replace(/\/0\/$/, "/" + encodeURIComponent(id) + "/");
  };

  CaseMap.prototype.drawItem = function (place) {
    // [lat, lon, [[id, number, severity, status, overdue 0/1, category], ...]]
    var cases = place[2];
    var worst = 0;
    var overdue = false;
    cases.forEach(function (c) {
      var open = c[3] !== "resolved" && c[3] !== "dismissed";
      if (open) worst = Math.max(worst, c[2]);
      if (c[4]) overdue = true;
    });
    var marker = L.circleMarker([place[0], place[1]], {
      radius: Math.min(RADIUS.max, 5 + 2 * Math.log(cases.length)),
      color: overdue ? "#212529" : "#ffffff",
      weight: overdue ? 3 : 1,
      fillColor: SEVERITY[worst],
      fillOpacity: 0.9,
    });
    var labels = this.labels;
    var box = document.createElement("div");
    cases.forEach(function (c) {
      var row = document.createElement("div");
      var link = document.createElement("a");
      link.href = this.caseLink(c[0]);
      link.textContent = c[1];
      link.dir = "ltr";
      row.appendChild(link);
      // Category names come from the database: text nodes only.
      row.appendChild(document.createTextNode(" · " + c[5] + " · " +
        labels.severity[String(c[2])] + " · " + labels.status[c[3]]));
      if (c[4]) {
        var late = document.createElement("span");
        late.className = "text-danger fw-semibold";
        late.textContent = " · " + labels.overdue;
        row.appendChild(late);
      }
      box.appendChild(row);
    }, this);
    marker.bindPopup(box);
    this.data.addLayer(marker);
  };

  AmanatCellMap.start(CaseMap, "case-map", "case-map-config");
})();
