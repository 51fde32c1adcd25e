"""Accessibility checks run inside the page: landmarks, names of controls and graphics, contrast.

Our own small audit (no third-party engine to vendor): it checks what WCAG 2.2 AA asks of these
pages and returns a list of findings, empty when the page passes.
"""

from __future__ import annotations

AUDIT_JS = r"""
() => {
  const findings = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const describe = (el) => {
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50);
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""}> "${text}"`;
  };

  // landmarks and headings
  if (document.querySelectorAll("main").length !== 1) findings.push("page needs exactly one <main>");
  if (!document.querySelector("header")) findings.push("page has no <header> (banner)");
  if (document.querySelectorAll("h1").length !== 1) findings.push("page needs exactly one <h1>");
  if (!document.documentElement.lang) findings.push("<html> has no lang");
  if (!document.title.trim()) findings.push("page has no <title>");
  const levels = [...document.querySelectorAll("h1,h2,h3,h4")].filter(visible).map((h) => +h.tagName[1]);
  levels.forEach((level, i) => { if (i && level > levels[i - 1] + 1) findings.push(`heading level skips from h${levels[i - 1]} to h${level}`); });

  // every control has a name
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) findings.push("control without a label: " + describe(el) + " name=" + el.name);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!visible(el)) continue;
    if (!(el.textContent || "").trim() && !el.getAttribute("aria-label")) findings.push("unnamed " + describe(el));
  }
  // graphics are named or hidden from assistive technology
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.closest('[aria-hidden="true"]')) continue;
    const named = svg.getAttribute("role") === "img" && (svg.getAttribute("aria-label") || svg.getAttribute("aria-labelledby"));
    if (!named) findings.push("svg neither named (role=img + label) nor aria-hidden: " + describe(svg.parentElement));
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) findings.push("img without alt");
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) { if (ids[el.id]) findings.push("duplicate id " + el.id); ids[el.id] = true; }

  // text contrast (WCAG 1.4.3): 4.5:1, or 3:1 for large text
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || !visible(el) || el.closest("title, option, script, style")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const inSvg = el.closest("svg");
    const fg = parse(inSvg ? style.fill : style.color);
    if (!fg) continue;
    const bg = background(inSvg ? inSvg.parentElement : el);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const got = ratio(blend(fg, bg), bg);
    if (got + 0.01 < needed) findings.push(`contrast ${got.toFixed(2)} < ${needed} for ${describe(el)}`);
  }
  return findings;
}
"""

OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def audit(page) -> list[str]:
    """Accessibility findings on the page as rendered; an empty list passes."""
    return page.evaluate(AUDIT_JS)


def horizontal_overflow(page) -> int:
    """Pixels the page scrolls sideways (0 when it fits the viewport's width)."""
    return page.evaluate(OVERFLOW_JS)
