// axe-core on every screen, light and dark: no serious or critical violations. Plus landmarks,
// labels and keyboard reachability that axe cannot judge alone.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { axe, connected, openApp, setup, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const SITES = [
  { id: "11111111-1111-4111-a111-111111111111", name: "Contoso Production" },
  { id: "22222222-2222-4222-a222-222222222222", name: "Contoso Disaster Recovery" },
];
const SAVED = { region: "eu", customerId: "contoso", clientId: "client-1", secretStored: true };

function report(violations) {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join("\n    ")}`).join("\n");
}

async function check(page, name) {
  const v = await axe(page);
  assert.deepEqual(v, [], `${name}:\n${report(v)}`);
}

for (const scheme of ["light", "dark"]) {
  const o = { colorScheme: scheme };

  test(`${scheme}: connect, its errors, and the reconnecting state`, async () => {
    const { page, context } = await openApp(env, {}, o);
    await check(page, "connect");
    await page.click("form.connect-form button[type=submit]");
    await check(page, "connect with field errors");
    await page.fill("input[name=customerId]", "contoso");
    await page.fill("input[name=clientId]", "client-1");
    await page.fill("input[name=secret]", "wrong");
    await page.click("form.connect-form button[type=submit]");
    await page.waitForSelector(".callout-error");
    await page.click(".callout-error summary");
    await check(page, "connect with an error");
    await context.close();
    const second = await openApp(env, { status: { savedAccount: SAVED }, held: ["connect_cloud"] }, { ...o, waitFor: false });
    await second.page.waitForSelector("#connecting-title");
    await check(second.page, "connecting");
    await second.context.close();
  });

  test(`${scheme}: site picker`, async () => {
    const { page, context } = await openApp(env, { sites: SITES }, o);
    await page.fill("input[name=customerId]", "contoso");
    await page.fill("input[name=clientId]", "client-1");
    await page.fill("input[name=secret]", "s3cret");
    await page.click("form.connect-form button[type=submit]");
    await waitForView(page, "site");
    await check(page, "site picker");
    await context.close();
  });

  test(`${scheme}: sessions (search, paste, confirm, run panel, detail)`, async () => {
    const notices = ["The settings file was damaged and was kept aside as settings.json.bak."];
    const { page, context } = await openApp(env, connected({ status: { notices } }), o);
    await waitForRows(page, 5);
    for (const i of [1, 3, 4]) await page.click(`#panel-search tr.vt-row[data-index="${i}"] input.row-check`);
    await page.focus("#panel-search table");
    await check(page, "sessions search with selection");
    await page.click("button:has-text('Start recording')");
    await page.waitForSelector("dialog.modal[open]");
    await check(page, "confirmation dialog");
    const ids = await page.$$eval("#panel-search tr.vt-row", (r) => [r[1].dataset.key, r[4].dataset.key]);
    await page.evaluate((id) => window.__mock.setNeverRecords(id), ids[0]);
    await page.evaluate((id) => window.__mock.setRunFailure(id, { kind: "cannotRecord", message: "x" }), ids[1]);
    await page.click("dialog.modal button:has-text('Start recording')");
    await page.waitForSelector(".run-panel .run-footer:not(:empty)");
    await check(page, "run panel with outcomes");
    await page.click('#panel-search tr.vt-row[data-index="0"] button.link');
    await page.waitForSelector("dialog.drawer .facts");
    await page.click("dialog.drawer button:has-text('Expand all')");
    await check(page, "session detail");
    await page.keyboard.press("Escape");
    await page.click("#tab-paste");
    await page.fill("#panel-paste textarea", `${ids.join("\n")}\nnot-an-id\n12345\n${ids[0]}`);
    await page.waitForSelector("#panel-paste .rejected-list li");
    await page.evaluate((id) => window.__mock.endSession(id), ids[1]);
    await page.click("#panel-paste .btn-primary");
    await page.waitForSelector("#panel-paste .problem-list li");
    await check(page, "paste with results and problems");
    await context.close();
  });

  test(`${scheme}: audit and settings`, async () => {
    const { page, context } = await openApp(env, connected({ audit: { brokenAt: 5, unknown: 2 } }), o);
    await waitForRows(page);
    await page.click("nav >> text=Audit trail");
    await page.waitForSelector(".screen-audit tr.vt-row");
    await check(page, "audit");
    await page.click("nav >> text=Settings");
    await waitForView(page, "settings");
    await check(page, "settings (demo)");
    await context.close();
    const cloud = await openApp(env, { status: { savedAccount: SAVED } }, o);
    await waitForView(cloud.page, "sessions");
    await cloud.page.click("nav >> text=Settings");
    await check(cloud.page, "settings (cloud)");
    await cloud.context.close();
  });
}

test("landmarks, one h1 per screen, and live regions", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page);
  const info = await page.evaluate(() => ({
    header: !!document.querySelector("header.app-header"),
    nav: document.querySelector("nav")?.getAttribute("aria-label"),
    main: !!document.querySelector("main#main"),
    h1: document.querySelectorAll("h1").length,
    live: document.querySelectorAll('[role="status"], [aria-live]').length,
  }));
  assert.deepEqual({ ...info, live: info.live > 2 }, { header: true, nav: "Main", main: true, h1: 1, live: true });
  await context.close();
});

test("keyboard only: skip link, tabs, table, actions — all reachable, focus always visible", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page);
  // The skip link is the first thing in the page and shows when focused.
  assert.equal(await page.evaluate(() => document.body.querySelector("a, button, input")?.textContent), "Skip to main content");
  await page.focus(".skip-link");
  assert.ok((await page.$eval(".skip-link", (a) => a.getBoundingClientRect().left)) >= 0);
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "H1");
  // From the heading, Tab walks through the screen.
  const seen = [];
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      const style = getComputedStyle(a);
      const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
      const ring = a.closest(".vt") ? getComputedStyle(a.closest(".vt")).borderColor : "";
      return {
        tag: a.tagName,
        text: (a.getAttribute("aria-label") || a.labels?.[0]?.textContent || a.textContent || "").trim().slice(0, 30),
        role: a.getAttribute("role"),
        outline,
        ring,
      };
    });
    seen.push(el);
    // BODY: focus left the page for the browser's own controls at the end of the cycle.
    assert.ok(el.outline || el.role === "grid" || el.tag === "BODY", `focus is visible on ${JSON.stringify(el)}`);
  }
  const names = seen.map((s) => s.text);
  for (const want of ["Sessions", "Audit trail", "Settings", "Search", "Refresh", "Notify the user"]) {
    assert.ok(
      names.some((n) => n.includes(want)),
      `${want} reachable: ${names.join(" | ")}`,
    );
  }
  assert.ok(
    seen.some((s) => s.role === "grid"),
    "the table is reachable",
  );
  await context.close();
});
