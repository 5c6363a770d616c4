// What every Amanat map shares: reading its JSON data island (json_script, so no inline
// script under the Content-Security-Policy), a Leaflet map with tiles only when the
// settings name a tile server (it must work offline), and the "no points" state.
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

  function create(element, config, options) {
    var settings = Object.assign({ attributionControl: Boolean(config.tileUrl) }, options || {});
    var map = L.map(element, settings);
    scale(map);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.attribution || "" }).addTo(map);
    }
    return map;
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
  };
})();
