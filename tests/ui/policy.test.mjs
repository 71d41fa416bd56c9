// Settings the organisation set ("Set by your organisation"): shown fixed and disabled where the
// officer meets them (Settings, the notify box, the run question, the sign-in form), while what
// is not locked still saves and works.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { axe, connected, mockCall, openApp, setup, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const MANAGED = "Set by your organisation";
const DIALOG = "dialog.modal[open]";

/** requireCase and the notify choice (never) set by the organisation, as the policy file would. */
const POLICY = {
  concurrency: 8,
  notifyUserDefault: false,
  requireReason: false,
  requireCase: true,
  notifyUser: "never",
  locked: ["requireCase", "notifyUserDefault", "notifyUser", "concurrency"],
};

/** The badge next to the control with label text `label`, if any. */
const badgeNextTo = (page, label) =>
  page.evaluate(
    ([text, managed]) => {
      const label = [...document.querySelectorAll("main label")].find((l) => l.textContent.trim().startsWith(text));
      const row = label?.closest(".managed-row");
      const badge = row?.querySelector(".badge-managed");
      return badge?.textContent.trim() === managed ? badge.id : null;
    },
    [label, MANAGED],
  );

test("Settings: locked settings are disabled and marked, the others still save", async () => {
  const { page, context, problems } = await openApp(env, connected({ settings: POLICY }));
  await waitForRows(page, 1);
  await page.click("nav button:has-text('Settings')");
  await waitForView(page, "settings");

  const main = await page.textContent("main");
  assert.match(main, /Some settings are set by your organisation\. Your IT department set them/);
  assert.match(await page.textContent(".about"), /Some settings are set by your organisation/);
  assert.match(main, /Users are never told when their session is recorded\./);

  for (const [label, locked] of [
    ["Sessions handled at the same time", true],
    ["Notify users by default", true],
    ["Require a case or ticket reference", true],
    ["Require a reason", false],
  ]) {
    const input = page.locator("main label", { hasText: label }).first();
    const control = await input.evaluate((l) => {
      const c = l.control;
      return { disabled: c.disabled, describedBy: c.getAttribute("aria-describedby") ?? "", title: c.title };
    });
    const badge = await badgeNextTo(page, label);
    assert.equal(control.disabled, locked, `${label} disabled`);
    if (locked) {
      assert.ok(badge, `${label} has "${MANAGED}" beside it`);
      assert.ok(control.describedBy.split(" ").includes(badge), `${label} is described by the badge`);
      assert.match(control.title, /Your IT department set this/, `${label} explains itself on hover`);
    } else {
      assert.equal(badge, null, `${label} is the officer's`);
    }
  }
  assert.equal(await page.inputValue("main input[type=number]"), "8", "the organisation's value is shown");
  assert.equal(await page.isChecked("label:has-text('Require a case or ticket reference') input"), true);

  // An unlocked change saves; the locked values go back as they were, so nothing is refused.
  await page.check("label:has-text('Require a reason') input");
  await page.click("button:has-text('Save settings')");
  await page.waitForSelector(".save-status .callout-success");
  const [saved] = await mockCall(page, "update_settings");
  assert.equal(saved.settings.requireReason, true);
  assert.equal(saved.settings.requireCase, true);
  assert.equal(saved.settings.concurrency, 8);
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("the run question shows the organisation's notify choice fixed and requires the case", async () => {
  const { page, context, problems } = await openApp(env, connected({ settings: POLICY }));
  await waitForRows(page, 5);
  const notify = page.locator("label:has-text('Notify the user') input");
  assert.equal(await notify.isDisabled(), true, "the notify box is fixed");
  assert.equal(await notify.isChecked(), false, "as the organisation decided: never");
  assert.match(await page.textContent(".actions-notify"), new RegExp(MANAGED));

  for (const i of [1, 4]) await page.click(`#panel-search tr.vt-row[data-index="${i}"] input.row-check`);
  await page.click(".actions-buttons button:has-text('Start recording')");
  await page.waitForSelector(DIALOG);
  assert.equal(await page.textContent(`${DIALOG} .modal-title`), "Start recording 2 sessions, without telling the users?");
  const said = await page.textContent(`${DIALOG} .confirm-notify`);
  assert.match(said, /The users will not be told that their sessions are being recorded\./);
  assert.match(said, new RegExp(MANAGED));
  assert.match(await page.textContent(DIALOG), /Case or ticket reference \(required\)/);
  assert.deepEqual(await axe(page, DIALOG), []);

  // Without a case the dialog stays open and says so under the field.
  await page.click(`${DIALOG} .modal-actions button:has-text('Start recording')`);
  await page.waitForSelector(`${DIALOG} .field-error:not([hidden])`);
  assert.match(await page.textContent(`${DIALOG} .field-error:not([hidden])`), /your organisation requires one/);
  assert.equal((await mockCall(page, "run_recording")).length, 0, "nothing was sent");

  await page.fill(`${DIALOG} input[name="caseRef"]`, "INV-7");
  await page.click(`${DIALOG} .modal-actions button:has-text('Start recording')`);
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  const [run] = await mockCall(page, "run_recording");
  assert.deepEqual(run.action, { action: "start", notifyUser: false });
  assert.equal(run.justification.caseRef, "INV-7");
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("the sign-in form shows the account the organisation set, fixed, and no demo site when it is off", async () => {
  const account = { region: "eu", customerId: "acme", clientId: "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1" };
  const { page, context, problems } = await openApp(env, {
    settings: { demoSiteOffered: false, managedAccount: account, locked: ["demoSiteOffered", "region", "customerId", "clientId"] },
  });
  await waitForView(page, "connect");
  assert.equal(await page.inputValue("select[name=region]"), "eu");
  assert.equal(await page.inputValue("input[name=customerId]"), "acme");
  assert.equal(await page.inputValue("input[name=clientId]"), account.clientId);
  for (const label of ["Region", "Customer ID", "Client ID"]) {
    assert.ok(await badgeNextTo(page, label), `${label} is marked`);
  }
  for (const name of ["region", "customerId", "clientId"]) {
    assert.equal(await page.isDisabled(`[name=${name}]`), true, `${name} is fixed`);
  }
  assert.equal(await page.isDisabled("input[name=secret]"), false, "the secret is the officer's");
  assert.equal(await page.locator("text=Try the demo site").count(), 0, "no demo site offered");

  // The officer only enters the secret.
  await page.fill("input[name=secret]", "s3cret");
  await page.click("button[type=submit]:has-text('Connect')");
  await page.waitForFunction(() => window.__mock.callsOf("connect_cloud").length > 0);
  const [call] = await mockCall(page, "connect_cloud");
  assert.deepEqual({ region: call.region, customerId: call.customerId, clientId: call.clientId }, account);
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});
