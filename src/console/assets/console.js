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

  function baseMap(element, done) {
    if (!window.L || element.dataset.wired) return;
    element.dataset.wired = "1";
    L.Icon.Default.imagePath = assets() + "/images/";
    var map = L.map(element, { zoomSnap: 0.5, minZoom: 4, maxZoom: 18 });
    var tiles = document.body.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
    }
    fetch(assets() + "/thailand-outline.geojson")
      .then(function (r) { return r.json(); })
      .then(function (outline) {
        var layer = L.geoJSON(outline, {
          style: { color: "#0b4f8a", weight: 1, fillColor: "#ffffff", fillOpacity: tiles ? 0 : 0.9 },
          interactive: false
        }).addTo(map);
        done(map, layer);
      });
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
    baseMap(element, function (map, outline) {
      map.fitBounds(outline.getBounds());
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
          if (data.features.length) map.fitBounds(group.getBounds(), { maxZoom: 13 });
          var count = document.getElementById("map-count");
          if (count) count.textContent = String(data.features.length);
          count && count.setAttribute("data-count", String(data.features.length));
          var capped = document.getElementById("map-capped");
          if (capped) capped.hidden = !data.capped;
        });
    });
  }

  function wire(root) {
    wireSelectAll(root);
    wireCaseMap(root);
    wireQueueMap(root);
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function () { wire(document); });
})();
