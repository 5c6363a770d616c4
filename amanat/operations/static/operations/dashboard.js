// The election-day dashboard: totals, the table and the map, refreshed from the JSON
// data answer (#ops-dashboard data-url) every data-refresh seconds without reloading.
// No inline script (the Content-Security-Policy): the first figures are in the page, the
// map's settings in the JSON island #ops-map-config.  Names come from data: DOM nodes,
// never HTML strings.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "fa";
  var integer = new Intl.NumberFormat(lang);
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  var BANDS = ["#e9ecef", "#d7ecd9", "#9fd3a6", "#4fa863", "#1b6b34"];
  var STATES = { reporting: "#2e8b57", silent: "#c0392b", closed: "#495057", waiting: "#ced4da" };

  function band(turnout) {
    if (turnout === null || turnout === undefined || turnout <= 0) return 0;
    if (turnout < 20) return 1;
    if (turnout < 40) return 2;
    if (turnout < 60) return 3;
    return 4;
  }

  function formatTurnout(value) {
    return value === null || value === undefined ? "—" : percent.format(value / 100);
  }

  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  function localDigits(text) {
    if (lang.split("-")[0] !== "fa") return String(text);
    return String(text).replace(/[0-9]/g, function (d) { return PERSIAN_DIGITS[Number(d)]; });
  }

  function cell(text, end) {
    var td = document.createElement("td");
    if (end) td.className = "text-end";
    td.textContent = text;
    return td;
  }

  function Dashboard(root) {
    this.root = root;
    this.level = root.dataset.level;
    this.map = null;
    this.layers = {};
    this.features = null;
  }

  Dashboard.prototype.link = function (row) {
    var a = document.createElement("a");
    if (this.level === "station") {
      a.href = this.root.dataset.stationUrl.replace("/0/", "/" + row.id + "/");
      // The code in the page's digits, kept left to right (as the server writes it).
      var code = document.createElement("bdi");
      code.dir = "ltr";
      code.textContent = localDigits(row.code);
      a.appendChild(code);
      a.appendChild(document.createTextNode(" " + localDigits(row.name)));
    } else {
      a.href = this.root.dataset.unitUrl.replace("/0/", "/" + row.id + "/") + this.root.dataset.query;
      a.textContent = row.name;
    }
    return a;
  };

  Dashboard.prototype.render = function (data) {
    var self = this;
    var totals = data.totals;
    this.root.querySelectorAll("[data-figure]").forEach(function (el) {
      var name = el.dataset.figure;
      el.textContent = name === "turnout" ? formatTurnout(totals.turnout) : integer.format(totals[name]);
    });
    var updated = document.getElementById("ops-updated");
    if (updated) {
      updated.setAttribute("datetime", data.at);
      // The server's words for its own time (Tehran, Jalali, the page's digits): the
      // same on load and after every poll, whatever the browser's clock or zone.
      updated.textContent = data.at_shown || data.at;
    }
    // Read from a replica: the staleness line above the page says how old this poll's
    // figures may be; hidden while a poll is read from the primary (issue 19).
    var lag = document.querySelector("[data-testid=replica-lag]");
    if (lag && "replica_lag_shown" in data) {
      lag.hidden = !data.replica_lag_shown;
      if (data.replica_lag_shown) lag.textContent = data.replica_lag_shown;
    }
    var body = document.getElementById("ops-rows");
    if (body && data.rows.length) {
      var fragment = document.createDocumentFragment();
      data.rows.forEach(function (row) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-testid", "ops-row");
        tr.dataset.id = row.id;
        var first = document.createElement("td");
        first.className = "ops-name";
        first.appendChild(self.link(row));
        tr.appendChild(first);
        if (self.level === "station") {
          var state = document.createElement("td");
          var swatch = document.createElement("span");
          swatch.className = "ops-swatch ops-state-" + row.state;
          swatch.title = self.root.dataset["state" + row.state.charAt(0).toUpperCase() + row.state.slice(1)] || row.state;
          state.appendChild(swatch);
          // The state in words too, not by colour only (user review 2026-12, F14).
          var words = document.createElement("span");
          words.className = "small";
          words.setAttribute("data-testid", "ops-state");
          words.textContent = swatch.title;
          state.appendChild(document.createTextNode(" "));
          state.appendChild(words);
          state.className = "text-nowrap";
          tr.appendChild(state);
        } else {
          var stations = cell(integer.format(row.stations), true);
          stations.className += " d-none d-sm-table-cell";
          tr.appendChild(stations);
        }
        ["opened", "reporting", "silent", "closed", "flagged", "voters"].forEach(function (name) {
          var td = cell(integer.format(row[name]), true);
          // On a phone: a station's own 0/1 of these is its state, said already; a
          // unit keeps its silent, flagged, turnout and incidents on screen (user
          // review 2, F17), the rest from md up.
          var wide = self.level === "station"
            ? name !== "flagged" && name !== "voters"
            : name !== "flagged" && name !== "silent";
          if (wide) td.className += " d-none d-md-table-cell";
          // Beside the map (xl), «Opened» waits for xxl (user review 2, F8).
          if (name === "opened") td.className += " d-xl-none d-xxl-table-cell";
          tr.appendChild(td);
        });
        tr.appendChild(cell(formatTurnout(row.turnout), true));
        tr.appendChild(cell(integer.format(row.incidents || 0), true));
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
    }
    this.root.dataset.refreshedAt = data.at;
    this.paint(data);
  };

  Dashboard.prototype.tooltip = function (row) {
    var d = this.root.dataset;
    return row.name + " · " + d.turnoutLabel + " " + formatTurnout(row.turnout) + " · " +
      d.stationsLabel + " " + integer.format(row.stations) + " · " + d.silentLabel + " " +
      integer.format(row.silent) + " · " + d.flaggedLabel + " " + integer.format(row.flagged);
  };

  // Colour the areas (provinces or counties) by turnout, or the stations by state.
  Dashboard.prototype.paint = function (data) {
    var self = this;
    if (!this.map) return;
    if (this.level === "station") {
      data.rows.forEach(function (row) {
        if (row.lat === null || row.lon === null) return;
        var colour = STATES[row.state] || STATES.waiting;
        var marker = self.layers[row.id];
        if (!marker) {
          marker = L.circleMarker([row.lat, row.lon], {
            radius: 6, color: "#343a40", weight: 1, fillOpacity: 0.9, fillColor: colour,
          }).addTo(self.map);
          self.layers[row.id] = marker;
        }
        marker.setStyle({ fillColor: colour });
        marker.bindTooltip(AmanatMap.text(localDigits(row.code) + " " + row.name));
      });
      return;
    }
    if (!this.features) return;
    var byId = {};
    data.rows.forEach(function (row) { byId[row.id] = row; });
    this.features.forEach(function (feature) {
      var row = byId[feature.properties.id];
      if (!row) return;
      var layer = self.layers[row.id];
      if (!layer) {
        layer = L.geoJSON(feature, { style: { color: "#24473a", weight: 1, fillOpacity: 0.8 } });
        layer.on("click", function () {
          window.location.href = self.root.dataset.unitUrl.replace("/0/", "/" + row.id + "/") +
            self.root.dataset.query;
        });
        layer.addTo(self.map);
        self.layers[row.id] = layer;
      }
      layer.setStyle({ fillColor: BANDS[band(row.turnout)] });
      layer.bindTooltip(AmanatMap.text(self.tooltip(row)));
    });
  };

  Dashboard.prototype.drawMap = function (data) {
    var self = this;
    var element = document.getElementById("ops-map");
    var config = AmanatMap.readIsland("ops-map-config") || {};
    if (!element || typeof L === "undefined") return;
    if (!data.rows.length) {
      AmanatMap.showEmpty(element);
      return;
    }
    this.map = AmanatMap.create(element, config, { zoomSnap: 0.25 });
    this.map.setView([32.4, 53.7], 5);
    if (this.level === "station") {
      var points = data.rows.filter(function (r) { return r.lat !== null && r.lon !== null; })
        .map(function (r) { return [r.lat, r.lon]; });
      if (points.length) this.map.fitBounds(points, { padding: [20, 20], maxZoom: 12 });
      this.paint(data);
      element.dataset.ready = "true";
      return;
    }
    AmanatMap.fetchBasemap().then(function (base) {
      var collection = self.level === "province" ? base.provinces : base.counties;
      self.features = collection.features;
      self.paint(data);
      var drawn = Object.keys(self.layers).map(function (id) { return self.layers[id]; });
      if (drawn.length) {
        var bounds = L.featureGroup(drawn).getBounds();
        if (bounds.isValid()) self.map.fitBounds(bounds, { padding: [10, 10] });
      }
      element.dataset.ready = "true";
    }).catch(function () {
      element.dataset.ready = "true";
    });
  };

  // How long ago the last answer came, in words ("3 minutes"), by the browser's clock
  // (the time since the last good poll, so a clock set wrong does not matter).
  Dashboard.prototype.age = function () {
    var d = this.root.dataset;
    var seconds = Math.max(0, Math.round((Date.now() - this.freshAt) / 1000));
    if (seconds < 120) return d.ageSeconds.replace("{n}", integer.format(seconds));
    if (seconds < 7200) return d.ageMinutes.replace("{n}", integer.format(Math.floor(seconds / 60)));
    return d.ageHours.replace("{n}", integer.format(Math.floor(seconds / 3600)));
  };

  // The warning over the figures while polls fail (user review 2026-12, F4).
  Dashboard.prototype.showStale = function (session) {
    var box = document.getElementById("ops-stale");
    this.root.dataset.state = "stale";
    if (!box) return;
    var age = box.querySelector("[data-stale-age-text]");
    age.textContent = age.dataset.staleAgeText.replace("{age}", this.age());
    box.querySelector("[data-stale-session]").classList.toggle("d-none", !session);
    box.classList.remove("d-none");
  };

  Dashboard.prototype.refresh = function () {
    var self = this;
    return fetch(this.root.dataset.url, {
      credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // A session that ended answers with the sign-in page (a redirect) or a refusal.
      self.session = response.redirected || response.status === 401 ||
        response.status === 403 || (response.ok && type.indexOf("json") < 0);
      if (!response.ok || self.session) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      self.render(data);
      self.failures = 0;
      self.freshAt = Date.now();
      self.root.dataset.state = "fresh";
      var box = document.getElementById("ops-stale");
      if (box) box.classList.add("d-none");
    }).catch(function () {
      self.failures = (self.failures || 0) + 1;
      self.showStale(self.session);
    });
  };

  // The next poll: every data-refresh seconds while answers come; after a failure
  // sooner first, then backing off (doubling, at most 5 minutes) until one comes.
  Dashboard.prototype.delay = function (seconds) {
    if (!this.failures) return seconds * 1000;
    return Math.min(300, seconds * Math.pow(2, this.failures - 1)) * 1000;
  };

  function start() {
    var root = document.getElementById("ops-dashboard");
    if (!root) return;
    var dashboard = new Dashboard(root);
    dashboard.freshAt = Date.now();  // the page itself carries the first figures
    dashboard.failures = 0;
    var seconds = Math.max(2, Number(root.dataset.refresh) || 20);
    // Keep the last answer for the map, which is drawn once the first one is in.
    var render = dashboard.render;
    dashboard.render = function (data) {
      dashboard.last = data;
      render.call(dashboard, data);
    };
    var timer = null;
    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, dashboard.delay(seconds));
    }
    // The map is drawn once, from the first answer that comes (a failed first poll
    // leaves it for the next good one).
    var drawn = false;
    function after() {
      if (!drawn && dashboard.last) {
        drawn = true;
        dashboard.drawMap(dashboard.last);
      }
      schedule();
    }
    function poll() {
      if (document.visibilityState === "hidden") { schedule(); return; }
      dashboard.refresh().then(after);
    }
    dashboard.refresh().then(after);
    // The age in the warning keeps counting between attempts.
    window.setInterval(function () {
      if (root.dataset.state === "stale") dashboard.showStale(dashboard.session);
    }, 5000);
    var retry = root.querySelector("[data-stale-retry]");
    if (retry) retry.addEventListener("click", function () {
      window.clearTimeout(timer);
      dashboard.refresh().then(after);
    });
    // Back on the network or back to the tab: ask now rather than at the next turn.
    window.addEventListener("online", function () { window.clearTimeout(timer); poll(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && root.dataset.state === "stale") {
        window.clearTimeout(timer);
        poll();
      }
    });
  }

  AmanatMap.onReady(start);
})();
