// The run panel: progress, every final outcome, cancel, and the table following the outcomes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connected, mockCall, openApp, release, setup, waitForRows } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const row = (i) => `#panel-search tr.vt-row[data-index="${i}"]`;
const NOT_CONFIRMED = "Started, but Citrix does not report it as recording";

async function open(config = {}) {
  const o = await openApp(env, connected(config));
  await waitForRows(o.page, 10);
  // The rows in view have their recording status (asked for together, once they are seen).
  await o.page.waitForSelector(`${row(0)} .chip:not(.chip-checking)`);
  return o;
}

// Every start is confirmed, one session included: the dialog is where the reason is given.
async function startOn(page, indexes) {
  for (const i of indexes) await page.click(`${row(i)} input.row-check`);
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
}

const items = (page) =>
  page.$$eval(".run-list .run-item", (li) =>
    li.map((x) => ({
      name: x.querySelector(".run-name").textContent,
      status: x.querySelector(".run-status").textContent,
      advice: x.querySelector(".run-advice")?.textContent ?? null,
      cls: x.className,
    })),
  );

test("outcomes: recording, started-not-recording, refused; counts, progress and the table follow", async () => {
  const { page, context } = await open({ holdConfirmations: true });
  // Rows 1, 4, 5, 6: John, Lars, Fatima, Tom (all active HDX, none recording yet); the first three
  // are in view, so their status is shown before the run.
  for (const i of [1, 4, 5]) await page.waitForSelector(`${row(i)} .chip:not(.chip-checking)`);
  const ids = await page.$$eval("#panel-search tr.vt-row", (r) => [1, 4, 5, 6].map((i) => r[i].dataset.key));
  await page.evaluate((id) => window.__mock.setNeverRecords(id), ids[1]);
  await page.evaluate((id) => window.__mock.setRunFailure(id, { kind: "cannotRecord", message: "400 SessionOperationFailed" }), ids[2]);
  for (const i of [1, 4, 5, 6]) {
    assert.notEqual(await page.textContent(`${row(i)} .chip`), "Recording");
  }
  await startOn(page, [1, 4, 5, 6]);
  // While it runs the intermediate steps are shown: the backend holds Citrix's confirmations.
  await page.waitForSelector(".run-item.phase-waiting");
  assert.match(await page.textContent(".run-title"), /Starting recording on 4 sessions/);
  assert.ok(await page.isVisible(".run-head button:has-text('Cancel')"));
  await page.evaluate(() => window.__mock.releaseConfirmations());
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");

  const got = await items(page);
  assert.deepEqual(
    got.map((x) => [x.name, x.status]),
    [
      ["John Adeyemi", "Recording \u2014 confirmed by Citrix"],
      ["Lars Haddad", NOT_CONFIRMED],
      ["Fatima Khan", "Refused by Citrix: Citrix could not change recording on this session"],
      ["Tom Patel", "Recording \u2014 confirmed by Citrix"],
    ],
  );
  assert.match(got[2].advice, /Only active sessions that use Citrix HDX can be recorded/);
  assert.doesNotMatch(got[2].advice + got[2].status, /400|SessionOperationFailed/, "no HTTP jargon");
  // Whom to ask and what to quote, with a button that copies it.
  assert.match(got[1].advice, /Ask your Citrix administrator/);
  const quote = await page.textContent(".run-item.status-notRecording .run-quote-text");
  assert.match(
    quote,
    /^User: Lars Haddad\nMachine: .+\nSession ID: [0-9a-f-]{36}\nTime: \d{4}-\d\d-\d\dT.+Z\nCitrix transaction ID: tx-[0-9a-f]+$/,
  );
  assert.ok(await page.isVisible(".run-item.status-notRecording button:has-text('Copy details')"));
  assert.equal(await page.textContent(".run-counts"), "4 of 4 finished \u00b7 2 recording \u00b7 1 not recording \u00b7 1 refused");
  // Each count wraps as a whole: "· 1 refused" never splits across lines.
  assert.deepEqual(await page.$$eval(".run-counts .run-count", (s) => s.map((x) => [x.textContent, getComputedStyle(x).whiteSpace])), [
    ["4 of 4 finished", "nowrap"],
    ["\u00b7 2 recording", "nowrap"],
    ["\u00b7 1 not recording", "nowrap"],
    ["\u00b7 1 refused", "nowrap"],
  ]);
  assert.deepEqual(await page.$eval(".run-progress", (p) => [p.value, p.max]), [4, 4]);
  assert.equal(await page.textContent(".run-title"), "Start recording: finished");
  const summary = await page.textContent(".run-summary");
  assert.match(summary, /Recording confirmed by Citrix on 2 sessions\./);
  assert.match(summary, /1 session started, but Citrix does not report it as recording/);
  assert.match(summary, /Citrix refused 1 session/);
  // The table's recording column follows the outcomes.
  assert.equal(await page.textContent(`${row(1)} .chip`), "Recording");
  assert.equal(await page.textContent(`${row(4)} .chip`), "Not recording");
  assert.equal(await page.textContent(`${row(5)} .chip`), "Unknown", "a refusal leaves the status as it was");
  assert.equal(await page.textContent(`${row(6)} .chip`), "Recording");
  // Only the problems, then retry the failed one.
  await page.check(".run-filter input");
  const visible = await page.$$eval(".run-list .run-item", (li) => li.filter((x) => x.offsetParent !== null).length);
  assert.equal(visible, 2);
  await page.click("button:has-text('Select the 1 session not done to try again')");
  assert.match(await page.textContent(".sel-count"), /^1 session selected/);
  assert.equal(await page.getAttribute(row(5), "aria-selected"), "true");
  // The live region tells screen-reader users how it ended.
  assert.match(await page.textContent(".run-panel [role=status]"), /Finished\. Recording confirmed by Citrix on 2 sessions/);
  await page.click(".run-head button:has-text('Close')");
  assert.equal(await page.isHidden(".run-panel"), true);
  await context.close();
});

test("cancel: sessions not yet sent end as Cancelled", async () => {
  const { page, context } = await open({ held: ["run_answer"], settings: { concurrency: 1, notifyUserDefault: true } });
  await startOn(page, [0, 1, 4, 5, 6, 7]);
  await page.waitForSelector(".run-item.phase-requested");
  await page.click(".run-head button:has-text('Cancel')");
  // The first session's answer arrives only once the backend has been told to cancel.
  await page.waitForFunction(() => window.__mock.callsOf("cancel_run").length === 1);
  await release(page, "run_answer");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.equal((await mockCall(page, "cancel_run")).length, 1);
  const got = await items(page);
  const cancelled = got.filter((x) => x.status === "Cancelled before sending");
  assert.ok(cancelled.length >= 3, JSON.stringify(got));
  assert.equal(got[0].status, "Recording \u2014 confirmed by Citrix", "the session already sent finishes");
  assert.match(await page.textContent(".run-counts"), /cancelled/);
  assert.match(await page.textContent(".run-summary"), /cancelled before sending: no request reached Citrix/);
  await context.close();
});

test("stop: a recording session ends as stopped, confirmed, and the table shows Not recording", async () => {
  const { page, context } = await open();
  assert.equal(await page.textContent(`${row(0)} .chip`), "Recording");
  await page.click(`${row(0)} input.row-check`);
  await page.click("button:has-text('Stop recording')");
  await page.click("dialog.modal button:has-text('Stop recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.deepEqual(
    (await items(page)).map((x) => x.status),
    ["Recording stopped \u2014 confirmed by Citrix"],
  );
  assert.equal(await page.textContent(`${row(0)} .chip`), "Not recording");
  assert.equal(await page.textContent(".run-title"), "Stop recording: finished");
  await context.close();
});

test("a run refused as a whole marks every session Not started, with the reason", async () => {
  const { page, context } = await open({ fail: { run_recording: [{ kind: "auditUnavailable", message: "disk full" }] } });
  await startOn(page, [0, 1]);
  await page.waitForSelector(".run-panel .callout-error");
  assert.deepEqual(
    (await items(page)).map((x) => x.status),
    ["Not started", "Not started"],
  );
  assert.match(await page.textContent(".run-panel .callout-error"), /The audit trail can't be written/);
  await context.close();
});

test("while a run is going Start and Stop wait, and say why", async () => {
  const { page, context } = await open({ held: ["run_answer"] });
  await startOn(page, [0, 1]);
  await page.waitForSelector(".run-item.phase-requested");
  assert.equal(await page.getAttribute("button:has-text('Start recording')", "aria-disabled"), "true");
  assert.match(await page.textContent(".action-note"), /A recording request is in progress/);
  await release(page, "run_answer");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.equal(await page.getAttribute("button:has-text('Start recording')", "aria-disabled"), "false");
  await context.close();
});

test("events are applied in order even if the channel delivers them out of order", async () => {
  // The Channel reorders by index; a handler that never saw 'requested' must still finish cleanly.
  const { page, context } = await open({ runDelay: 5 });
  await startOn(page, [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]);
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const got = await items(page);
  assert.equal(got.length, (await mockCall(page, "run_recording"))[0].sessionIds.length);
  assert.ok(
    got.every((x) => x.cls.includes("phase-finished")),
    JSON.stringify(got),
  );
  await context.close();
});

test("a refusal shows Citrix's reason for that session and the Citrix reference", async () => {
  const { page, context } = await open();
  const id = await page.$eval(`${row(1)}`, (r) => r.dataset.key);
  await page.evaluate((i) => window.__mock.setRunFailure(i, { kind: "cannotRecord", message: "The session is not an HDX session." }), id);
  await startOn(page, [1]);
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const item = ".run-list .run-item.status-refused";
  assert.equal(await page.textContent(`${item} .run-detail`), "The session is not an HDX session.");
  assert.match(await page.textContent(`${item} .run-ref`), /^Citrix reference tx-[0-9a-f]+$/);
  await context.close();
});

test("a stop Citrix accepted while it still reports recording says so, with what to quote", async () => {
  const { page, context } = await open();
  const id = await page.$eval(`${row(0)}`, (r) => r.dataset.key);
  await page.evaluate((i) => window.__mock.setStuckRecording(i), id);
  await page.click(`${row(0)} input.row-check`);
  await page.click("button:has-text('Stop recording')");
  await page.click("dialog.modal button:has-text('Stop recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const got = await items(page);
  assert.equal(got[0].status, "Stop sent, but Citrix still reports it as recording");
  assert.match(got[0].cls, /needs-attention/);
  assert.match(got[0].advice, /Ask your Citrix administrator/);
  assert.equal(await page.textContent(`${row(0)} .chip`), "Recording");
  await context.close();
});

test("the officer sees 'waiting for Citrix to confirm' turn into 'confirmed'", async () => {
  const { page, context } = await open({ holdConfirmations: true });
  await startOn(page, [1]);
  // Citrix has accepted the start; the backend holds the confirmation until told.
  await page.waitForSelector(".run-item.phase-waiting");
  assert.equal(await page.textContent(".run-item .run-status"), "Started \u2014 waiting for Citrix to confirm");
  assert.match(await page.textContent(".run-counts"), /1 waiting for Citrix to confirm/);
  await page.evaluate(() => window.__mock.releaseConfirmations());
  await page.waitForSelector(".run-item.phase-finished");
  assert.equal(await page.textContent(".run-item .run-status"), "Recording \u2014 confirmed by Citrix");
  await context.close();
});

test("a session Citrix could not be asked about is 'Not known — check again', never failed", async () => {
  const { page, context } = await open();
  const id = await page.$eval(`${row(1)}`, (r) => r.dataset.key);
  await page.evaluate((i) => window.__mock.setUnreachable(i), id);
  await startOn(page, [1]);
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const got = await items(page);
  assert.equal(got[0].status, "Not known \u2014 check again");
  assert.match(got[0].advice, /Check again/);
  assert.match(await page.textContent(".run-summary"), /Not known for 1 session/);
  // Citrix can be asked again: Check again shows its answer in place of "not known".
  await page.evaluate((i) => window.__mock.setUnreachable(i, false), id);
  await page.click(".run-item.status-unknown button:has-text('Check again')");
  await page.waitForSelector(".run-item.status-notRecording");
  assert.equal((await items(page))[0].status, "Started, but Citrix does not report it as recording");
  const [call] = await mockCall(page, "check_again");
  assert.equal(call.sessionId, id);
  assert.match(call.runId, /^run-\d+$/, "the run's own ID names the request");
  await context.close();
});

test("an outcome missing from the audit trail is marked, summarised and raised as a notice", async () => {
  const o = await openApp(env, connected());
  const { page, context } = o;
  await waitForRows(page, 10);
  const id = await page.$eval(`${row(1)}`, (r) => r.dataset.key);
  await context.close();

  const { page: p2, context: c2 } = await openApp(env, connected({ auditMissing: [id] }));
  await waitForRows(p2, 10);
  await startOn(p2, [1]);
  await p2.waitForSelector(".run-panel .run-footer:not(:empty)");
  const status = await p2.textContent(".run-list .run-item .run-status");
  assert.match(status, /^Recording — confirmed by Citrix — not written to the audit trail$/);
  assert.match(await p2.getAttribute(".run-list .run-item", "class"), /needs-attention/);
  assert.match(await p2.textContent(".run-summary"), /1 result could not be written to the audit trail/);
  await p2.waitForSelector(".notices .notice");
  assert.match(await p2.textContent(".notices"), /could not be written to the audit trail/);
  await c2.close();
});

test("a session that ended during the run is shown as ended in the table", async () => {
  const { page, context } = await open({ runDelay: 50 });
  const ids = await page.$$eval("#panel-search tr.vt-row", (r) => [1, 4].map((i) => r[i].dataset.key));
  await page.evaluate((id) => window.__mock.endSession(id), ids[1]);
  await startOn(page, [1, 4]);
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.equal(await page.textContent(".run-item.status-sessionEnded .run-status"), "The session has ended \u2014 confirmed by Citrix");
  // The run panel narrows the table (Delivery group and Protocol are hidden): State is column 4.
  assert.match(await page.textContent(`${row(4)} td:nth-child(4)`), /^Ended/);
  assert.equal(await page.textContent(`${row(4)} .cell-note .note-short`), "Can't record: ended");
  assert.match(await page.getAttribute(`${row(4)}`, "class"), /not-recordable/);
  assert.match(await page.textContent(`${row(1)} td:nth-child(4)`), /^Active/);
  await context.close();
});

test("at 1200×800 with the run panel open, the found-sessions table still shows several whole rows", async () => {
  const { page, context } = await openApp(env, connected({ holdConfirmations: true }), { viewport: { width: 1200, height: 800 } });
  await waitForRows(page, 5);
  await startOn(page, [0, 1, 4]);
  await page.waitForSelector(".run-item.phase-waiting");
  const whole = await page.$$eval("#panel-search tr.vt-row", (rows) => {
    const body = rows[0].closest("table").parentElement.getBoundingClientRect();
    return rows.filter((r) => {
      const b = r.getBoundingClientRect();
      return b.height > 0 && b.top >= body.top && b.bottom <= body.bottom + 1;
    }).length;
  });
  assert.ok(whole >= 4, `${whole} whole rows visible`);
  await page.evaluate(() => window.__mock.releaseConfirmations());
  await context.close();
});
