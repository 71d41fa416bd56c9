// Entry of the test harness page: installs the mock backend, exposes test hooks, then starts
// the real app exactly as main.ts does. Built only with `vite build --mode test`.
import { parsePastedIds } from "../ids";
import { installMockBackend, type MockConfig } from "./mock-backend";

declare global {
  interface Window {
    __MOCK_CONFIG__?: MockConfig;
    __mock?: ReturnType<typeof installMockBackend>;
    __rd?: { parsePastedIds: typeof parsePastedIds };
  }
}

window.__mock = installMockBackend(window.__MOCK_CONFIG__ ?? {});
window.__rd = { parsePastedIds };
void import("../main");
