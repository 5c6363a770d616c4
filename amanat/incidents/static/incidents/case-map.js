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
  var DEBOUNCE_MS = 250;
  var RADIUS = { min: 4, max: 16 };

  function readConfig() {
    var island = document.getElementById("case-map-config");
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (err) {
      return null;
    }
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function CaseMap(element, config) {
    this.element = element;
    this.config = config;
    this.labels = config.labels || {};
    this.number = new Intl.NumberFormat(config.persian ? "fa-IR" : "en");
    this.status = document.getElementById("case-map-status");
    this.request = null;
    this.timer = null;
    this.sequence = 0;
    this.notes = {};
    this.map = L.map(element, {
      preferCanvas: true,
      maxZoom: 18, // without tiles Leaflet has no zoom limit of its own
      zoomSnap: 0.5,
      attributionControl: Boolean(config.tileUrl),
    });
    L.control.scale({ imperial: false }).addTo(this.map);
    this.units = L.layerGroup().addTo(this.map);
    this.data = L.layerGroup().addTo(this.map);
    this.map.fitBounds(config.bounds, { padding: [16, 16] });
    this.addTiles();
    this.drawUnits(!config.tileUrl);
    this.map.on("moveend", this.schedule, this);
    this.map.on("zoomend", this.zoomClass, this);
    this.zoomClass();
    this.load();
  }

  CaseMap.prototype.note = function (key, text) {
    if (text) this.notes[key] = text;
    else delete this.notes[key];
    if (!this.status) return;
    var parts = [];
    Object.keys(this.notes).forEach(function (k) { parts.push(this.notes[k]); }, this);
    this.status.textContent = parts.join(" · ");
  };

  CaseMap.prototype.addTiles = function () {
    var config = this.config;
    if (!config.tileUrl) return;
    var self = this;
    var loaded = false;
    var layer = L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" });
    layer.on("tileload", function () { loaded = true; });
    // Offline: drop the tiles and label the province centres on a plain background.
    layer.on("tileerror", function () {
      if (loaded || !self.map.hasLayer(layer)) return;
      self.map.removeLayer(layer);
      self.element.dataset.tiles = "unavailable";
      self.note("tiles", self.labels.noTiles);
      self.drawUnits(true);
    });
    layer.addTo(this.map);
  };

  CaseMap.prototype.drawUnits = function (labelProvinces) {
    var labels = this.labels;
    this.units.clearLayers();
    (this.config.units || []).forEach(function (unit) {
      // [lat, lon, 0 province / 1 county, name]
      var province = unit[2] === 0;
      var marker = L.circleMarker([unit[0], unit[1]], {
        radius: province ? 3 : 2,
        color: province ? "#24473a" : "#6c757d",
        weight: 1,
        fillOpacity: 0.6,
        bubblingMouseEvents: false,
      });
      var label = province && labelProvinces;
      var kind = province ? labels.province : labels.county;
      marker.bindTooltip(label || !kind ? unit[3] : unit[3] + " (" + kind + ")", {
        permanent: label,
        direction: "top",
        className: label ? "amanat-unit-label" : "",
      });
      this.units.addLayer(marker);
    }, this);
  };

  CaseMap.prototype.zoomClass = function () {
    this.element.classList.toggle("amanat-map-far", Math.floor(this.map.getZoom()) < 6);
  };

  CaseMap.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  CaseMap.prototype.url = function () {
    var b = this.map.getBounds();
    var box = [
      clamp(b.getWest(), -180, 179.999), clamp(b.getSouth(), -90, 89.999),
      clamp(b.getEast(), -179.999, 180), clamp(b.getNorth(), -89.999, 90),
    ].map(function (v) { return v.toFixed(4); });
    var query = this.config.query ? this.config.query + "&" : "";
    return this.config.dataUrl + "?" + query + "zoom=" + Math.floor(this.map.getZoom()) +
      "&bbox=" + box.join(",");
  };

  CaseMap.prototype.load = function () {
    var self = this;
    var sequence = ++this.sequence;
    if (this.request) this.request.abort();
    this.request = new AbortController();
    this.note("loading", this.labels.loading);
    fetch(this.url(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: this.request.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (sequence !== self.sequence) return;
        self.note("loading", null);
        self.note("failed", null);
        self.draw(data);
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        self.note("loading", null);
        self.note("failed", self.labels.failed);
        self.element.dataset.error = "true";
      });
  };

  CaseMap.prototype.draw = function (data) {
    this.data.clearLayers();
    if (data.mode === "places") {
      data.places.forEach(this.drawPlace, this);
      this.note("truncated", data.truncated ? this.labels.truncated : null);
    } else {
      var largest = data.cells.reduce(function (m, c) { return Math.max(m, c[3]); }, 1);
      this.logLargest = Math.log(1 + largest);
      data.cells.forEach(this.drawCell, this);
      this.note("truncated", null);
    }
    var element = this.element;
    element.dataset.mode = data.mode;
    element.dataset.count = String(data.mode === "places" ? data.places.length : data.cells.length);
    element.dataset.total = String(data.total);
    element.dataset.ready = "true";
  };

  CaseMap.prototype.line = function (box, text, className) {
    var div = document.createElement("div");
    if (className) div.className = className;
    div.textContent = text;
    box.appendChild(div);
    return div;
  };

  CaseMap.prototype.drawCell = function (cell) {
    // [h3 cell, lat, lon, cases, open, overdue, worst open severity 0-4]
    var count = cell[3];
    var marker = L.circleMarker([cell[1], cell[2]], {
      radius: RADIUS.min + (RADIUS.max - RADIUS.min) * Math.log(1 + count) / this.logLargest,
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

  CaseMap.prototype.drawPlace = function (place) {
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

  function start() {
    var element = document.getElementById("case-map");
    var config = readConfig();
    if (!element || !config || typeof L === "undefined") return;
    var map = new CaseMap(element, config);
    element.amanatMap = map.map; // for tests: zoom and pan from the page
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
