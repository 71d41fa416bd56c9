// Micro-benchmark (not a test): `node tests/ui/bench.mjs`. Prints, measured in headless Chromium:
// - parsing 10,000 pasted session IDs (the Paste IDs box);
// - first paint of a 5,000-row result table (from the results arriving to the frame painted);
// - frame times while scrolling through that table.
import { connected, openApp, setup, waitForRows } from "./helpers.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x) => `${x.toFixed(1)} ms`;

const env = await setup();
try {
  const { page, context } = await openApp(env, connected({ sessions: 7000, pageSize: 5000 }));
  await waitForRows(page, 5);

  const parse = await page.evaluate(() => {
    const hex = (n) => (n >>> 0).toString(16).padStart(8, "0");
    const lines = ["SessionId"];
    for (let i = 0; i < 10_000; i++) {
      const a = hex(Math.imul(i + 1, 2654435761));
      lines.push(
        i % 2
          ? `{${a.toUpperCase()}-${a.slice(0, 4)}-4${a.slice(1, 4)}-A${a.slice(5)}-${a}${a.slice(0, 4)}}`
          : `"${a}-${a.slice(0, 4)}-4${a.slice(1, 4)}-a${a.slice(5)}-${a}${a.slice(0, 4)}",`,
      );
    }
    const text = lines.join("\r\n");
    const times = [];
    let valid = 0;
    for (let i = 0; i < 11; i++) {
      const t0 = performance.now();
      valid = window.__rd.parsePastedIds(text).valid.length;
      times.push(performance.now() - t0);
    }
    return { first: times[0], times: times.slice(1), valid, bytes: text.length };
  });

  const paints = [];
  const totals = [];
  for (let i = 0; i < 5; i++) {
    const r = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const t0 = performance.now();
          document.querySelector("#panel-search button[type=submit]").click();
          const wait = () => {
            const m = performance.getEntriesByName("rd:rows-received").at(-1);
            if (m && m.startTime > t0) {
              requestAnimationFrame(() =>
                setTimeout(() => resolve({ paint: performance.now() - m.startTime, total: performance.now() - t0 }), 0),
              );
            } else requestAnimationFrame(wait);
          };
          wait();
        }),
    );
    paints.push(r.paint);
    totals.push(r.total);
  }
  const rows = await page.$eval("#panel-search table", (t) => Number(t.getAttribute("aria-rowcount")) - 1);

  const idle = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const frames = [];
        let last = performance.now();
        const step = () => {
          const now = performance.now();
          frames.push(now - last);
          last = now;
          if (frames.length < 61) requestAnimationFrame(step);
          else resolve(frames.slice(1));
        };
        requestAnimationFrame(step);
      }),
  );
  const scroll = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const s = document.querySelector("#panel-search .vt-scroll");
        s.scrollTop = 0;
        const frames = [];
        let last = performance.now();
        let n = 0;
        const step = () => {
          const now = performance.now();
          frames.push(now - last);
          last = now;
          s.scrollTop += 900; // about 16 rows per frame: a fast flick
          if (++n < 240 && s.scrollTop + s.clientHeight < s.scrollHeight) requestAnimationFrame(step);
          else resolve({ frames: frames.slice(1), built: document.querySelectorAll("#panel-search tr.vt-row").length });
        };
        requestAnimationFrame(step);
      }),
  );

  console.log(
    `Parse 10,000 pasted IDs (${(parse.bytes / 1024).toFixed(0)} KiB, ${parse.valid} valid): median ${ms(median(parse.times))}, first run ${ms(parse.first)}`,
  );
  console.log(
    `First paint of a ${rows.toLocaleString("en")}-row table: median ${ms(median(paints))} (max ${ms(Math.max(...paints))}); click to painted incl. mock backend: median ${ms(median(totals))}`,
  );
  console.log(
    `Scrolling (a fast flick, ~16 rows a frame): ${scroll.frames.length} frames, median frame ${ms(median(scroll.frames))}, 95th percentile ${ms(pct(scroll.frames, 0.95))}, max ${ms(Math.max(...scroll.frames))}; rows in the DOM: ${scroll.built}; idle frame median for comparison ${ms(median(idle))}`,
  );
  await context.close();
} finally {
  await env.close();
}
