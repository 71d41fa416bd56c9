// Every screen renders and the moves between them follow the officer flow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connected, mockCall, openApp, release, setup, view, waitForRows, waitForView } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

const SITES = [
  { id: "11111111-1111-4111-a111-111111111111", name: "Contoso Production" },
  { id: "22222222-2222-4222-a222-222222222222", name: "Contoso Disaster Recovery" },
];
const SAVED = { region: "eu", customerId: "contoso", clientId: "client-1", secretStored: true };

async function fillConnect(page, { region = "eu", customer = "contoso", client = "client-1", secret = "s3cret" } = {}) {
  await page.selectOption("select[name=region]", region);
  await page.fill("input[name=customerId]", customer);
  await page.fill("input[name=clientId]", client);
  await page.fill("input[name=secret]", secret);
}

test("welcome screen: purpose, both paths, labelled fields with hints", async () => {
  const { page, context, problems } = await openApp(env);
  assert.equal(await view(page), "connect");
  assert.equal(await page.textContent("h1"), "Welcome to Recording Desk");
  assert.match(await page.textContent(".lede"), /starts and stops Citrix Session Recording/);
  const regions = await page.$$eval("select[name=region] option", (o) => o.map((x) => x.textContent));
  assert.deepEqual(regions, ["United States", "European Union", "Asia Pacific South", "Japan"]);
  for (const name of ["region", "customerId", "clientId", "secret"]) {
    const info = await page.$eval(`[name=${name}]`, (el) => {
      const label = document.querySelector(`label[for="${el.id}"]`)?.textContent;
      const hint = (el.getAttribute("aria-describedby") ?? "")
        .split(" ")
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" ");
      return { label, hint };
    });
    assert.ok(info.label, `${name} has a label`);
    assert.ok(info.hint.length > 20, `${name} has a hint`);
  }
  assert.match(await page.textContent(".card-connect"), /Identity and Access Management > API Access/);
  assert.match(await page.textContent(".card-demo"), /Demo/);
  assert.equal(await page.$(".app-header .badge-demo"), null, "no demo badge before connecting");
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("secret is masked, can be shown, and accepts paste", async () => {
  const { page, context } = await openApp(env);
  const secret = page.locator("input[name=secret]");
  assert.equal(await secret.getAttribute("type"), "password");
  await secret.focus();
  await page.keyboard.insertText("pasted-secret-value");
  assert.equal(await secret.inputValue(), "pasted-secret-value");
  const toggle = page.locator("button[aria-label='Show secret']");
  await toggle.click();
  assert.equal(await secret.getAttribute("type"), "text");
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  await toggle.click();
  assert.equal(await secret.getAttribute("type"), "password");
  await context.close();
});

test("connect validates empty fields in plain words", async () => {
  const { page, context } = await openApp(env);
  await page.click("form.connect-form button[type=submit]");
  const errors = await page.$$eval(".field-error:not([hidden])", (e) => e.map((x) => x.textContent));
  assert.deepEqual(errors, ["Enter the customer ID.", "Enter the client ID.", "Enter the secret."]);
  assert.equal(await page.getAttribute("input[name=customerId]", "aria-invalid"), "true");
  assert.equal((await mockCall(page, "connect_cloud")).length, 0);
  await context.close();
});

test("connect shows progress, sends the trimmed details, then picks the only site", async () => {
  const { page, context } = await openApp(env, { held: ["connect_cloud"] });
  await fillConnect(page, { customer: "  contoso ", secret: " s3cret\n" });
  await page.click("form.connect-form button[type=submit]");
  await page.waitForSelector("text=Connecting to Citrix Cloud");
  assert.equal(await page.isDisabled("form.connect-form button[type=submit]"), true);
  await release(page, "connect_cloud");
  await waitForView(page, "sessions");
  const [args] = await mockCall(page, "connect_cloud");
  assert.deepEqual(args, {
    region: "eu",
    customerId: "contoso",
    clientId: "client-1",
    secret: "s3cret",
    // The name field follows the customer ID until the officer types a name.
    name: "Citrix Cloud (contoso)",
    profileId: null,
  });
  const [site] = await mockCall(page, "select_site");
  assert.ok(site.siteId, "the only site was chosen automatically");
  assert.equal(await page.$(".app-header .badge-demo"), null, "a cloud connection has no demo badge");
  assert.match(await page.textContent(".header-account"), /Contoso Production/);
  await context.close();
});

test("demo site: clearly labelled, with a persistent header badge", async () => {
  const { page, context } = await openApp(env);
  await page.click("text=Open the demo site");
  await waitForView(page, "sessions");
  await waitForRows(page);
  assert.equal(await page.textContent(".app-header .badge-demo"), "Demo site");
  await page.click("nav >> text=Audit trail");
  await waitForView(page, "audit");
  assert.equal(await page.textContent(".app-header .badge-demo"), "Demo site");
  await page.click("nav >> text=Settings");
  assert.equal(await page.textContent(".app-header .badge-demo"), "Demo site");
  await context.close();
});

test("saved account reconnects by itself with a visible state, using the stored secret", async () => {
  const { page, context } = await openApp(env, { status: { savedAccount: SAVED }, held: ["connect_cloud"] }, { waitFor: false });
  await page.waitForSelector("#connecting-title");
  assert.equal(await page.textContent("#connecting-title"), "Connecting to Citrix Cloud (contoso)\u2026");
  assert.ok(await page.isVisible("text=Use a different account"));
  await release(page, "connect_cloud");
  await waitForView(page, "sessions");
  const [args] = await mockCall(page, "connect_cloud");
  assert.equal(args.secret, null);
  assert.equal(args.customerId, "contoso");
  await context.close();
});

test("'Use a different account' during reconnect shows the form, prefilled, and ignores the late result", async () => {
  const { page, context } = await openApp(env, { status: { savedAccount: SAVED }, held: ["connect_cloud"] }, { waitFor: false });
  await page.waitForSelector("#connecting-title");
  await page.click("text=Use a different account");
  await waitForView(page, "connect");
  assert.equal(await page.inputValue("input[name=customerId]"), "contoso");
  assert.equal(await page.inputValue("select[name=region]"), "eu");
  assert.equal(await page.inputValue("input[name=secret]"), "");
  // The abandoned reconnect now succeeds: its late result must not take the officer anywhere.
  await release(page, "connect_cloud");
  await page.waitForTimeout(300);
  assert.equal(await view(page), "connect", "the abandoned attempt did not navigate");
  // The backend is told too, so the late reconnect is dropped there as well.
  assert.equal((await mockCall(page, "disconnect")).length, 1);
  await context.close();
});

test("a failed reconnect lands on the form with the reason and the account prefilled", async () => {
  const { page, context } = await openApp(env, {
    status: { savedAccount: SAVED },
    fail: { connect_cloud: [{ kind: "siteAsleep", message: "HTTP 530" }] },
  });
  await waitForView(page, "connect");
  assert.match(await page.textContent(".callout-error"), /waking up/);
  assert.match(await page.textContent(".callout-error"), /try again in a few minutes/);
  assert.equal(await page.inputValue("input[name=clientId]"), "client-1");
  assert.match(await page.getAttribute("input[name=secret]", "placeholder"), /Saved on this computer/);
  // Leaving the secret empty re-uses the stored one.
  await page.click("form.connect-form button[type=submit]");
  await waitForView(page, "sessions");
  const calls = await mockCall(page, "connect_cloud");
  assert.equal(calls.length, 2);
  assert.equal(calls.at(-1).secret, null);
  await context.close();
});

test("last time on the demo site: the app reopens it by itself", async () => {
  const { page, context } = await openApp(
    env,
    { status: { lastMode: "demo", savedAccount: SAVED }, held: ["connect_demo"] },
    { waitFor: false },
  );
  await page.waitForSelector("#connecting-title");
  assert.equal(await page.textContent("#connecting-title"), "Opening the demo site\u2026");
  await release(page, "connect_demo");
  await waitForView(page, "sessions");
  assert.equal((await mockCall(page, "connect_demo")).length, 1);
  assert.equal((await mockCall(page, "connect_cloud")).length, 0);
  assert.equal(await page.textContent(".app-header .badge-demo"), "Demo site");
  await context.close();
});

test("several sites: a picker; the choice is sent to select_site", async () => {
  const { page, context } = await openApp(env, { sites: SITES });
  await fillConnect(page);
  await page.click("form.connect-form button[type=submit]");
  await waitForView(page, "site");
  assert.equal(await page.textContent("h1"), "Choose a site");
  const names = await page.$$eval(".choice-text", (e) => e.map((x) => x.textContent));
  assert.deepEqual(names, ["Contoso Production", "Contoso Disaster Recovery"]);
  await page.check("input[value='22222222-2222-4222-a222-222222222222']");
  await page.click("text=Continue");
  await waitForView(page, "sessions");
  const [args] = await mockCall(page, "select_site");
  assert.equal(args.siteId, SITES[1].id);
  assert.match(await page.textContent(".header-site"), /Disaster Recovery/);
  await context.close();
});

test("sessions screen: search tab lists active sessions with every column", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page, 5);
  const heads = await page.$$eval("#panel-search thead th", (t) => t.map((x) => x.textContent));
  assert.deepEqual(heads, ["", "User", "Machine", "Delivery group", "State", "Protocol", "Started", "Recording"]);
  const [q] = await mockCall(page, "search_sessions");
  assert.deepEqual(q.query, { user: null, machine: null, deliveryGroup: null, state: "active" });
  // The first row's recording status, once Citrix was asked about the rows in view.
  await page.waitForSelector("#panel-search tr.vt-row .chip:not(.chip-checking)");
  const first = await page.$eval("#panel-search tr.vt-row", (tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim()));
  assert.match(first[1], /Jane Zhang\s+CONTOSO\\jzhang0/);
  assert.match(first[7], /^(Recording|Not recording|Unknown)$/);
  assert.match(await page.textContent("#panel-search .results-count"), /48 sessions found/);
  await context.close();
});

test("search filters, load more and refresh", async () => {
  const { page, context } = await openApp(env, connected({ pageSize: 20 }));
  await waitForRows(page, 5);
  assert.match(await page.textContent("#panel-search .results-count"), /Showing 20 of 48 sessions/);
  await page.click("#panel-search .results-foot button");
  await page.waitForFunction(() => document.querySelector("#panel-search table").getAttribute("aria-rowcount") === "41");
  const calls = await mockCall(page, "search_sessions");
  assert.equal(calls.at(-1).continuation, "page:20");
  await page.fill("input[name=user]", "priya");
  await page.selectOption("select[name=state]", "any");
  await page.click("#panel-search button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#panel-search .results-count").textContent.includes("found"));
  const q = (await mockCall(page, "search_sessions")).at(-1).query;
  assert.deepEqual(q, { user: "priya", machine: null, deliveryGroup: null, state: "any" });
  await page.click("#panel-search button:has-text('Refresh')");
  assert.deepEqual((await mockCall(page, "search_sessions")).at(-1).query, q);
  await page.fill("input[name=user]", "nobody-like-this");
  await page.click("#panel-search button[type=submit]");
  await page.waitForSelector("#panel-search .vt-empty:not([hidden])");
  assert.match(await page.textContent("#panel-search .vt-empty"), /No sessions match/);
  await context.close();
});

test("notices from app_status show as a dismissible banner", async () => {
  const notice = "The settings file was damaged and was kept aside as settings.json.bak.";
  const { page, context } = await openApp(env, connected({ status: { notices: [notice] } }));
  assert.equal(await page.textContent(".notices .callout-text"), notice);
  await page.click("button[aria-label='Dismiss this notice']");
  assert.equal(await page.isHidden(".notices"), true);
  await context.close();
});

test("settings: preferences saved; invalid concurrency explained", async () => {
  const { page, context } = await openApp(env, connected());
  await page.click("nav >> text=Settings");
  await waitForView(page, "settings");
  await page.fill("input[type=number]", "0");
  await page.click("text=Save settings");
  assert.match(await page.textContent(".field-error:not([hidden])"), /whole number from 1 to 64/);
  await page.fill("input[type=number]", "24");
  await page.uncheck("text=Notify users by default");
  await page.click("text=Save settings");
  await page.waitForSelector("text=Settings saved");
  const [args] = await mockCall(page, "update_settings");
  assert.deepEqual(args.settings, {
    concurrency: 24,
    notifyUserDefault: false,
    requireReason: false,
    requireCase: false,
    recentReasons: [],
    recentCases: [],
    notifyUser: "ask",
    demoSiteOffered: true,
    managedAccount: { region: null, customerId: null, clientId: null },
    locked: [],
    checkForUpdates: true,
  });
  await context.close();
});

test("settings: notify default drives the Notify the user box", async () => {
  const { page, context } = await openApp(env, connected({ settings: { concurrency: 8, notifyUserDefault: false } }));
  await waitForRows(page);
  assert.equal(await page.isChecked(".actions-notify input"), false);
  await context.close();
});

test("settings: sign out asks first, then forgets the credentials", async () => {
  const { page, context } = await openApp(env, { status: { savedAccount: SAVED } });
  await waitForView(page, "sessions");
  await page.click("nav >> text=Settings");
  assert.match(await page.textContent(".screen-settings"), /Kept in this computer's password store/);
  await page.click("text=Sign out and forget the secret");
  await page.waitForSelector("dialog.modal[open]");
  await page.click("dialog.modal >> text=Cancel");
  assert.equal((await mockCall(page, "forget_credentials")).length, 0);
  await page.click("text=Sign out and forget the secret");
  await page.click("dialog.modal button:has-text('Sign out')");
  await waitForView(page, "connect");
  assert.equal((await mockCall(page, "forget_credentials")).length, 1);
  assert.equal(await page.inputValue("input[name=customerId]"), "", "the form is empty after signing out");
  await context.close();
});

test("settings: change account disconnects and keeps the saved details", async () => {
  const { page, context } = await openApp(env, { status: { savedAccount: SAVED } });
  await waitForView(page, "sessions");
  await page.click("nav >> text=Settings");
  await page.click("text=Change account");
  await waitForView(page, "connect");
  assert.equal((await mockCall(page, "disconnect")).length, 1);
  assert.equal(await page.inputValue("input[name=customerId]"), "contoso");
  await context.close();
});

test("losing the connection sends the officer back to Connect with the reason", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page);
  await page.evaluate(() => window.__mock.failNext("search_sessions", { kind: "tokenRejected", message: "401" }));
  await page.click("#panel-search button[type=submit]");
  await waitForView(page, "connect");
  assert.match(await page.textContent(".callout-error"), /stopped accepting/);
  await context.close();
});

const CLOUD_CONN = {
  mode: "cloud",
  region: "eu",
  customerId: "contoso",
  customerName: "Contoso Ltd",
  userDisplayName: "Compliance Officer",
  sites: SITES,
  siteId: SITES[0].id,
};

test("the demo site is one click away from a Citrix Cloud connection, after a confirmation", async () => {
  const { page, context } = await openApp(env, { status: { connection: CLOUD_CONN, savedAccount: SAVED } });
  await waitForRows(page);
  assert.equal(await page.$(".app-header .badge-demo"), null);
  await page.click(".app-header button:has-text('Try the demo site')");
  await page.waitForSelector("dialog.modal[open]");
  assert.match(await page.textContent("dialog.modal"), /made-up sessions/);
  await page.click("dialog.modal >> text=Cancel");
  assert.equal((await mockCall(page, "connect_demo")).length, 0);
  await page.click(".app-header button:has-text('Try the demo site')");
  await page.click("dialog.modal button:has-text('Open the demo site')");
  await page.waitForSelector(".app-header .badge-demo");
  await waitForView(page, "sessions");
  assert.equal((await mockCall(page, "connect_demo")).length, 1);
  // On the demo site the link gives way to the badge.
  assert.equal(await page.$(".app-header button:has-text('Try the demo site')"), null);
  await context.close();
});

test("mid-run, nothing throws the run panel away: site change, sign-out, demo link, lost connection", async () => {
  const { page, context } = await openApp(env, { status: { connection: CLOUD_CONN, savedAccount: SAVED }, held: ["run_answer"] });
  await waitForRows(page, 3);
  await page.click('#panel-search tr.vt-row[data-index="1"] input.row-check');
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
  await page.waitForSelector(".run-item.phase-requested, .run-item.phase-waiting");

  await page.click(".app-header button:has-text('Try the demo site')");
  await page.waitForSelector(".header-alerts .callout-warning");
  assert.match(await page.textContent(".header-alerts"), /still running/);
  assert.equal((await mockCall(page, "connect_demo")).length, 0);

  await page.click("nav >> text=Settings");
  await page.click("text=Choose another site");
  assert.match(await page.textContent(".screen-settings"), /still running/);
  assert.equal(await view(page), "settings");
  await page.click("text=Sign out and forget the secret");
  assert.equal(await page.$("dialog.modal[open]"), null);
  assert.equal((await mockCall(page, "forget_credentials")).length, 0);

  await page.click("nav >> text=Sessions");
  await page.evaluate(() => window.__mock.failNext("search_sessions", { kind: "tokenRejected", message: "401" }));
  await page.click("#panel-search button[type=submit]");
  await page.waitForSelector('#panel-search .callout-error[data-kind="tokenRejected"]');
  assert.equal(await view(page), "sessions", "the run panel stays");
  await release(page, "run_answer");
  await page.waitForSelector(".run-panel .run-footer:not(:empty)");
  assert.match(await page.textContent(".run-list .run-item .run-status"), /Recording/);
  await context.close();
});
