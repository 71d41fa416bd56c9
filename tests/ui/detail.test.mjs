// The session detail drawer: key facts, copy, the JSON tree, save, and the last raw response.
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

async function openDetail(config = {}, index = 0) {
  const o = await openApp(env, connected(config));
  await o.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.server.url });
  await waitForRows(o.page, 5);
  const id = await o.page.getAttribute(row(index), "data-key");
  await o.page.click(`${row(index)} button.link`);
  await o.page.waitForSelector("dialog.drawer .facts");
  return { ...o, id };
}

const facts = (page) =>
  page.$$eval("dialog.drawer .facts dt", (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));

test("key facts first, with the session ID and a Copy button", async () => {
  const { page, context, id } = await openDetail({}, 3);
  const f = await facts(page);
  assert.match(f.User, /^Priya Aziz/);
  assert.match(f.User, /CONTOSO\\paziz4/);
  assert.equal(f.Machine, "CONTOSO\\VDA-TRA-05");
  assert.equal(f["Client device"], "LAPTOP-1004");
  assert.match(f.State, /^Active/);
  assert.match(f.State, /Can't record/);
  assert.equal(f.Protocol, "RDP");
  assert.ok(f.Started.length > 5 && !f.Started.includes("T"), "start time in local format");
  assert.equal(f.Recording, "Not recording");
  assert.match(f["Session ID"], new RegExp(id));
  assert.deepEqual((await mockCall(page, "get_session"))[0], { sessionId: id });
  await page.click("button[aria-label='Copy session ID']");
  await page.waitForSelector("dialog.drawer .copy-feedback:has-text('Copied')");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), id);
  await context.close();
});

test("the full JSON as a collapsible tree, text only, with Copy all", async () => {
  const { page, context } = await openDetail({}, 2);
  const tree = "dialog.drawer .json-tree";
  const topKeys = await page.$$eval(`${tree} > li > details > ul > li`, (li) => li.map((x) => x.querySelector(".json-key")?.textContent));
  assert.deepEqual(topKeys.slice(0, 4), ["Id", "Uid", "ApplicationsInUse", "AppState"]);
  assert.ok(topKeys.includes("Machine") && topKeys.includes("User"));
  // Nested objects start folded; Expand all opens everything.
  assert.equal(await page.$eval(`${tree} details:has(> summary > .json-key:text-is("User"))`, (d) => d.open), false);
  await page.click("dialog.drawer button:has-text('Expand all')");
  assert.equal(await page.$$eval(`${tree} details`, (d) => d.every((x) => x.open)), true);
  // The hostile display name is a JSON string shown as text.
  assert.ok(await page.isVisible(`${tree} .json-string:text-is('"<img src=x onerror=alert(1)>"')`));
  assert.equal(await page.$$eval("img, svg[onload]", (e) => e.length), 0);
  await page.click("dialog.drawer button:has-text('Collapse all')");
  assert.equal(await page.$$eval(`${tree} details`, (d) => d.some((x) => x.open)), false);
  await page.click("button[aria-label='Copy all session data']");
  await page.waitForSelector("dialog.drawer .toolbar .copy-feedback:has-text('Copied')");
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(copied.User.DisplayName, "<img src=x onerror=alert(1)>");
  await context.close();
});

test("Save to file: save dialog, then save_session_json with the chosen path", async () => {
  const { page, context, id } = await openDetail({ savePath: "/home/officer/Documents/jane.json" });
  await page.click("dialog.drawer button:has-text('Save to file')");
  await page.waitForSelector("dialog.drawer .save-status:has-text('Saved to /home/officer/Documents/jane.json')");
  const [dlg] = await mockCall(page, "plugin:dialog|save");
  assert.equal(dlg.options.defaultPath, `session-${id}.json`);
  assert.deepEqual(dlg.options.filters, [{ name: "JSON", extensions: ["json"] }]);
  assert.deepEqual(await mockCall(page, "save_session_json"), [{ sessionId: id, path: "/home/officer/Documents/jane.json" }]);
  await page.evaluate(() => window.__mock.failNext("save_session_json", { kind: "fileWrite", message: "EACCES" }));
  await page.click("dialog.drawer button:has-text('Save to file')");
  await page.waitForSelector('dialog.drawer .callout-error[data-kind="fileWrite"]');
  await context.close();
});

test("closing the save dialog saves nothing", async () => {
  const { page, context } = await openDetail({ savePath: null });
  await page.click("dialog.drawer button:has-text('Save to file')");
  await page.waitForTimeout(200);
  assert.equal((await mockCall(page, "save_session_json")).length, 0);
  assert.equal(await page.textContent("dialog.drawer .save-status"), "");
  await context.close();
});

test("after a start, the detail shows Citrix's raw answer to it", async () => {
  const o = await openApp(env, connected());
  const { page, context } = o;
  await waitForRows(page, 5);
  await page.click(`${row(1)} input.row-check`);
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  await page.click(`${row(1)} button.link`);
  await page.waitForSelector("dialog.drawer .facts");
  assert.equal((await facts(page)).Recording, "Recording");
  assert.equal(await page.textContent("#last-title"), "Citrix's answer to the last start request");
  assert.match(await page.textContent("dialog.drawer .detail-section:last-child"), /Citrix reference tx-/);
  assert.ok(await page.$("dialog.drawer .detail-section:last-child .json-tree"));
  await page.click("button[aria-label='Close session details']");
  await page.waitForSelector("dialog.drawer", { state: "detached" });
  await context.close();
});

test("a session that has ended says so in the drawer", async () => {
  const o = await openApp(env, connected());
  await waitForRows(o.page, 5);
  const id = await o.page.getAttribute(row(0), "data-key");
  await o.page.evaluate((i) => window.__mock.endSession(i), id);
  await o.page.click(`${row(0)} button.link`);
  await o.page.waitForSelector('dialog.drawer .callout-error[data-kind="notFound"]');
  assert.match(await o.page.textContent("dialog.drawer"), /This session has ended/);
  await o.context.close();
});
