// Screenshots of every screen, light and dark, for a person to look at (not a test).
// Usage: node tests/ui/screenshots.mjs [outDir]   (default tests/artifacts/ui-shots)
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { connected, openApp, repoRoot, setup, waitForRows, waitForView } from "./helpers.mjs";

const out = process.argv[2] ?? join(repoRoot, "tests/artifacts/ui-shots");
await mkdir(out, { recursive: true });
const env = await setup();

const CLOUD_SITES = [
  { id: "11111111-1111-4111-a111-111111111111", name: "Contoso Production" },
  { id: "22222222-2222-4222-a222-222222222222", name: "Contoso Disaster Recovery" },
  { id: "33333333-3333-4333-a333-333333333333", name: "Contoso Test" },
];

const COPIES_WAITING = {
  systemLog: {
    on: true,
    message:
      "Every record is also noted in the system log (journalctl -t recording-desk, or the syslog's authpriv file), with its number and seal.",
  },
  collector: {
    target: "siem.contoso.com:6514",
    connected: false,
    waiting: 12,
    waitingSince: "2025-03-14T08:01:00Z",
    message:
      "The collector siem.contoso.com:6514 cannot be reached (the connection was refused: the collector is not listening). The records are kept and sent when it can be.",
  },
};

async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
}

for (const scheme of ["light", "dark"]) {
  const o = { colorScheme: scheme };
  {
    // The smallest window the app allows.
    const small = { colorScheme: scheme, viewport: { width: 900, height: 600 } };
    const { page, context } = await openApp(env, connected({ runDelay: 200 }), small);
    await waitForRows(page, 5);
    for (const i of [0, 1, 4]) await page.click(`tr.vt-row[data-index='${i}'] input.row-check`);
    await shot(page, `00-min-window-sessions-${scheme}`);
    await page.click("button.btn-primary:has-text('Start recording')");
    await page.click("dialog.modal button:has-text('Start recording')");
    await page.waitForSelector(".run-panel .run-footer:not(:empty)");
    await shot(page, `00-min-window-run-${scheme}`);
    await context.close();
  }
  {
    const { page, context } = await openApp(env, {}, o);
    await shot(page, `01-connect-${scheme}`);
    await page.fill("#f-2, input[name=customerId]", "contoso");
    await page.fill("input[name=clientId]", "3f1c2a9e-client");
    await page.fill("input[name=secret]", "wrong");
    await page.click("button[type=submit]");
    await page.waitForSelector(".callout-error");
    await shot(page, `02-connect-error-${scheme}`);
    await context.close();
  }
  {
    const { page, context } = await openApp(
      env,
      {
        status: { savedAccount: { region: "eu", customerId: "contoso", clientId: "c1", secretStored: true } },
        held: ["connect_cloud"],
      },
      { ...o, waitFor: false },
    );
    await page.waitForSelector("#connecting-title");
    await shot(page, `03-connecting-${scheme}`);
    await context.close();
  }
  {
    const { page, context } = await openApp(env, { sites: CLOUD_SITES }, o);
    await page.fill("input[name=customerId]", "contoso");
    await page.fill("input[name=clientId]", "c1");
    await page.fill("input[name=secret]", "s3cret");
    await page.click("button[type=submit]");
    await waitForView(page, "site");
    await shot(page, `04-site-picker-${scheme}`);
    await context.close();
  }
  {
    const cfg = connected({
      status: { notices: ["The settings file was damaged and has been kept aside as settings.json.bak; default settings are in use."] },
    });
    const { page, context } = await openApp(env, cfg, o);
    await waitForRows(page, 5);
    await page.click("tr.vt-row[data-index='1'] td:nth-child(3)");
    await page.click("tr.vt-row[data-index='2'] td:nth-child(3)");
    await page.click("tr.vt-row[data-index='4'] td:nth-child(3)");
    await shot(page, `05-sessions-search-${scheme}`);
    await page.click("button.btn-primary:has-text('Start recording')");
    await page.waitForSelector("dialog.modal[open]");
    await shot(page, `06-confirm-${scheme}`);
    await page.click("dialog.modal button:has-text('Start recording')");
    await page.waitForSelector(".run-panel .run-footer:not(:empty)");
    await shot(page, `07-run-finished-${scheme}`);
    await page.click("tr.vt-row[data-index='3'] button.link");
    await page.waitForSelector("dialog.drawer .facts");
    await shot(page, `08-detail-${scheme}`);
    await context.close();
  }
  {
    const { page, context } = await openApp(env, connected({ runDelay: 400 }), o);
    await waitForRows(page, 5);
    const ids = await page.evaluate(() =>
      window.__mock.sessions
        .filter((s) => s.row.recordable)
        .slice(0, 12)
        .map((s) => s.row.id),
    );
    await page.evaluate((id) => window.__mock.setNeverRecords(id), ids[1]);
    await page.evaluate((id) => window.__mock.setRunFailure(id, { kind: "cannotRecord", message: "400 SessionOperationFailed" }), ids[2]);
    await page.click("#tab-paste");
    await page.fill("textarea", `SessionId\n${ids.join("\n")}\n${ids[0]}\nnot-an-id\n12345\n`);
    await page.evaluate(() => document.querySelector("textarea").dispatchEvent(new Event("input")));
    await page.waitForTimeout(300);
    await shot(page, `09-paste-${scheme}`);
    await page.click("button:has-text('Look up')");
    await waitForRows(page, 5);
    await page.click("button.btn-primary:has-text('Start recording')");
    await page.click("dialog.modal button:has-text('Start recording')");
    await page.waitForTimeout(1300);
    await shot(page, `10-run-progress-${scheme}`);
    await context.close();
  }
  {
    const { page, context } = await openApp(env, connected({ audit: { seed: 14, unknown: 2, brokenAt: 9 } }), o);
    await waitForRows(page, 1);
    await page.click("nav button:has-text('Audit trail')");
    await waitForView(page, "audit");
    await page.waitForSelector(".screen-audit tr.vt-row");
    await shot(page, `11-audit-${scheme}`);
    await page.click("nav button:has-text('Settings')");
    await waitForView(page, "settings");
    await shot(page, `12-settings-demo-${scheme}`);
    await context.close();
  }
  // The trail's verification states: intact with an earlier version's part, the end not
  // verifiable, the Re-seal question, intact with records sealed with a lost key; then copies of
  // the trail waiting for IT's collector.
  for (const { name, audit, witnesses } of [
    { name: "11a-audit-intact-legacy-part", audit: { seed: 6, unknown: 0, keyedFrom: 5 } },
    { name: "11b-audit-end-unverified", audit: { seed: 6, unknown: 0, endUnverified: true } },
    { name: "11e-audit-copies-waiting", audit: { seed: 6, unknown: 0 }, witnesses: COPIES_WAITING },
    { name: "11f-audit-intact-lost-key", audit: { seed: 6, unknown: 0, lostKey: [1, 4] } },
  ]) {
    const { page, context } = await openApp(env, connected({ audit, witnesses }), o);
    await waitForRows(page, 1);
    await page.click("nav button:has-text('Audit trail')");
    await waitForView(page, "audit");
    await page.waitForSelector(".screen-audit tr.vt-row");
    await page.click(".chain-help summary");
    await shot(page, `${name}-${scheme}`);
    if (audit.endUnverified) {
      await page.click(".chain-slot button:has-text('Re-seal the trail')");
      await page.waitForSelector("dialog.modal[open]");
      await shot(page, `11c-audit-reseal-dialog-${scheme}`);
      await page.click("dialog.modal button:has-text('Re-seal the trail')");
      await page.waitForFunction(() => document.querySelector(".chain-slot .callout-title")?.textContent === "Audit trail intact");
      await shot(page, `11d-audit-resealed-${scheme}`);
    }
    await context.close();
  }
  {
    const { page, context } = await openApp(
      env,
      {
        status: {
          savedAccount: { region: "eu", customerId: "contoso", clientId: "3f1c2a9e-client", secretStored: true },
        },
      },
      o,
    );
    await waitForView(page, "sessions");
    await waitForRows(page, 1);
    await page.click("nav button:has-text('Settings')");
    await shot(page, `13-settings-cloud-${scheme}`);
    await context.close();
  }
}
await env.close();
