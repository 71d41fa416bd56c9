import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

const uiRoot = fileURLToPath(new URL(".", import.meta.url));

// `--mode test` builds the test harness page (mock backend + app) for the Chromium UI tests; the
// production build has a single entry, index.html, so no mock code can reach the shipped bundle.
export default defineConfig(({ mode }) => {
  const test = mode === "test";
  return {
    root: uiRoot,
    clearScreen: false,
    envPrefix: ["VITE_", "TAURI_ENV_"],
    server: {
      port: 1420,
      strictPort: true,
      host: process.env.TAURI_DEV_HOST || false,
      watch: { ignored: ["**/src-tauri/**", "**/target/**"] },
    },
    build: {
      outDir: test ? resolve(uiRoot, "../tests/artifacts/ui-harness") : resolve(uiRoot, "dist"),
      emptyOutDir: true,
      // The webviews Tauri 2 runs in (WebView2, WebKitGTK 2.40+, Safari 15+).
      target: ["es2021", "chrome105", "safari15"],
      // Everything is emitted as files so the app runs under `default-src 'self'` without
      // 'unsafe-inline' or data: URIs.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      cssCodeSplit: false,
      rollupOptions: {
        input: test ? { harness: resolve(uiRoot, "test-harness.html") } : { index: resolve(uiRoot, "index.html") },
      },
    },
  };
});
