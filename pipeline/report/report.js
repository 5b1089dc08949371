/* vnplan report: draws every view from the JSON embedded in #vnplan-data.
 * Vanilla JS, no network. Data is only ever inserted with textContent / attributes,
 * never as HTML, because it comes from arbitrary source documents. */
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("vnplan-data").textContent);
  const VIEW = document.getElementById("view");
  const collator = new Intl.Collator("vi", { numeric: true, sensitivity: "base" });
  const DOCS = new Map((DATA.documents || []).map((d) => [d.doc_id, d]));
  const INSTRUMENTS = DATA.instruments || [];
  const PROVINCES = DATA.provinces || [];

  // ---- small DOM helpers ------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = tag === "svg" || SVG_TAGS.has(tag)
      ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k === "cls" ? "class" : k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const SVG_TAGS = new Set(["g", "line", "rect", "circle", "text", "title", "path"]);
  const fmt = (v) => (v === null || v === undefined ? "" : String(v));
  const docName = (d) => (d ? (d.doc_number || d.title || (d.source_path || d.doc_id).split(/[\\/]/).pop()) : "?");
  function docLink(docId, start) {
    const d = DOCS.get(docId);
    const label = d ? docName(d) : docId;
    if (!DATA.texts || !(docId in DATA.texts)) return el("span", { title: docId, text: label });
    return el("a", { href: "#doc/" + encodeURIComponent(docId) + (start !== undefined && start !== null ? "/" + start : ""),
      title: d && d.title ? d.title : docId, text: label });
  }
  const instLink = (i) => el("a", { href: "#instrument/" + i, text: INSTRUMENTS[i].label || INSTRUMENTS[i].key });

  // A table whose headers sort it: cells carry data-sort (number or text).
  function sortable(table) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, col) => {
      th.classList.add("sortable");
      th.tabIndex = 0;
      const go = () => sortBy(table, col, th.getAttribute("aria-sort") === "descending" ? "ascending"
        : th.getAttribute("aria-sort") === "ascending" ? "descending" : (th.dataset.type === "num" ? "descending" : "ascending"));
      th.addEventListener("click", go);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
    });
    return table;
  }
  function sortBy(table, col, dir) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((h) => h.removeAttribute("aria-sort"));
    heads[col].setAttribute("aria-sort", dir);
    const numeric = heads[col].dataset.type === "num";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (r) => { const c = r.cells[col]; const v = c.dataset.sort !== undefined ? c.dataset.sort : c.textContent; return numeric ? Number(v) || 0 : v; };
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = numeric ? x - y : collator.compare(x, y);
      return dir === "ascending" ? c : -c;
    });
    rows.forEach((r) => body.appendChild(r));
  }
  function th(text, type, title) { return el("th", { "data-type": type || null, title: title || null, cls: type === "num" ? "num" : null }, text); }
  function td(value, opts) {
    opts = opts || {};
    return el("td", { cls: opts.cls || (typeof value === "number" ? "num" : null), "data-sort": opts.sort !== undefined ? opts.sort : null, title: opts.title || null },
      value instanceof Node ? value : fmt(value));
  }

  // ---- views ------------------------------------------------------------------------------
  function viewSummary() {
    const docs = DATA.documents || [];
    const ok = docs.filter((d) => d.status === "ok");
    const failed = docs.filter((d) => d.status !== "ok");
    const c = DATA.counts || {};
    const card = (n, label) => el("div", { cls: "card" }, el("b", { text: n }), label);
    const out = [el("h1", { text: "Tổng quan (corpus summary)" }),
      el("div", { cls: "cards", id: "summary-cards" },
        card(ok.length, "văn bản (documents)"), card(failed.length, "lỗi (failed)"),
        card(PROVINCES.filter((p) => p !== "(không rõ)").length, "tỉnh (provinces)"),
        card(fmt(c.citations), "trích dẫn (citations)"), card(INSTRUMENTS.length, "văn bản được trích dẫn (instruments)"),
        card(fmt(c.deadlines), "thời hạn (deadlines)"), card(fmt(c.assignments), "giao nhiệm vụ (assignments)"),
        card(fmt(c.deadline_audit), "phát hiện (audit findings)"))];
    const table = el("table", { cls: "grid", id: "documents-table" },
      el("thead", {}, el("tr", {}, th("Tỉnh"), th("Loại"), th("Số"), th("Năm", "num"), th("Trích yếu (title)"),
        th("Trích dẫn", "num"), th("Thời hạn", "num"), th("Giao việc", "num"), th("Kiểm tra", "num"))),
      el("tbody", {}, ok.map((d) => el("tr", {},
        td(d.province), td(d.doc_type), td(docLink(d.doc_id), { sort: docName(d) }), td(d.plan_year),
        td(d.title || d.source_path), td(d.citations), td(d.deadlines), td(d.assignments), td(d.findings)))));
    out.push(el("h2", { text: "Văn bản (documents)" }), sortable(table));
    if (failed.length) {
      out.push(el("h2", { text: `Không xử lý được (failed: ${failed.length})` }),
        el("table", { cls: "grid", id: "failed-table" }, el("thead", {}, el("tr", {}, th("Tệp (file)"), th("Lý do (error)"))),
          el("tbody", {}, failed.map((d) => el("tr", {}, td(d.source_path), td(fmt(d.error).split("\n")[0]))))));
    }
    return out;
  }

  // Matrix state survives navigation to an instrument page and back.
  const matrixState = { q: "", type: "", spread: "", sortCol: null, sortDir: null };
  // A run of thousands of documents cites thousands of instruments: only the first rows
  // that pass the filter are drawn (sorting and filtering work on all of them).
  const MATRIX_MAX_ROWS = 400;
  function viewMatrix() {
    if (!INSTRUMENTS.length) return [el("h1", { text: "Ma trận trích dẫn" }), el("div", { cls: "empty", text: "Chưa có trích dẫn nào trong lần chạy này (no citations in this run)." })];
    const maxCell = Math.max(1, ...INSTRUMENTS.map((i) => Math.max(0, ...Object.values(i.by_province))));
    const types = Array.from(new Set(INSTRUMENTS.map((i) => i.type).filter(Boolean))).sort(collator.compare);
    const heads = [th("Văn bản được trích dẫn (instrument)"), th("Loại (type)"),
      th("Tỉnh", "num", "số tỉnh trích dẫn"), th("VB", "num", "số văn bản trích dẫn"),
      ...PROVINCES.map((p) => { const h = th(p, "num", p); h.classList.add("prov"); return h; })];
    const sortKey = (col) => (i) => {
      const inst = INSTRUMENTS[i];
      if (col === 0) return inst.label || "";
      if (col === 1) return inst.type || "";
      if (col === 2) return inst.n_provinces;
      if (col === 3) return inst.n_documents;
      return inst.by_province[PROVINCES[col - 4]] || 0;
    };
    const cache = new Map();
    const rowFor = (i) => {
      if (cache.has(i)) return cache.get(i);
      const inst = INSTRUMENTS[i];
      const tr = el("tr", { "data-key": inst.key },
        td(instLink(i), { cls: "label" }), td(inst.type), td(inst.n_provinces), td(inst.n_documents),
        PROVINCES.map((p) => {
          const n = inst.by_province[p] || 0;
          const docs = n ? Array.from(new Set(inst.mentions.filter((m) => m.province === p).map((m) => docName(DOCS.get(m.doc_id))))) : [];
          const cell = td(n ? n : "·", { cls: "cell" + (n ? "" : " zero"), title: n ? `${p}: ${docs.join(", ")}` : `${p}: không trích dẫn` });
          if (n) cell.style.background = `rgba(37, 99, 235, ${0.12 + 0.6 * n / maxCell})`;
          return cell;
        }));
      cache.set(i, tr);
      return tr;
    };
    const body = el("tbody");
    const table = el("table", { cls: "grid matrix", id: "matrix" }, el("thead", {}, el("tr", {}, heads)), body);
    const count = el("span", { id: "matrix-count", cls: "muted" });
    const apply = () => {
      const q = matrixState.q.trim().toLocaleLowerCase("vi");
      let idx = INSTRUMENTS.map((_, i) => i).filter((i) => {
        const inst = INSTRUMENTS[i];
        if (matrixState.type && inst.type !== matrixState.type) return false;
        if (matrixState.spread === "shared" && inst.n_provinces < 2) return false;
        if (matrixState.spread === "own" && inst.n_provinces !== 1) return false;
        return !q || `${inst.label || ""} ${inst.key} ${inst.title || ""} ${inst.issuer || ""}`.toLocaleLowerCase("vi").includes(q);
      });
      if (matrixState.sortCol !== null) {
        const key = sortKey(matrixState.sortCol), numeric = matrixState.sortCol >= 2;
        const sign = matrixState.sortDir === "ascending" ? 1 : -1;
        idx.sort((a, b) => sign * (numeric ? key(a) - key(b) : collator.compare(key(a), key(b))) || a - b);
      }
      heads.forEach((h, c) => { if (c === matrixState.sortCol) h.setAttribute("aria-sort", matrixState.sortDir); else h.removeAttribute("aria-sort"); });
      body.replaceChildren(...idx.slice(0, MATRIX_MAX_ROWS).map(rowFor));
      count.textContent = `${idx.length} / ${INSTRUMENTS.length} văn bản` +
        (idx.length > MATRIX_MAX_ROWS ? ` (hiển thị ${MATRIX_MAX_ROWS} dòng đầu; lọc để thu hẹp)` : "");
    };
    heads.forEach((h, c) => {
      h.classList.add("sortable");
      h.tabIndex = 0;
      const go = () => {
        const cur = c === matrixState.sortCol ? matrixState.sortDir : null;
        matrixState.sortDir = cur === "descending" ? "ascending" : cur === "ascending" ? "descending" : (c >= 2 ? "descending" : "ascending");
        matrixState.sortCol = c;
        apply();
      };
      h.addEventListener("click", go);
      h.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
    });
    const search = el("input", { type: "search", id: "matrix-filter", placeholder: "Lọc: số hiệu, tên… (vd. 33/CT-TTg)", value: matrixState.q,
      oninput: (e) => { matrixState.q = e.target.value; apply(); } });
    const typeSel = el("select", { id: "matrix-type", onchange: (e) => { matrixState.type = e.target.value; apply(); } },
      el("option", { value: "", text: "mọi loại (all types)" }), types.map((t) => el("option", { value: t, text: t, selected: t === matrixState.type })));
    const spreadSel = el("select", { id: "matrix-spread", onchange: (e) => { matrixState.spread = e.target.value; apply(); } },
      el("option", { value: "", text: "mọi văn bản" }),
      el("option", { value: "shared", text: "trích dẫn bởi ≥ 2 tỉnh", selected: matrixState.spread === "shared" }),
      el("option", { value: "own", text: "chỉ 1 tỉnh trích dẫn", selected: matrixState.spread === "own" }));
    apply();
    return [el("h1", { text: "Ma trận trích dẫn: văn bản × tỉnh (instrument × province)" }),
      el("p", { cls: "muted", text: "Mỗi ô: số văn bản của tỉnh trích dẫn văn bản đó. Bấm tiêu đề cột để sắp xếp, bấm tên văn bản để xem câu trích dẫn." }),
      el("div", { cls: "controls" }, search, typeSel, spreadSel, count), table,
      el("h2", { text: "Mỗi tỉnh trích dẫn gì? (shared vs. own instruments)" }), provinceProfile()];
  }

  // Per province: instruments shared with other provinces vs. cited by this province only.
  function provinceProfile() {
    const rows = PROVINCES.map((p) => {
      const mine = INSTRUMENTS.filter((i) => i.by_province[p]);
      const shared = mine.filter((i) => i.n_provinces >= 2);
      const scopes = {};
      for (const i of mine) { const s = i.scope || "?"; scopes[s] = (scopes[s] || 0) + 1; }
      const scopeText = Object.entries(scopes).map(([k, v]) => `${k}: ${v}`).join(", ");
      return el("tr", { "data-province": p }, td(p), td(mine.length), td(shared.length), td(mine.length - shared.length),
        td(shared.length === 0 && mine.length ? el("span", { cls: "badge warning", text: "chỉ văn bản riêng (own only)" }) : "", { sort: shared.length === 0 ? 1 : 0 }),
        td(scopeText));
    });
    return sortable(el("table", { cls: "grid", id: "province-profile" },
      el("thead", {}, el("tr", {}, th("Tỉnh"), th("Văn bản trích dẫn", "num"), th("Dùng chung", "num", "cũng được tỉnh khác trích dẫn"),
        th("Riêng", "num", "chỉ tỉnh này trích dẫn"), th(""), th("Phạm vi (scope)"))), el("tbody", {}, rows)));
  }

  function viewInstrument(arg) {
    const i = Number(arg);
    const inst = INSTRUMENTS[i];
    if (!inst) { location.hash = "#matrix"; return []; }
    const dl = el("dl", { cls: "meta-grid" });
    for (const [k, v] of [["Loại (type)", inst.type], ["Ban hành (issuer)", inst.issuer], ["Ngày (date)", inst.issue_date],
      ["Phạm vi (scope)", inst.scope], ["Tên (title)", inst.title], ["Mã (id)", inst.key.startsWith("label:") ? null : inst.key]]) {
      if (v) dl.append(el("dt", { text: k }), el("dd", { text: v }));
    }
    const cited = PROVINCES.filter((p) => inst.by_province[p]);
    const notCited = PROVINCES.filter((p) => !inst.by_province[p] && p !== "(không rõ)");
    const mentions = el("table", { cls: "grid", id: "mentions" },
      el("thead", {}, el("tr", {}, th("Tỉnh"), th("Văn bản"), th("Câu trích dẫn (sentence)"))),
      el("tbody", {}, inst.mentions.map((m) => {
        const s = m.sentence || "";
        const sentence = el("div", { cls: "sentence" }, s.slice(0, m.at), el("mark", { text: s.slice(m.at, m.at + m.n) }), s.slice(m.at + m.n),
          m.in_footnote ? el("span", { cls: "badge", text: "chú thích (footnote)" }) : null);
        return el("tr", {}, td(m.province), td(docLink(m.doc_id, m.start)), td(sentence));
      })));
    return [el("p", {}, el("a", { href: "#matrix", text: "← ma trận" })),
      el("h1", { text: inst.label || inst.key }), dl,
      el("p", {}, el("b", { text: `Trích dẫn bởi ${cited.length} tỉnh, ${inst.n_documents} văn bản, ${inst.n_mentions} lần: ` }), cited.join(", ")),
      notCited.length ? el("p", { cls: "muted", text: "Không trích dẫn: " + notCited.join(", ") }) : null,
      mentions];
  }

  function parseDate(s) { if (!s) return null; const d = new Date(s + "T00:00:00Z"); return isNaN(d) ? null : d; }
  function viewTimeline() {
    const dls = DATA.deadlines || [];
    const out = [el("h1", { text: "Thời hạn theo tỉnh (deadline timeline)" })];
    if (!dls.length) return out.concat(el("div", { cls: "empty", text: "Chưa có thời hạn nào (no deadlines in this run)." }));
    const dated = dls.map((d) => ({ d, s: parseDate(d.period_start) || parseDate(d.date), e: parseDate(d.date) || parseDate(d.period_end) }))
      .filter((x) => x.s || x.e);
    const provs = PROVINCES.filter((p) => dls.some((d) => d.province === p));
    if (dated.length) {
      let lo = Math.min(...dated.map((x) => (x.s || x.e).getTime())), hi = Math.max(...dated.map((x) => (x.e || x.s).getTime()));
      const first = new Date(lo); lo = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1);
      const last = new Date(hi); hi = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1);
      const W = 1100, left = 150, right = 20, lane = 30, top = 26;
      const H = top + lane * provs.length + 10;
      const x = (t) => left + (W - left - right) * (t - lo) / (hi - lo);
      const svg = el("svg", { cls: "timeline", id: "timeline", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "deadline timeline" });
      for (let t = new Date(lo); t.getTime() <= hi; t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1))) {
        const xx = x(t.getTime());
        svg.append(el("line", { cls: "grid", x1: xx, x2: xx, y1: top - 6, y2: H - 6 }));
        if (t.getTime() < hi) svg.append(el("text", { cls: "tick", x: xx + 3, y: top - 10, text: `${t.getUTCMonth() + 1}/${t.getUTCFullYear()}` }));
      }
      provs.forEach((p, k) => {
        const y = top + lane * k + lane / 2;
        svg.append(el("text", { cls: "lane-label", x: 8, y: y + 4, text: p }));
        svg.append(el("line", { cls: "grid", x1: left, x2: W - right, y1: y, y2: y }));
        for (const { d, s, e } of dated.filter((z) => z.d.province === p)) {
          const tip = el("title", { text: `${p} · ${docName(DOCS.get(d.doc_id))}\n${d.raw}${d.task ? "\n" + d.task : ""}${d.unit ? "\n→ " + d.unit : ""}` });
          const go = () => { location.hash = "#doc/" + encodeURIComponent(d.doc_id) + "/" + d.start; };
          if (s && e && e - s > 86400000) {
            svg.append(el("rect", { cls: "bar", x: x(s.getTime()), y: y - 7, width: Math.max(3, x(e.getTime()) - x(s.getTime())), height: 14, rx: 3, onclick: go, "data-doc": d.doc_id }, tip));
          } else {
            svg.append(el("circle", { cls: "pt" + (d.report_type ? " report" : ""), cx: x((e || s).getTime()), cy: y, r: 6, onclick: go, "data-doc": d.doc_id }, tip));
          }
        }
      });
      out.push(el("p", { cls: "muted", text: "Chấm: hạn theo ngày (tím: hạn báo cáo); thanh: hạn theo giai đoạn (quý, tháng, 6 tháng). Bấm để mở văn bản." }), svg);
    } else {
      out.push(el("div", { cls: "empty", text: "Không có thời hạn nào có ngày cụ thể (no dated deadlines)." }));
    }
    out.push(el("h2", { text: "Thời hạn không có ngày (recurring, continuous, vague)" }));
    const chips = el("table", { cls: "grid", id: "undated" }, el("thead", {}, el("tr", {}, th("Tỉnh"), th("Thời hạn"))),
      el("tbody", {}, provs.map((p) => {
        const groups = {};
        for (const d of dls.filter((z) => z.province === p && !z.date && !z.period_end)) {
          const k = d.value && d.value !== d.kind ? `${d.kind}: ${d.value}` : fmt(d.kind); groups[k] = (groups[k] || 0) + 1;
        }
        return el("tr", {}, td(p), td(el("div", { cls: "chips" }, Object.entries(groups).map(([k, n]) => el("span", { text: n > 1 ? `${k} ×${n}` : k })))));
      })));
    out.push(chips);
    const sel = el("select", { id: "timeline-province" }, el("option", { value: "", text: "mọi tỉnh" }), provs.map((p) => el("option", { value: p, text: p })));
    const rows = dls.map((d) => el("tr", { "data-province": d.province }, td(d.province), td(docLink(d.doc_id, d.start), { sort: docName(DOCS.get(d.doc_id)) }),
      td(d.kind), td(d.raw), td(d.date || d.period_end || d.value, { sort: d.date || d.period_end || "9999" }), td(d.unit), td(d.task)));
    sel.addEventListener("change", () => { for (const r of rows) r.hidden = !!sel.value && r.dataset.province !== sel.value; });
    out.push(el("h2", { text: "Tất cả thời hạn (all deadlines)" }), el("div", { cls: "controls" }, sel),
      sortable(el("table", { cls: "grid", id: "deadlines-table" }, el("thead", {}, el("tr", {}, th("Tỉnh"), th("Văn bản"), th("Loại"), th("Nguyên văn (raw)"), th("Hạn (due)"), th("Đơn vị (unit)"), th("Việc (task)"))),
        el("tbody", {}, rows))));
    return out;
  }

  function viewAudit() {
    const audit = DATA.audit || [];
    const out = [el("h1", { text: "Kiểm tra thời hạn (deadline audit)" })];
    if (!audit.length) return out.concat(el("div", { cls: "empty", text: "Không có phát hiện nào (no audit findings)." }));
    const table = el("table", { cls: "grid", id: "audit-table" },
      el("thead", {}, el("tr", {}, th("Mức (severity)"), th("Quy tắc (rule)"), th("Văn bản"), th("Nội dung (message)"), th("Chỗ trong văn bản (spans)"), th("Liên quan"))),
      el("tbody", {}, audit.map((f) => el("tr", {},
        td(el("span", { cls: "badge " + fmt(f.severity), text: fmt(f.severity) }), { sort: f.severity }), td(f.rule),
        td(docLink(f.doc_id), { sort: docName(DOCS.get(f.doc_id)) }), td(f.message),
        td(el("div", {}, (f.spans || []).filter(Boolean).map((s) => el("div", {}, el("a", { href: "#doc/" + encodeURIComponent(s.doc_id) + "/" + s.start, text: `“${fmt(s.raw)}”` }), " ", el("span", { cls: "muted", text: docName(DOCS.get(s.doc_id)) }))))),
        td(f.related_doc_id ? docLink(f.related_doc_id) : "")))));
    return out.concat(sortable(table));
  }

  const KINDS = [["citation", "trích dẫn (citation)"], ["deadline", "thời hạn (deadline)"], ["unit", "đơn vị (unit)"], ["finding", "phát hiện (finding)"]];
  function viewDoc(arg) {
    const [docId, at] = (arg || "").split("/");
    const ids = Object.keys(DATA.texts || {}).sort((a, b) => {
      const x = DOCS.get(a) || {}, y = DOCS.get(b) || {};
      return collator.compare(fmt(x.province), fmt(y.province)) || collator.compare(docName(x), docName(y));
    });
    const out = [el("h1", { text: "Văn bản (document view)" })];
    if (!ids.length) return out.concat(el("div", { cls: "empty", text: "Không có văn bản nào được nhúng (no document texts embedded)." }));
    const id = ids.includes(docId) ? docId : ids[0];
    const d = DOCS.get(id) || {};
    const sel = el("select", { id: "doc-select", onchange: (e) => { location.hash = "#doc/" + encodeURIComponent(e.target.value); } },
      ids.map((k) => { const x = DOCS.get(k) || {}; const name = x.doc_number || fmt(x.source_path || k).split(/[\\/]/).pop();
        return el("option", { value: k, selected: k === id, text: `${fmt(x.province)} · ${name} · ${fmt(x.title).slice(0, 90)}` }); }));
    const dl = el("dl", { cls: "meta-grid" });
    for (const [k, v] of [["Loại", d.doc_type], ["Số", d.doc_number], ["Trích yếu", d.title], ["Cơ quan ban hành", d.issuer], ["Cấp", d.issuer_level],
      ["Tỉnh", d.province], ["Xã/phường", d.commune], ["Năm kế hoạch", d.plan_year], ["Ngày ban hành", d.issue_date],
      ["Người ký", [d.signer_title, d.signer_name].filter(Boolean).join(" ")], ["Tệp", d.source_path]]) {
      if (v) dl.append(el("dt", { text: k }), el("dd", { text: v }));
    }
    const body = el("div", { cls: "doctext", id: "doctext" });
    const legend = el("div", { cls: "legend controls" }, KINDS.map(([k, label]) => el("label", {},
      el("input", { type: "checkbox", checked: true, "data-kind": k, onchange: (e) => body.classList.toggle("hide-" + k, !e.target.checked) }),
      el("mark", { cls: "sw k-" + k }), label)));
    renderText(body, DATA.texts[id], (DATA.spans || {})[id] || [], (DATA.sections || {})[id] || []);
    if (DATA.n_texts_omitted) out.push(el("p", { cls: "muted", text: `(${DATA.n_texts_omitted} văn bản khác không được nhúng để giữ tệp nhỏ)` }));
    out.push(el("div", { cls: "controls" }, sel), dl, legend, body);
    if (at !== undefined && at !== "") {
      setTimeout(() => {
        const m = body.querySelector(`mark[data-start="${Number(at)}"]`) || Array.from(body.querySelectorAll("mark")).find((x) => Number(x.dataset.start) >= Number(at));
        if (m) { m.scrollIntoView({ block: "center" }); m.classList.add("flash"); }
      }, 0);
    }
    return out;
  }

  // Split the text at every span boundary; each piece is marked with all spans covering it.
  function renderText(container, text, spans, sections) {
    const clean = spans.filter((s) => s.start >= 0 && s.end <= text.length && s.end > s.start);
    const cuts = new Set([0, text.length]);
    for (const s of clean) { cuts.add(s.start); cuts.add(s.end); }
    const heads = new Map();
    // Headings in bold: top-level sections, and numbered ones whose line is short; a long
    // numbered paragraph ("1.2. Củng cố ...") or a "-" list item is body text.
    for (const s of sections) {
      if (s.ordinal === null || s.ordinal === undefined || /^[-+*•]$/.test(s.ordinal) || s.start < 0 || s.start >= text.length) continue;
      const lineEnd = text.indexOf("\n", s.start);
      const e = lineEnd < 0 ? text.length : lineEnd;
      if (s.level > 1 && e - s.start > 100) continue;
      heads.set(s.start, e); cuts.add(s.start); cuts.add(e);
    }
    const points = Array.from(cuts).sort((a, b) => a - b);
    const starts = new Set(clean.map((s) => s.start));
    let inHead = -1;
    const frag = document.createDocumentFragment();
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k], b = points[k + 1];
      if (heads.has(a)) inHead = heads.get(a);
      const piece = text.slice(a, b);
      const cover = clean.filter((s) => s.start <= a && s.end >= b);
      let node;
      if (cover.length) {
        const cls = Array.from(new Set(cover.map((s) => "k-" + s.kind))).join(" ");
        node = el("mark", { cls, title: cover.map((s) => s.label).filter(Boolean).join("\n"), "data-start": starts.has(a) ? a : null, text: piece });
        const cit = cover.find((s) => s.kind === "citation" && s.ref !== undefined);
        if (cit) { node.style.cursor = "pointer"; node.addEventListener("click", () => { location.hash = "#instrument/" + cit.ref; }); }
      } else {
        node = document.createTextNode(piece);
      }
      frag.appendChild(a < inHead ? el("span", { cls: "sec" }, node) : node);
    }
    container.appendChild(frag);
  }

  // ---- routing ----------------------------------------------------------------------------
  const ROUTES = { summary: viewSummary, matrix: viewMatrix, instrument: viewInstrument, timeline: viewTimeline, audit: viewAudit, doc: viewDoc };
  function route() {
    const h = decodeURIComponent(location.hash.replace(/^#/, "")) || "summary";
    const slash = h.indexOf("/");
    const name = slash < 0 ? h : h.slice(0, slash);
    const arg = slash < 0 ? "" : h.slice(slash + 1);
    const view = ROUTES[name] || viewSummary;
    VIEW.replaceChildren(...view(arg).filter(Boolean));
    const navName = name === "instrument" ? "matrix" : (ROUTES[name] ? name : "summary");
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === navName);
    document.body.dataset.view = navName;
    document.body.dataset.route = location.hash;  // what tests wait for after navigating
    if (!/^doc\/.+\/\d+$/.test(h)) window.scrollTo(0, 0);
  }
  document.getElementById("run-meta").textContent = `${fmt(DATA.out)} · ${fmt(DATA.generated)} · vnplan ${fmt(DATA.vnplan_version)}`;
  window.addEventListener("hashchange", route);
  route();
})();
