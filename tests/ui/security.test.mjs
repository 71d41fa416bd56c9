// Hostile data from Citrix renders as inert text; the app runs under the production CSP.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { connected, openApp, repoRoot, setup, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const HOSTILE = "<img src=x onerror=alert(1)>";

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("no UI source parses strings as HTML or code", () => {
  for (const file of sources(join(repoRoot, "ui/src"))) {
    const text = readFileSync(file, "utf8");
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\beval\(|new Function\(|DOMParser/, file);
    assert.doesNotMatch(text, /setAttribute\(\s*["']style["']/, file);
  }
});

test("the production entry does not load the test harness", () => {
  const html = readFileSync(join(repoRoot, "ui/index.html"), "utf8");
  assert.match(html, /src="\/src\/main\.ts"/);
  assert.doesNotMatch(html, /test|mock/i);
  const main = readFileSync(join(repoRoot, "ui/src/main.ts"), "utf8");
  assert.doesNotMatch(main, /test|mock/i);
});

test("a hostile user name and delivery group stay text everywhere, under the CSP", async () => {
  const { page, context, problems } = await openApp(env, connected({ settings: { concurrency: 2, notifyUserDefault: true } }));
  await waitForRows(page, 5);
  const inert = async (where) => {
    const found = await page.evaluate(() => ({
      img: document.querySelectorAll("img").length,
      svgOnload: document.querySelectorAll("svg[onload]").length,
      anyOn: [...document.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
    }));
    assert.deepEqual(found, { img: 0, svgOnload: 0, anyOn: 0 }, where);
  };
  // Table
  const cell = await page.textContent('#panel-search tr.vt-row[data-index="2"] .cell-main');
  assert.equal(cell, HOSTILE);
  assert.equal(await page.textContent('#panel-search tr.vt-row[data-index="4"] td:nth-child(4)'), '"><svg onload=alert(3)>');
  await inert("table");
  // Detail drawer
  await page.click('#panel-search tr.vt-row[data-index="2"] button.link');
  await page.waitForSelector("dialog.drawer .facts");
  await page.click("dialog.drawer button:has-text('Expand all')");
  await inert("detail");
  await page.keyboard.press("Escape");
  // Confirmation dialog and run panel
  for (const i of [1, 2, 4]) await page.click(`#panel-search tr.vt-row[data-index="${i}"] input.row-check`);
  await page.click("button:has-text('Start recording')");
  assert.match(await page.textContent("dialog.modal .confirm-names"), /<img src=x onerror=alert\(1\)>/);
  await inert("confirm");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.ok((await page.$$eval(".run-name", (n) => n.map((x) => x.textContent))).includes(HOSTILE));
  await inert("run panel");
  // Audit
  await page.click("nav >> text=Audit trail");
  await waitForView(page, "audit");
  await page.waitForSelector(".screen-audit tr.vt-row");
  await inert("audit");
  // Paste feedback echoes what was pasted, as text.
  await page.click("nav >> text=Sessions");
  await page.click("#tab-paste");
  await page.fill("#panel-paste textarea", `${HOSTILE} <script>alert(2)</script>`);
  await page.waitForSelector("#panel-paste .rejected-list li");
  await inert("paste");
  assert.equal(await page.$$eval("script", (s) => s.filter((x) => !x.src).length), 0, "no inline script was created");

  assert.deepEqual(problems.dialogs, [], "no alert() ran");
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], "no CSP violation");
  await context.close();
});

test("the harness really enforces the CSP (so the check above means something)", async () => {
  const { page, context } = await openApp(env);
  await page.evaluate(() => {
    const d = document.createElement("div");
    d.setAttribute("style", "color: red");
    document.body.append(d);
  });
  await page.waitForFunction(() => window.__cspViolations.length > 0);
  assert.match((await page.evaluate(() => window.__cspViolations))[0], /style-src/);
  await context.close();
});
