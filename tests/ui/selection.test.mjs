// Selecting sessions (mouse and keyboard), what Start/Stop may act on, and the confirmation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connected, mockCall, openApp, setup, waitForRows } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const row = (i) => `#panel-search tr.vt-row[data-index="${i}"]`;
const selectedCount = (page) => page.$$eval("#panel-search tr.vt-row[aria-selected=true]", (r) => r.length);

async function open(config = {}) {
  const o = await openApp(env, connected(config));
  await waitForRows(o.page, 10);
  return o;
}

test("nothing selected: Start and Stop say why they cannot act", async () => {
  const { page, context } = await open();
  assert.equal(await page.getAttribute("button:has-text('Start recording')", "aria-disabled"), "true");
  assert.equal(await page.getAttribute("button:has-text('Stop recording')", "aria-disabled"), "true");
  const noteId = await page.getAttribute("button:has-text('Start recording')", "aria-describedby");
  assert.match(await page.textContent(`#${noteId}`), /Select one or more sessions/);
  await page.click("button:has-text('Start recording')", { force: true });
  assert.equal((await mockCall(page, "run_recording")).length, 0);
  assert.match(await page.textContent(".actions-notify"), /Citrix shows the user a notice that the session is being recorded\./);
  assert.equal(await page.isChecked(".actions-notify input"), true, "Notify the user is on by default");
  await context.close();
});

test("mouse: checkbox, row click, shift-click range, select all", async () => {
  const { page, context } = await open();
  await page.click(`${row(0)} input.row-check`);
  assert.equal(await page.getAttribute(row(0), "aria-selected"), "true");
  assert.match(await page.textContent(".sel-count"), /^1 session selected/);
  await page.click(`${row(0)} td:nth-child(3)`);
  assert.equal(await page.getAttribute(row(0), "aria-selected"), "false");
  await page.click(`${row(1)} td:nth-child(3)`);
  await page.click(`${row(4)} td:nth-child(3)`, { modifiers: ["Shift"] });
  assert.equal(await selectedCount(page), 4);
  await page.click("#panel-search thead input.row-check");
  assert.match(await page.textContent(".sel-count"), /^48 sessions selected/);
  assert.equal(await page.isChecked("#panel-search thead input.row-check"), true);
  await page.click("#panel-search thead input.row-check");
  assert.match(await page.textContent(".sel-count"), /^No sessions selected/);
  await context.close();
});

test("keyboard: arrows move, Space toggles, Ctrl+A selects all, Enter opens details", async () => {
  const { page, context } = await open();
  await page.focus("#panel-search table");
  const active = () => page.$eval("#panel-search table", (t) => t.getAttribute("aria-activedescendant"));
  assert.match(await active(), /-r0$/);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.match(await active(), /-r2$/);
  await page.keyboard.press("Space");
  assert.equal(await page.getAttribute(row(2), "aria-selected"), "true");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Space");
  assert.equal(await selectedCount(page), 2);
  await page.keyboard.press("Space");
  assert.equal(await selectedCount(page), 1);
  await page.keyboard.press("End");
  assert.match(await active(), /-r47$/);
  assert.ok(await page.$(row(47)), "the last row was rendered when reached");
  await page.keyboard.press("Control+a");
  assert.match(await page.textContent(".sel-count"), /^48 sessions selected/);
  await page.keyboard.press("Home");
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog.drawer .facts");
  await page.keyboard.press("Escape");
  await page.waitForSelector("dialog.drawer", { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("role")), "grid", "focus returns to the table");
  await context.close();
});

test("sessions that can't be recorded are flagged with the reason before any click", async () => {
  const { page, context } = await open();
  // Row 3 is an active RDP session.
  // A short label fits the cell; the full reason is the tooltip and what screen readers hear.
  const full = /Can't record: The session uses RDP; only Citrix HDX sessions can be recorded\./;
  assert.equal(await page.textContent(`${row(3)} .cell-note .note-short`), "Can't record: RDP");
  assert.match(await page.textContent(`${row(3)} .cell-note .sr-only`), full);
  assert.match(await page.getAttribute(`${row(3)} .cell-note`, "title"), /only Citrix HDX sessions can be recorded/);
  assert.equal(await page.$(`${row(0)} .cell-sub.warn`), null);
  await page.click(`${row(3)} input.row-check`);
  assert.equal(await page.getAttribute("button:has-text('Start recording')", "aria-disabled"), "true");
  assert.equal(await page.getAttribute("button:has-text('Stop recording')", "aria-disabled"), "false");
  assert.match(await page.textContent(".action-note"), /This session can't be recorded/);
  await context.close();
});

test("a mixed selection starts only the recordable sessions, and says so", async () => {
  const { page, context } = await open();
  const ids = await page.$$eval("#panel-search tr.vt-row", (r) => r.slice(0, 5).map((x) => x.dataset.key));
  for (const i of [0, 1, 3]) await page.click(`${row(i)} input.row-check`);
  assert.match(await page.textContent(".action-note"), /1 selected session can't be recorded and will be skipped when you start recording/);
  await page.click("button:has-text('Start recording')");
  await page.waitForSelector("dialog.modal[open]");
  assert.equal(await page.textContent("dialog.modal h2"), "Start recording 2 sessions and tell the users?");
  assert.match(await page.textContent("dialog.modal"), /1 selected session can't be recorded and will be skipped/);
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const [args] = await mockCall(page, "run_recording");
  assert.deepEqual(args.sessionIds, [ids[0], ids[1]]);
  assert.deepEqual(args.action, { action: "start", notifyUser: true });
  await context.close();
});

test("one session is confirmed too; notify off is passed on", async () => {
  const { page, context } = await open();
  await page.uncheck(".actions-notify input");
  await page.click(`${row(1)} input.row-check`);
  await page.click("button:has-text('Start recording')");
  assert.equal(await page.textContent("dialog.modal h2"), "Start recording 1 session, without telling the user?");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const [args] = await mockCall(page, "run_recording");
  assert.equal(args.sessionIds.length, 1);
  assert.deepEqual(args.action, { action: "start", notifyUser: false });
  await context.close();
});

test("confirmation names how many and who, traps focus, and Cancel/Escape do nothing", async () => {
  const { page, context } = await open();
  for (const i of [0, 1, 4, 5, 6, 7]) await page.click(`${row(i)} input.row-check`);
  await page.uncheck(".actions-notify input");
  await page.click("button:has-text('Start recording')");
  await page.waitForSelector("dialog.modal[open]");
  assert.equal(await page.textContent("dialog.modal h2"), "Start recording 6 sessions, without telling the users?");
  assert.equal(await page.textContent("dialog.modal .confirm-names"), "Jane Zhang, John Adeyemi, Lars Haddad and 3 more.");
  assert.match(await page.textContent("dialog.modal"), /will not be told/);
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute("name") ?? document.activeElement?.textContent);
  assert.equal(await focused(), "reason", "the first thing to do is give the reason");
  // Enter pressed by habit in a field does not start anything.
  await page.keyboard.press("Enter");
  assert.ok(await page.isVisible("dialog.modal[open]"));
  assert.equal((await mockCall(page, "run_recording")).length, 0);
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "caseRef");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "Cancel");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "Start recording");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "reason", "Tab wraps inside the dialog");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(), "Start recording");
  await page.keyboard.press("Escape");
  await page.waitForSelector("dialog.modal", { state: "detached" });
  assert.match(await focused(), /Start recording/, "focus returns to the Start button");
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal >> text=Cancel");
  await page.waitForSelector("dialog.modal", { state: "detached" });
  assert.equal((await mockCall(page, "run_recording")).length, 0);
  await page.click("button:has-text('Stop recording')");
  assert.equal(await page.textContent("dialog.modal h2"), "Stop recording 6 sessions?");
  await page.click("dialog.modal button:has-text('Stop recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.deepEqual((await mockCall(page, "run_recording"))[0].action, { action: "stop" });
  await context.close();
});

test("selection is kept per tab", async () => {
  const { page, context } = await open();
  await page.click(`${row(0)} input.row-check`);
  await page.click("#tab-paste");
  assert.match(await page.textContent(".sel-count"), /^No sessions selected/);
  await page.click("#tab-search");
  assert.match(await page.textContent(".sel-count"), /^1 session selected/);
  // Tabs follow the ARIA pattern: arrows move between them.
  await page.focus("#tab-search");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getAttribute("#tab-paste", "aria-selected"), "true");
  assert.equal(await page.isVisible("#panel-paste"), true);
  await context.close();
});
