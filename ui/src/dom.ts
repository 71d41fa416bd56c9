// A tiny DOM builder. Text is only ever set through text nodes, never parsed as HTML, so names
// and JSON coming from Citrix render inert whatever they contain.

export type Child = Node | string | number | null | undefined | false | Child[];
// `never` accepts a listener for any event type (`(e: KeyboardEvent) => …`); the caller names the
// event by the `on…` key, as with addEventListener.
type Handler = (event: never) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

// Properties rather than attributes, so the live state (not just the initial one) is set.
const PROPS = new Set(["value", "checked", "disabled", "hidden", "open", "indeterminate", "selected", "multiple"]);

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, ...c);
    else if (typeof c === "string" || typeof c === "number") parent.appendChild(document.createTextNode(String(c)));
    else parent.appendChild(c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) {
        if (PROPS.has(key)) Reflect.set(el, key, false);
        continue;
      }
      if (key === "style" || key === "innerHTML" || key === "outerHTML") {
        throw new Error(`h(): "${key}" is not allowed`);
      }
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (PROPS.has(key)) {
        Reflect.set(el, key, value);
      } else if (key === "class") {
        el.className = String(value);
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, ...children);
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

let uid = 0;
/** A document-unique id for label/description wiring. */
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A busy indicator; the text next to it says what is happening. */
export function spinner(): HTMLElement {
  return h("span", { class: "spinner", "aria-hidden": "true" });
}

/** A small inline SVG icon (decorative: hidden from assistive technology). */
export function icon(name: keyof typeof ICONS, cls = "icon"): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", cls);
  for (const d of ICONS[name]) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    svg.appendChild(p);
  }
  return svg;
}

const ICONS = {
  record: ["M12 4a8 8 0 1 0 0 16 8 8 0 0 0 0-16Z", "M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z"],
  stop: ["M7 7h10v10H7z"],
  warning: ["M12 3 2 21h20L12 3Z", "M12 10v5", "M12 18h.01"],
  check: ["M5 12.5 10 17l9-10"],
  cross: ["M6 6l12 12", "M18 6 6 18"],
  info: ["M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18Z", "M12 11v6", "M12 7.5h.01"],
  copy: ["M9 9h10v11H9z", "M5 15V4h10"],
  save: ["M12 4v11", "M7 10l5 5 5-5", "M5 20h14"],
  refresh: ["M20 11a8 8 0 1 0-2.3 5.7", "M20 4v7h-7"],
  close: ["M6 6l12 12", "M18 6 6 18"],
  eye: ["M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12Z", "M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z"],
  eyeOff: [
    "M3 3l18 18",
    "M10.6 6.1A10 10 0 0 1 12 6c6.5 0 10 6 10 6a17 17 0 0 1-3 3.6",
    "M6.6 6.6C3.9 8.4 2 12 2 12s3.5 6 10 6a9.7 9.7 0 0 0 4.4-1",
  ],
  search: ["M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13Z", "M20 20l-4.8-4.8"],
  lock: ["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 7 0v3"],
} as const;

/** Replaces an element's children (null/false children are skipped). */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}
