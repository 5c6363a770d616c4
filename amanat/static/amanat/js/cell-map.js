// The machinery every H3 cell map shares (the station map, the case map).
//
// A subclass gives the map element, its status line, the data key of the zoomed-in items
// ("stations", "places") and draws one cell (`drawCell`) and one item (`drawItem`).  This
// part fetches the data endpoint for the view (debounced, older requests aborted), shows
// base tiles only when a tile URL is configured and reachable, falls back to a plain
// background with province and county centres (the map works offline), and marks the
// element data-ready="true" after the first draw (tests and the benchmark wait on it).
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function CellMap(element, config, options) {
    this.element = element;
    this.config = config;
    this.itemsKey = options.itemsKey;
    this.labels = config.labels || {};
    var locale = config.persian ? "fa-IR" : "en";
    this.number = new Intl.NumberFormat(locale);
    this.percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
    this.status = document.getElementById(options.statusId);
    this.request = null;
    this.timer = null;
    this.sequence = 0;
    this.notes = {};
    this.map = L.map(element, {
      preferCanvas: true, // thousands of circles draw far faster on one canvas than as SVG
      maxZoom: 18, // without tiles Leaflet has no zoom limit of its own
      zoomSnap: 0.5, // fit the country snugly; the server gets whole zoom levels
      attributionControl: Boolean(config.tileUrl),
    });
    window.AmanatMap.scale(this.map);
    this.units = L.layerGroup().addTo(this.map);
    this.data = L.layerGroup().addTo(this.map);
    this.map.fitBounds(config.bounds, { padding: [16, 16] });
    this.addTiles();
    this.drawUnits(!config.tileUrl);
    var self = this;
    // The vector base map under the cells; the province names stay this map's own.
    window.AmanatMap.basemap(this.map, config.focus || null, function (bounds) {
      if (bounds && bounds.isValid()) self.map.fitBounds(bounds, { padding: [16, 16] });
    }, true);
    this.map.on("moveend", this.schedule, this);
    this.map.on("zoomend", this.zoomClass, this);
    this.zoomClass();
    this.load();
  }

  CellMap.prototype.note = function (key, text) {
    if (text) this.notes[key] = text;
    else delete this.notes[key];
    if (!this.status) return;
    var parts = [];
    Object.keys(this.notes).forEach(function (k) { parts.push(this.notes[k]); }, this);
    this.status.textContent = parts.join(" · ");
  };

  CellMap.prototype.addTiles = function () {
    var config = this.config;
    if (!config.tileUrl) return;
    this.element.dataset.tiles = "true";
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

  CellMap.prototype.drawUnits = function (labelProvinces) {
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
      marker.bindTooltip(window.AmanatMap.text(label || !kind ? unit[3] : unit[3] + " (" + kind + ")"), {
        permanent: label,
        direction: "top",
        className: label ? "amanat-unit-label" : "",
      });
      this.units.addLayer(marker);
    }, this);
  };

  CellMap.prototype.zoomClass = function () {
    // Province names crowd the whole-country view; they show from zoom 6 on.
    this.element.classList.toggle("amanat-map-far", Math.floor(this.map.getZoom()) < 6);
  };

  CellMap.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  CellMap.prototype.url = function () {
    var b = this.map.getBounds();
    var box = [
      clamp(b.getWest(), -180, 179.999), clamp(b.getSouth(), -90, 89.999),
      clamp(b.getEast(), -179.999, 180), clamp(b.getNorth(), -89.999, 90),
    ].map(function (v) { return v.toFixed(4); });
    var query = this.config.query ? this.config.query + "&" : "";
    return this.config.dataUrl + "?" + query + "zoom=" + Math.floor(this.map.getZoom()) +
      "&bbox=" + box.join(",");
  };

  CellMap.prototype.load = function () {
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

  CellMap.prototype.line = function (box, text, className) {
    var div = document.createElement("div");
    if (className) div.className = className;
    div.textContent = text;
    box.appendChild(div);
    return div;
  };

  CellMap.prototype.draw = function (data) {
    this.data.clearLayers();
    var items = data.mode === this.itemsKey ? data[this.itemsKey] : null;
    if (items) {
      items.forEach(this.drawItem, this);
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
    element.dataset.count = String(items ? items.length : data.cells.length);
    element.dataset.total = String(data.total);
    if (!element.dataset.readyMs) {
      // Milliseconds from navigation start to the first draw (read by the benchmark).
      element.dataset.readyMs = String(Math.round(performance.now()));
    }
    element.dataset.ready = "true";
    window.amanatMapReady = true;
  };

  // Radius of a cell's circle between `radius.min` and `radius.max` pixels.
  CellMap.prototype.cellRadius = function (count, radius) {
    return radius.min + (radius.max - radius.min) * Math.log(1 + count) / this.logLargest;
  };

  // Start `Child` (a CellMap subclass) on the element `elementId` with the JSON island
  // `configId`; the Leaflet map is exposed on the element for tests.
  CellMap.start = function (Child, elementId, configId) {
    function run() {
      var element = document.getElementById(elementId);
      var config = AmanatMap.readIsland(configId);
      if (!element || !config || typeof L === "undefined") return;
      element.amanatMap = new Child(element, config).map;
    }
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", run);
    } else {
      run();
    }
  };

  CellMap.extend = function (Child) {
    Child.prototype = Object.create(CellMap.prototype);
    Child.prototype.constructor = Child;
  };

  window.AmanatCellMap = CellMap;
})();
