// The national polling-station map (stations/map.html).
//
// Configuration comes from the JSON island #station-map-config (json_script: no inline
// script under the Content-Security-Policy).  At low zoom the server sends H3 cells with
// counts, drawn as circles sized by count and coloured by the share of ready stations;
// zoomed in it sends the stations in view.  Base tiles only when a tile URL is
// configured and reachable; otherwise a plain background with province and county
// centres, so the map works with no internet.  After the first draw the map element gets
// data-ready="true" and window.amanatMapReady is set (tests and the benchmark wait on it).
(function () {
  "use strict";

  var COLOURS = { low: "#dc3545", mid: "#f0ad4e", high: "#198754" };
  var SENSITIVE = "#6f42c1";
  // Pixels; at each zoom the server picks an H3 resolution whose cells lie ~15-30 px
  // apart, so the largest circles just touch their neighbours.
  var RADIUS = { min: 3, max: 14 };

  function colourFor(share) {
    if (share >= 0.8) return COLOURS.high;
    if (share >= 0.5) return COLOURS.mid;
    return COLOURS.low;
  }

  // Tiles, units, fetching and drawing: static/amanat/js/cell-map.js.
  function StationMap(element, config) {
    AmanatCellMap.call(this, element, config,
      { statusId: "station-map-status", itemsKey: "stations" });
  }
  AmanatCellMap.extend(StationMap);

  StationMap.prototype.drawCell = function (cell) {
    // [h3 cell, lat, lon, stations, ready stations]
    var count = cell[3];
    var ready = cell[4];
    var share = count ? ready / count : 0;
    var colour = colourFor(share);
    var marker = L.circleMarker([cell[1], cell[2]], {
      radius: this.cellRadius(count, RADIUS),
      color: "#ffffff",
      weight: 1,
      fillColor: colour,
      fillOpacity: 0.8,
    });
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = this.number.format(count) + " " + this.labels.stations;
    box.appendChild(strong);
    this.line(box, this.number.format(ready) + " " + this.labels.ready + " (" +
      this.percent.format(share) + ")");
    this.line(box, this.number.format(count - ready) + " " + this.labels.notReady);
    marker.bindPopup(box);
    this.data.addLayer(marker);
  };

  StationMap.prototype.stationLink = function (id) {
    return this.config.stationUrl.replace(/\/0\/$/, "/" + encodeURIComponent(id) + "/");
  };

  StationMap.prototype.drawItem = function (station) {
    // [id, lat, lon, ready 0/1, sensitive 0/1, code, name]
    var sensitive = station[4] === 1;
    var marker = L.circleMarker([station[1], station[2]], {
      radius: sensitive ? 7 : 5,
      color: sensitive ? SENSITIVE : "#ffffff",
      weight: sensitive ? 3 : 1,
      fillColor: station[3] ? COLOURS.high : COLOURS.low,
      fillOpacity: 0.9,
    });
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = this.stationLink(station[0]);
    // Codes are shown with the page's digits; names come from spreadsheets: text only.
    var code = this.config.persian
      ? String(station[5]).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; })
      : String(station[5]);
    // The code isolated left to right, so «2321-0042» is not reversed in Persian text.
    var bdi = document.createElement("bdi");
    bdi.dir = "ltr";
    bdi.textContent = code;
    link.appendChild(bdi);
    link.appendChild(document.createTextNode(" " + station[6]));
    box.appendChild(link);
    this.line(box, station[3] ? this.labels.ready : this.labels.notReady);
    if (sensitive) this.line(box, this.labels.sensitive, "text-danger fw-semibold");
    marker.bindPopup(box);
    this.data.addLayer(marker);
  };

  AmanatCellMap.start(StationMap, "station-map", "station-map-config");
})();
