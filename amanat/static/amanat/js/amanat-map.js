// What every Amanat map shares: reading its JSON data island (json_script, so no inline
// script under the Content-Security-Policy), a Leaflet map with tiles only when the
// settings name a tile server (it must work offline), the "no points" state, and the
// offline vector base map served by the application itself (geo:basemap): Iran and its
// neighbours, province and county areas and their names.
(function () {
  "use strict";

  function readIsland(id) {
    var island = document.getElementById(id);
    if (!island) return null;
    try {
      return JSON.parse(island.textContent);
    } catch (err) {
      return null;
    }
  }

  function showEmpty(element) {
    element.classList.add("amanat-map-empty");
    element.textContent = element.dataset.emptyText || "—";
    element.dataset.ready = "true";
  }

  // Leaflet writes its scale as "500 m" / "10 km" in Latin digits whatever the page's
  // language; this one says it in the page's language (Persian digits and words in fa).
  var units = { m: "meter", km: "kilometer" };
  var LocalScale = L.Control.Scale.extend({
    _updateScale: function (scale, text, ratio) {
      scale.style.width = Math.round(this.options.maxWidth * ratio) + "px";
      var match = /^([\d.]+)\s*(m|km)$/.exec(text);
      if (!match) {
        scale.textContent = text;
        return;
      }
      var lang = document.documentElement.lang || "fa";
      try {
        scale.textContent = new Intl.NumberFormat(lang, {
          style: "unit", unit: units[match[2]], unitDisplay: "short",
        }).format(Number(match[1]));
      } catch (err) {
        scale.textContent = new Intl.NumberFormat(lang).format(Number(match[1])) + " " + match[2];
      }
    },
  });

  function scale(map) {
    return new LocalScale({ imperial: false }).addTo(map);
  }

  // --- the vector base map -------------------------------------------------------------

  var basemapRequest = null;

  function basemapMeta() {
    return document.querySelector('meta[name="amanat-basemap"]');
  }

  function fetchBasemap() {
    var meta = basemapMeta();
    if (!meta) return Promise.reject(new Error("no basemap"));
    if (!basemapRequest) {
      basemapRequest = fetch(meta.content, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }
    return basemapRequest;
  }

  // Names are written as small labels: provinces from zoom 5, counties from zoom 8.
  var PROVINCE_LABELS_FROM = 5;
  var COUNTY_LABELS_FROM = 8;

  function labelLayer(features, className) {
    var group = L.layerGroup();
    features.forEach(function (feature) {
      var p = feature.properties;
      var label = document.createElement("span");
      label.textContent = p.name;
      group.addLayer(L.marker(p.label, {
        pane: "amanatLabels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "amanat-place-label " + className, html: label,
                          iconSize: null }),
      }));
    });
    return group;
  }

  // Draw the base map under `map`'s data; `focus` (a unit id) is outlined and the map
  // zooms to it.  Calls `done(focusBounds or null)` once drawn.  `ownProvinceLabels`: the
  // map names the provinces itself (the cell maps), so only county names are added.
  function basemap(map, focus, done, ownProvinceLabels) {
    var element = map.getContainer();
    if (!map.getPane("amanatBase")) {
      map.createPane("amanatBase").style.zIndex = 250; // above tiles, under the data
      map.createPane("amanatLabels").style.zIndex = 350;
      map.getPane("amanatLabels").style.pointerEvents = "none";
    }
    var renderer = L.svg({ pane: "amanatBase" });
    fetchBasemap().then(function (data) {
      var tiles = Boolean(element.dataset.tiles === "true");
      L.geoJSON(data.countries, {
        pane: "amanatBase", renderer: renderer, interactive: false,
        style: function (f) {
          var home = f.properties.home;
          return {
            className: home ? "amanat-country amanat-country-home" : "amanat-country",
            color: home ? "#24473a" : "#9aa5a0", weight: home ? 1.6 : 0.8,
            fillColor: home ? "#fbfaf4" : "#e3e6e4", fillOpacity: tiles ? 0 : 1,
          };
        },
      }).addTo(map);
      var focused = null;
      L.geoJSON(data.counties, {
        pane: "amanatBase", renderer: renderer, interactive: false,
        style: function (f) {
          return {
            className: "amanat-county" + (f.properties.approx ? " amanat-approx" : ""),
            color: "#8c9a94", weight: 0.6, fill: false,
            dashArray: f.properties.approx ? "3 3" : null,
          };
        },
      }).addTo(map);
      L.geoJSON(data.provinces, {
        pane: "amanatBase", renderer: renderer, interactive: false,
        style: function (f) {
          return {
            className: "amanat-province" + (f.properties.approx ? " amanat-approx" : ""),
            color: "#5b6b64", weight: 1.3, fill: false,
            dashArray: f.properties.approx ? "6 4" : null,
          };
        },
      }).addTo(map);
      if (focus) {
        var all = data.counties.features.concat(data.provinces.features);
        all.forEach(function (f) {
          if (f.properties.id !== focus) return;
          focused = L.geoJSON(f, {
            pane: "amanatBase", renderer: renderer, interactive: false,
            style: { className: "amanat-focus", color: "#b08d3c", weight: 3, fill: true,
                     fillColor: "#f3d98b", fillOpacity: 0.15 },
          }).addTo(map);
        });
      }
      var provinceLabels = labelLayer(data.provinces.features, "amanat-province-label");
      var countyLabels = labelLayer(data.counties.features, "amanat-county-label");
      function showLabels() {
        var zoom = map.getZoom();
        var wantProvinces = !ownProvinceLabels && zoom >= PROVINCE_LABELS_FROM &&
          zoom < COUNTY_LABELS_FROM;
        var wantCounties = zoom >= COUNTY_LABELS_FROM;
        if (wantProvinces !== map.hasLayer(provinceLabels)) {
          if (wantProvinces) provinceLabels.addTo(map); else map.removeLayer(provinceLabels);
        }
        if (wantCounties !== map.hasLayer(countyLabels)) {
          if (wantCounties) countyLabels.addTo(map); else map.removeLayer(countyLabels);
        }
      }
      map.on("zoomend", showLabels);
      var approx = data.counties.features.some(function (f) { return f.properties.approx; });
      var meta = basemapMeta();
      if (approx && meta && meta.dataset.approx) {
        var note = L.control({ position: "bottomleft" });
        note.onAdd = function () {
          var div = L.DomUtil.create("div", "amanat-approx-note");
          div.textContent = meta.dataset.approx;
          div.setAttribute("data-testid", "approx-note");
          return div;
        };
        note.addTo(map);
      }
      element.dataset.basemap = "ready";
      var bounds = focused ? focused.getBounds() : null;
      if (done) done(bounds);
      showLabels();
    }).catch(function () {
      element.dataset.basemap = "unavailable";
      if (done) done(null);
    });
  }

  function create(element, config, options) {
    var settings = Object.assign({ attributionControl: Boolean(config.tileUrl) }, options || {});
    var map = L.map(element, settings);
    scale(map);
    if (config.tileUrl) {
      element.dataset.tiles = "true";
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" }).addTo(map);
    }
    withBasemap(map, config);
    return map;
  }

  // A map with the base map under it; when `config.focus` names a unit drawn there, the
  // map zooms to that unit's area once the base map is in.
  function withBasemap(map, config) {
    basemap(map, config.focus || null, function (bounds) {
      if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    });
    return map;
  }

  // Text for a tooltip or popup: a node whose text is `value`, never parsed as HTML
  // (Leaflet's bindTooltip/bindPopup set a string as innerHTML; names come from data).
  function text(value) {
    var node = document.createElement("span");
    node.textContent = value === null || value === undefined ? "" : String(value);
    return node;
  }

  function onReady(draw) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", draw);
    } else {
      draw();
    }
  }

  window.AmanatMap = {
    readIsland: readIsland, showEmpty: showEmpty, create: create, onReady: onReady, scale: scale,
    basemap: basemap, withBasemap: withBasemap, text: text,
    // The base map's features (provinces, counties), for maps that colour them.
    fetchBasemap: fetchBasemap,
  };
})();
