// Several Citrix accounts: the header shows the current one and switches between them; accounts
// are added from the sign-in form (with a name), renamed and removed (after a confirmation) in
// "Manage accounts"; nothing switches during a run.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { axe, mockCall, openApp, release, setup, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const SITE = { id: "11111111-1111-4111-a111-111111111111", name: "Contoso Production" };
const ACME = { id: "p-acme", name: "Acme EU", region: "eu", customerId: "acme1234", clientId: "client-1", secretStored: true };
const GLOBEX = { id: "p-globex", name: "Globex US", region: "us", customerId: "globex77", clientId: "client-2", secretStored: true };
const INITECH = { id: "p-initech", name: "Initech", region: "jp", customerId: "initech", clientId: "client-3", secretStored: false };

/** Connected to Acme EU, with Globex US and Initech (its secret not stored) saved too. */
async function open(extra = {}) {
  const o = await openApp(env, {
    sites: [SITE],
    profiles: [ACME, GLOBEX, INITECH],
    currentProfile: ACME.id,
    status: {
      connection: {
        mode: "cloud",
        region: "eu",
        customerId: ACME.customerId,
        customerName: "Acme",
        userDisplayName: "Officer",
        sites: [SITE],
        siteId: SITE.id,
        profileId: ACME.id,
        profile: ACME.name,
      },
    },
    ...extra,
  });
  await waitForView(o.page, "sessions");
  return o;
}

const switcher = "#account-switcher";
const switcherName = (page) => page.textContent(`${switcher} .account-switcher-name`);
const menuItems = (page) =>
  page.$$eval(".account-menu [role^=menuitem]", (items) =>
    items.map((i) => ({
      role: i.getAttribute("role"),
      checked: i.getAttribute("aria-checked"),
      text: i.textContent.replace(/\s+/g, " ").trim(),
    })),
  );

test("the header names the current account; its menu lists every account and is keyboard operable", async () => {
  const { page, context, problems } = await open();
  assert.equal(await switcherName(page), "Acme EU");
  assert.equal(await page.getAttribute(switcher, "aria-expanded"), "false");

  await page.focus(switcher);
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.getAttribute(switcher, "aria-expanded"), "true");
  assert.deepEqual(await menuItems(page), [
    { role: "menuitemradio", checked: "true", text: "\u2713Acme EUEuropean Union \u00b7 customer acme1234" },
    { role: "menuitemradio", checked: "false", text: "Globex USUnited States \u00b7 customer globex77" },
    { role: "menuitemradio", checked: "false", text: "InitechJapan \u00b7 customer initech" },
    { role: "menuitemradio", checked: "false", text: "Demo siteMade-up sessions, nothing real is recorded" },
    { role: "menuitem", checked: null, text: "Add a Citrix account\u2026" },
    { role: "menuitem", checked: null, text: "Manage accounts\u2026" },
  ]);
  // Focus starts on the current account; arrows move, End goes to the last item.
  assert.equal(await page.evaluate(() => document.activeElement.textContent.includes("Acme EU")), true);
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.includes("Globex US")), true);
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Manage accounts\u2026");
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: "tests/artifacts/profiles-menu.png" });

  await page.keyboard.press("Escape");
  assert.equal(await page.isHidden(".account-menu"), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), "account-switcher");
  await page.screenshot({ path: "tests/artifacts/profiles-header.png", clip: { x: 0, y: 0, width: 1200, height: 90 } });
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("choosing another account switches to it without asking for its secret", async () => {
  const { page, context } = await open();
  await page.click(switcher);
  await page.click(".account-menu >> text=Globex US");
  await page.waitForFunction(() => document.querySelector("#account-switcher .account-switcher-name")?.textContent === "Globex US");
  await waitForView(page, "sessions");
  assert.deepEqual(await mockCall(page, "switch_profile"), [{ profileId: GLOBEX.id }]);
  assert.equal((await mockCall(page, "connect_cloud")).length, 0, "no sign-in form, no secret asked");

  // The demo site is one of the accounts.
  await page.click(switcher);
  await page.click(".account-menu >> text=Demo site");
  await waitForRows(page);
  assert.equal(await switcherName(page), "Demo site");
  assert.equal(await page.textContent(".app-header .badge-demo"), "Demo site");
  await context.close();
});

test("an account whose secret is not stored opens its sign-in form, with its name", async () => {
  const { page, context } = await open();
  await page.click(switcher);
  await page.click(".account-menu >> text=Initech");
  await waitForView(page, "connect");
  assert.equal(await switcherName(page), "Initech", "the chosen account is current");
  assert.equal(await page.inputValue("input[name=customerId]"), "initech");
  assert.equal(await page.inputValue("input[name=profileName]"), "Initech");
  await page.fill("input[name=secret]", "s3cret");
  await page.click("form.connect-form button[type=submit]");
  await waitForView(page, "sessions");
  const [args] = await mockCall(page, "connect_cloud");
  assert.equal(args.profileId, INITECH.id, "the saved account, not a new one");
  assert.equal(args.name, "Initech");
  await context.close();
});

test("adding an account: a name pre-filled from the customer ID, a taken name refused under the field", async () => {
  const { page, context } = await open();
  await page.click(switcher);
  await page.click(".account-menu >> text=Add a Citrix account\u2026");
  await waitForView(page, "connect");
  assert.equal(await page.textContent("#connect-cloud-title"), "Add a Citrix account");
  assert.equal(await page.inputValue("input[name=customerId]"), "");
  // Changing one's mind: the current account, chosen again, is where the officer was.
  await page.click(switcher);
  await page.click(".account-menu >> text=Acme EU");
  await waitForView(page, "sessions");
  assert.equal((await mockCall(page, "switch_profile")).length, 0, "still connected: nothing to switch");
  await page.click(switcher);
  await page.click(".account-menu >> text=Add a Citrix account\u2026");
  await waitForView(page, "connect");
  await page.fill("input[name=customerId]", "hooli42");
  assert.equal(await page.inputValue("input[name=profileName]"), "Citrix Cloud (hooli42)");
  await page.fill("input[name=clientId]", "client-9");
  await page.fill("input[name=secret]", "s3cret");
  await page.fill("input[name=profileName]", "globex us");
  await page.click("form.connect-form button[type=submit]");
  await page.waitForSelector("text=Another Citrix account is already named");
  const error = await page.$eval("input[name=profileName]", (el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" "),
  );
  assert.match(error, /already named "globex us"\. Choose another name\./);

  await page.fill("input[name=profileName]", "Hooli");
  await page.click("form.connect-form button[type=submit]");
  await waitForView(page, "sessions");
  assert.equal(await switcherName(page), "Hooli");
  const calls = await mockCall(page, "connect_cloud");
  assert.deepEqual(calls.at(-1), {
    region: "us",
    customerId: "hooli42",
    clientId: "client-9",
    secret: "s3cret",
    name: "Hooli",
    profileId: null,
  });
  await page.click(switcher);
  assert.equal((await menuItems(page)).length, 7, "five accounts, add, manage");
  await context.close();
});

test("manage accounts: rename in place, remove only after a confirmation", async () => {
  const { page, context, problems } = await open();
  await page.click(switcher);
  await page.click(".account-menu >> text=Manage accounts\u2026");
  await page.waitForSelector("dialog.modal .manage-list");
  const names = () => page.$$eval("dialog.modal .manage-name", (n) => n.map((x) => x.textContent));
  assert.deepEqual(await names(), ["Acme EUCurrent", "Globex US", "Initech", "Demo site"]);
  assert.match(await page.textContent("dialog.modal"), /The audit trail keeps every record/);
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: "tests/artifacts/profiles-manage.png" });

  // Rename: a taken name is refused under the field; a free one is saved, the header follows.
  await page.click("button[aria-label='Rename Acme EU']");
  await page.fill(".manage-rename input", "Initech");
  await page.click(".manage-rename button:has-text('Save')");
  await page.waitForSelector(".manage-rename .field-error:not([hidden])");
  assert.match(await page.textContent(".manage-rename .field-error"), /already named "Initech"/);
  await page.fill(".manage-rename input", "Acme Europe");
  await page.click(".manage-rename button:has-text('Save')");
  await page.waitForFunction(() => document.querySelector("dialog.modal .manage-name")?.textContent.startsWith("Acme Europe"));
  assert.equal(await switcherName(page), "Acme Europe");

  // Remove: Cancel keeps it; confirming removes it and its secret, and says so.
  await page.click("button[aria-label='Remove Globex US']");
  const confirm = page.locator("dialog.modal:has-text('Remove \u201cGlobex US\u201d?')");
  assert.match(await confirm.textContent(), /delete its secret from this computer's password store.*audit trail keeps every record/);
  await confirm.locator("button:has-text('Cancel')").click();
  assert.deepEqual(await mockCall(page, "remove_profile"), []);
  await page.click("button[aria-label='Remove Globex US']");
  await confirm.locator("button:has-text('Remove')").click();
  await page.waitForSelector("text=\u201cGlobex US\u201d was removed from this computer.");
  assert.deepEqual(await mockCall(page, "remove_profile"), [{ profileId: GLOBEX.id }]);
  assert.deepEqual(await names(), ["Acme EuropeCurrent", "Initech", "Demo site"]);
  assert.equal(await page.$("button[aria-label='Remove Demo site']"), null, "the demo site is built in");
  await page.click("dialog.modal button:has-text('Close')");
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("no switching while a recording run is in progress", async () => {
  const { page, context } = await open({ held: ["run_answer"] });
  await waitForRows(page, 3);
  await page.click('#panel-search tr.vt-row[data-index="0"] input.row-check');
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-item.phase-requested");
  await page.click(switcher);
  await page.click(".account-menu >> text=Globex US");
  await page.waitForSelector("text=Wait for it to finish, or cancel it, before switching to another account.");
  assert.deepEqual(await mockCall(page, "switch_profile"), []);
  assert.equal(await switcherName(page), "Acme EU");
  await release(page, "run_answer");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  await context.close();
});
