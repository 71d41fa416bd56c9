// Shared plumbing for the Chromium UI tests: build the harness page (app + mock backend) once,
// serve it over loopback with the app's CSP, and open it in headless Chromium.
import { createServer } from "node:http";
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
const uiDir = join(repoRoot, "ui");
export const harnessDir = join(repoRoot, "tests/artifacts/ui-harness");
const lockDir = join(repoRoot, "tests/artifacts/ui-harness.lock");
const stampFile = join(harnessDir, ".stamp");

// The app's CSP (src-tauri/tauri.conf.json) minus the IPC origins, which the mock replaces.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

async function newestMtime(path) {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) {
    if (entry === "dist" || entry === "node_modules") continue;
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Builds ui/ in test mode unless the last build is newer than every UI source file. */
export async function ensureHarness() {
  const sources = await newestMtime(uiDir);
  const fresh = async () => existsSync(stampFile) && Number(await readFile(stampFile, "utf8")) >= sources;
  if (await fresh()) return harnessDir;
  await mkdir(dirname(lockDir), { recursive: true });
  // mkdir is atomic: only one test process builds; the others wait for its stamp.
  for (let i = 0; ; i++) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      if (i > 600) await rm(lockDir, { recursive: true, force: true });
      await sleep(200);
      if (await fresh()) return harnessDir;
    }
  }
  try {
    if (!(await fresh())) {
      const { build } = await import("vite");
      await build({ configFile: join(uiDir, "vite.config.ts"), mode: "test", logLevel: "warn" });
      await writeFile(stampFile, String(sources));
    }
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
  return harnessDir;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** A static server for the harness, answering every page with the app's CSP. */
export async function startServer(dir = harnessDir) {
  const serve = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const rel = url.pathname === "/" ? "test-harness.html" : decodeURIComponent(url.pathname).replace(/^\/+/, "");
    const file = resolve(dir, rel);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-security-policy": CSP,
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-security-policy": CSP }).end("not found");
    }
  };
  // A path that cannot be decoded gets a 400, not a rejection nobody handles (which ends the test run).
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Everything a test file needs: build, serve, launch; call `close()` in `after`. */
export async function setup() {
  await ensureHarness();
  const server = await startServer();
  const browser = await launch();
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

export const DEMO_SITE = { id: "0d3e0000-0000-4000-a000-000000000001", name: "Demo Site" };

/** A mock configuration in which the app starts already connected to the demo site. */
export function connected(extra = {}) {
  return {
    ...extra,
    status: {
      connection: {
        mode: "demo",
        region: null,
        customerId: "demo-customer",
        customerName: "Demo customer",
        userDisplayName: "Demo officer",
        sites: [DEMO_SITE],
        siteId: DEMO_SITE.id,
      },
      ...(extra.status ?? {}),
    },
  };
}

/**
 * Opens the app with a mock backend configuration. Collects page errors, console errors,
 * CSP violations and any alert/confirm dialogs so tests can assert there were none.
 */
export async function openApp(env, config = {}, { colorScheme = "light", viewport = { width: 1200, height: 800 }, waitFor = true } = {}) {
  const context = await env.browser.newContext({ colorScheme, viewport, reducedMotion: "reduce" });
  const page = await context.newPage();
  const problems = { pageErrors: [], consoleErrors: [], dialogs: [] };
  page.on("pageerror", (e) => problems.pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") problems.consoleErrors.push(m.text());
  });
  page.on("dialog", async (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  await page.addInitScript((cfg) => {
    window.__MOCK_CONFIG__ = cfg;
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  }, config);
  await page.goto(env.server.url);
  if (waitFor)
    await page.waitForFunction(
      () => document.querySelector("main")?.dataset.view && document.querySelector("main").dataset.view !== "starting",
    );
  return { page, context, problems };
}

export function view(page) {
  return page.evaluate(() => document.querySelector("main")?.dataset.view);
}

export async function waitForView(page, name) {
  await page.waitForFunction((n) => document.querySelector("main")?.dataset.view === n, name);
}

/** Waits until the search results list at least `n` rows (of the visible tab). */
export async function waitForRows(page, n = 1) {
  await page.waitForFunction((min) => {
    const panel = [...document.querySelectorAll('[role="tabpanel"]')].find((p) => !p.hidden) ?? document;
    return panel.querySelectorAll("tr.vt-row").length >= min;
  }, n);
}

const require = createRequire(import.meta.url);
let axeSource = null;

/** Runs axe-core on the page; returns serious and critical violations only. */
export async function axe(page, context = null) {
  axeSource ??= await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  // evaluate() runs through DevTools, so the page's CSP (no inline scripts) does not block it.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (ctx) => {
    const r = await window.axe.run(ctx ?? document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} :: ${n.failureSummary}`),
    }));
  }, context);
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

export function mockCall(page, cmd) {
  return page.evaluate((c) => window.__mock.callsOf(c), cmd);
}

/** Lets the calls of `cmd` that the mock holds (config `held`) finish. */
export function release(page, cmd) {
  return page.evaluate((c) => window.__mock.release(c), cmd);
}

/** Imports a TypeScript module of the UI in Node (bundled by esbuild, which Vite ships). */
export async function loadTs(relPath) {
  const { build } = await import("esbuild");
  const out = join(repoRoot, "tests/artifacts", `${relPath.replace(/[/.]/g, "_")}.mjs`);
  await mkdir(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(repoRoot, relPath)],
    bundle: true,
    format: "esm",
    platform: "browser",
    outfile: out,
    logLevel: "warning",
  });
  return import(`${out}?t=${Date.now()}`);
}
