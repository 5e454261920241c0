// The report's views, drawn from the compressed data blocks above (see dedup.report_pages). Article text, titles, outlets and
// URLs only ever reach the page through text nodes and attribute values (never as markup),
// and only http(s) URLs become links.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  function inflate(packed) {
    var binary = atob(packed);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
  }

  // The index (what the lists and the search need) is JSON, parsed at once (inflating it
  // first would cost more than it saves); the overview above is plain HTML and paints first.

  // A table of the index: its column names once, then one array of values per row.
  function rowsOf(table) {
    var names = table.columns;
    return table.rows.map(function (values) {
      var row = {};
      for (var i = 0; i < names.length; i++) row[names[i]] = values[i];
      return row;
    });
  }

  function start(index) {
    var docs = rowsOf(index.docs), pairs = rowsOf(index.pairs), stories = rowsOf(index.stories);
    var PAGE = index.page_size;
    var UNKNOWN = index.unknown;
    var docAt = new Map();
    docs.forEach(function (d, k) { docAt.set(d.id, k); });
    var packs = new Map();
    var pairByDocs = new Map();
    pairs.forEach(function (p, k) { pairByDocs.set(p.a + "," + p.b, k); pairByDocs.set(p.b + "," + p.a, k); });
    var groups = index.groups;
    // pairs inside a copy group are the group's row, not listed one by one
    // An article linked to several copies of one copy group is one row too: its pair with the
    // group's representative (or its first pair with a copy), saying how many copies it stands
    // for (alsoWith: pair number -> [group, other pairs]).
    var alsoWith = new Map(), hidden = new Set();
    (function () {
      var byOther = new Map();
      pairs.forEach(function (p, k) {
        if (p.group >= 0) return;
        var ga = docs[p.a].group, gb = docs[p.b].group;
        if ((ga >= 0) === (gb >= 0)) return;
        var g = ga >= 0 ? ga : gb, other = ga >= 0 ? p.b : p.a, key = other + "," + g;
        if (!byOther.has(key)) byOther.set(key, []);
        byOther.get(key).push(k);
      });
      byOther.forEach(function (list) {
        var g = docs[pairs[list[0]].a].group >= 0 ? docs[pairs[list[0]].a].group : docs[pairs[list[0]].b].group;
        if (list.length < 2) {
          // the scan's groups: a pair with the representative stands for one with each member
          var only = pairs[list[0]], group = index.groups[g];
          if (group.implied && (only.a === group.rep || only.b === group.rep)) alsoWith.set(list[0], [g, group.members.length]);
          return;
        }
        var rep = list.find(function (k) { return pairs[k].a === index.groups[g].rep || pairs[k].b === index.groups[g].rep; });
        var shown = rep !== undefined ? rep : list[0];
        alsoWith.set(shown, [g, list.length - 1]);
        list.forEach(function (k) { if (k !== shown) hidden.add(k); });
      });
    })();
    function listed(k) { return pairs[k].group < 0 && !hidden.has(k); }
    var pairOrder = pairs.map(function (p, k) { return k; }).filter(listed).sort(function (x, y) {
      var px = pairs[x], py = pairs[y];
      return (Math.max(py.reused_a, py.reused_b) - Math.max(px.reused_a, px.reused_b)) || (x - y);
    });

    // Article texts and the detail of each pair and story sit in compressed packs (base64 of
    // deflated JSON, one object of key -> block per pack); index.packs[kind] lists the first key
    // of each pack, so a block's pack is found by binary search and inflated when first asked.
    function block(kind, key) {
      var starts = index.packs[kind] || [];
      var low = 0, high = starts.length - 1;
      if (high < 0 || key < starts[0]) return Promise.resolve(null);
      while (low < high) {
        var middle = (low + high + 1) >> 1;
        if (starts[middle] <= key) low = middle; else high = middle - 1;
      }
      var id = kind + "-" + low;
      if (!packs.has(id)) {
        var holder = document.getElementById(id);
        packs.set(id, holder ? inflate(holder.textContent) : Promise.resolve({}));
      }
      return packs.get(id).then(function (found) {
        return Object.prototype.hasOwnProperty.call(found, key) ? found[key] : null;
      });
    }
    function pairAt(k) {
      if (!pairs[k]) return Promise.resolve(undefined);
      return block("pair", k).then(function (detail) { return Object.assign({}, pairs[k], detail); });
    }

    // el("td", {class: "num"}, "12", child): strings become text nodes, never markup.
    function el(tag, attrs) {
      var node = document.createElement(tag);
      setAttrs(node, attrs);
      for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
      return node;
    }
    function svg(tag, attrs) {
      var node = document.createElementNS(SVG, tag);
      setAttrs(node, attrs);
      for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
      return node;
    }
    function setAttrs(node, attrs) {
      if (!attrs) return;
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined) return;
        if (key === "href") throw new Error("use link() for hrefs");
        node.setAttribute(key === "className" ? "class" : key, String(value));
      });
    }
    function append(node, child) {
      if (child === null || child === undefined) return;
      if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    function internal(hash, label) {
      var a = el("a", null, label);
      a.setAttribute("href", "#" + hash);  // built from numbers and fixed words only
      return a;
    }
    function link(doc) {
      if (!doc.url) return null;
      if (!doc.href || !/^https?:\/\//i.test(doc.href)) return el("span", {class: "meta url"}, doc.url);
      var a = el("a", {class: "url", target: "_blank", rel: "noopener noreferrer"}, doc.url);
      a.setAttribute("href", doc.href);
      return a;
    }
    function fmt(n) { return Number(n).toLocaleString("en-US"); }
    function pct(x) { return (100 * x).toFixed(0) + " %"; }
    function short(id, n) { return id.length <= n ? id : id.slice(0, n - 1) + "\u2026"; }
    // An article is named by outlet, date and headline; its id only ever in small print.
    function when(d) { return d.date ? d.date.replace("T", " ").slice(0, 16) : "date " + UNKNOWN; }
    function docName(k) {
      var d = docs[k];
      return (d.outlet || "outlet " + UNKNOWN) + " " + when(d) + ": " + d.headline;
    }
    function docCell(k, hash) {
      var d = docs[k];
      return [el("div", {class: "headline"}, hash ? internal(hash, d.headline) : d.headline),
        el("div", {class: "meta"}, (d.outlet || "outlet " + UNKNOWN) + " \u00b7 " + when(d) + " \u00b7 ",
          el("span", {class: "id small"}, d.id))];
    }
    function nodeName(key) {
      if (key.indexOf("inferred:") === 0) return index.sources[key] || "copy of an original not in the corpus";
      return docAt.has(key) ? docName(docAt.get(key)) : key;
    }

    function pager(root, total, page, base) {
      var pages = Math.max(1, Math.ceil(total / PAGE));
      var bar = el("div", {class: "pager"});
      if (page > 1) bar.appendChild(internal(base + "/" + (page - 1), "\u2039 previous"));
      bar.appendChild(el("span", null, "page " + page + " of " + pages + " (" + fmt(total) + ")"));
      if (page < pages) bar.appendChild(internal(base + "/" + (page + 1), "next \u203a"));
      root.appendChild(bar);
    }

    function table(headers, rows) {
      var head = el("tr", null, headers.map(function (h) {
        return el("th", {class: h.charAt(0) === "#" ? "num" : null}, h.replace(/^#/, ""));
      }));
      return el("table", null, el("thead", null, head), el("tbody", null, rows));
    }

    // ---- stories ---------------------------------------------------------------------------
    // a story's title, terms and dates sit in its pack (with its graph): a page of the list
    // inflates the packs of its 25 stories
    function withNames(number) {
      return block("story", number).then(function (detail) { return Object.assign({}, stories[number], detail); });
    }
    function renderStories(page, current) {
      var root = document.getElementById("stories-list");
      root.replaceChildren();
      var first = (page - 1) * PAGE;
      var shown = [];
      for (var k = first; k < Math.min(first + PAGE, stories.length); k++) shown.push(withNames(k));
      return Promise.all(shown).then(function (named) { if (current()) drawStories(root, page, first, named); });
    }
    function drawStories(root, page, first, named) {
      var rows = named.map(function (s, i) {
        var outlets = [];
        s.members.forEach(function (m) {
          var o = docs[m].outlet;
          if (o && outlets.indexOf(o) < 0) outlets.push(o);
        });
        var dates = s.first_date ? (s.first_date.slice(0, 10) === (s.last_date || "").slice(0, 10)
          ? s.first_date.slice(0, 10) : s.first_date.slice(0, 10) + " \u2013 " + (s.last_date || "").slice(0, 10)) : "date " + UNKNOWN;
        return el("tr", {"data-story": s.id},
          el("td", {class: "id"}, internal("story/" + (first + i), s.id)),
          el("td", {class: "num"}, fmt(s.members.length)),
          el("td", {class: "num"}, fmt(s.pairs.length)),
          el("td", null, dates),
          el("td", null, el("div", null, s.title || s.label), s.title ? el("div", {class: "meta"}, s.label) : null),
          el("td", null, outlets.slice(0, 4).join(", ") + (outlets.length > 4 ? ", \u2026" : "")));
      });
      pager(root, stories.length, page, "stories");
      root.appendChild(table(["story", "#articles", "#pairs", "dates", "title / terms", "outlets"], rows));
      if (stories.length > PAGE) pager(root, stories.length, page, "stories");
    }

    function articleRow(k) {
      var d = docs[k];
      var fraction = d.reused_fraction !== null ? d.reused_fraction : (d.words ? d.reused / d.words : 0);
      var sources = d.sources.map(function (s) { return nodeName(s[0]) + " (" + fmt(s[1]) + " words)"; });
      return el("tr", {"data-doc": d.id},
        el("td", null, docCell(k), link(d)),
        el("td", null, d.outlet || UNKNOWN),
        el("td", null, d.date || UNKNOWN),
        el("td", {class: "num"}, fmt(d.words)),
        el("td", {class: "num"}, pct(fraction)),
        el("td", null, sources.join("; ") || "none: no copy from another article",
          d.credits.length ? el("div", {class: "meta"}, "credits: " + d.credits.join(", ")) : null));
    }

    function pairRow(k) {
      var p = pairs[k], also = alsoWith.get(k);
      var note = also ? el("div", {class: "meta also"}, "and ", internal("group/" + also[0], fmt(also[1]) + " more copies of its copy group")) : null;
      var inGroup = also && docs[p.b].group === also[0];
      return el("tr", {"data-pair": k},
        el("td", null, docCell(p.a, "pair/" + k), inGroup ? null : note),
        el("td", null, docCell(p.b, "pair/" + k), inGroup ? note : null),
        el("td", {class: "num"}, fmt(p.passages)),
        el("td", {class: "num"}, fmt(p.reused_a) + " / " + fmt(p.reused_b)),
        el("td", {class: "num"}, pct(p.fraction_a) + " / " + pct(p.fraction_b)),
        el("td", {class: "num"}, p.jaccard.toFixed(3) + (p.near_duplicate ? " near-duplicate" : "")));
    }
    var PAIR_HEADERS = ["article", "article", "#passages", "#words reused", "#share reused", "#jaccard"];

    function renderStory(number, current) {
      var root = document.getElementById("story");
      root.replaceChildren();
      var s = stories[number];
      if (!s) { root.appendChild(el("p", {class: "empty"}, "No such story.")); return Promise.resolve(); }
      return withNames(number).then(function (named) {
        if (current()) drawStory(root, named, number, named.graph ? named : null);
      });
    }
    // ---- copy groups: one row for a story carried many times over ----------------------------
    function outletList(names, n) {
      return names.slice(0, n).join(", ") + (names.length > n ? " and " + fmt(names.length - n) + " more" : "");
    }
    function groupWhat(g) {
      return fmt(g.members.length + 1) + " copies (" + (g.exact ? "the same words" : "near-duplicates") + ") in " +
        fmt(g.outlets.length) + " outlet(s): " + outletList(g.outlets, 6);
    }
    function groupRow(number) {
      var g = groups[number];
      return el("tr", {"data-group": number},
        el("td", null, docCell(g.rep, "group/" + number)),
        el("td", {class: "num"}, fmt(g.members.length + 1)),
        el("td", null, outletList(g.outlets, 6)),
        el("td", {class: "num"}, fmt(g.pairs)));
    }
    var GROUP_HEADERS = ["copy group (its representative)", "#copies", "outlets", "#pairs it stands for"];
    function groupsOf(members) {
      var found = [];
      members.forEach(function (m) { var g = docs[m].group; if (g >= 0 && found.indexOf(g) < 0) found.push(g); });
      return found.sort(function (x, y) { return x - y; });
    }
    function renderGroup(number) {
      var root = document.getElementById("group");
      root.replaceChildren();
      var g = groups[number];
      if (!g) { root.appendChild(el("p", {class: "empty"}, "No such copy group.")); return; }
      root.appendChild(el("p", null, internal("pairs", "\u2039 all pairs")));
      root.appendChild(el("h2", null, "Copy group: " + docName(g.rep)));
      root.appendChild(el("p", {class: "hint", id: "group-what"}, groupWhat(g) + ". The " + fmt(g.pairs) +
        " linked pairs among them are this one row. Each copy's share of word shingles in common with the representative (Jaccard) is below; \u201ccompare\u201d opens the two texts side by side."));
      var rows = [[g.rep, null, -1]].concat(g.members).map(function (m) {
        var d = docs[m[0]];
        return el("tr", {"data-doc": d.id},
          el("td", null, docCell(m[0])),
          el("td", null, d.outlet || UNKNOWN),
          el("td", null, d.date || UNKNOWN),
          el("td", {class: "num"}, fmt(d.words)),
          el("td", {class: "num"}, m[1] === null ? "representative" : m[1].toFixed(3)),
          el("td", null, m[2] >= 0 ? internal("pair/" + m[2], "compare") : ""));
      });
      root.appendChild(table(["article", "outlet", "date", "#words", "#jaccard with the representative", ""], rows));
    }

    function drawStory(root, s, number, detail) {
      root.appendChild(el("p", null, internal("stories/" + (Math.floor(number / PAGE) + 1), "\u2039 all stories")));
      root.appendChild(el("h2", null, "Story " + s.id + ": " + (s.title || s.label)));
      root.appendChild(el("p", {class: "hint"}, "terms: " + s.label + " \u00b7 " + fmt(s.members.length) + " article(s)"));
      root.appendChild(el("h3", null, "Articles"));
      var inGroups = groupsOf(s.members);
      if (inGroups.length) {
        root.appendChild(el("p", {class: "hint"}, "Copies of one text carried many times over are one row each (a copy group); open it for its copies."));
        root.appendChild(table(GROUP_HEADERS, inGroups.map(groupRow)));
      }
      var single = s.members.filter(function (m) { return docs[m].group < 0; });
      if (single.length) root.appendChild(table(["article", "outlet", "date", "#words", "#reused", "copy from"], single.map(articleRow)));
      root.appendChild(el("h3", null, "Chain graph"));
      var holder = el("div", {class: "graph panel"});
      root.appendChild(holder);
      if (detail) drawGraph(holder, detail.graph, detail.edges);
      else holder.appendChild(el("p", {class: "empty"}, "No chain edges among these articles."));
      root.appendChild(el("h3", null, "Linked pairs"));
      var shown = s.pairs.filter(listed);
      if (shown.length) root.appendChild(table(PAIR_HEADERS, shown.map(pairRow)));
      else if (s.pairs.length) root.appendChild(el("p", {class: "empty"}, "Every linked pair of this story is inside a copy group above."));
      else root.appendChild(el("p", {class: "empty"}, "None of these articles shares a passage with another article."));
    }

    function renderPairs(page) {
      var root = document.getElementById("pairs-list");
      root.replaceChildren();
      var first = (page - 1) * PAGE;
      if (groups.length && page === 1) {
        root.appendChild(el("h3", null, "Copy groups"));
        root.appendChild(el("p", {class: "hint"}, "A text carried many times over is one row here, with its outlets; the pairs among its copies are not listed one by one."));
        root.appendChild(table(GROUP_HEADERS, groups.map(function (g, k) { return groupRow(k); })));
        root.appendChild(el("h3", null, "Other linked pairs"));
      }
      pager(root, pairOrder.length, page, "pairs");
      root.appendChild(table(PAIR_HEADERS, pairOrder.slice(first, first + PAGE).map(pairRow)));
      if (pairOrder.length > PAGE) pager(root, pairOrder.length, page, "pairs");
    }

    // ---- one pair, side by side ------------------------------------------------------------
    function colorOf(ids) {
      var colors = new Map();
      ids.forEach(function (id) { if (!colors.has(id)) colors.set(id, colors.size % 8); });
      return colors;
    }

    // Split the text at every highlight boundary; each piece inside a passage is a <mark>,
    // of class "diff" too where its words differ from the other text's (changed: [start, end]).
    function markedText(docId, text, marks, colors, changed) {
      var box = el("div", {class: "text", "data-doc": docId});
      var cuts = new Set([0, text.length]);
      marks.forEach(function (m) { cuts.add(m[0]); cuts.add(m[1]); });
      changed.forEach(function (c) { cuts.add(c[0]); cuts.add(c[1]); });
      var points = Array.from(cuts).sort(function (x, y) { return x - y; });
      for (var i = 0; i + 1 < points.length; i++) {
        var start = points[i], end = points[i + 1];
        var active = [];
        marks.forEach(function (m) {
          if (m[0] <= start && m[1] >= end && active.indexOf(m[2]) < 0) active.push(m[2]);
        });
        var piece = text.slice(start, end);
        if (!active.length) { box.appendChild(document.createTextNode(piece)); continue; }
        var differs = changed.some(function (c) { return c[0] <= start && c[1] >= end; });
        box.appendChild(el("mark", {
          class: "c" + colors.get(active[0]) + (active.length > 1 ? " overlap" : "") + (differs ? " diff" : ""),
          "data-passage": active.join(" "),
          "data-start": start,
          "data-end": end,
          title: "passage " + active.join(", ")
        }, piece));
      }
      return box;
    }

    function flash(passage) {
      document.querySelectorAll("#pair .text").forEach(function (box) {
        var hit = Array.from(box.querySelectorAll("mark")).find(function (m) {
          return m.getAttribute("data-passage").split(" ").indexOf(passage) >= 0;
        });
        if (hit) {
          box.scrollTop = hit.offsetTop - box.offsetTop - 40;
          hit.classList.add("flash");
          setTimeout(function () { hit.classList.remove("flash"); }, 1200);
        }
      });
    }

    function side(k, text, marks, colors, changed) {
      var d = docs[k];
      return el("article", {class: "side"},
        el("h3", null, d.headline),
        el("div", {class: "meta"}, (d.outlet || "outlet " + UNKNOWN) + " \u00b7 " + when(d) + " \u00b7 " + fmt(d.words) + " words \u00b7 ",
          el("span", {class: "id small"}, d.id)),
        link(d),
        markedText(d.id, text, marks, colors, changed || []));
    }

    // Who took from whom, as the chains found it, and on what evidence.
    function verdictBox(v) {
      var box = el("section", {class: "verdict " + v.kind, "data-verdict": v.kind},
        el("h3", null, "Chain verdict"), el("p", null, v.text));
      if (v.evidence.length) {
        box.appendChild(el("ul", null, v.evidence.map(function (x) { return el("li", null, x); })));
      }
      return box;
    }

    function renderPair(k, current) {
      var root = document.getElementById("pair");
      root.replaceChildren();
      if (!pairs[k]) { root.appendChild(el("p", {class: "empty"}, "No such pair.")); return Promise.resolve(); }
      return Promise.all([pairAt(k), block("text", pairs[k].a), block("text", pairs[k].b)]).then(function (got) {
        if (current()) drawPair(root, k, got[0], got[1] || "", got[2] || "");
      });
    }
    function drawPair(root, k, p, textA, textB) {
      var back = p.story >= 0 ? internal("story/" + p.story, "\u2039 story " + stories[p.story].id) : internal("pairs", "\u2039 all pairs");
      root.appendChild(el("p", null, back));
      root.appendChild(el("h2", null, docName(p.a) + " \u2194 " + docName(p.b)));
      root.appendChild(verdictBox(p.verdict));
      root.appendChild(el("p", {class: "hint"},
        fmt(p.reused_a) + " of " + fmt(p.words_a) + " words (" + pct(p.fraction_a) + ") and " +
        fmt(p.reused_b) + " of " + fmt(p.words_b) + " words (" + pct(p.fraction_b) + ") reused; shingle Jaccard " +
        p.jaccard.toFixed(3) + (p.near_duplicate ? " (near-duplicates)" : "") + ". Click a passage to find it in both texts; inside a passage, words that differ between the two texts are orange with a wavy underline."));
      var ids = [];
      p.marks_a.concat(p.marks_b).forEach(function (m) { if (ids.indexOf(m[2]) < 0) ids.push(m[2]); });
      var colors = colorOf(ids);
      var legend = el("ul", {class: "legend"});
      ids.forEach(function (id) {
        var where = p.marks_a.find(function (m) { return m[2] === id; });
        var excerpt = where ? textA.slice(where[0], where[1]).replace(/\s+/g, " ") : "";
        var item = el("li", {"data-passage": id}, el("mark", {class: "c" + colors.get(id)}, id),
          excerpt.length > 90 ? excerpt.slice(0, 89) + "\u2026" : excerpt);
        item.addEventListener("click", function () { flash(id); });
        legend.appendChild(item);
      });
      root.appendChild(legend);
      var sides = el("div", {class: "sides"}, side(p.a, textA, p.marks_a, colors, p.changed_a), side(p.b, textB, p.marks_b, colors, p.changed_b));
      sides.addEventListener("click", function (event) {
        var mark = event.target.closest && event.target.closest("mark[data-passage]");
        if (mark) flash(mark.getAttribute("data-passage").split(" ")[0]);
      });
      root.appendChild(sides);
    }

    // ---- the chain graph -------------------------------------------------------------------
    var graphs = 0;
    function edgeWidth(words) { return 1.5 + Math.min(4.5, Math.log2(1 + words / 20)); }

    function drawGraph(holder, g, edges) {
      var drawing = svg("svg", {width: g.width, height: g.height, viewBox: "0 0 " + g.width + " " + g.height,
        role: "img", "aria-label": "chain graph", class: "chain-graph"});
      var defs = svg("defs");
      graphs += 1;
      var arrow = svg("marker", {id: "arrow-" + graphs, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 11, markerHeight: 11, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse"}, svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#2458a6"}));
      defs.appendChild(arrow);
      drawing.appendChild(defs);
      g.lanes.forEach(function (lane, i) {
        drawing.appendChild(svg("rect", {class: "lane" + (i % 2 ? " odd" : ""), x: 0, y: lane.y, width: g.width, height: lane.height + 10, rx: 4}));
        drawing.appendChild(svg("text", {class: "lane-label", x: 8, y: lane.y + 20}, short(lane.label, 22)));
      });
      g.columns.forEach(function (c) {
        drawing.appendChild(svg("text", {class: "column-label", x: c.x, y: 20, "text-anchor": "middle"}, c.label));
      });
      var linked = new Set();
      var notes = [];
      g.edges.forEach(function (ge) {
        var e = edges[ge.edge], s = g.nodes[ge.s], t = g.nodes[ge.t];
        linked.add(ge.s); linked.add(ge.t);
        var dx = t.x - s.x, dy = t.y - s.y, length = Math.sqrt(dx * dx + dy * dy) || 1;
        var r = 13;
        var x1 = s.x + dx / length * r, y1 = s.y + dy / length * r;
        var x2 = t.x - dx / length * (r + 2), y2 = t.y - dy / length * (r + 2);
        // same column: bow out to the right, so the line does not run through the nodes between
        var bend = Math.abs(dx) < 1 ? 36 + Math.abs(dy) * 0.25 : 0;
        var cx = (x1 + x2) / 2 + bend, cy = (y1 + y2) / 2 - (bend ? 0 : Math.min(24, Math.abs(dx) * 0.08));
        if (bend) { x1 += 8; x2 += 8; }
        var path = svg("path", {
          class: "edge" + (e.directed ? " directed" : " common"),
          d: "M" + x1.toFixed(1) + "," + y1.toFixed(1) + " Q" + cx.toFixed(1) + "," + cy.toFixed(1) + " " + x2.toFixed(1) + "," + y2.toFixed(1),
          "stroke-width": edgeWidth(e.words).toFixed(2),
          "data-source": e.source,
          "data-target": e.target
        }, svg("title", null, e.text + "\npassages " + e.passages.join(", ") + "; confidence " + e.confidence.toFixed(2) +
          e.evidence.map(function (x) { return "\n\u2022 " + x.kind + ": " + x.detail; }).join("")));
        if (e.directed) path.setAttribute("marker-end", "url(#" + arrow.id + ")");
        var pairK = s.kind === "doc" ? pairByDocs.get(s.doc + "," + t.doc) : undefined;
        if (pairK !== undefined) path.addEventListener("click", function () { location.hash = "pair/" + pairK; });
        drawing.appendChild(path);
        // the edge's number and words at its middle; its sentence in the list under the graph
        // at t = 0.7 along the curve, where lines fanning out of one node are apart
        var mx = 0.09 * x1 + 0.42 * cx + 0.49 * x2, my = 0.09 * y1 + 0.42 * cy + 0.49 * y2;
        drawing.appendChild(svg("text", {class: "edge-label", x: mx.toFixed(1), y: (my - 4).toFixed(1),
          "text-anchor": "middle", "data-edge": ge.edge}, String(notes.length + 1)));
        notes.push(el("li", {"data-edge": ge.edge, "data-source": e.source, "data-target": e.target}, e.text));
      });
      g.nodes.forEach(function (n, i) {
        var group, label;
        if (n.kind === "common") {
          group = svg("g", {class: "node common", "data-key": n.key},
            svg("rect", {x: n.x - 13, y: n.y - 11, width: 26, height: 22, rx: 5}));
          label = short(nodeName(n.key), 24);
          group.appendChild(svg("title", null, nodeName(n.key) + ": an original not in the corpus"));
        } else {
          var d = docs[n.doc];
          group = svg("g", {class: "node doc" + (linked.has(i) ? "" : " isolated"), "data-key": n.key},
            svg("circle", {cx: n.x, cy: n.y, r: 11}));
          label = short(d.headline, 24);
          group.appendChild(svg("title", null, docName(n.doc) + "\n" + d.id));
          if (d.story >= 0) group.addEventListener("click", function () { location.hash = "story/" + d.story; });
        }
        group.appendChild(svg("text", {x: n.x, y: n.y + 25, "text-anchor": "middle"}, label));
        drawing.appendChild(group);
      });
      holder.appendChild(drawing);
      if (notes.length) {
        holder.appendChild(el("p", {class: "hint"}, "Why each line is there (numbers as on the lines):"));
        holder.appendChild(el("ol", {class: "edge-notes"}, notes));
      }
    }

    // ---- search by outlet, headline or id ----------------------------------------------------
    var SEARCH_ROWS = 50;
    var haystack = null, pairsOfDoc = null;
    function renderSearch(query) {
      var root = document.getElementById("search-results");
      root.replaceChildren();
      var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
      if (!terms.length) { root.appendChild(el("p", {class: "empty"}, "Type an outlet, a word of a headline or an id.")); return; }
      if (!haystack) {
        haystack = docs.map(function (d) { return [d.outlet || "outlet " + UNKNOWN, d.headline, when(d), d.id].join("\u0001").toLowerCase(); });
        pairsOfDoc = new Map();
        pairs.forEach(function (p, k) {
          [p.a, p.b].forEach(function (d) { if (!pairsOfDoc.has(d)) pairsOfDoc.set(d, []); pairsOfDoc.get(d).push(k); });
        });
      }
      var found = [], total = 0;
      for (var k = 0; k < haystack.length; k++) {
        var text = haystack[k];
        if (terms.every(function (t) { return text.indexOf(t) >= 0; })) {
          total += 1;
          if (found.length < SEARCH_ROWS) found.push(k);
        }
      }
      root.appendChild(el("p", {class: "hint", id: "search-count"}, fmt(total) + " article(s) match" +
        (total > SEARCH_ROWS ? "; the first " + SEARCH_ROWS + " are shown" : "")));
      if (!found.length) return;
      root.appendChild(table(["article", "outlet", "date", "linked pairs"], found.map(function (k) {
        var d = docs[k], linked = pairsOfDoc.get(k) || [];
        return el("tr", {"data-doc": d.id},
          el("td", null, docCell(k, d.story >= 0 ? "story/" + d.story : null)),
          el("td", null, d.outlet || UNKNOWN),
          el("td", null, d.date || UNKNOWN),
          el("td", null, linked.length ? linked.slice(0, 3).map(function (p) {
            var other = pairs[p].a === k ? pairs[p].b : pairs[p].a;
            return el("div", null, internal("pair/" + p, "with " + (docs[other].outlet || "outlet " + UNKNOWN) + ": " + short(docs[other].headline, 60)));
          }).concat(linked.length > 3 ? [el("div", {class: "meta"}, "and " + fmt(linked.length - 3) + " more")] : []) : "none"));
      })));
    }
    var searchBox = document.getElementById("search-box");
    var searchTimer = null;
    searchBox.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        location.hash = searchBox.value.trim() ? "search/" + encodeURIComponent(searchBox.value.trim()) : "overview";
      }, 120);
    });

    // ---- routing ---------------------------------------------------------------------------
    var VIEWS = ["overview", "stories", "story", "pairs", "pair", "group", "search"];
    var TABS = {overview: "overview", stories: "stories", story: "stories", pairs: "pairs", pair: "pairs", group: "pairs"};
    // A view drawn from packs is drawn when they are inflated; body[data-ready] names the view
    // once it is drawn (and is absent meanwhile), and a view left before its packs arrive is
    // not drawn at all.
    var routes = 0;
    function route() {
      var ticket = ++routes;
      function current() { return ticket === routes; }
      document.body.removeAttribute("data-ready");
      var drawn = Promise.resolve();
      var parts = location.hash.replace(/^#/, "").split("/");
      var view = VIEWS.indexOf(parts[0]) >= 0 ? parts[0] : "overview";
      var number = parseInt(parts[1] || "", 10);
      if (view === "search") {
        var query = "";
        try { query = decodeURIComponent(parts.slice(1).join("/")); } catch (err) { query = ""; }
        if (document.activeElement !== searchBox) searchBox.value = query;
        renderSearch(query);
      }
      if (view === "stories") drawn = renderStories(number > 0 ? number : 1, current);
      if (view === "pairs") renderPairs(number > 0 ? number : 1);
      if (view === "group") renderGroup(number >= 0 ? number : -1);
      if (view === "story") drawn = renderStory(number >= 0 ? number : -1, current);
      if (view === "pair") drawn = renderPair(number >= 0 ? number : -1, current);
      VIEWS.forEach(function (v) { document.getElementById(v).hidden = v !== view; });
      document.querySelectorAll("nav a").forEach(function (a) {
        a.classList.toggle("active", a.getAttribute("data-tab") === TABS[view]);
      });
      if (view !== "overview") window.scrollTo(0, 0);
      drawn.catch(function (err) {
        if (current()) document.getElementById(view).appendChild(el("p", {class: "empty"}, "This view could not be read from the page: " + err));
      }).then(function () {
        if (!current()) return;
        document.body.setAttribute("data-ready", view);
        if (!performance.getEntriesByName("dedup-ready").length) performance.mark("dedup-ready");
      });
    }

    var corpus = document.getElementById("corpus-graph");
    if (index.graph) drawGraph(corpus, index.graph, index.edges);
    else if (!Number(corpus.getAttribute("data-edges"))) corpus.appendChild(el("p", {class: "empty"}, "No chain edges: no article carries another's copy."));
    else corpus.appendChild(el("p", {class: "empty"}, fmt(Number(corpus.getAttribute("data-nodes"))) +
      " articles and sources are too many to draw at once (more than " + fmt(index.graph_node_limit) + "); each story shows its own graph."));
    window.addEventListener("hashchange", route);
    route();
  }
  start(JSON.parse(document.getElementById("report-index").textContent));
})();
