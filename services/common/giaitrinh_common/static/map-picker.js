/* Giải Trình — the submission form's map (bản đồ chọn vị trí): an enhancement of the latitude
   and longitude fields, never a replacement.

   The page renders <div class="map-picker" hidden data-tiles="https://…/{z}/{x}/{y}.png" …> only
   when the operator configured a tile server (INTAKE_MAP_TILES). This script shows it, draws the
   256-pixel Web Mercator tiles around the place, and fills the two fields from a click, or from
   the arrow keys that move the pin; the pin follows what is typed in the fields. When the first
   tiles do not load, the map says so and hides itself: the fields work alone. Without
   JavaScript nothing of this runs and the fields are the whole form. */
(function () {
  "use strict";
  var TILE = 256, MIN_ZOOM = 5, MAX_ZOOM = 18, START_ZOOM = 15;

  function worldSize(zoom) { return TILE * Math.pow(2, zoom); }

  // Latitude/longitude <-> pixels of the whole world at a zoom (Web Mercator, as tile servers cut).
  function toPixels(lat, lon, zoom) {
    var size = worldSize(zoom), rad = lat * Math.PI / 180;
    return {x: (lon + 180) / 360 * size,
            y: (1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * size};
  }

  function toDegrees(x, y, zoom) {
    var size = worldSize(zoom), n = Math.PI * (1 - 2 * y / size);
    return {lat: Math.atan((Math.exp(n) - Math.exp(-n)) / 2) * 180 / Math.PI, lon: x / size * 360 - 180};
  }

  function fieldNumber(input) {
    var value = parseFloat((input.value || "").replace(",", "."));
    return isFinite(value) ? value : null;
  }

  function button(label, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button button--secondary map-picker__zoom";
    b.setAttribute("aria-label", label);
    b.textContent = text;
    return b;
  }

  function start(box) {
    var form = box.closest("form");
    var latField = form && form.querySelector("input[name=latitude]");
    var lonField = form && form.querySelector("input[name=longitude]");
    if (!latField || !lonField) { return; }
    var template = box.getAttribute("data-tiles");
    var zoom = START_ZOOM;
    var centre = {lat: parseFloat(box.getAttribute("data-centre-latitude")),
                  lon: parseFloat(box.getAttribute("data-centre-longitude"))};
    var pin = null;
    if (fieldNumber(latField) !== null && fieldNumber(lonField) !== null) {
      pin = {lat: fieldNumber(latField), lon: fieldNumber(lonField)};
      centre = {lat: pin.lat, lon: pin.lon};
    }

    var view = document.createElement("div");
    view.className = "map-picker__view";
    view.tabIndex = 0;
    view.setAttribute("role", "application");
    view.setAttribute("aria-label", box.getAttribute("data-label-map"));
    var tiles = document.createElement("div");
    tiles.className = "map-picker__tiles";
    var marker = document.createElement("span");
    marker.className = "map-picker__pin";
    marker.hidden = true;
    view.appendChild(tiles);
    view.appendChild(marker);
    var controls = document.createElement("div");
    controls.className = "map-picker__controls";
    var zoomIn = button(box.getAttribute("data-label-zoom-in"), "+");
    var zoomOut = button(box.getAttribute("data-label-zoom-out"), "−");
    controls.appendChild(zoomIn);
    controls.appendChild(zoomOut);
    var notice = document.createElement("p");
    notice.className = "field__hint map-picker__notice";
    notice.setAttribute("role", "status");
    var hint = document.createElement("p");
    hint.className = "field__hint";
    hint.textContent = box.getAttribute("data-label-map");
    box.insertBefore(notice, box.firstChild);
    box.insertBefore(controls, box.firstChild);
    box.insertBefore(view, box.firstChild);
    box.insertBefore(hint, box.firstChild);
    box.hidden = false;

    var loaded = 0, failed = 0, gaveUp = false;
    function unavailable() {
      if (gaveUp) { return; }
      gaveUp = true;
      view.hidden = true;
      controls.hidden = true;
      hint.hidden = true;
      notice.textContent = box.getAttribute("data-label-unavailable");
    }

    function draw() {
      var width = view.clientWidth || 320, height = view.clientHeight || 240;
      var middle = toPixels(centre.lat, centre.lon, zoom);
      var left = middle.x - width / 2, top = middle.y - height / 2;
      var count = Math.pow(2, zoom);
      tiles.textContent = "";
      for (var tx = Math.floor(left / TILE); tx <= Math.floor((left + width) / TILE); tx++) {
        for (var ty = Math.floor(top / TILE); ty <= Math.floor((top + height) / TILE); ty++) {
          if (ty < 0 || ty >= count) { continue; }
          var img = document.createElement("img");
          var x = ((tx % count) + count) % count;
          img.alt = "";
          img.className = "map-picker__tile";
          img.src = template.replace("{z}", zoom).replace("{x}", x).replace("{y}", ty);
          img.style.left = Math.round(tx * TILE - left) + "px";
          img.style.top = Math.round(ty * TILE - top) + "px";
          img.addEventListener("load", function () { loaded++; });
          img.addEventListener("error", function () {
            failed++;
            if (loaded === 0 && failed >= 1) { unavailable(); }
          });
          tiles.appendChild(img);
        }
      }
      if (pin) {
        var at = toPixels(pin.lat, pin.lon, zoom);
        marker.style.left = Math.round(at.x - left) + "px";
        marker.style.top = Math.round(at.y - top) + "px";
        marker.hidden = false;
      } else {
        marker.hidden = true;
      }
    }

    function place(lat, lon) {
      pin = {lat: lat, lon: lon};
      latField.value = lat.toFixed(6);
      lonField.value = lon.toFixed(6);
      draw();
    }

    view.addEventListener("click", function (e) {
      var rect = view.getBoundingClientRect();
      var middle = toPixels(centre.lat, centre.lon, zoom);
      var x = middle.x - view.clientWidth / 2 + (e.clientX - rect.left);
      var y = middle.y - view.clientHeight / 2 + (e.clientY - rect.top);
      var where = toDegrees(x, y, zoom);
      place(where.lat, where.lon);
    });
    view.addEventListener("keydown", function (e) {
      var step = {ArrowUp: [0, -16], ArrowDown: [0, 16], ArrowLeft: [-16, 0], ArrowRight: [16, 0]}[e.key];
      if (!step) { return; }
      e.preventDefault();
      var from = pin || centre;
      var at = toPixels(from.lat, from.lon, zoom);
      var where = toDegrees(at.x + step[0], at.y + step[1], zoom);
      centre = {lat: where.lat, lon: where.lon};
      place(where.lat, where.lon);
    });
    zoomIn.addEventListener("click", function () { zoom = Math.min(MAX_ZOOM, zoom + 1); draw(); });
    zoomOut.addEventListener("click", function () { zoom = Math.max(MIN_ZOOM, zoom - 1); draw(); });
    function followFields() {
      var lat = fieldNumber(latField), lon = fieldNumber(lonField);
      if (lat === null || lon === null) { return; }
      pin = {lat: lat, lon: lon};
      centre = {lat: lat, lon: lon};
      draw();
    }
    latField.addEventListener("change", followFields);
    lonField.addEventListener("change", followFields);
    draw();
  }

  var boxes = document.querySelectorAll(".map-picker[data-tiles]");
  for (var i = 0; i < boxes.length; i++) { start(boxes[i]); }
})();
