// The audit screen: records, chain status, unknown outcomes, filters and CSV export.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connected, mockCall, openApp, setup, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

async function openAudit(config = {}) {
  const o = await openApp(env, connected(config));
  await waitForRows(o.page);
  await o.page.click("nav >> text=Audit trail");
  await waitForView(o.page, "audit");
  await o.page.waitForSelector(".screen-audit tr.vt-row");
  return o;
}

const rows = (page) =>
  page.$$eval(".screen-audit tr.vt-row", (tr) =>
    tr.map((r) => [...r.querySelectorAll("td")].map((td) => td.innerText.replace(/\s+/g, " ").trim())),
  );

test("records, an intact chain, and the unknown outcome highlighted", async () => {
  const { page, context } = await openAudit({ audit: { seed: 6, unknown: 1 } });
  assert.equal(await page.textContent(".chain-slot .callout-title"), "Audit trail intact");
  assert.match(await page.textContent(".results-count"), /^13 records$/);
  const r = await rows(page);
  assert.equal(r[0][0], "1");
  assert.match(r[0][2], /^Start recording User notified$/);
  assert.equal(r[0][3], "Requested");
  assert.match(r[1][3], /^Recording — confirmed by Citrix Ref\. seed-tx-0$/);
  assert.equal(r[0][4], "\u2014", "no case or reason was given");
  assert.match(r[0][5], /^Jane Zhang CONTOSO\\/, "the name shown, then the account");
  assert.match(r[0][7], /^officer COMPLIANCE-PC-07$/);
  const failed = r.find((x) => x[3].startsWith("Failed"));
  assert.match(failed[3], /^Failed: Citrix could not change recording on this session/);
  // The request without an outcome.
  const attention = await page.$$eval(".screen-audit tr.row-attention", (tr) => tr.map((x) => x.innerText));
  assert.equal(attention.length, 1);
  assert.match(attention[0], /Outcome unknown — check status/);
  assert.match(await page.textContent(".unknown-slot"), /1 request with no known outcome/);
  await page.click(".unknown-slot button:has-text('Details')");
  await page.waitForSelector("dialog.drawer .facts");
  await page.keyboard.press("Escape");
  // Check again asks Citrix, writes the answer, and the request is no longer open.
  const open = await page.$eval(".unknown-slot li", (li) => li.dataset.seq);
  await page.click(".unknown-slot button:has-text('Check again')");
  await page.waitForSelector(".screen-audit .check-result");
  assert.equal(await page.textContent(".unknown-slot"), "");
  const [call] = await mockCall(page, "check_again");
  assert.equal(typeof call.runId, "string");
  assert.match(await page.textContent(".screen-audit .check-result"), /Citrix's answer is now in the audit trail/);
  const checked = await page.$$eval(".screen-audit tr.vt-row", (tr) =>
    tr.map((x) => x.innerText).filter((t) => t.includes("Checked again")),
  );
  assert.equal(checked.length, 1, `the check of record ${open} is in the trail`);
  assert.match(await page.textContent(".path-note"), /audit\.jsonl/);
  await context.close();
});

test("an altered chain is reported with the record number", async () => {
  const { page, context } = await openAudit({ audit: { brokenAt: 9 } });
  assert.equal(await page.textContent(".chain-slot .callout-title"), "Audit trail has been altered at record 9");
  assert.equal(await page.getAttribute(".chain-slot .callout", "role"), "alert");
  await context.close();
});

test("filters are sent to audit_view and narrow the records", async () => {
  const { page, context } = await openAudit();
  await page.selectOption(".audit-filters select[name=action]", "stop");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "8 records");
  let f = (await mockCall(page, "audit_view")).at(-1).filter;
  // The demo site is open, so the trail shows the demo site's records.
  assert.deepEqual(f, { from: null, to: null, user: null, caseRef: null, action: "stop", outcome: null, mode: "demo" });
  assert.ok((await rows(page)).every((x) => x[2].startsWith("Stop recording")));

  await page.click(".audit-filters button:has-text('Reset')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "25 records");
  await page.fill(".audit-filters input[name=user]", "jane");
  await page.selectOption(".audit-filters select[name=outcome]", "recording");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "1 record");
  f = (await mockCall(page, "audit_view")).at(-1).filter;
  assert.equal(f.user, "jane");
  assert.equal(f.outcome, "recording");

  await page.click(".audit-filters button:has-text('Reset')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "25 records");
  await page.selectOption(".audit-filters select[name=outcome]", "requested");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "13 records");
  assert.ok((await rows(page)).every((x) => x[3] === "Requested" || x[3].startsWith("Outcome unknown")));

  await page.click(".audit-filters button:has-text('Reset')");
  await page.fill(".audit-filters input[name=from]", "2025-03-11");
  await page.fill(".audit-filters input[name=to]", "2025-03-12");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => (window.__mock.callsOf("audit_view").at(-1).filter.from ?? null) !== null);
  f = (await mockCall(page, "audit_view")).at(-1).filter;
  // Local start and end of the chosen days, as RFC 3339 instants.
  assert.match(f.from, /^2025-03-11T00:00:00\.000[+-]\d\d:\d\d$/);
  assert.match(f.to, /^2025-03-12T23:59:59\.999[+-]\d\d:\d\d$/);
  await page.waitForFunction(() => !document.querySelector(".results-count .spinner"));
  const times = await page.$$eval(".screen-audit tr.vt-row td:nth-child(2)", (td) => td.map((x) => x.innerText));
  assert.ok(times.length > 0 && times.every((t) => /Mar 1[12], 2025/.test(t)), times.join(" | "));
  await context.close();
});

test("Export CSV: save dialog, then export_audit_csv with the current filter", async () => {
  const { page, context } = await openAudit({ savePath: "/home/officer/Documents/audit.csv" });
  await page.selectOption(".audit-filters select[name=action]", "start");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "17 records");
  await page.click("button:has-text('Export CSV')");
  await page.waitForSelector(".export-status .callout-success");
  assert.match(await page.textContent(".export-status"), /Exported 17 records/);
  assert.match(await page.textContent(".export-status"), /Saved to \/home\/officer\/Documents\/audit\.csv/);
  const [dlg] = await mockCall(page, "plugin:dialog|save");
  assert.match(dlg.options.defaultPath, /^recording-desk-audit-\d{4}-\d\d-\d\d\.csv$/);
  const [exp] = await mockCall(page, "export_audit_csv");
  assert.equal(exp.path, "/home/officer/Documents/audit.csv");
  assert.equal(exp.filter.action, "start");
  await context.close();
});

test("Export report (PDF): save dialog, then export_audit_report with the current filter", async () => {
  const { page, context } = await openAudit({ savePath: "/home/officer/Documents/case-report.pdf" });
  await page.selectOption(".audit-filters select[name=action]", "start");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "17 records");
  await page.click("button:has-text('Export report (PDF)')");
  await page.waitForSelector(".export-status .callout-success");
  const status = await page.textContent(".export-status");
  assert.match(status, /Report saved: 17 records on 1 page/);
  assert.match(status, /Saved to \/home\/officer\/Documents\/case-report\.pdf/);
  assert.match(status, /SHA-256 of the exported records: (ab){32}/);
  const [dlg] = await mockCall(page, "plugin:dialog|save");
  assert.match(dlg.options.defaultPath, /^recording-desk-report-\d{4}-\d\d-\d\d\.pdf$/);
  assert.deepEqual(dlg.options.filters, [{ name: "PDF", extensions: ["pdf"] }]);
  const [exp] = await mockCall(page, "export_audit_report");
  assert.equal(exp.path, "/home/officer/Documents/case-report.pdf");
  assert.equal(exp.filter.action, "start");
  assert.equal((await mockCall(page, "export_audit_csv")).length, 0, "the CSV export is not called");
  await context.close();
});

test("a run shows up in the audit trail as requested + outcome", async () => {
  const o = await openApp(env, connected({ audit: { seed: 0, unknown: 0 } }));
  const { page, context } = o;
  await waitForRows(page, 3);
  await page.click('#panel-search tr.vt-row[data-index="1"] input.row-check');
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  await page.click("nav >> text=Audit trail");
  await page.waitForSelector(".screen-audit tr.vt-row");
  const r = await rows(page);
  assert.equal(r.length, 2);
  assert.equal(r[0][3], "Requested");
  assert.match(r[1][3], /^Recording — confirmed by Citrix/);
  assert.match(r[1][5], /^John Adeyemi CONTOSO\\/);
  await context.close();
});

test("the open request is flagged, not the later, answered request of the same session", async () => {
  const { page, context } = await openAudit({ audit: { seed: 2, unknown: 1, retried: true } });
  // 2 seeded pairs (1-4), the crashed request (5), then the retry's request and outcome (6, 7).
  const attention = await page.$$eval(".screen-audit tr.row-attention", (tr) => tr.map((x) => x.dataset.key));
  assert.deepEqual(attention, ["5"]);
  const r = await rows(page);
  assert.match(r[4][3], /^Outcome unknown — check status$/);
  assert.equal(r[5][3], "Requested", "the retry has an outcome");
  assert.equal(r[4][4], r[5][4], "same session");
  assert.match(await page.textContent(".unknown-slot"), /1 request with no known outcome/);
  assert.match(await page.textContent(".unknown-slot li"), /record 5/);
  await context.close();
});

test("the intact message claims no more than the checks do; a cut-off trail names what is missing", async () => {
  let o = await openAudit();
  const text = await o.page.textContent(".chain-slot .callout-text");
  assert.match(text, /sealed with this computer's key/);
  assert.match(text, /the end of the trail matches the note Recording Desk keeps in the keychain/);
  assert.doesNotMatch(text, /none has been changed or removed/);
  assert.equal(await o.page.$(".chain-slot .chain-note"), null, "every record is keyed: no note about an earlier version");
  // The help says what the trail proves, and against whom it does not.
  await o.page.click(".chain-help summary");
  const help = await o.page.textContent(".chain-help");
  assert.match(help, /cannot open your keychain/);
  assert.match(help, /It does not prove that no one with access to your keychain \(you, or an administrator signed in as you\)/);
  await o.context.close();

  o = await openAudit({
    audit: {
      brokenAt: 13,
      chainMessage: "Records after 12 are missing: Recording Desk had written 20 records. The records from there on cannot be relied on.",
    },
  });
  assert.equal(await o.page.textContent(".chain-slot .callout-title"), "Audit trail has been altered at record 13");
  assert.match(await o.page.textContent(".chain-slot .chain-detail"), /^Records after 12 are missing/);
  await o.context.close();
});

test("the Audit screen says which part of the trail is keyed", async () => {
  const o = await openAudit({ audit: { seed: 6, unknown: 0, keyedFrom: 5 } });
  assert.equal(await o.page.textContent(".chain-slot .callout-title"), "Audit trail intact");
  assert.match(
    await o.page.textContent(".chain-slot .chain-note"),
    /^Records 1 to 4 were written by an earlier version of Recording Desk, before records were sealed with a key\. Record 5 and every record after it are sealed/,
  );
  await o.context.close();
});

test("records sealed with a key this computer lost are explained in plain words, not called altered", async () => {
  const o = await openAudit({ audit: { seed: 6, unknown: 0, lostKey: [1, 4] } });
  assert.equal(await o.page.textContent(".chain-slot .callout-title"), "Audit trail intact");
  const text = await o.page.textContent(".chain-slot");
  assert.doesNotMatch(text, /Every record is sealed with this computer's key|another key|altered/);
  assert.match(
    await o.page.textContent(".chain-slot .chain-note"),
    /^Records 1 to 4 were sealed with a key that is no longer on this computer \(for example, because its keychain was reset\), so they can no longer be checked here; the records after them are checked\. Keep a copy of the audit trail file, and ask IT whether the old keychain can be restored/,
  );
  await o.context.close();
});

test("a trail whose end cannot be verified is never called intact, and is re-sealed only when asked", async () => {
  const { page, context } = await openAudit({ audit: { seed: 3, unknown: 0, endUnverified: true } });
  assert.equal(await page.textContent(".chain-slot .callout-title"), "The end of the trail cannot be verified");
  assert.doesNotMatch(await page.textContent(".chain-slot"), /intact/);
  assert.match(
    await page.textContent(".chain-slot .chain-detail"),
    /^What was found: the note of its last record, which Recording Desk keeps in the keychain, is missing\. The file holds 6 records; the last one is record 6, written /,
  );

  // Asked in plain words; Cancel (the focused choice) changes nothing.
  await page.click(".chain-slot button:has-text('Re-seal the trail')");
  await page.waitForSelector("dialog.modal[open]");
  assert.equal(await page.textContent("dialog.modal .modal-title"), "Re-seal the audit trail?");
  assert.match(
    await page.textContent("dialog.modal .modal-body"),
    /add a record to the trail saying what was found, and that you re-sealed it/,
  );
  assert.match(await page.textContent("dialog.modal .chain-detail"), /The end of the trail cannot be verified/);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog.modal", { state: "detached" });
  assert.deepEqual(await mockCall(page, "reseal_audit"), []);

  await page.click(".chain-slot button:has-text('Re-seal the trail')");
  await page.click("dialog.modal button:has-text('Re-seal the trail')");
  await page.waitForFunction(() => document.querySelector(".chain-slot .callout-title")?.textContent === "Audit trail intact");
  assert.equal((await mockCall(page, "reseal_audit")).length, 1);
  assert.match(await page.textContent(".chain-slot"), /re-sealed at record 7, after its end could not be verified/);
  const r = await rows(page);
  assert.equal(r.at(-1)[0], "7");
  assert.match(r.at(-1)[2], /^Re-sealed the trail$/);
  assert.match(r.at(-1)[3], /^Re-sealed by officer on COMPLIANCE-PC-07\. What was found: The end of the trail cannot be verified/);
  await context.close();
});

test("demo and Citrix Cloud records are kept apart, and marked when shown together", async () => {
  // Connected to Citrix Cloud: the trail opens on Citrix Cloud's records.
  const cloud = {
    mode: "cloud",
    region: "eu",
    customerId: "contoso",
    customerName: "Contoso Ltd",
    userDisplayName: "Compliance Officer",
    sites: [{ id: "5ab1e0d4-0000-4000-a000-00000000d5e7", name: "Contoso Production" }],
    siteId: "5ab1e0d4-0000-4000-a000-00000000d5e7",
  };
  const { page, context } = await openAudit({ status: { connection: cloud }, audit: { seed: 3, unknown: 0, demo: 2 } });
  assert.equal(await page.inputValue(".audit-filters select[name=mode]"), "cloud");
  assert.equal((await mockCall(page, "audit_view")).at(-1).filter.mode, "cloud");
  assert.match(await page.textContent(".results-count"), /^6 records$/);
  assert.equal(await page.$(".screen-audit tr.vt-row .badge-demo"), null);

  await page.selectOption(".audit-filters select[name=mode]", "");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "10 records");
  assert.equal((await mockCall(page, "audit_view")).at(-1).filter.mode, null);
  assert.equal(await page.$$eval(".screen-audit tr.vt-row .badge-demo", (b) => b.length), 4);

  await page.selectOption(".audit-filters select[name=mode]", "demo");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForFunction(() => document.querySelector(".results-count").textContent === "4 records");
  await context.close();
});

test("a long trail is shown a page at a time: the latest records first, earlier ones on request", async () => {
  // 1,250 sessions, each with a request and an outcome: 2,500 records.
  const { page, context } = await openAudit({ sessions: 1250, audit: { seed: 1250, unknown: 0 } });
  const status = () => page.textContent(".screen-audit .results-count");
  const earlier = ".screen-audit .results-foot button";
  assert.equal(await status(), "Showing the latest 1,000 of 2,500 records");
  assert.equal(await page.getAttribute(".screen-audit table", "aria-rowcount"), "1001");
  assert.equal(await page.textContent(earlier), "Show 1,000 earlier records");
  // The page is the latest records: the first one listed is record 1,501.
  assert.equal((await rows(page))[0][0], "1501");
  await page.click(earlier);
  await page.waitForFunction(() => /latest 2,000 of/.test(document.querySelector(".screen-audit .results-count").textContent));
  assert.equal(await page.textContent(earlier), "Show 500 earlier records");
  await page.click(earlier);
  await page.waitForFunction(() => document.querySelector(".screen-audit .results-count").textContent === "2,500 records");
  assert.ok(await page.isHidden(earlier));
  assert.deepEqual(
    (await mockCall(page, "audit_view")).map((c) => c.limit),
    [1000, 2000, 3000],
  );
  // A new filter starts again from the latest page.
  await page.click(".audit-filters button[type=submit]");
  await page.waitForFunction(() => window.__mock.callsOf("audit_view").length === 4);
  assert.equal((await mockCall(page, "audit_view")).at(-1).limit, 1000);
  await context.close();
});

test("the Audit screen says where copies of the trail go, and what is waiting for the collector", async () => {
  const { page, context } = await openAudit({
    witnesses: {
      systemLog: {
        on: false,
        message: "The system log does not receive copies of the audit trail on this computer (there is no system log service at /dev/log).",
      },
      collector: {
        target: "siem.example.com:6514",
        connected: false,
        waiting: 12,
        waitingSince: "2025-03-14T08:01:00Z",
        message:
          "The collector siem.example.com:6514 cannot be reached (the connection was refused: the collector is not listening). The records are kept and sent when it can be.",
      },
    },
  });
  const lines = await page.$$eval(".witness-status li", (li) =>
    li.map((l) => ({ which: l.dataset.witness, cls: l.className, text: l.innerText.replace(/\s+/g, " ").trim() })),
  );
  assert.equal(lines.length, 2);
  assert.equal(lines[0].which, "systemLog");
  assert.equal(lines[0].cls, "witness-attention");
  assert.match(lines[0].text, /^System log: The system log does not receive copies of the audit trail on this computer/);
  assert.equal(lines[1].which, "collector");
  assert.equal(lines[1].cls, "witness-attention");
  assert.match(
    lines[1].text,
    /^Log collector siem\.example\.com:6514: 12 records waiting since .+\. The collector siem\.example\.com:6514 cannot be reached/,
  );
  assert.match(lines[1].text, /The records are kept and sent when it can be\.$/);
  await context.close();

  // By default (the mock's): the system log takes every record, and no collector is set.
  const usual = await openAudit();
  const text = await usual.page.textContent(".witness-status");
  assert.match(text, /System log: Every record is also noted in the system log/);
  assert.doesNotMatch(text, /collector/i);
  assert.equal(await usual.page.$eval(".witness-status li", (li) => li.className), "witness-ok");
  await usual.context.close();
});
