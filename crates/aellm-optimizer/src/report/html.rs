//! `index.html`: one self-contained page (no network fetches) to explore the
//! four objectives: pick any two as axes, filter by limits, read each point.

use crate::AeLlmResult;

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page.
pub fn page(r: &AeLlmResult) -> Result<String, serde_json::Error> {
    let points: Vec<serde_json::Value> = r
        .evaluations
        .iter()
        .filter_map(|e| e.measurement().map(|m| (e.configuration, m.objectives())))
        .map(|(c, o)| serde_json::json!({"c": c.to_string(), "o": [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j], "k": "measured"}))
        .chain(r.measured_front.iter().map(|m| {
            let o = m.objectives;
            serde_json::json!({"c": m.configuration.to_string(), "o": [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j], "k": "front", "u": m.utility, "p": m.provenance.to_string()})
        }))
        .chain(r.predicted_front.iter().map(|m| {
            let o = m.objectives;
            serde_json::json!({"c": m.configuration.to_string(), "o": [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j], "k": "predicted", "u": m.utility})
        }))
        .chain(r.recommended.iter().map(|rec| {
            let o = rec.member.objectives;
            serde_json::json!({"c": rec.member.configuration.to_string(), "o": [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j], "k": "recommended", "u": rec.member.utility, "p": rec.member.provenance.to_string()})
        }))
        .collect();
    // JSON inside <script>: escape '<' so no string can close the element.
    let data = serde_json::to_string(&points)?.replace('<', "\\u003c");
    let sc = &r.scenario;
    let title = escape(&format!(
        "aellm: {} on {} ({})",
        sc.model.name, sc.hardware.name, sc.task.name
    ));
    let recommended = r
        .recommended
        .as_ref()
        .map_or("No configuration met every limit.".to_string(), |x| {
            escape(&x.member.configuration.to_string())
        });
    let notes: String = r
        .notes
        .iter()
        .map(|n| format!("<p><b>Note.</b> {}</p>", escape(n)))
        .collect();
    let why: String = r
        .recommended
        .iter()
        .flat_map(|x| &x.why)
        .map(|w| format!("<li>{}</li>", escape(w)))
        .collect();
    Ok(TEMPLATE
        .replace("{{TITLE}}", &title)
        .replace("{{RECOMMENDED}}", &recommended)
        .replace("{{WHY}}", &why)
        .replace("{{NOTES}}", &notes)
        .replace("{{DATA}}", &data))
}

const TEMPLATE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{TITLE}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222}
svg{border:1px solid #ccc;background:#fff}
.row{display:flex;gap:24px;flex-wrap:wrap}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}
#tip{position:fixed;background:#333;color:#fff;padding:4px 8px;border-radius:4px;pointer-events:none;display:none}
label{margin-right:12px}
</style></head><body>
<h1>{{TITLE}}</h1>
{{NOTES}}
<p>Recommended: <b>{{RECOMMENDED}}</b></p><ul>{{WHY}}</ul>
<p><label>x <select id="x"></select></label><label>y <select id="y"></select></label>
<label><input type="checkbox" id="all" checked> all evaluations</label>
<label><input type="checkbox" id="pred" checked> predicted front</label></p>
<p id="limits"></p>
<div class="row"><svg id="plot" width="720" height="520"></svg>
<div><h3>Front</h3><table id="table"><thead></thead><tbody></tbody></table></div></div>
<div id="tip"></div>
<script>
const DATA = {{DATA}};
const NAMES = ["accuracy", "latency ms", "memory GB", "energy J"];
const COLORS = {measured:"#aaa", front:"#1f5fd6", predicted:"#e68c14", recommended:"#d62020"};
const lim = NAMES.map((_, i) => { const v = DATA.map(d => d.o[i]); return [Math.min(...v), Math.max(...v)]; });
const cut = lim.map(l => l.slice());
const sx = document.getElementById("x"), sy = document.getElementById("y");
NAMES.forEach((n, i) => { sx.add(new Option(n, i)); sy.add(new Option(n, i)); });
sx.value = 1; sy.value = 0;
const limits = document.getElementById("limits");
NAMES.forEach((n, i) => {
  const lab = document.createElement("label");
  const inp = document.createElement("input");
  inp.type = "range"; inp.min = 0; inp.max = 100; inp.value = i == 0 ? 0 : 100;
  inp.oninput = () => { const t = inp.value / 100; const v = lim[i][0] + t * (lim[i][1] - lim[i][0]);
    if (i == 0) cut[i][0] = v; else cut[i][1] = v; lab.lastChild.textContent = " " + v.toPrecision(4); draw(); };
  lab.append((i == 0 ? "min " : "max ") + n + " ", inp, document.createTextNode(""));
  limits.append(lab);
});
const tip = document.getElementById("tip");
function keep(d) { return d.o.every((v, i) => v >= cut[i][0] - 1e-12 && v <= cut[i][1] + 1e-12); }
function draw() {
  const xi = +sx.value, yi = +sy.value, svg = document.getElementById("plot");
  const W = 720, H = 520, P = 60;
  const pts = DATA.filter(d => keep(d) && (d.k != "measured" || all.checked) && (d.k != "predicted" || pred.checked));
  const span = (l) => (l[1] - l[0]) || 1;
  const X = v => P + (v - lim[xi][0]) / span(lim[xi]) * (W - 2 * P);
  const Y = v => H - P - (v - lim[yi][0]) / span(lim[yi]) * (H - 2 * P);
  let s = `<line x1="${P}" y1="${H-P}" x2="${W-P}" y2="${H-P}" stroke="#000"/><line x1="${P}" y1="${P}" x2="${P}" y2="${H-P}" stroke="#000"/>`;
  s += `<text x="${W/2}" y="${H-20}" text-anchor="middle">${NAMES[xi]}</text><text x="15" y="${H/2}" transform="rotate(-90 15 ${H/2})" text-anchor="middle">${NAMES[yi]}</text>`;
  for (let t = 0; t <= 4; t++) {
    const vx = lim[xi][0] + t / 4 * span(lim[xi]), vy = lim[yi][0] + t / 4 * span(lim[yi]);
    s += `<text x="${X(vx)}" y="${H-P+16}" text-anchor="middle" font-size="11">${vx.toPrecision(3)}</text>`;
    s += `<text x="${P-6}" y="${Y(vy)+4}" text-anchor="end" font-size="11">${vy.toPrecision(3)}</text>`;
  }
  const order = ["measured", "predicted", "front", "recommended"];
  pts.sort((a, b) => order.indexOf(a.k) - order.indexOf(b.k));
  pts.forEach((d, j) => {
    const r = d.k == "recommended" ? 8 : d.k == "measured" ? 3 : 5;
    const fill = d.k == "predicted" || d.k == "recommended" ? "none" : COLORS[d.k];
    s += `<circle data-j="${DATA.indexOf(d)}" cx="${X(d.o[xi])}" cy="${Y(d.o[yi])}" r="${r}" fill="${fill}" stroke="${COLORS[d.k]}" stroke-width="2"/>`;
  });
  svg.innerHTML = s;
  svg.querySelectorAll("circle").forEach(c => {
    c.onmousemove = e => { const d = DATA[+c.dataset.j]; tip.style.display = "block"; tip.style.left = e.clientX + 12 + "px"; tip.style.top = e.clientY + 12 + "px";
      tip.textContent = `${d.k}: ${d.c} | ` + NAMES.map((n, i) => n + " " + d.o[i].toPrecision(4)).join(", "); };
    c.onmouseleave = () => tip.style.display = "none";
  });
  const rows = DATA.filter(d => (d.k == "front" || d.k == "predicted") && keep(d));
  document.querySelector("#table thead").innerHTML = "<tr><th>configuration</th>" + NAMES.map(n => `<th>${n}</th>`).join("") + "<th>utility</th><th>figures</th></tr>";
  const tb = document.querySelector("#table tbody"); tb.innerHTML = "";
  rows.forEach(d => { const tr = tb.insertRow(); tr.insertCell().textContent = d.c;
    d.o.forEach(v => tr.insertCell().textContent = v.toPrecision(4));
    tr.insertCell().textContent = (d.u ?? 0).toFixed(3); tr.insertCell().textContent = d.p ?? "predicted"; });
}
const all = document.getElementById("all"), pred = document.getElementById("pred");
[sx, sy, all, pred].forEach(e => e.onchange = draw);
draw();
</script></body></html>
"##;
