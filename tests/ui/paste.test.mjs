// The Paste IDs tab: live feedback on the shared corpus, and lookups with per-ID errors.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connected, mockCall, release, openApp, repoRoot, setup, waitForRows } from "./helpers.mjs";

const corpus = JSON.parse(readFileSync(join(repoRoot, "tests/fixtures/session-ids.json"), "utf8"));

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.close();
});

async function openPaste(config = {}) {
  const opened = await openApp(env, connected(config));
  await waitForRows(opened.page);
  await opened.page.click("#tab-paste");
  return opened;
}

async function paste(page, text) {
  // As a paste does: the whole text arrives at once, with one input event.
  const before = await page.evaluate((t) => {
    const ta = document.querySelector("#panel-paste textarea");
    ta.value = t;
    ta.dispatchEvent(new Event("input", { bubbles: true }));
    return Number(document.querySelector("#panel-paste .paste-summary").dataset.parses);
  }, text);
  await page.waitForFunction((n) => Number(document.querySelector("#panel-paste .paste-summary").dataset.parses) > n, before);
}

test("the paste box reports every corpus case as the parsers agree", async () => {
  const { page, context, problems } = await openPaste();
  for (const c of corpus) {
    await paste(page, c.input);
    const summary = await page.textContent("#panel-paste .paste-summary");
    const n = c.valid.length;
    if (c.input.trim() === "") {
      assert.equal(summary, "No session IDs yet.", c.name);
      continue;
    }
    assert.ok(summary.startsWith(`${n} valid session ID${n === 1 ? "" : "s"}`), `${c.name}: ${summary}`);
    if (c.duplicates) assert.match(summary, new RegExp(`${c.duplicates} duplicates? removed`), c.name);
    else assert.doesNotMatch(summary, /duplicate/, c.name);
    if (c.rejected.length) assert.match(summary, new RegExp(`${c.rejected.length} pieces? not recognised`), c.name);
    const items = await page.$$eval("#panel-paste .rejected-list li", (li) =>
      li.map((x) => ({ piece: x.querySelector("code").textContent, text: x.textContent })),
    );
    assert.equal(items.length, Math.min(50, c.rejected.length), c.name);
    c.rejected.slice(0, 50).forEach((want, i) => {
      assert.equal(items[i].piece, want.piece, `${c.name} [${i}]`);
      assert.ok(items[i].text.includes(want.reasonContains), `${c.name} [${i}]: ${items[i].text}`);
    });
    const button = await page.textContent("#panel-paste .btn-primary");
    assert.equal(button, n === 0 ? "Look up sessions" : `Look up ${n} session${n === 1 ? "" : "s"}`, c.name);
  }
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test("look up: who each session is, and a plain reason for each ID that fails", async () => {
  const { page, context } = await openPaste();
  const ids = await page.evaluate(() => window.__mock.sessions.slice(0, 4).map((s) => s.row.id));
  await page.evaluate((id) => window.__mock.endSession(id), ids[3]);
  const unknown = "0000aaaa-1111-4222-8333-444455556666";
  await paste(page, `SessionId\n${ids.join("\n")}\n${unknown}\n${ids[0].toUpperCase()}\nVDA-FIN-01`);
  assert.equal(await page.textContent("#panel-paste .btn-primary"), "Look up 5 sessions");
  await page.click("#panel-paste .btn-primary");
  await waitForRows(page, 3);
  const [args] = await mockCall(page, "lookup_sessions");
  assert.deepEqual(args.ids, [...ids, unknown]);
  const users = await page.$$eval("#panel-paste tr.vt-row .cell-main", (e) => e.map((x) => x.textContent));
  assert.deepEqual(users, ["Jane Zhang", "John Adeyemi", "Ana Doe"]);
  // Everything found is selected, ready for Start.
  assert.match(await page.textContent(".sel-count"), /^3 sessions selected/);
  const problems = await page.$$eval("#panel-paste .problem-list li", (li) => li.map((x) => [x.dataset.id, x.textContent]));
  assert.equal(problems.length, 2);
  assert.equal(problems[0][0], ids[3]);
  assert.match(problems[0][1], /This session has ended/);
  assert.equal(problems[1][0], unknown);
  assert.match(await page.textContent("#panel-paste .lookup-problems"), /Search for the user to find their current session/);
  await context.close();
});

test("Look up with nothing valid explains instead of calling the backend", async () => {
  const { page, context } = await openPaste();
  await paste(page, "hello VDA-01");
  assert.equal(await page.getAttribute("#panel-paste .btn-primary", "aria-disabled"), "true");
  await page.click("#panel-paste .btn-primary", { force: true });
  assert.match(await page.textContent("#panel-paste .progress-text"), /Paste at least one session ID/);
  assert.equal((await mockCall(page, "lookup_sessions")).length, 0);
  await context.close();
});

test("10,000 pasted IDs: parsed in the page, summary shown", async () => {
  const { page, context } = await openPaste();
  const text = await page.evaluate(() => {
    const hex = (n) => (n >>> 0).toString(16).padStart(8, "0");
    const out = ["SessionId"];
    for (let i = 0; i < 10_000; i++) {
      const a = hex(Math.imul(i + 1, 2654435761));
      out.push(`${a}-${a.slice(0, 4)}-4${a.slice(1, 4)}-a${a.slice(5)}-${a}${a.slice(0, 4)}`);
    }
    return out.join("\r\n");
  });
  const ms = await page.evaluate((t) => {
    window.__rd.parsePastedIds(t);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      window.__rd.parsePastedIds(t);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  }, text);
  // The time is the benchmark's to judge (tests/ui/bench.mjs); reported here only.
  console.log(`parse 10,000 IDs in Chromium: best ${ms.toFixed(1)} ms`);
  await paste(page, text);
  assert.match(await page.textContent("#panel-paste .paste-summary"), /^10,000 valid session IDs$/);
  await context.close();
});

test("a large paste is looked up in chunks with progress, can be cancelled, and a second click starts nothing", async () => {
  // The first chunk answers at once; the next ones wait until the test releases them.
  const { page, context } = await openPaste({ sessions: 450, heldAfter: { lookup_sessions: 1 } });
  const ids = await page.evaluate(() => window.__mock.sessions.slice(0, 450).map((s) => s.row.id));
  await paste(page, ids.join("\n"));
  await page.click("#panel-paste .btn-primary");
  // aria-disabled, so the button is still clickable: the second click must be ignored.
  assert.equal(await page.getAttribute("#panel-paste .btn-primary", "aria-disabled"), "true");
  await page.click("#panel-paste .btn-primary", { force: true });
  await page.waitForFunction(() => /Looked up 100 of 450 sessions/.test(document.querySelector("#panel-paste .progress-text").textContent));
  // Two chunks are in flight at a time: the second, and the third sent when the first came back.
  await page.waitForFunction(() => window.__mock.callsOf("lookup_sessions").length === 3);
  await page.click("#panel-paste button:has-text('Cancel look-up')");
  await release(page, "lookup_sessions");
  await page.waitForFunction(() => /cancelled after 300 of 450/.test(document.querySelector("#panel-paste .progress-text").textContent));
  const calls = await mockCall(page, "lookup_sessions");
  assert.deepEqual(
    calls.map((c) => c.ids.length),
    [100, 100, 100],
    "nothing is sent after Cancel",
  );
  assert.deepEqual(calls[1].ids, ids.slice(100, 200));
  assert.deepEqual(calls[2].ids, ids.slice(200, 300));
  assert.match(await page.textContent(".sel-count"), /^300 sessions selected/);
  assert.ok(await page.isHidden("#panel-paste button:has-text('Cancel look-up')"));

  // Again, to the end: five chunks.
  await page.click("#panel-paste .btn-primary");
  await page.waitForFunction(() =>
    /^450 sessions found and selected$/.test(document.querySelector("#panel-paste .progress-text").textContent),
  );
  assert.equal((await mockCall(page, "lookup_sessions")).length, 8);
  await context.close();
});

test("found sessions are listed and selected as each chunk arrives; their recording status follows, each asked once", async () => {
  // The first chunk answers, the second waits until the test has looked.
  const { page, context } = await openPaste({ sessions: 250, heldAfter: { lookup_sessions: 1 } });
  const ids = await page.evaluate(() => window.__mock.sessions.slice(0, 250).map((s) => s.row.id));
  await paste(page, ids.join("\n"));
  await page.click("#panel-paste .btn-primary");
  // Progress and the list agree: what was looked up is listed and selected, before the rest.
  const midway = await page.waitForFunction(() => {
    const m = /Looked up (\d+) of 250/.exec(document.querySelector("#panel-paste .progress-text").textContent);
    if (!m) return false;
    const selected = /^([\d,]+) sessions? selected/.exec(document.querySelector(".sel-count").textContent);
    const listed = document.querySelector("#panel-paste table").getAttribute("aria-rowcount") - 1;
    return { done: Number(m[1]), selected: selected ? Number(selected[1].replace(",", "")) : 0, listed };
  });
  assert.deepEqual(await midway.jsonValue(), { done: 100, selected: 100, listed: 100 }, "the first 100 are listed and selected");
  await release(page, "lookup_sessions");

  await page.waitForFunction(() =>
    /^250 sessions found and selected$/.test(document.querySelector("#panel-paste .progress-text").textContent),
  );
  // Then every session found gets its status, each asked about once.
  await page.waitForFunction(() => window.__mock.callsOf("recording_statuses").flatMap((a) => a.ids).length >= 250);
  const calls = await page.evaluate(() =>
    window.__mock.calls.map((c) => ({ cmd: c.cmd, n: c.args.ids?.length ?? 0, ids: c.args.ids ?? [] })),
  );
  const asked = calls.filter((c) => c.cmd === "recording_statuses").flatMap((c) => c.ids);
  assert.deepEqual([...asked].sort(), [...ids].sort(), "every session found, once");
  // While the look-up went on, only rows in view were asked about.
  const lastLookup = calls.map((c) => c.cmd).lastIndexOf("lookup_sessions");
  for (const c of calls.slice(0, lastLookup)) if (c.cmd === "recording_statuses") assert.ok(c.n <= 12, `${c.n} asked during the look-up`);
  await page.waitForFunction(() => !document.querySelector("#panel-paste .chip-checking"));
  await context.close();
});
