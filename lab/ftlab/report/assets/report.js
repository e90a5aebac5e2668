/* ftlab report: sorting, filtering and jump-to-evidence, without a server. The page reads fine without it. */
(function () {
  "use strict";
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function words(el, name) { return (el.getAttribute(name) || "").split(" ").filter(Boolean); }

  /* -- sorting: click a column header (or Enter on it) -- */
  function sortKey(cell) {
    if (!cell) { return ""; }
    var k = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var n = Number(k);
    return k !== "" && isFinite(n) ? n : k.toLowerCase();
  }
  function sortTable(table, index, th) {
    var body = table.tBodies[0];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a.cells[index]), y = sortKey(b.cells[index]);
      if (typeof x === "number" && typeof y === "number") { return (x - y) * dir; }
      return String(x).localeCompare(String(y), undefined, { numeric: true }) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    all("th", table.tHead).forEach(function (h) { if (h.classList.contains("sort")) { h.setAttribute("aria-sort", "none"); } });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  }
  all("table.sortable").forEach(function (table) {
    if (!table.tHead) { return; }
    all("th", table.tHead.rows[0]).forEach(function (th, i) {
      th.classList.add("sort");
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.addEventListener("click", function () { sortTable(table, i, th); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortTable(table, i, th); }
      });
    });
  });

  /* -- filtering: selects built from the rows' data-* facets, plus a text box -- */
  var filters = {};
  all(".filters[data-for]").forEach(function (box) {
    var table = document.getElementById(box.getAttribute("data-for"));
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var byColumn = table.classList.contains("matrix");
    var state = { search: "" };
    var facets = words(box, "data-facets").map(function (f) { return f.split(":"); });
    facets.forEach(function (pair) {
      var facet = pair[0], values = [];
      if (facet === "lane" && byColumn) {
        values = words(box, "data-lanes");
      } else {
        rows.forEach(function (r) { words(r, "data-" + facet).forEach(function (v) { if (values.indexOf(v) < 0) { values.push(v); } }); });
      }
      var label = document.createElement("label");
      label.textContent = pair[1];
      var select = document.createElement("select");
      select.setAttribute("data-facet", facet);
      [["", "all"]].concat(values.map(function (v) { return [v, v]; })).forEach(function (o) {
        var opt = document.createElement("option");
        opt.value = o[0]; opt.textContent = o[1];
        select.appendChild(opt);
      });
      select.addEventListener("change", function () { state[facet] = select.value; apply(); });
      label.appendChild(select);
      box.appendChild(label);
      state[facet] = "";
    });
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "search";
    input.setAttribute("aria-label", "search rows");
    input.addEventListener("input", function () { state.search = input.value.toLowerCase(); apply(); });
    box.appendChild(input);
    var shown = document.createElement("span");
    shown.className = "shown";
    box.appendChild(shown);

    function apply() {
      var n = 0;
      if (byColumn) {
        all("[data-col-lane]", table).forEach(function (c) {
          c.hidden = !!state.lane && c.getAttribute("data-col-lane") !== state.lane;
        });
      }
      rows.forEach(function (r) {
        var ok = !state.search || (r.getAttribute("data-search") || r.textContent.toLowerCase()).indexOf(state.search) >= 0;
        facets.forEach(function (pair) {
          var f = pair[0], want = state[f];
          if (!ok || !want || (byColumn && f === "lane")) { return; }
          if (byColumn && f === "verdict") {
            ok = all("td[data-col-lane]", r).some(function (c) {
              return !c.hidden && c.getAttribute("data-verdict") === want;
            });
          } else {
            ok = words(r, "data-" + f).indexOf(want) >= 0;
          }
        });
        r.hidden = !ok;
        if (ok) { n += 1; }
      });
      shown.textContent = "showing " + n + " of " + rows.length;
    }
    filters[table.id.replace(/-table$/, "")] = { state: state, box: box, apply: apply };
    apply();
  });

  /* banner chips set the matrix's verdict filter */
  all("[data-set-filter]").forEach(function (a) {
    a.addEventListener("click", function () {
      var p = a.getAttribute("data-set-filter").split(":"), f = filters[p[0]];
      if (!f) { return; }
      var select = f.box.querySelector('select[data-facet="' + p[1] + '"]');
      if (select) { select.value = p[2]; f.state[p[1]] = p[2]; f.apply(); }
    });
  });

  /* -- jump to evidence: open the <details> around the target, then scroll to it -- */
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    for (var p = el; p; p = p.parentElement) { if (p.tagName === "DETAILS") { p.open = true; } }
    el.scrollIntoView();
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }
  window.addEventListener("hashchange", reveal);
  if (location.hash) { reveal(); }
  document.documentElement.setAttribute("data-report-script", "ready");
})();
