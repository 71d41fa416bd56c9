// Every error kind of the contract has copy for a compliance officer, and the app shows it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connected, loadTs, openApp, repoRoot, setup, waitForRows, waitForView } from "./helpers.mjs";

// Every kind the backend can send, as generated from the Rust side (ui/src/bindings/ErrorKind.ts).
const GENERATED_KINDS = [
  ...(await readFile(join(repoRoot, "ui/src/bindings/ErrorKind.ts"), "utf8")).split("export type ErrorKind =")[1].matchAll(/"(\w+)"/g),
].map((m) => m[1]);

// The contract's kinds: the Citrix client's, then the app's (all must be in the generated list).
const CONTRACT_KINDS = [
  "badCredentials",
  "tokenRejected",
  "forbidden",
  "wrongRegion",
  "notFound",
  "cannotRecord",
  "rateLimited",
  "siteAsleep",
  "serviceUnavailable",
  "timeout",
  "network",
  "badRequest",
  "unexpected",
  "invalidSessionId",
  "hostNotAllowed",
  "keychainUnavailable",
  "keychainLocked",
  "noSecretStored",
  "notConnected",
  "noSiteSelected",
  "auditUnavailable",
  "fileWrite",
  "invalidInput",
  "busy",
  "demoUnavailable",
  "superseded",
];

const { ERROR_COPY, describeError, messageIsAdvice } = await loadTs("ui/src/errors.ts");
const { normaliseError } = await loadTs("ui/src/ipc.ts");

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

test("the table covers exactly the kinds the backend can send, each with a title and advice", () => {
  for (const kind of CONTRACT_KINDS) assert.ok(GENERATED_KINDS.includes(kind), `${kind} is generated from Rust`);
  assert.deepEqual(Object.keys(ERROR_COPY).sort(), [...GENERATED_KINDS].sort());
  for (const kind of GENERATED_KINDS) {
    const c = ERROR_COPY[kind];
    assert.ok(c.title.length > 10 && c.advice.length > 20, kind);
    // Officers never see HTTP statuses, token talk or PowerShell.
    assert.doesNotMatch(`${c.title} ${c.advice}`, /\b[45]\d\d\b|token|powershell|http|guid/i, kind);
  }
});

test("unknown kinds get a generic but honest message", () => {
  const c = describeError("somethingNew");
  assert.match(c.title, /went wrong/);
  assert.match(c.advice, /does not recognise/);
  assert.deepEqual(describeError(null), c);
});

test("ipc normalises whatever is thrown to {kind, message}", () => {
  assert.equal(normaliseError({ kind: "network", message: "refused" }).kind, "network");
  assert.equal(normaliseError({ kind: "network", message: "refused" }).message, "refused");
  assert.equal(normaliseError("boom").kind, "unexpected");
  assert.equal(normaliseError("boom").message, "boom");
  assert.equal(normaliseError(new Error("x")).kind, "unexpected");
  assert.equal(normaliseError(undefined).kind, "unexpected");
  assert.equal(normaliseError({ kind: "", message: "m" }).kind, "unexpected");
});

test("every kind renders its title and advice on the Connect screen", async () => {
  const { page, context, problems } = await openApp(env);
  await page.fill("input[name=customerId]", "contoso");
  await page.fill("input[name=clientId]", "client-1");
  await page.fill("input[name=secret]", "s3cret");
  // invalidInput and setByOrganisation show their own message instead (next test).
  for (const kind of [...GENERATED_KINDS.filter((k) => !messageIsAdvice(k)), "someFutureKind"]) {
    await page.evaluate((k) => window.__mock.failNext("connect_cloud", { kind: k, message: `HTTP 418 detail for ${k}` }), kind);
    await page.click("form.connect-form button[type=submit]");
    await page.waitForSelector(`.callout-error[data-kind="${kind}"]`);
    const want = describeError(kind);
    assert.equal(await page.textContent(".callout-error .callout-title"), want.title, kind);
    assert.equal(await page.textContent(".callout-error .callout-text"), want.advice, kind);
    // The raw message is only inside the folded "Details for your IT team".
    const visible = await page.$eval(".callout-error", (el) => {
      const clone = el.cloneNode(true);
      clone.querySelector("details")?.remove();
      return clone.textContent;
    });
    assert.doesNotMatch(visible, /418/, kind);
    assert.match(await page.textContent(".callout-error details"), /Details for your IT team/);
  }
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("invalidInput: Recording Desk's own message is the advice, under the field it is about", async () => {
  const { page, context } = await openApp(env);
  await page.fill("input[name=customerId]", "contoso");
  await page.fill("input[name=clientId]", "my api client");
  await page.fill("input[name=secret]", "s3cret");
  const message =
    "The client ID should look like 3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1 (the ID of the API client, not its name). Copy it again from Citrix Cloud.";
  // The field travels as data: the message is shown under it, whatever its words.
  await page.evaluate((m) => window.__mock.failNext("connect_cloud", { kind: "invalidInput", message: m, field: "clientId" }), message);
  await page.click("form.connect-form button[type=submit]");
  await page.waitForSelector("input[name=clientId][aria-invalid=true]");
  const errId = (await page.getAttribute("input[name=clientId]", "aria-describedby")).split(" ")[1];
  assert.equal(await page.textContent(`#${errId}`), message);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "clientId");

  // Not about a field (e.g. an audit date): shown as the advice of the callout, not folded away.
  await page.evaluate(() =>
    window.__mock.failNext("connect_cloud", { kind: "invalidInput", message: "That region is not one Recording Desk knows." }),
  );
  await page.fill("input[name=clientId]", "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1");
  await page.click("form.connect-form button[type=submit]");
  await page.waitForSelector('.callout-error[data-kind="invalidInput"]');
  assert.equal(await page.textContent(".callout-error .callout-title"), ERROR_COPY.invalidInput.title);
  assert.equal(await page.textContent(".callout-error .callout-text"), "That region is not one Recording Desk knows.");
  assert.equal(await page.$(".callout-error details"), null);

  // A refusal because of the organisation's settings says which and what to do, under its title.
  const refused =
    "Your organisation has set the Citrix Cloud account Recording Desk connects to, and this customer ID is not the one it set.";
  await page.evaluate((m) => window.__mock.failNext("connect_cloud", { kind: "setByOrganisation", message: m }), refused);
  await page.click("form.connect-form button[type=submit]");
  await page.waitForSelector('.callout-error[data-kind="setByOrganisation"]');
  assert.equal(await page.textContent(".callout-error .callout-title"), "Set by your organisation");
  assert.equal(await page.textContent(".callout-error .callout-text"), refused);
  await context.close();
});

test("a non-object error from the bridge shows as 'unexpected'", async () => {
  const { page, context } = await openApp(env);
  await page.evaluate(() => window.__mock.failNext("connect_demo", "the bridge broke"));
  await page.click("text=Open the demo site");
  await page.waitForSelector('.callout-error[data-kind="unexpected"]');
  assert.equal(await page.textContent(".callout-error .callout-title"), ERROR_COPY.unexpected.title);
  await context.close();
});

test("errors elsewhere use the same table: search, lookup, detail, run, audit, settings", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page);
  const expectKind = async (kind) => {
    await page.waitForSelector(`.callout-error[data-kind="${kind}"]`);
    assert.equal(await page.textContent(`.callout-error[data-kind="${kind}"] .callout-title`), ERROR_COPY[kind].title);
  };
  // search, with a Try again that works
  await page.evaluate(() => window.__mock.failNext("search_sessions", { kind: "rateLimited", message: "429" }));
  await page.click("#panel-search button[type=submit]");
  await expectKind("rateLimited");
  await page.click("#panel-search .callout-error button:has-text('Try again')");
  await page.waitForSelector("#panel-search .callout-error", { state: "detached" });
  // lookup
  await page.click("#tab-paste");
  await page.fill("#panel-paste textarea", "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
  await page.evaluate(() => window.__mock.failNext("lookup_sessions", { kind: "serviceUnavailable", message: "503" }));
  await page.click("text=Look up 1 session");
  await expectKind("serviceUnavailable");
  // detail
  await page.click("#tab-search");
  await page.evaluate(() => window.__mock.failNext("get_session", { kind: "network", message: "refused" }));
  await page.click("#panel-search tr.vt-row >> nth=0 >> button.link");
  await expectKind("network");
  await page.keyboard.press("Escape");
  // run
  await page.click("#panel-search tr.vt-row >> nth=0 >> input.row-check");
  await page.evaluate(() => window.__mock.failNext("run_recording", { kind: "busy", message: "a run is going" }));
  await page.click("button:has-text('Start recording')");
  await page.click("dialog.modal button:has-text('Start recording')");
  await expectKind("busy");
  // audit
  await page.evaluate(() => window.__mock.failNext("audit_view", { kind: "auditUnavailable", message: "disk full" }));
  await page.click("nav >> text=Audit trail");
  await expectKind("auditUnavailable");
  // settings
  await page.click("nav >> text=Settings");
  await page.evaluate(() => window.__mock.failNext("update_settings", { kind: "fileWrite", message: "EACCES" }));
  await page.click("text=Save settings");
  await expectKind("fileWrite");
  await context.close();
});

test("notConnected anywhere returns to Connect", async () => {
  const { page, context } = await openApp(env, connected());
  await waitForRows(page);
  await page.evaluate(() => window.__mock.failNext("lookup_sessions", { kind: "notConnected", message: "no client" }));
  await page.click("#tab-paste");
  await page.fill("#panel-paste textarea", "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
  await page.click("text=Look up 1 session");
  await waitForView(page, "connect");
  assert.equal(await page.textContent(".callout-error .callout-title"), ERROR_COPY.notConnected.title);
  await context.close();
});
