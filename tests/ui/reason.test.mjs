// The reason and case before every start or stop: the confirm dialog's fields and words, what the
// settings require, what is offered again, and the Audit screen finding records by case and by
// the name the officer sees.
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

const row = (i) => `#panel-search tr.vt-row[data-index="${i}"]`;
const DIALOG = "dialog.modal[open]";
const REASON = `${DIALOG} input[name="reason"]`;
const CASE = `${DIALOG} input[name="caseRef"]`;

async function open(config = {}) {
  const o = await openApp(env, connected(config));
  await waitForRows(o.page, 10);
  return o;
}

async function ask(page, indexes, button = "Start recording") {
  for (const i of indexes) await page.click(`${row(i)} input.row-check`);
  await page.click(`.actions-buttons button:has-text('${button}')`);
  await page.waitForSelector(DIALOG);
}

const title = (page) => page.textContent(`${DIALOG} .modal-title`);
const confirm = (page, label = "Start recording") => page.click(`${DIALOG} .modal-actions button:has-text('${label}')`);
const finished = (page) => page.waitForSelector(".run-panel .run-footer:not(:empty)");

test("the question names the case as it is typed; reason and case go with the run into every record", async () => {
  const { page, context, problems } = await open();
  await page.uncheck("label:has-text('Notify the user') input");
  await ask(page, [1, 4, 5]);
  assert.equal(await title(page), "Start recording 3 sessions, without telling the users?");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "reason", "the reason field has focus");
  assert.match(await page.textContent(DIALOG), /Reason \(optional\)/);
  assert.match(await page.textContent(DIALOG), /Case or ticket reference \(optional\)/);
  await page.fill(CASE, "INV-2291");
  assert.equal(await title(page), "Start recording 3 sessions for case INV-2291, without telling the users?");
  await page.fill(REASON, "  Suspected data theft, HR request 7 ");
  await confirm(page);
  await finished(page);

  const [checked] = await mockCall(page, "check_justification");
  assert.deepEqual(checked.justification, { reason: "  Suspected data theft, HR request 7 ", caseRef: "INV-2291" });
  const [run] = await mockCall(page, "run_recording");
  assert.deepEqual(run.justification, { reason: "Suspected data theft, HR request 7", caseRef: "INV-2291" }, "the checked, trimmed values");
  const records = await page.evaluate(() => window.__mock.audit.filter((r) => r.runId.startsWith("run-")));
  assert.equal(records.length, 6, "requested and outcome for each of the three");
  for (const r of records) {
    assert.equal(r.caseRef, "INV-2291");
    assert.equal(r.reason, "Suspected data theft, HR request 7");
  }
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("words for one session, for notifying, and for a stop", async () => {
  const { page, context } = await open();
  await ask(page, [1]);
  assert.equal(await title(page), "Start recording 1 session and tell the user?");
  assert.match(await page.textContent(DIALOG), /The user will see a notice that the session is being recorded\./);
  await page.fill(CASE, "T-1");
  assert.equal(await title(page), "Start recording 1 session for case T-1 and tell the user?");
  await page.click(`${DIALOG} button:has-text('Cancel')`);
  await page.waitForSelector(DIALOG, { state: "detached" });
  assert.equal((await mockCall(page, "run_recording")).length, 0, "Cancel sends nothing");

  // Row 0 is being recorded.
  await page.click(`${row(1)} input.row-check`);
  await ask(page, [0], "Stop recording");
  assert.equal(await title(page), "Stop recording 1 session?");
  await page.fill(CASE, "INV-9");
  assert.equal(await title(page), "Stop recording 1 session for case INV-9?");
  await confirm(page, "Stop recording");
  await finished(page);
  const [run] = await mockCall(page, "run_recording");
  assert.deepEqual(run.action, { action: "stop" });
  assert.deepEqual(run.justification, { reason: "", caseRef: "INV-9" });
  await context.close();
});

test("required reason and case: each problem is shown next to its field and nothing typed is lost", async () => {
  const { page, context } = await open({ settings: { concurrency: 4, notifyUserDefault: false, requireReason: true, requireCase: true } });
  await ask(page, [1, 4]);
  assert.match(await page.textContent(DIALOG), /Reason \(required\)/);
  assert.match(await page.textContent(DIALOG), /Case or ticket reference \(required\)/);

  await confirm(page);
  const reasonError = `${DIALOG} .field:has(input[name="reason"]) .field-error`;
  await page.waitForSelector(`${reasonError}:not([hidden])`);
  assert.equal(await page.textContent(reasonError), "Give a reason for this recording request: your organisation requires one.");
  assert.equal(await page.getAttribute(REASON, "aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "reason");
  // The message is read with the field.
  const describedBy = (await page.getAttribute(REASON, "aria-describedby")).split(" ");
  assert.ok(describedBy.includes(await page.$eval(reasonError, (e) => e.id)));

  await page.fill(REASON, "Suspected fraud");
  assert.equal(await page.getAttribute(REASON, "aria-invalid"), null, "typing clears the message");
  const long = "X".repeat(65);
  await page.fill(CASE, long);
  await confirm(page);
  const caseError = `${DIALOG} .field:has(input[name="caseRef"]) .field-error`;
  await page.waitForSelector(`${caseError}:not([hidden])`);
  assert.equal(await page.textContent(caseError), "The case or ticket reference is 65 characters long. Keep it to 64 characters or fewer.");
  assert.equal(await page.inputValue(REASON), "Suspected fraud", "the reason is kept");
  assert.equal(await page.inputValue(CASE), long, "the case is kept whole, not cut");
  assert.equal((await mockCall(page, "run_recording")).length, 0, "nothing was sent");

  await page.fill(CASE, "INV-77");
  await confirm(page);
  await finished(page);
  const [run] = await mockCall(page, "run_recording");
  assert.deepEqual(run.justification, { reason: "Suspected fraud", caseRef: "INV-77" });
  await context.close();
});

test("the last reasons and cases are offered again", async () => {
  const { page, context } = await open();
  for (const [i, reason, caseRef] of [
    [1, "First reason", "INV-1"],
    [4, "Second reason", "INV-2"],
  ]) {
    await ask(page, [i]);
    await page.fill(REASON, reason);
    await page.fill(CASE, caseRef);
    await confirm(page);
    await finished(page);
    await page.click(".run-panel button:has-text('Close')");
    await page.click(".sel-count button:has-text('Clear selection')").catch(() => {});
  }
  await ask(page, [5]);
  const offered = (name) => page.$eval(`${DIALOG} input[name="${name}"]`, (input) => [...(input.list?.options ?? [])].map((o) => o.value));
  assert.deepEqual(await offered("caseRef"), ["INV-2", "INV-1"]);
  assert.deepEqual(await offered("reason"), ["Second reason", "First reason"]);
  await context.close();
});

test("Settings can require a reason and a case", async () => {
  const { page, context } = await open();
  await page.click("nav >> text=Settings");
  await waitForView(page, "settings");
  await page.check("label:has-text('Require a reason') input");
  await page.check("label:has-text('Require a case or ticket reference') input");
  await page.click("button:has-text('Save settings')");
  await page.waitForSelector(".save-status:has-text('Settings saved')");
  const [saved] = await mockCall(page, "update_settings");
  assert.equal(saved.settings.requireReason, true);
  assert.equal(saved.settings.requireCase, true);
  await context.close();
});

test("Audit: filter by case, find by the name shown or the account, case and reason in the list", async () => {
  const { page, context } = await open();
  await ask(page, [1, 4]);
  await page.fill(REASON, "Suspected data theft");
  await page.fill(CASE, "INV-2291");
  await confirm(page);
  await finished(page);

  await page.click("nav >> text=Audit trail");
  await waitForView(page, "audit");
  await page.waitForSelector(".screen-audit tr.vt-row");
  await page.waitForFunction(() => document.querySelector('.audit-filters input[name="caseRef"]')?.list?.options.length > 0);
  const offered = await page.$eval('.audit-filters input[name="caseRef"]', (input) => [...input.list.options].map((o) => o.value));
  assert.deepEqual(offered, ["INV-2291"], "the case of the latest run is offered");
  await page.fill('.audit-filters input[name="caseRef"]', "inv-2291");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForSelector(".results-count:has-text('4 records')");
  const calls = await mockCall(page, "audit_view");
  assert.equal(calls.at(-1).filter.caseRef, "inv-2291");
  const cells = await page.$$eval(".screen-audit tr.vt-row", (tr) =>
    tr.map((r) => [...r.querySelectorAll("td")].map((td) => td.innerText.replace(/\s+/g, " ").trim())),
  );
  const headers = await page.$$eval(".screen-audit th", (th) => th.map((x) => x.textContent.trim()));
  const caseCol = headers.indexOf("Case and reason");
  const userCol = headers.indexOf("Session user");
  assert.ok(caseCol >= 0 && userCol >= 0, headers.join("|"));
  for (const c of cells) assert.equal(c[caseCol], "INV-2291 Suspected data theft");
  // The name the officer sees first, then the account.
  assert.match(cells[0][userCol], /^John Adeyemi CONTOSO\\/);

  await page.fill('.audit-filters input[name="caseRef"]', "INV-22");
  await page.click(".audit-filters button:has-text('Apply filters')");
  await page.waitForSelector(".results-count:has-text('No records')");

  // By display name, and by account, the same records.
  await page.fill('.audit-filters input[name="caseRef"]', "");
  const byUser = async (text) => {
    await page.fill('.audit-filters input[name="user"]', text);
    await page.click(".audit-filters button:has-text('Apply filters')");
    await page.waitForFunction((t) => window.__mock.callsOf("audit_view").at(-1).filter.user === t, text);
    await page.waitForSelector(".results-count:not(:has-text('Loading'))");
    return page.$$eval(".screen-audit tr.vt-row td:first-child", (td) => td.map((x) => x.textContent));
  };
  const byName = await byUser("john adeyemi");
  const account = await page.evaluate(() => window.__mock.audit.find((r) => r.displayName === "John Adeyemi").sessionUser);
  const byAccount = await byUser(account);
  assert.ok(byName.length > 0);
  assert.deepEqual(byName, byAccount);
  assert.match(await page.textContent(".audit-filters .filter-note"), /found by the account only/);
  await context.close();
});
