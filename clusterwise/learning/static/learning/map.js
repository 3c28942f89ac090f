// The gap-analysis map: the unit's schools as dots coloured by the share of children
// proficient, drawn with Leaflet from the page's GeoJSON. No tile server: the dots stand
// on a plain background, fitted to the schools.
(function () {
  "use strict";
  var holder = document.getElementById("learning-map");
  if (!holder || !window.L) { return; }
  var bands = ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"];
  function colour(share) {
    if (share === null || share === undefined) { return "#999999"; }
    return bands[Math.min(3, Math.floor(share / 25))];
  }
  fetch(holder.dataset.url, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      if (!data.features.length) { holder.hidden = true; return; }
      var map = L.map(holder, { attributionControl: false, zoomSnap: 0.25 });
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties;
          return L.circleMarker(latlng, {
            radius: 6, weight: 1, color: "#333333", fillOpacity: 0.9, fillColor: colour(p.proficient)
          });
        },
        onEachFeature: function (feature, marker) {
          var p = feature.properties;
          var text = p.proficient === null
            ? holder.dataset.labelHidden
            : p.proficient + "% " + holder.dataset.labelProficient;
          var tip = document.createElement("span");
          tip.textContent = p.name + " (" + p.code + "): " + text;
          marker.bindTooltip(tip);
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 13 });
    });
})();
