// The header's account switcher: the current account's name, always visible, and a menu of the
// saved Citrix accounts and the demo site, with "Add a Citrix account…" and "Manage accounts…".
// A menu button in the WAI-ARIA pattern: arrow keys move, Enter or Space chooses, Escape closes
// and gives focus back to the button.
import { h, nextId } from "../dom";
import { REGION_LABELS } from "../format";
import type { ProfileInfo } from "../types";

export interface AccountMenuOptions {
  profiles: ProfileInfo[];
  /** The account shown as current (connected, or chosen and waiting for its secret). */
  currentId: string | null;
  onSwitch(profile: ProfileInfo): void;
  onAdd(): void;
  onManage(): void;
}

/** Region and customer, or what the demo site is: the line under each name. */
export function profileDetail(p: ProfileInfo): string {
  if (p.mode === "demo") return "Made-up sessions, nothing real is recorded";
  const region = p.region ? REGION_LABELS[p.region] : "Citrix Cloud";
  return `${region} \u00b7 customer ${p.customerId}`;
}

export function accountMenu(opts: AccountMenuOptions): HTMLElement {
  const current = opts.profiles.find((p) => p.id === opts.currentId) ?? null;
  const menuId = nextId("account-menu");
  const button = h(
    "button",
    {
      type: "button",
      id: "account-switcher",
      class: "account-switcher",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-controls": menuId,
      title: current ? `${current.name}: ${profileDetail(current)}` : "Choose a Citrix account",
    },
    h("span", { class: "sr-only" }, "Citrix account: "),
    h("span", { class: "account-switcher-name" }, current ? current.name : "No account chosen"),
    h("span", { class: "account-switcher-caret", "aria-hidden": "true" }, "\u25be"),
  );

  const wrap = h("div", { class: "account-switcher-wrap" });
  const items: HTMLButtonElement[] = [];
  const close = (focusButton: boolean): void => {
    menu.hidden = true;
    menu.replaceChildren();
    items.length = 0;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (focusButton) button.focus();
  };
  const choose = (go: () => void) => () => {
    close(true);
    go();
  };
  const item = (role: "menuitemradio" | "menuitem", label: HTMLElement[], go: () => void, checked?: boolean): HTMLElement => {
    const el = h(
      "button",
      {
        type: "button",
        role,
        class: "account-menu-item",
        tabindex: -1,
        "aria-checked": checked === undefined ? null : String(checked),
        onclick: choose(go),
      },
      ...label,
    );
    items.push(el);
    return h("li", { role: "none" }, el);
  };

  // Filled when it opens, emptied when it closes: a closed menu puts no account names in the
  // header (which reads "Demo site" only while the demo site is current).
  const menu = h("ul", { id: menuId, class: "account-menu", role: "menu", "aria-label": "Citrix accounts", hidden: true });
  const fill = (): void => {
    items.length = 0;
    menu.replaceChildren(
      ...opts.profiles.map((p) =>
        item(
          "menuitemradio",
          [
            h("span", { class: "account-menu-check", "aria-hidden": "true" }, p.id === opts.currentId ? "\u2713" : ""),
            h(
              "span",
              { class: "account-menu-text" },
              h("span", { class: "account-menu-name" }, p.name),
              h("span", { class: "account-menu-detail" }, profileDetail(p)),
            ),
          ],
          () => opts.onSwitch(p),
          p.id === opts.currentId,
        ),
      ),
      h("li", { role: "separator", class: "account-menu-separator" }),
      item("menuitem", [h("span", { class: "account-menu-text" }, "Add a Citrix account\u2026")], () => opts.onAdd()),
      item("menuitem", [h("span", { class: "account-menu-text" }, "Manage accounts\u2026")], () => opts.onManage()),
    );
  };

  const outside = (e: Event): void => {
    if (!wrap.contains(e.target as Node)) close(false);
  };
  const open = (focusLast = false): void => {
    fill();
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    const checked = items.find((i) => i.getAttribute("aria-checked") === "true");
    (focusLast ? items[items.length - 1] : (checked ?? items[0])).focus();
  };

  button.addEventListener("click", () => (menu.hidden ? open() : close(true)));
  button.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      open(e.key === "ArrowUp");
    }
  });
  menu.addEventListener("keydown", (e) => {
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => {
      e.preventDefault();
      items[(to + items.length) % items.length].focus();
    };
    switch (e.key) {
      case "ArrowDown":
        return move(at + 1);
      case "ArrowUp":
        return move(at - 1);
      case "Home":
        return move(0);
      case "End":
        return move(items.length - 1);
      case "Escape":
        e.preventDefault();
        return close(true);
      case "Tab":
        return close(false);
    }
  });

  wrap.append(button, menu);
  return wrap;
}
