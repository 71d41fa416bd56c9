// Benchmark (not a test, so `node --test tests/e2e` leaves it out): scrolling a large result
// table in the real app's WebKit window, as built for the end-to-end tests, against the Citrix
// Cloud simulator binary. Run it on the virtual display and session bus of scripts/test.sh:
//
//   xvfb-run -a -s "-screen 0 1440x960x24" dbus-run-session -- sh -c \
//     'printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && node tests/e2e/scroll-bench.mjs'
//
// Options: `--sessions N` (default 5000), the number of sessions the simulator holds; `--no-check`
// leaves out the blank-viewport check, which forces each frame's layout early (for comparison).
//
// Search lists 50 sessions a page (PAGE_SIZE in src-tauri/src/sessions.rs) and "Load more" appends
// the next page to the same table, so the table is filled the way an officer would: search for
// "Any state", then "Load more" until every session is listed. Scrolling is then driven from inside
// the page, one step per frame like a wheel or touchpad does (the scroll position is set in a task
// right after a frame, so the table's scroll handler runs before the next one is painted), and
// requestAnimationFrame records each frame's interval. Each frame also checks that the viewport
// shows rows with text (points down the viewport land in a row of the table, not in a spacer).
//
// Prints lines like tests/ui/bench.mjs does, e.g.
//   WebKit scrolling, fast flick (5,000 rows): median frame 56.0 ms, 95th percentile 76.0 ms, longest 96.0 ms, 51 frames over 50 ms; 59 frames, 0 with a blank viewport, ...
// Exits non-zero only when it could not run; slow figures are figures, not failures.
import { Select, button, connectToSimulator, field, named, startApp, startSimulator, waitFor } from './harness.mjs';
import { readFileSync } from 'node:fs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
};
const SESSIONS = arg('--sessions', 5000);
/** `--no-check` skips the blank-viewport check (it forces each frame's layout early), for comparison. */
const CHECK = !process.argv.includes('--no-check');
/** How long each kind of scrolling lasts. */
const SCROLL_MS = 3000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const ms = (x) => `${x.toFixed(1)} ms`;
const count = (n) => n.toLocaleString('en');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The result table's rows in the page, read from the grid's aria-rowcount (the header is row 1). */
const ROWS_JS = `return Number(document.querySelector('#panel-search table[role=grid]').getAttribute('aria-rowcount')) - 1;`;

/**
 * Clicks "Load more" and resolves once the appended page is painted: `{ rows, more, paint }`, where
 * `paint` is the time from the rows arriving (the panel's "rd:rows-received" mark) to the next
 * frame. Runs in the page.
 */
const LOAD_MORE_JS = `
const done = arguments[arguments.length - 1];
const panel = document.querySelector('#panel-search');
const btn = panel.querySelector('.results-foot button');
const rows = () => Number(panel.querySelector('table[role=grid]').getAttribute('aria-rowcount')) - 1;
if (btn.hidden || btn.disabled) { done({ rows: rows(), more: !btn.hidden, paint: null }); return; }
const t0 = performance.now();
btn.click();
const wait = () => {
  const m = performance.getEntriesByName('rd:rows-received').at(-1);
  if (m && m.startTime > t0 && !btn.disabled) {
    requestAnimationFrame(() => setTimeout(() => done({ rows: rows(), more: !btn.hidden, paint: performance.now() - m.startTime }), 0));
  } else setTimeout(wait, 10);
};
wait();`;

/**
 * Scrolls the result table for `ms` milliseconds, one step per frame, and records the frames.
 * `mode`: "down" moves `px` per frame (back to the top when the end is reached), "jump" goes to a
 * random position each frame (dragging the scroll bar). Runs in the page.
 */
const SCROLL_JS = `
const [mode, px, ms, check] = arguments;
const done = arguments[arguments.length - 1];
const s = document.querySelector('#panel-search .vt-scroll');
const table = s.querySelector('table');
s.scrollTop = 0;
// Let the jump to the top settle before timing.
requestAnimationFrame(() => requestAnimationFrame((start) => {
  const frames = [];
  let blank = 0;
  let blankAt = null;
  let last = start;
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const head = table.tHead.getBoundingClientRect();
  const box = s.getBoundingClientRect();
  const x = Math.round(box.left + Math.min(box.width, head.width) / 2);
  const top = head.bottom + 2;
  const bottom = box.top + s.clientHeight - 2;
  const probes = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(top + (bottom - top) * f));
  // The viewport as this frame paints it: every probe down it lands in a row that has text.
  const shown = () => probes.every((y) => {
    const tr = document.elementFromPoint(x, y)?.closest('tr');
    return tr && tr.classList.contains('vt-row') && tr.textContent.trim() !== '';
  });
  // Where the time goes: the table's own scroll handler (rebuilding rows), timed from a
  // capturing listener that runs before it to one added after it; and this benchmark's check.
  const handler = [];
  const checks = [];
  let pre = 0;
  const before = () => { pre = performance.now(); };
  const after = () => handler.push(performance.now() - pre);
  document.addEventListener('scroll', before, { capture: true, passive: true });
  s.addEventListener('scroll', after, { passive: true });
  const step = () => {
    if (mode === 'jump') s.scrollTop = Math.floor(rand() * (s.scrollHeight - s.clientHeight));
    else if (s.scrollTop + s.clientHeight >= s.scrollHeight - 1) s.scrollTop = 0;
    else s.scrollTop += px;
  };
  const frame = (now) => {
    frames.push(now - last);
    last = now;
    const c0 = performance.now();
    if (check && !shown()) {
      blank++;
      if (blankAt === null) blankAt = s.scrollTop;
    }
    checks.push(performance.now() - c0);
    if (now - start < ms) {
      // A task after this frame, as input would come: the table's scroll handler then runs
      // before the next frame is painted.
      setTimeout(step, 0);
      requestAnimationFrame(frame);
    } else {
      document.removeEventListener('scroll', before, { capture: true });
      s.removeEventListener('scroll', after);
      done({ frames, handler, checks, blank, blankAt, built: s.querySelectorAll('tr.vt-row').length, distance: s.scrollTop });
    }
  };
  step();
  requestAnimationFrame(frame);
}));`;

const IDLE_JS = `
const done = arguments[arguments.length - 1];
const frames = [];
let last = performance.now();
const step = (now) => {
  frames.push(now - last);
  last = now;
  if (frames.length < 61) requestAnimationFrame(step);
  else done(frames.slice(1));
};
requestAnimationFrame(step);`;

let sim;
let app;
let failed = false;
try {
  const loadBefore = load();
  sim = await startSimulator(['--sessions', String(SESSIONS)]);
  app = await startApp({ env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  const d = app.driver;
  await d.manage().setTimeouts({ implicit: 0, script: 120000 });

  await connectToSimulator(d);

  // Every session, whatever its state, then "Load more" until all are listed.
  const form = await named(d, 'Find sessions');
  await new Select(await field(d, 'State', { within: form })).selectByVisibleText('Any state');
  const t0 = Date.now();
  await (await button(d, 'Search', { within: form })).click();
  // The panel marks the table busy from the click until the page is in it.
  await waitFor(d, async () => d.executeScript(
    `const p = document.querySelector('#panel-search');
     return p.querySelector('.vt').getAttribute('aria-busy') === 'false' && Number(p.querySelector('table[role=grid]').getAttribute('aria-rowcount')) > 1;`,
  ), 30000, 'the search listed no sessions');
  const firstPage = await d.executeScript(ROWS_JS);
  let pages = 1;
  const paints = [];
  for (;;) {
    const r = await d.executeAsyncScript(LOAD_MORE_JS);
    if (r.paint === null) break;
    pages++;
    paints.push(r.paint);
    if (!r.more || r.rows >= SESSIONS) break;
  }
  const loadSecs = (Date.now() - t0) / 1000;
  const rows = await d.executeScript(ROWS_JS);
  const status = await d.executeScript(`return document.querySelector('#panel-search .results-count').textContent`);

  const idle = await d.executeAsyncScript(IDLE_JS);
  const kinds = [
    ['fast flick', '~16 rows a frame', 'down', 900],
    ['slow scroll', '~1 row a frame', 'down', 56],
    ['scroll-bar drag', 'a random position each frame', 'jump', 0],
  ];
  const results = [];
  for (const [name, how, mode, px] of kinds) {
    results.push([name, how, await d.executeAsyncScript(SCROLL_JS, mode, px, SCROLL_MS, CHECK)]);
  }

  const n = count(rows);
  console.log(`WebKit rows listed: ${n} of ${count(SESSIONS)} sessions (search "Any state" ${count(firstPage)} rows, then Load more x${pages - 1}; ${pages} pages of up to 50) in ${loadSecs.toFixed(1)} s; status "${status.trim()}"`);
  if (paints.length > 0) {
    console.log(`WebKit Load more, rows received to painted: median ${ms(median(paints))}, last (${n} rows) ${ms(paints.at(-1))}, longest ${ms(Math.max(...paints))}`);
  }
  console.log(`WebKit idle frames (for comparison): median frame ${ms(median(idle))}, 95th percentile ${ms(pct(idle, 0.95))}, longest ${ms(Math.max(...idle))}`);
  for (const [name, how, r] of results) {
    const f = r.frames.slice(1);
    const over = f.filter((x) => x > 50).length;
    console.log(
      `WebKit scrolling, ${name} (${n} rows): median frame ${ms(median(f))}, 95th percentile ${ms(pct(f, 0.95))}, longest ${ms(Math.max(...f))}, ${over} frames over 50 ms; ` +
        `${f.length} frames, ${CHECK ? r.blank : 'not checked for'} with a blank viewport${r.blankAt === null ? '' : ` (first at scrollTop ${r.blankAt})`}, ${how}, ${r.built} rows in the DOM`,
    );
    console.log(
      `  (${name}: the table's scroll handler takes ${ms(mean(r.handler))} on average, longest ${ms(Math.max(...r.handler))}, over ${r.handler.length} scroll events; ` +
        `the blank-viewport check ${ms(mean(r.checks))} a frame; the rest of a frame is WebKit's style, layout and painting; page clock ticks in whole ms)`,
    );
  }
  console.log(`Load average before: ${loadBefore}; after: ${load()}`);
} catch (e) {
  failed = true;
  console.error(`scroll-bench could not run: ${e?.stack ?? e}`);
  if (app) console.error(app.driverLog().slice(-4000));
} finally {
  await app?.stop().catch(() => undefined);
  await sim?.stop().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
