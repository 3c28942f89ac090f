// The networks map: member schools as dots, one colour per network, drawn with Leaflet from
// the page's GeoJSON on a plain background (no tile server). Number 0: in no group (grey).
(function () {
  "use strict";
  var holder = document.getElementById("networks-map");
  if (!holder || !window.L) { return; }
  var palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6"];
  fetch(holder.dataset.url, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      if (!data.features.length) { holder.hidden = true; return; }
      var map = L.map(holder, { attributionControl: false, zoomSnap: 0.25 });
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            radius: 6, weight: 1, color: "#333333", fillOpacity: 0.9,
            fillColor: feature.properties.number
              ? palette[(feature.properties.number - 1) % palette.length]
              : "#bbbbbb"
          });
        },
        onEachFeature: function (feature, marker) {
          var p = feature.properties;
          var tip = document.createElement("span");
          tip.textContent = p.name + " (" + p.code + "): " + p.network_name;
          marker.bindTooltip(tip);
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 13 });
    });
})();
