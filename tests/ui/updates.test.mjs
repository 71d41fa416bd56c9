// New versions: the About box (from Settings and from the app menu's About item) says which
// version is installed and whether it is the newest, with the one next step that fits; a new
// version found at start-up is announced in a notice that can be dismissed; the Settings checkbox
// saves, and is fixed when the organisation set it.
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

const ABOUT = "dialog.modal-about[open]";

/** A status as the backend sends it. */
const status = (state, extra = {}, message = `state ${state}`) => ({
  installed: "0.1.0",
  state,
  message,
  lastChecked: null,
  canCheck: !["notSetUp", "turnedOff", "checking", "downloading", "readyToRestart"].includes(state),
  ...extra,
});

async function openSettings(page) {
  await page.click("nav button:has-text('Settings')");
  await waitForView(page, "settings");
}

test("the About box from Settings: current, then a new version installed and the restart offered", async () => {
  const { page, context, problems } = await openApp(
    env,
    connected({
      updates: {
        status: status("notChecked", {}, "You have version 0.1.0. Recording Desk has not looked for a newer version yet."),
        checks: [status("available", { version: "0.2.0", notes: "Faster search." }, "Version 0.2.0 is available; you have version 0.1.0.")],
        install: status("readyToRestart", { version: "0.2.0" }, "Version 0.2.0 is installed. Restart Recording Desk to start using it."),
      },
    }),
  );
  await waitForRows(page, 1);
  await openSettings(page);
  await page.click("main button[data-action=about]");
  await page.waitForSelector(ABOUT);
  assert.match(await page.textContent(`${ABOUT} .about-version`), /Installed version 0\.1\.0/);
  assert.match(await page.textContent(`${ABOUT} .about-message`), /has not looked for a newer version yet/);
  assert.deepEqual(await axe(page, ABOUT), []);

  await page.click(`${ABOUT} button[data-action=check]`);
  await page.waitForSelector(`${ABOUT} [data-state=available]`);
  assert.match(await page.textContent(`${ABOUT} .about-message`), /Version 0\.2\.0 is available/);
  assert.match(await page.textContent(`${ABOUT} .about-notes`), /Faster search\./);
  assert.equal(await page.textContent(`${ABOUT} button[data-action=install]`), "Install version 0.2.0");
  // The Install button keeps the focus the Check button had.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.action), "install");

  await page.click(`${ABOUT} button[data-action=install]`);
  await page.waitForSelector(`${ABOUT} [data-state=readyToRestart]`);
  await page.click(`${ABOUT} button[data-action=restart]`);
  await page.waitForFunction(() => window.__mock.callsOf("update_restart").length === 1);
  assert.equal((await mockCall(page, "update_install")).length, 1);

  // Escape closes it, and focus goes back to the link.
  await page.keyboard.press("Escape");
  await page.waitForSelector(ABOUT, { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.action), "about");
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("a new version found at start-up is announced once, and the menu's About item opens the box", async () => {
  const { page, context, problems } = await openApp(env, connected({ updates: { status: status("checking") } }));
  await waitForRows(page, 1);
  assert.equal(await page.locator(".notice-update").count(), 0, "nothing to say while looking");

  // The look at start-up ends after the window opened: the backend's event brings the news.
  await page.evaluate(
    (s) => window.__mock.pushUpdate(s),
    status("available", { version: "0.2.0", notes: null }, "Version 0.2.0 is available."),
  );
  await page.waitForSelector(".notice-update");
  assert.match(await page.textContent(".notice-update"), /Version 0\.2\.0 of Recording Desk is available\. You have version 0\.1\.0\./);
  assert.deepEqual(await axe(page, ".notices"), []);

  await page.click(".notice-update button:has-text('See what to do')");
  await page.waitForSelector(`${ABOUT} [data-state=available]`);
  await page.click(`${ABOUT} .modal-actions button:has-text('Close')`);
  await page.waitForSelector(ABOUT, { state: "detached" });

  await page.click(".notice-update button:has-text('Dismiss')");
  await page.waitForSelector(".notice-update", { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus goes to the screen");

  // The app menu's About item.
  await page.evaluate(() => window.__mock.menuAbout());
  await page.waitForSelector(ABOUT);
  assert.match(await page.textContent(`${ABOUT} .about-message`), /Version 0\.2\.0 is available/);
  // A status that arrives while the box is open is shown in it.
  await page.evaluate(
    (s) => window.__mock.pushUpdate(s),
    status("downloading", { version: "0.2.0", percent: 40 }, "Downloading version 0.2.0\u2026"),
  );
  await page.waitForSelector(`${ABOUT} progress[value="40"]`);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("could not check: the reason in plain words and Check again; a refused download is not offered again", async () => {
  const unreachable = status(
    "couldNotCheck",
    { reason: "unreachable" },
    "You have version 0.1.0. Recording Desk could not find out whether a newer version exists: it could not reach the place new versions come from.",
  );
  const { page, context, problems } = await openApp(
    env,
    connected({
      updates: {
        status: unreachable,
        checks: [status("available", { version: "0.2.0", notes: null })],
        install: status(
          "refused",
          { version: "0.2.0" },
          "Version 0.2.0 was not installed: its download could not be proven to come from the makers of Recording Desk.",
        ),
      },
    }),
  );
  await waitForRows(page, 1);
  await openSettings(page);
  await page.click("main button[data-action=about]");
  await page.waitForSelector(`${ABOUT} [data-state=couldNotCheck]`);
  assert.match(await page.textContent(`${ABOUT} .about-message`), /could not reach/);
  assert.doesNotMatch(await page.textContent(ABOUT), /HTTP|status code|error/i);
  await page.click(`${ABOUT} button:has-text('Check again')`);
  await page.waitForSelector(`${ABOUT} [data-state=available]`);
  await page.click(`${ABOUT} button[data-action=install]`);
  await page.waitForSelector(`${ABOUT} [data-state=refused]`);
  assert.match(await page.textContent(`${ABOUT} .about-message`), /was not installed/);
  assert.equal(await page.locator(`${ABOUT} button[data-action=install]`).count(), 0, "never offered again");
  assert.deepEqual(await axe(page, ABOUT), []);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("Settings: the start-up check saves at once; set by the organisation it is fixed and the box says so", async () => {
  let { page, context, problems } = await openApp(env, connected());
  await waitForRows(page, 1);
  await openSettings(page);
  const box = "label:has-text('Check for new versions when Recording Desk starts') input";
  assert.equal(await page.isChecked(box), true);
  await page.uncheck(box);
  await page.waitForSelector(".save-status .callout-success");
  const [saved] = await mockCall(page, "update_settings");
  assert.equal(saved.settings.checkForUpdates, false);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();

  ({ page, context, problems } = await openApp(
    env,
    connected({
      settings: { checkForUpdates: false, locked: ["checkForUpdates"] },
      updates: {
        status: status("turnedOff", {}, "You have version 0.1.0. Your organisation installs new versions of Recording Desk for you."),
      },
    }),
  ));
  await waitForRows(page, 1);
  await openSettings(page);
  assert.equal(await page.isDisabled(box), true);
  assert.equal(await page.isChecked(box), false);
  const row = page.locator(".managed-row", { hasText: "Check for new versions" });
  assert.match(await row.textContent(), /Set by your organisation/);
  await page.click("main button[data-action=about]");
  await page.waitForSelector(`${ABOUT} [data-state=turnedOff]`);
  assert.match(await page.textContent(ABOUT), /Your organisation installs new versions/);
  assert.match(await page.textContent(ABOUT), /Set by your organisation/);
  assert.equal(await page.locator(`${ABOUT} .about-actions button`).count(), 0, "nothing to check");
  assert.equal((await mockCall(page, "update_check")).length, 0);
  assert.deepEqual(await axe(page, ABOUT), []);
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});
