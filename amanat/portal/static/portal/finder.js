// The station finder: the found stations on the map, and "near me".  "Near me" reads
// the position in the browser, picks the nearest counties from /find/places.json and
// loads only their published stations (open data, ?county=): the position itself is
// never sent.  Data comes from the JSON island #finder-config (no inline script).
(function () {
  "use strict";

  var NEAREST_COUNTIES = 3;
  var SHOWN = 10;
  var map = null;
  var layer = null;

  function distanceKm(a, b) {
    var rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad;
    var dLon = (b.lon - a.lon) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 12742 * Math.asin(Math.sqrt(h));
  }

  // Digits inside text (an address, a code, an hour) as the page's language writes them:
  // the server renders the same cards through fatext/facode.
  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  function localDigits(text) {
    if ((document.documentElement.lang || "fa") !== "fa") return String(text);
    return String(text).replace(/[0-9]/g, function (d) { return PERSIAN_DIGITS[Number(d)]; });
  }

  function number(value, digits) {
    var lang = document.documentElement.lang || "fa";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
  }

  function draw(points, element) {
    if (typeof L === "undefined" || !element) return;
    if (!points.length) {
      if (!map) AmanatMap.showEmpty(element);
      return;
    }
    if (!map) {
      element.classList.remove("amanat-map-empty");
      element.textContent = "";
      map = AmanatMap.create(element, config(), { zoomControl: true });
    }
    if (layer) layer.remove();
    layer = L.featureGroup(points.map(function (p) {
      var box = document.createElement("div");
      var strong = document.createElement("strong");
      strong.textContent = p.name;
      box.appendChild(strong);
      box.appendChild(document.createTextNode(" " + p.code));
      return L.circleMarker([p.lat, p.lon], {
        radius: 8, color: "#0f5132", weight: 2, fillColor: "#b08d3c", fillOpacity: 0.9,
      }).bindPopup(box);
    })).addTo(map);
    map.fitBounds(layer.getBounds(), { maxZoom: 14, padding: [20, 20] });
    element.dataset.ready = "true";
  }

  var cached = null;
  function config() {
    if (!cached) cached = AmanatMap.readIsland("finder-config") || { points: [] };
    return cached;
  }

  function fill(item, record, distance) {
    var template = document.getElementById("station-template");
    var node = template.content.firstElementChild.cloneNode(true);
    function set(name, text) {
      var el = node.querySelector("[data-field=" + name + "]");
      if (el) el.textContent = text;
    }
    set("name", localDigits(record.name));
    set("code", localDigits(record.station_code));
    set("place", [record.place, record.county, record.province].filter(Boolean).join(" · "));
    set("address", localDigits(record.address || ""));
    set("hours", localDigits(record.opens + "–" + record.closes));
    var access = node.querySelector("[data-field=accessible]");
    access.textContent = record.accessible ? access.dataset.yes : access.dataset.no;
    var far = node.querySelector("[data-field=distance]");
    set("distance", "· " + number(distance, 1) + " " + (far ? far.dataset.unit : "km"));
    item.appendChild(node);
  }

  function status(text) {
    document.getElementById("near-status").textContent = text;
  }

  function nearMe(position) {
    var here = { lat: position.coords.latitude, lon: position.coords.longitude };
    var cfg = config();
    var box = document.getElementById("near-status");
    status(box.dataset.loading);
    fetch(cfg.nearUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (data) {
        var nearest = data.counties.map(function (c) {
          return { code: c.code, d: distanceKm(here, c) };
        }).sort(function (a, b) { return a.d - b.d; }).slice(0, NEAREST_COUNTIES);
        return Promise.all(nearest.map(function (c) {
          return fetch(cfg.stationsUrl + "?county=" + encodeURIComponent(c.code))
            .then(function (r) { return r.json(); });
        }));
      })
      .then(function (sets) {
        var stations = [];
        sets.forEach(function (set) {
          set.records.forEach(function (s) {
            if (s.latitude !== null && s.longitude !== null) {
              stations.push({ s: s, d: distanceKm(here, { lat: s.latitude, lon: s.longitude }) });
            }
          });
        });
        stations.sort(function (a, b) { return a.d - b.d; });
        stations = stations.slice(0, SHOWN);
        var list = document.getElementById("finder-results");
        list.textContent = "";
        if (!stations.length) {
          status(box.dataset.none);
          return;
        }
        stations.forEach(function (x) { fill(list, x.s, x.d); });
        status("");
        draw(stations.map(function (x) {
          return { lat: x.s.latitude, lon: x.s.longitude, name: x.s.name, code: x.s.station_code };
        }), document.getElementById("finder-map"));
      })
      .catch(function () { status(box.dataset.denied); });
  }

  AmanatMap.onReady(function () {
    draw(config().points || [], document.getElementById("finder-map"));
    var button = document.getElementById("near-me");
    if (!button) return;
    button.addEventListener("click", function () {
      if (!navigator.geolocation) {
        status(document.getElementById("near-status").dataset.denied);
        return;
      }
      navigator.geolocation.getCurrentPosition(nearMe, function () {
        status(document.getElementById("near-status").dataset.denied);
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  });
})();
