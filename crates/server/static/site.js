// Refreshes the pipeline's run list without a reload: the server renders the same table fragment.
(function () {
  var box = document.getElementById("runs");
  if (!box || !window.fetch) return;
  var note = document.getElementById("refresh-note");
  if (note) note.hidden = false;
  var last = box.innerHTML;
  function tick() {
    fetch(box.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html !== last) { box.innerHTML = html; last = html; }
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 2000);
})();
