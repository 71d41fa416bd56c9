// The Recording column of search results: Citrix gives the status one session at a time, so the
// window asks only for the rows the officer can see or has selected, and never twice.
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

const SCROLLER = "#panel-search .vt-scroll";

/**
 * The IDs of the rows the officer can see now, or, with `settled`, whether none of them still says
 * "Checking…": rows inside the scroller, below its sticky header cells.
 */
function inView({ sel, settled }) {
  const scroller = document.querySelector(sel);
  const bottom = scroller.getBoundingClientRect().bottom;
  const head = scroller.querySelector("thead th").getBoundingClientRect().bottom;
  const rows = [...scroller.querySelectorAll("tr.vt-row")].filter((tr) => {
    const r = tr.getBoundingClientRect();
    return r.bottom > head + 1 && r.top < bottom - 1;
  });
  return settled ? rows.every((tr) => !tr.querySelector(".chip-checking")) : rows.map((tr) => tr.dataset.key);
}

const rowsInView = (page) => page.evaluate(inView, { sel: SCROLLER, settled: false });

/** Waits until no row in view says "Checking…". */
const settled = (page) => page.waitForFunction(inView, { sel: SCROLLER, settled: true });

const chip = (page, id) => page.$eval(`${SCROLLER} tr[data-key="${id}"] .col-recording .chip`, (c) => c.textContent);

/** Every session ID sent in `recording_statuses` calls so far, in order. */
async function asked(page) {
  return (await mockCall(page, "recording_statuses")).flatMap((args) => args.ids);
}

async function open(config = {}) {
  const o = await openApp(env, connected({ sessions: 300, ...config }));
  await waitForRows(o.page, 10);
  return o;
}

test("only the rows in view are asked about, and they show what Citrix said", async () => {
  const { page, context, problems } = await open();
  await settled(page);
  const seen = await rowsInView(page);
  const listed = await page.$$eval(`${SCROLLER} tr.vt-row`, (r) => r.length);
  assert.ok(seen.length >= 3, `some rows are in view (${seen.length})`);
  const ids = await asked(page);
  assert.deepEqual([...ids].sort(), [...seen].sort(), "exactly the rows in view were asked about");
  assert.ok(listed > seen.length, "rows built around the view were not asked about");
  // What each row in view shows is what the backend answered for it.
  const truth = await page.evaluate((list) => list.map((id) => window.__mock.byId.get(id).row.recording), seen);
  for (const [i, id] of seen.entries()) {
    const want = truth[i] === true ? "Recording" : truth[i] === false ? "Not recording" : "Unknown";
    assert.equal(await chip(page, id), want, `row ${id}`);
  }
  // A row built below the view but not seen is not claimed either way.
  const below = await page.$$eval(`${SCROLLER} tr.vt-row`, (r) => r.map((tr) => tr.dataset.key));
  const unseen = below.filter((id) => !seen.includes(id));
  assert.ok(unseen.length > 0);
  assert.equal(await chip(page, unseen[0]), "Checking\u2026");
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("scrolling asks about the rows that come into view, never twice about one session", async () => {
  const { page, context } = await open();
  await settled(page);
  const first = await asked(page);
  await page.$eval(SCROLLER, (s) => {
    s.scrollTop = s.scrollHeight / 2;
  });
  await page.waitForFunction(() => window.__mock.callsOf("recording_statuses").length >= 2);
  await settled(page);
  const middle = await rowsInView(page);
  const all = await asked(page);
  assert.equal(new Set(all).size, all.length, "no session is asked about twice");
  for (const id of middle) assert.ok(all.includes(id), `${id} in view was asked about`);
  const total = await page.evaluate(() => window.__mock.callsOf("search_sessions").length);
  assert.equal(total, 1);
  // Back to the top: those rows are known already, nothing more is asked.
  await page.$eval(SCROLLER, (s) => {
    s.scrollTop = 0;
  });
  await settled(page);
  assert.deepEqual((await asked(page)).slice(0, first.length), first);
  assert.equal((await asked(page)).length, all.length, "rows already known are not asked about again");
  await context.close();
});

test("selecting all asks about the selected rows out of view, once", async () => {
  const { page, context } = await open();
  await settled(page);
  const before = (await asked(page)).length;
  await page.click("#panel-search thead input.row-check");
  await page.waitForFunction((n) => window.__mock.callsOf("recording_statuses").flatMap((a) => a.ids).length > n, before);
  const listed = await page.evaluate(() => window.__mock.callsOf("search_sessions").length);
  assert.equal(listed, 1);
  const ids = await asked(page);
  const rows = await page.evaluate(() => document.querySelector("#panel-search table").getAttribute("aria-rowcount") - 1);
  assert.equal(new Set(ids).size, ids.length, "no session is asked about twice");
  assert.equal(ids.length, rows, "every listed (and now selected) session was asked about once");
  await context.close();
});

test("a failed status look-up shows Unknown, not a guess", async () => {
  const { page, context } = await openApp(
    env,
    connected({ sessions: 300, fail: { recording_statuses: [{ kind: "serviceUnavailable", message: "503" }] } }),
  );
  await waitForRows(page, 10);
  await settled(page);
  const seen = await rowsInView(page);
  for (const id of seen) assert.equal(await chip(page, id), "Unknown");
  assert.equal(
    await page.evaluate(() => document.querySelector("main").dataset.view),
    "sessions",
    "the officer stays on the sessions screen",
  );
  await context.close();
});
