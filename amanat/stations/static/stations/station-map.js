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
  var DEBOUNCE_MS = 250;
  // Pixels; at each zoom the server picks an H3 resolution whose cells lie ~15-30 px
  // apart, so the largest circles just touch their neighbours.
  var RADIUS = { min: 3, max: 14 };

  function readConfig() {
    var island = document.getElementById("station-map-config");
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (err) {
      return null;
    }
  }

  function colourFor(share) {
    if (share >= 0.8) return COLOURS.high;
    if (share >= 0.5) return COLOURS.mid;
    return COLOURS.low;
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function StationMap(element, config) {
    this.element = element;
    this.config = config;
    this.labels = config.labels || {};
    var locale = config.persian ? "fa-IR" : "en";
    this.number = new Intl.NumberFormat(locale);
    this.percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
    this.status = document.getElementById("station-map-status");
    this.request = null;
    this.timer = null;
    this.sequence = 0;
    this.notes = {};
    this.map = L.map(element, {
      preferCanvas: true, // thousands of circles draw far faster on one canvas than as SVG
      zoomSnap: 0.5, // fit the country snugly; the server gets whole zoom levels
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

  StationMap.prototype.note = function (key, text) {
    if (text) this.notes[key] = text;
    else delete this.notes[key];
    if (!this.status) return;
    var parts = [];
    Object.keys(this.notes).forEach(function (k) { parts.push(this.notes[k]); }, this);
    this.status.textContent = parts.join(" · ");
  };

  StationMap.prototype.addTiles = function () {
    var config = this.config;
    if (!config.tileUrl) return;
    var self = this;
    var loaded = false;
    var layer = L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" });
    layer.on("tileload", function () { loaded = true; });
    // No tile server reachable (offline): drop the layer and fall back to the plain
    // background with labelled province centres.  A single failed tile after others
    // loaded is left alone.
    layer.on("tileerror", function () {
      if (loaded || !self.map.hasLayer(layer)) return;
      self.map.removeLayer(layer);
      self.element.dataset.tiles = "unavailable";
      self.note("tiles", self.labels.noTiles);
      self.drawUnits(true);
    });
    layer.addTo(this.map);
  };

  StationMap.prototype.drawUnits = function (labelProvinces) {
    var labels = this.labels;
    this.units.clearLayers();
    (this.config.units || []).forEach(function (unit) {
      var province = unit[2] === 0;
      var marker = L.circleMarker([unit[0], unit[1]], {
        radius: province ? 3 : 2,
        color: province ? "#24473a" : "#6c757d",
        weight: 1,
        fillOpacity: 0.6,
        interactive: true,
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

  StationMap.prototype.zoomClass = function () {
    // Province names crowd the whole-country view; they show from zoom 6 on.
    this.element.classList.toggle("amanat-map-far", Math.floor(this.map.getZoom()) < 6);
  };

  StationMap.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  StationMap.prototype.url = function () {
    var b = this.map.getBounds();
    var box = [
      clamp(b.getWest(), -180, 179.999), clamp(b.getSouth(), -90, 89.999),
      clamp(b.getEast(), -179.999, 180), clamp(b.getNorth(), -89.999, 90),
    ].map(function (v) { return v.toFixed(4); });
    var query = this.config.query ? this.config.query + "&" : "";
    return this.config.dataUrl + "?" + query + "zoom=" + Math.floor(this.map.getZoom()) +
      "&bbox=" + box.join(",");
  };

  StationMap.prototype.load = function () {
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
        if (sequence !== self.sequence) return; // a newer view was asked for
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

  StationMap.prototype.draw = function (data) {
    this.data.clearLayers();
    if (data.mode === "stations") {
      data.stations.forEach(this.drawStation, this);
      this.note("truncated", data.truncated ? this.labels.truncated : null);
    } else {
      // Circle size grows with the log of the count, relative to the largest cell in
      // view: Tehran's thousands must not shrink a county's hundreds to dots.
      var largest = data.cells.reduce(function (m, c) { return Math.max(m, c[3]); }, 1);
      this.logLargest = Math.log(1 + largest);
      data.cells.forEach(this.drawCell, this);
      this.note("truncated", null);
    }
    var element = this.element;
    element.dataset.mode = data.mode;
    element.dataset.count = String(data.mode === "stations" ? data.stations.length : data.cells.length);
    element.dataset.total = String(data.total);
    if (!element.dataset.readyMs) {
      // Milliseconds from navigation start to the first draw (read by the benchmark).
      element.dataset.readyMs = String(Math.round(performance.now()));
    }
    element.dataset.ready = "true";
    window.amanatMapReady = true;
  };

  StationMap.prototype.line = function (box, text, className) {
    var div = document.createElement("div");
    if (className) div.className = className;
    div.textContent = text;
    box.appendChild(div);
    return div;
  };

  StationMap.prototype.drawCell = function (cell) {
    // [h3 cell, lat, lon, stations, ready stations]
    var count = cell[3];
    var ready = cell[4];
    var share = count ? ready / count : 0;
    var colour = colourFor(share);
    var marker = L.circleMarker([cell[1], cell[2]], {
      radius: RADIUS.min + (RADIUS.max - RADIUS.min) * Math.log(1 + count) / this.logLargest,
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

  StationMap.prototype.drawStation = function (station) {
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
    link.textContent = code + " " + station[6];
    box.appendChild(link);
    this.line(box, station[3] ? this.labels.ready : this.labels.notReady);
    if (sensitive) this.line(box, this.labels.sensitive, "text-danger fw-semibold");
    marker.bindPopup(box);
    this.data.addLayer(marker);
  };

  function start() {
    var element = document.getElementById("station-map");
    var config = readConfig();
    if (!element || !config || typeof L === "undefined") return;
    var map = new StationMap(element, config);
    element.amanatMap = map.map; // for tests: zoom and pan from the page
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
