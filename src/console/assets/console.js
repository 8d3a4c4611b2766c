// fieldweek console: the little the pages need from script (no inline script anywhere:
// the pages' policy forbids it). Runs on every load, and again after each htmx swap.
(function () {
  "use strict";

  function assets() {
    return document.body.getAttribute("data-assets") || "";
  }

  // "Select this page" ticks every row of the queue.
  function wireSelectAll(root) {
    var all = root.querySelector("#select-page");
    if (!all || all.dataset.wired) return;
    all.dataset.wired = "1";
    all.addEventListener("change", function () {
      document.querySelectorAll("table.queue input[name=id]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  function outlineStyle(tiles) {
    return { color: "#0b4f8a", weight: 1, fillColor: "#ffffff", fillOpacity: tiles ? 0 : 0.9 };
  }

  // A map over Thailand's outline (and a basemap, when one is configured), with the
  // reader's own area drawn on it. `ready` sets the view and adds the markers at once;
  // the outlines arrive after and go underneath.
  function baseMap(element, ready) {
    if (!window.L || element.dataset.wired) return;
    element.dataset.wired = "1";
    L.Icon.Default.imagePath = assets() + "/images/";
    var map = L.map(element, { zoomSnap: 0.5, minZoom: 4, maxZoom: 18 });
    var tiles = document.body.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
    }
    ready(map);
    fetch(assets() + "/thailand-outline.geojson")
      .then(function (r) { return r.json(); })
      .then(function (outline) {
        L.geoJSON(outline, { style: outlineStyle(tiles), interactive: false }).addTo(map).bringToBack();
      });
    var area = document.body.getAttribute("data-area");
    if (area && area !== "TH") {
      fetch("/console/areas/" + encodeURIComponent(area) + "/boundary", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (boundary) {
          if (!boundary) return;
          var layer = L.geoJSON(boundary, {
            style: { color: "#7a4b00", weight: 2, dashArray: "6 4", fill: false },
            interactive: false
          }).addTo(map);
          if (element.dataset.fitArea === "1") map.fitBounds(layer.getBounds());
        });
    }
  }

  function wireCaseMap(root) {
    var element = root.querySelector("#case-map");
    if (!element) return;
    var lat = parseFloat(element.dataset.lat), lon = parseFloat(element.dataset.lon);
    baseMap(element, function (map) {
      map.setView([lat, lon], 12);
      L.marker([lat, lon], { keyboard: false }).addTo(map);
    });
  }

  function wireQueueMap(root) {
    var element = root.querySelector("#grievance-map");
    if (!element) return;
    // Until the points arrive (or if there are none), the reader's area fills the map.
    element.dataset.fitArea = "1";
    baseMap(element, function (map) {
      map.setView([13.0, 101.0], 5.5);
      fetch(element.dataset.points, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var group = L.markerClusterGroup ? L.markerClusterGroup() : L.featureGroup();
          data.features.forEach(function (f) {
            var c = f.geometry.coordinates;
            var link = document.createElement("a");
            link.href = "/console/grievances/" + encodeURIComponent(f.properties.id);
            link.textContent = f.properties.title;
            var popup = document.createElement("div");
            popup.appendChild(link);
            popup.appendChild(document.createElement("br"));
            popup.appendChild(document.createTextNode(f.properties.status));
            group.addLayer(L.marker([c[1], c[0]], { keyboard: false }).bindPopup(popup));
          });
          map.addLayer(group);
          if (data.features.length) {
            element.dataset.fitArea = "0";
            map.fitBounds(group.getBounds(), { maxZoom: 13 });
          }
          var count = document.getElementById("map-count");
          if (count) {
            count.textContent = String(data.features.length);
            count.setAttribute("data-count", String(data.features.length));
          }
          var capped = document.getElementById("map-capped");
          if (capped) capped.hidden = !data.capped;
        });
    });
  }

  // The printed report's button: the browser prints it, or saves it as a PDF.
  function wirePrint(root) {
    root.querySelectorAll("[data-print]:not([data-wired])").forEach(function (button) {
      button.setAttribute("data-wired", "");
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // Compliance by sub-area over the areas' real boundaries (an area without one is not
  // drawn, never guessed, and counted under the map), with the week's hotspots. The
  // element says `data-drawn` once everything has arrived, so a printout waits for it.
  function complianceColour(rate) {
    if (rate === null || rate === undefined) return "#b0bec5";
    if (rate >= 0.8) return "#2e7d32";
    if (rate >= 0.5) return "#f9a825";
    return "#c62828";
  }

  function wireDashboardMap(root) {
    // A class, not an id: htmx copies the attributes of an element whose id is on both
    // pages (Leaflet's inline style too, which the page policy refuses).
    var element = root.querySelector(".dashboard-map");
    if (!element) return;
    var data = JSON.parse(element.dataset.areas || "{}");
    baseMap(element, function (map) {
      map.setView([13.0, 101.0], 5.5);
      var drawn = L.featureGroup().addTo(map);
      var missing = 0;
      var pending = (data.areas || []).map(function (area) {
        return fetch("/console/areas/" + encodeURIComponent(area.code) + "/boundary", { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (boundary) {
            if (!boundary) { missing += 1; return; }
            var layer = L.geoJSON(boundary, {
              style: { color: "#37474f", weight: 1, fillColor: complianceColour(area.rate), fillOpacity: 0.6 }
            });
            layer.bindTooltip(area.name + " · " + area.label);
            layer.on("click", function () { window.location.href = area.href; });
            drawn.addLayer(layer);
          })
          .catch(function () { missing += 1; });
      });
      (data.hotspots || []).forEach(function (spot) {
        L.circleMarker([spot.lat, spot.lon], {
          radius: 6 + Math.min(12, Math.sqrt(spot.count) * 2), color: "#6a1b9a", weight: 2, fillOpacity: 0.4
        }).bindTooltip(spot.label).addTo(drawn);
      });
      Promise.all(pending).then(function () {
        if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 12 });
        var note = document.getElementById("map-missing");
        if (note && missing) {
          note.hidden = false;
          note.textContent = "· " + note.dataset.label + ": " + missing;
        }
        element.setAttribute("data-drawn", String(drawn.getLayers().length));
      });
    });
  }

  function wire(root) {
    wirePrint(root);
    wireDashboardMap(root);
    wireSelectAll(root);
    wireCaseMap(root);
    wireQueueMap(root);
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function () { wire(document); });
})();
