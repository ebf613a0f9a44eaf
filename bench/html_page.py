"""A leaderboard as a page that opens on its own in a browser: doctype, UTF-8, styles, footnotes, sortable columns.

Why not the bare ``<table>`` tabulate writes: a fragment has no charset (its "±" arrives as mojibake
when opened from disk), no styles and no footnotes, so the caveats a Markdown table carries were lost.
Everything is inline (no CDN, no server): the page works offline and can be attached to a paper's
supplement.  Clicking a column header sorts that table by it (numbers by their mean, text
alphabetically); the sorting script is a few lines, so the page stays readable without it.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #1b1f24; background: #fff; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 2em; } h3 { font-size: 1.05em; }
.meta { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3em .7em; text-align: left; white-space: nowrap; }
th { background: #f6f8fa; position: sticky; top: 0; cursor: pointer; user-select: none; }
th.sortable::after { content: " \\2195"; color: #8c959f; font-size: .85em; }
th.asc::after { content: " \\2191"; color: #1b1f24; } th.desc::after { content: " \\2193"; color: #1b1f24; }
tr:nth-child(even) td { background: #fafbfc; }
td b { color: #0b5cad; }
.note { color: #3d444d; max-width: 60em; }
"""

_SCRIPT = """
document.querySelectorAll("table").forEach(function (table) {
  var heads = table.querySelectorAll("thead th, tr:first-child th");
  heads.forEach(function (th, col) {
    th.classList.add("sortable");
    th.addEventListener("click", function () {
      var body = table.tBodies[0] || table, rows = Array.from(body.querySelectorAll("tr")).filter(function (r) {
        return r.querySelector("td"); });
      var asc = !th.classList.contains("asc");
      heads.forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(asc ? "asc" : "desc");
      function key(r) { var t = r.children[col].textContent.trim(), n = parseFloat(t);
        return isNaN(n) ? t.toLowerCase() : n; }
      rows.sort(function (a, b) { var x = key(a), y = key(b);
        var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
        return asc ? c : -c; });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def page(sections: list[tuple[str, str]], notes: list[str], title: str = "sparsebench leaderboard",
         subtitle: str = "") -> str:
    """A standalone page: ``sections`` are (heading or "", an HTML table fragment), ``notes`` plain-text footnotes."""
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
             f"<h1>{html.escape(title)}</h1>",
             f'<p class="meta">{html.escape(subtitle + " · " if subtitle else "")}made {made} by sparsebench; '
             "mean ± sample std over seeds; the best value among comparable rows in bold; click a column to "
             "sort</p>"]
    for heading, table in sections:
        if heading:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(table)
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts += [f"<script>{_SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
