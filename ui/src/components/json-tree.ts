// A JSON document as nested <details> elements: keyboard-operable and announced by screen
// readers without any script, and built from text nodes only.
import { h } from "../dom";

function countLabel(value: unknown): string {
  if (Array.isArray(value)) return value.length === 1 ? "1 item" : `${value.length} items`;
  const n = Object.keys(value as object).length;
  return n === 1 ? "1 field" : `${n} fields`;
}

function scalar(value: unknown): HTMLElement {
  if (typeof value === "string") return h("span", { class: "json-string" }, JSON.stringify(value));
  if (typeof value === "number") return h("span", { class: "json-number" }, String(value));
  if (typeof value === "boolean") return h("span", { class: "json-bool" }, String(value));
  // Parsed JSON has no other scalar than null; anything else is named by its type, as null is.
  return h("span", { class: "json-null" }, value === null ? "null" : typeof value);
}

function node(key: string | null, value: unknown, depth: number, openDepth: number, rootName = "(document)"): HTMLElement {
  const keyEl = key === null ? null : h("span", { class: "json-key" }, key);
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    const empty = entries.length === 0;
    if (empty) {
      return h(
        "li",
        { class: "json-leaf" },
        keyEl,
        keyEl ? ": " : null,
        h("span", { class: "json-null" }, Array.isArray(value) ? "[ ]" : "{ }"),
      );
    }
    const list = h("ul", { class: "json-children" });
    for (const [k, v] of entries) list.appendChild(node(k, v, depth + 1, openDepth));
    return h(
      "li",
      { class: "json-branch" },
      h(
        "details",
        { open: depth < openDepth },
        h("summary", null, keyEl ?? h("span", { class: "json-root" }, rootName), h("span", { class: "json-meta" }, countLabel(value))),
        list,
      ),
    );
  }
  return h("li", { class: "json-leaf" }, keyEl, keyEl ? ": " : null, scalar(value));
}

/** `openDepth` levels start expanded. */
export function jsonTree(value: unknown, label: string, openDepth = 1, rootName = "(document)"): HTMLElement {
  return h("ul", { class: "json-tree", "aria-label": label }, node(null, value, 0, openDepth, rootName));
}

export function setAllOpen(tree: HTMLElement, open: boolean): void {
  for (const d of tree.querySelectorAll("details")) d.open = open;
}
