// A stateful stand-in for the Rust side, used only by the test harness page (never by the
// production bundle). It implements every command of the IPC contract over made-up sessions,
// streams run events through the real Channel machinery, and lets a test inject errors.
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type {
  AppStatus,
  AuditChain,
  AuditFilter,
  AuditRecord,
  ChainState,
  CheckResult,
  Connection,
  ErrorKind,
  InputField,
  ProfileInfo,
  IpcError,
  Justification,
  LastAction,
  LookupResult,
  Region,
  RunAction,
  SavedAccount,
  RunEvent,
  RunOutcome,
  RunReport,
  SessionQuery,
  SessionRow,
  Settings,
  Site,
  UpdateStatus,
  WitnessStatus,
} from "../types";

/** A saved Citrix account as the backend keeps it. */
export interface MockProfile {
  id: string;
  name: string;
  region: Region;
  customerId: string;
  clientId: string;
  secretStored: boolean;
}

export interface MockConfig {
  /** `savedAccount` alone stands for one saved account (the single-account layout). */
  status?: Partial<AppStatus>;
  /** The saved Citrix accounts; `currentProfile` is the current one's id ("demo" for the demo site). */
  profiles?: MockProfile[];
  currentProfile?: string | null;
  /** Number of generated sessions (default 60). */
  sessions?: number;
  sites?: Site[];
  /** Sessions returned per search page (default 100). */
  pageSize?: number;
  /** Delay in ms before each command answers (default 0); per command via `delays`. */
  latency?: number;
  delays?: Record<string, number>;
  /** Delay between the steps of one session in a run (default 10 ms). */
  runDelay?: number;
  /** Session IDs for which start "succeeds" but Citrix never reports recording. */
  neverRecords?: string[];
  /** Session IDs that have ended (404). */
  ended?: string[];
  /** Citrix's refusal per session ID during a run. */
  runFailures?: Record<string, IpcError>;
  /** Session IDs whose request's answer is lost and that Citrix then cannot be asked about. */
  unreachable?: string[];
  /** Session IDs that stay recording after a stop is accepted. */
  stuckRecording?: string[];
  /** Accepted sessions wait for Citrix to confirm until `releaseConfirmations()` is called. */
  holdConfirmations?: boolean;
  settings?: Settings;
  /**
   * The update feed as the backend finds it: `update_status` before any look (default: a build
   * without a feed), then each `update_check` answers the next of `checks` (the last repeats),
   * and `update_install` answers `install`.
   */
  updates?: { status?: UpdateStatus; checks?: UpdateStatus[]; install?: UpdateStatus };
  /** Path returned by the Save dialog; null = the officer cancelled it. */
  savePath?: string | null;
  /**
   * `unknown` requests are left without an outcome (a crash); with `retried`, each of those
   * sessions is then requested again and answered in a later run (only the first is in doubt).
   * `demo` adds that many demo-site records.
   */
  audit?: {
    seed?: number;
    brokenAt?: number | null;
    unknown?: number;
    retried?: boolean;
    demo?: number;
    path?: string;
    chainMessage?: string;
    /** Nothing vouches for the trail's end (the anchor missing): until the officer re-seals. */
    endUnverified?: boolean;
    /** The first keyed record; records before it are an earlier version's. Default: 1. */
    keyedFrom?: number | null;
    /** The records sealed with a key this computer no longer has, before a re-seal. */
    lostKey?: [number, number] | null;
  };
  /** What audit_view says of the trail's copies (system log, collector); default: the system log on. */
  witnesses?: WitnessStatus | null;
  /** Session IDs whose outcome record "cannot be written" during a run. */
  auditMissing?: string[];
  /** Failures queued from the start, per command (for what the app calls while loading). */
  fail?: Record<string, IpcError[]>;
  /**
   * Commands whose calls wait until the test calls `release(cmd)`, so a screen shown while they
   * run stays up until the test has looked at it, however slow the machine. `run_answer` holds
   * Citrix's answer to each request of a run: the run stays under way until it is released.
   */
  held?: string[];
  /** Like `held`, from the Nth call of the command on (the first N answer at once). */
  heldAfter?: Record<string, number>;
}

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

interface MockSession {
  json: Record<string, unknown>;
  row: SessionRow;
  lastAction: LastAction | null;
}

const FIRST = [
  "Jane",
  "John",
  "Ana",
  "Wei",
  "Priya",
  "Lars",
  "Fatima",
  "Tom",
  "Chloé",
  "Kenji",
  "Olu",
  "Marta",
  "Sven",
  "Aisha",
  "Diego",
  "Noor",
];
const LAST = [
  "Smith",
  "Doe",
  "Lima",
  "Zhang",
  "Patel",
  "Berg",
  "Haddad",
  "Baker",
  "Martin",
  "Sato",
  "Adeyemi",
  "Nowak",
  "Lund",
  "Khan",
  "Silva",
  "Aziz",
];
const GROUPS = ["Finance Desktops", "Call Centre Apps", "Engineering Workstations", "HR Desktops", "Trading Floor"];
const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE_GROUP = '"><svg onload=alert(3)>';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function guid(r: () => number): string {
  const hex = () => Math.floor(r() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

function usTime(d: Date): string {
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h12}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}

function makeSessions(n: number): MockSession[] {
  const r = rng(42);
  const base = Date.UTC(2025, 2, 14, 7, 0, 0);
  const out: MockSession[] = [];
  for (let i = 0; i < n; i++) {
    const id = guid(r);
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7 + 3) % LAST.length];
    const sam = `CONTOSO\\${(first[0] + last)
      .toLowerCase()
      .normalize("NFD")
      .replace(/[^a-z]/g, "")}${i}`;
    const display = i === 3 ? HOSTILE_NAME : `${first} ${last}`;
    const group = i === 5 ? HOSTILE_GROUP : GROUPS[i % GROUPS.length];
    const machine = `CONTOSO\\VDA-${group
      .slice(0, 3)
      .toUpperCase()
      .replace(/[^A-Z]/g, "X")}-${String((i % 40) + 1).padStart(2, "0")}`;
    const state = i % 7 === 2 ? "Disconnected" : i % 23 === 11 ? "Connected" : "Active";
    const protocol = i % 10 === 4 ? "Rdp" : "Hdx";
    const start = new Date(base + i * 97_000);
    const recordable = state === "Active" && protocol === "Hdx";
    const reason = !recordable
      ? state !== "Active"
        ? `The session is ${state.toLowerCase()}; only active sessions can be recorded.`
        : "The session uses RDP; only Citrix HDX sessions can be recorded."
      : null;
    const json: Record<string, unknown> = {
      Id: id,
      Uid: 1000 + i,
      ApplicationsInUse: [],
      AppState: state === "Active" ? "Desktop" : "Unknown",
      SessionType: "Desktop",
      State: state,
      StartTime: usTime(start),
      FormattedStartTime: start.toISOString(),
      IsAnonymousUser: false,
      UntrustedUserName: sam,
      Brokering: { AutonomouslyBrokered: false, UserName: sam, Time: null },
      Client: { Name: `LAPTOP-${1000 + i}`, IPAddress: `10.20.${i % 250}.${(i * 3) % 250}`, Platform: "Windows", Version: "24.3.0.64" },
      Connection: { Protocol: protocol, ConnectionMode: "Brokered", LaunchedViaHostName: "storefront.contoso.com", SmartAccessTags: [] },
      Machine: {
        Id: guid(r),
        Name: machine,
        DnsName: `${machine.split("\\")[1].toLowerCase()}.contoso.com`,
        DeliveryGroup: { Id: guid(r), Uid: (i % GROUPS.length) + 1, Name: group },
        MachineCatalog: { Name: `${group} catalog`, Uid: (i % GROUPS.length) + 1 },
        SessionSupport: "MultiSession",
        InMaintenanceMode: false,
        Zone: null,
      },
      User: {
        DisplayName: display,
        PropertiesFetched: 7,
        SamName: sam,
        PrincipalName: `${(first + "." + last).toLowerCase()}@contoso.com`,
        Domain: "CONTOSO",
        Mail: null,
      },
    };
    const row: SessionRow = {
      id,
      userDisplayName: display,
      userName: sam,
      userPrincipalName: `${(first + "." + last).toLowerCase()}@contoso.com`,
      machineName: machine,
      deliveryGroup: group,
      state,
      protocol,
      startTime: start.toISOString(),
      clientName: `LAPTOP-${1000 + i}`,
      recordable,
      notRecordableReason: reason,
      recording: i % 9 === 0 && recordable ? true : i % 13 === 6 ? null : false,
      recordingChecked: true,
    };
    out.push({ json, row, lastAction: null });
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const err = (kind: ErrorKind, message: string, field?: InputField): IpcError => (field ? { kind, message, field } : { kind, message });

export class MockBackend {
  readonly calls: Call[] = [];
  readonly sessions: MockSession[];
  readonly byId = new Map<string, MockSession>();
  status: AppStatus;
  connection: Connection | null;
  settings: Settings;
  sites: Site[];
  audit: AuditRecord[] = [];
  brokenAt: number | null;
  endUnverified: boolean;
  resealedAt: number | null = null;
  private failures = new Map<string, IpcError[]>();
  private runId = "seed";
  /** The reason and case of the run going on, written into each of its records. */
  private why: Pick<AuditRecord, "reason" | "caseRef"> = {};
  private run: { cancelled: boolean } | null = null;
  private ended: Set<string>;
  private neverRecords: Set<string>;
  private runFailures: Record<string, IpcError>;
  private unreachable: Set<string>;
  private stuckRecording: Set<string>;
  private confirmations: { held: boolean; waiters: (() => void)[] };
  private readonly held: Set<string>;
  private readonly waiting = new Map<string, (() => void)[]>();
  profiles: MockProfile[];
  currentProfile: string | null;
  update: UpdateStatus;
  private checksDone = 0;
  private nextProfile = 1;

  constructor(private readonly cfg: MockConfig) {
    this.sessions = makeSessions(cfg.sessions ?? 60);
    for (const s of this.sessions) this.byId.set(s.row.id, s);
    this.sites = cfg.sites ?? [{ id: "5ab1e0d4-0000-4000-a000-00000000d5e7", name: "Contoso Production" }];
    this.status = {
      version: "0.1.0",
      connection: null,
      savedAccount: null,
      lastMode: null,
      profiles: [],
      notices: [],
      cloudUrlOverride: null,
      ...cfg.status,
    };
    const saved = cfg.status?.savedAccount;
    this.profiles =
      cfg.profiles?.map((p) => ({ ...p })) ??
      (saved
        ? [
            {
              id: saved.profileId ?? `${saved.customerId}/${saved.clientId}`,
              name: saved.name ?? `Citrix Cloud (${saved.customerId})`,
              region: saved.region,
              customerId: saved.customerId,
              clientId: saved.clientId,
              secretStored: saved.secretStored,
            },
          ]
        : []);
    this.currentProfile = cfg.currentProfile !== undefined ? cfg.currentProfile : (this.profiles[0]?.id ?? null);
    this.connection = this.status.connection;
    this.settings = {
      concurrency: 4,
      notifyUserDefault: true,
      requireReason: false,
      requireCase: false,
      recentReasons: [],
      recentCases: [],
      notifyUser: "ask",
      demoSiteOffered: true,
      managedAccount: { region: null, customerId: null, clientId: null },
      locked: [],
      checkForUpdates: true,
      ...cfg.settings,
    };
    this.update = cfg.updates?.status ?? {
      installed: "0.1.0",
      state: "notSetUp",
      message:
        "You have version 0.1.0. This copy of Recording Desk was built without a source of new versions, so it cannot look for them.",
      lastChecked: null,
      canCheck: false,
    };
    this.ended = new Set(cfg.ended ?? []);
    this.neverRecords = new Set(cfg.neverRecords ?? []);
    this.runFailures = cfg.runFailures ?? {};
    this.unreachable = new Set(cfg.unreachable ?? []);
    this.stuckRecording = new Set(cfg.stuckRecording ?? []);
    this.confirmations = { held: cfg.holdConfirmations ?? false, waiters: [] };
    this.brokenAt = cfg.audit?.brokenAt ?? null;
    this.endUnverified = cfg.audit?.endUnverified ?? false;
    this.seedAudit(cfg.audit?.seed ?? 12, cfg.audit?.unknown ?? 1, cfg.audit?.retried ?? false, cfg.audit?.demo ?? 0);
    for (const [cmd, list] of Object.entries(cfg.fail ?? {})) this.failures.set(cmd, [...list]);
    this.held = new Set(cfg.held ?? []);
  }

  // ---- test controls -------------------------------------------------------------------

  /** The next `times` calls of `cmd` fail with `error`. */
  failNext(cmd: string, error: IpcError, times = 1): void {
    const list = this.failures.get(cmd) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.failures.set(cmd, list);
  }
  setNeverRecords(id: string): void {
    this.neverRecords.add(id);
  }
  setRunFailure(id: string, error: IpcError): void {
    this.runFailures[id] = error;
  }
  setUnreachable(id: string, on = true): void {
    if (on) this.unreachable.add(id);
    else this.unreachable.delete(id);
  }
  setStuckRecording(id: string): void {
    this.stuckRecording.add(id);
  }
  holdConfirmations(): void {
    this.confirmations.held = true;
  }
  /** Lets every session waiting for Citrix to confirm go on. */
  releaseConfirmations(): void {
    this.confirmations.held = false;
    for (const go of this.confirmations.waiters.splice(0)) go();
  }
  endSession(id: string): void {
    this.ended.add(id);
  }
  setDelay(cmd: string, ms: number): void {
    this.cfg.delays = { ...(this.cfg.delays ?? {}), [cmd]: ms };
  }
  /** Lets the held calls of `cmd` go on, and the later ones through at once. */
  release(cmd: string): void {
    this.held.delete(cmd);
    if (this.cfg.heldAfter) delete this.cfg.heldAfter[cmd];
    for (const go of this.waiting.get(cmd) ?? []) go();
    this.waiting.delete(cmd);
  }
  private async whileHeld(cmd: string): Promise<void> {
    const after = this.cfg.heldAfter?.[cmd];
    if (after !== undefined && this.callsOf(cmd).length > after) this.held.add(cmd);
    if (!this.held.has(cmd)) return;
    await new Promise<void>((go) => this.waiting.set(cmd, [...(this.waiting.get(cmd) ?? []), go]));
  }
  setRunDelay(ms: number): void {
    this.cfg.runDelay = ms;
  }
  /** As the backend's `update-status` event: a look or an install the window did not start. */
  async pushUpdate(status: UpdateStatus): Promise<void> {
    this.update = { ...status };
    await emit("update-status", status);
  }
  /** As the app menu's About item. */
  async menuAbout(): Promise<void> {
    await emit("show-about");
  }
  callsOf(cmd: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.cmd === cmd).map((c) => c.args);
  }

  // ---- dispatch ------------------------------------------------------------------------

  async handle(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    const logged: Record<string, unknown> = { ...args };
    if ("onEvent" in logged) logged.onEvent = "channel";
    this.calls.push({ cmd, args: JSON.parse(JSON.stringify(logged)) as Record<string, unknown> });
    const delay = this.cfg.delays?.[cmd] ?? this.cfg.latency ?? 0;
    if (delay > 0) await sleep(delay);
    await this.whileHeld(cmd);
    const queued = this.failures.get(cmd);
    if (queued && queued.length > 0) throw queued.shift();
    // As the backend: nothing may change the connection or the account while a run is going.
    const changesTheConnection = [
      "connect_cloud",
      "connect_demo",
      "disconnect",
      "forget_credentials",
      "select_site",
      "switch_profile",
      "remove_profile",
    ];
    if (this.run && changesTheConnection.includes(cmd)) {
      throw err("busy", "A recording run is already in progress. Wait for it to finish or cancel it first.");
    }
    switch (cmd) {
      case "app_status":
        return {
          ...this.status,
          connection: this.connection,
          savedAccount: this.savedAccount(),
          profiles: this.profileList(),
        };
      case "connect_cloud":
        return this.connectCloud(args);
      case "connect_demo":
        if (!this.settings.demoSiteOffered) {
          throw err(
            "setByOrganisation",
            "Your organisation has turned off the demo site on this computer. Connect to your Citrix Cloud account instead.",
          );
        }
        return this.connectDemo();
      case "disconnect":
        this.connection = null;
        return null;
      case "forget_credentials":
        if (this.currentProfile && this.currentProfile !== "demo") this.removeProfile(this.currentProfile);
        return null;
      case "list_profiles":
        return this.profileList();
      case "switch_profile":
        return this.switchProfile(String(args.profileId));
      case "rename_profile":
        return this.renameProfile(String(args.profileId), String(args.name));
      case "remove_profile":
        return this.removeProfile(String(args.profileId));
      case "select_site":
        return this.selectSite(String(args.siteId));
      case "search_sessions":
        return this.search(args.query as SessionQuery, (args.continuation as string | null) ?? null);
      case "recording_statuses":
        this.requireSite();
        return (args.ids as string[]).map((id) => {
          const s = this.byId.get(id);
          return { id, recording: s && !this.ended.has(id) ? s.row.recording : null };
        });
      case "lookup_sessions":
        return this.lookup(args.ids as string[]);
      case "get_session":
        return this.getSession(String(args.sessionId));
      case "run_recording":
        return this.runRecording(args);
      case "check_justification":
        return this.checkJustification(args.justification as Justification);
      case "cancel_run":
        if (this.run) this.run.cancelled = true;
        return null;
      case "check_again":
        return this.checkAgain(args.runId as string, args.sessionId as string);
      case "audit_view":
        return this.auditView(args.filter as AuditFilter, args.limit as number);
      case "reseal_audit":
        return this.reseal();
      case "export_audit_csv":
        this.requireString(args.path, "path");
        return this.filterAudit(args.filter as AuditFilter).length;
      case "export_audit_report": {
        this.requireString(args.path, "path");
        const records = this.filterAudit(args.filter as AuditFilter).length;
        return { records, pages: 1 + Math.floor(records / 30), sha256: "ab".repeat(32), path: String(args.path) };
      }
      case "save_session_json":
        this.requireString(args.path, "path");
        if (!this.byId.has(String(args.sessionId))) throw err("notFound", "404 session not found");
        return null;
      case "update_status":
        return { ...this.update };
      case "update_check": {
        const checks = this.cfg.updates?.checks ?? [];
        this.update = { ...(checks[Math.min(this.checksDone++, checks.length - 1)] ?? this.update) };
        return { ...this.update };
      }
      case "update_install":
        if (this.run) throw err("busy", "a run is going");
        this.update = { ...(this.cfg.updates?.install ?? this.update) };
        return { ...this.update };
      case "update_restart":
        if (this.run) throw err("busy", "a run is going");
        return null;
      case "get_settings":
        return { ...this.settings };
      case "update_settings": {
        const s = args.settings as Settings;
        this.refuseLockedChanges(s);
        if (!(s.concurrency >= 1 && s.concurrency <= 64)) throw err("invalidInput", "concurrency out of range", "concurrency");
        // As the backend: the recent reasons and cases are kept by the runs, and what the
        // organisation set is its own, not changed by this command.
        const { recentReasons, recentCases, notifyUser, demoSiteOffered, managedAccount, locked } = this.settings;
        this.settings = { ...s, recentReasons, recentCases, notifyUser, demoSiteOffered, managedAccount, locked };
        return { ...this.settings };
      }
      case "plugin:dialog|save": {
        if (this.cfg.savePath === null) return null;
        const opts = args.options as { defaultPath?: string };
        return this.cfg.savePath ?? `/home/officer/Documents/${opts.defaultPath ?? "file"}`;
      }
      default:
        throw err("unexpected", `mock backend: unknown command ${cmd}`);
    }
  }

  /** As desk-core's `Policy::refuse_locked_changes`: a change to a locked setting saves nothing. */
  private refuseLockedChanges(s: Settings): void {
    const labels = {
      concurrency: "Sessions handled at the same time",
      notifyUserDefault: "Notify users by default",
      requireReason: "Require a reason",
      requireCase: "Require a case or ticket reference",
      checkForUpdates: "Check for new versions when Recording Desk starts",
    } as const;
    for (const [name, label] of Object.entries(labels) as [keyof typeof labels, string][]) {
      if (this.settings.locked.includes(name) && s[name] !== this.settings[name]) {
        throw err(
          "setByOrganisation",
          `\u201c${label}\u201d is set by your organisation, so it cannot be changed here. Nothing was saved. If it needs to change, ask your IT department.`,
        );
      }
    }
  }

  /** As desk-core's `Desk::run`: a start with the other notify choice than the organisation's is refused. */
  private refuseOtherNotifyChoice(action: RunAction): void {
    const forced = this.settings.notifyUser;
    if (action.action !== "start" || forced === "ask" || action.notifyUser === (forced === "always")) return;
    throw err(
      "setByOrganisation",
      forced === "always"
        ? "Your organisation has decided that users are always told when their session is recorded, so recording cannot start without telling them. Nothing was sent. Start again and notify the users."
        : "Your organisation has decided that users are not told when their session is recorded, so recording cannot start with a notice to them. Nothing was sent. Start again without notifying the users.",
    );
  }

  /** As desk-core's `Justification::checked`: the same rules, fields and messages. */
  private checkJustification(j: Justification): Justification {
    const check = (value: string, required: boolean, field: "reason" | "caseRef", max: number, missing: string, name: string) => {
      const v = value.trim();
      if (!v && required) throw err("invalidInput", missing, field);
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) {
        throw err(
          "invalidInput",
          `The ${name} contains a line break, tab or another invisible control character. Write it on one line with ordinary characters.`,
          field,
        );
      }
      const len = [...v].length;
      if (len > max) throw err("invalidInput", `The ${name} is ${len} characters long. Keep it to ${max} characters or fewer.`, field);
      return v;
    };
    return {
      reason: check(
        j.reason,
        this.settings.requireReason,
        "reason",
        500,
        "Give a reason for this recording request: your organisation requires one.",
        "reason",
      ),
      caseRef: check(
        j.caseRef,
        this.settings.requireCase,
        "caseRef",
        64,
        "Enter the case or ticket reference this request is for: your organisation requires one.",
        "case or ticket reference",
      ),
    };
  }

  private requireString(v: unknown, name: string): void {
    if (typeof v !== "string" || v === "") throw err("invalidInput", `missing ${name}`);
  }

  private requireSite(): string {
    if (!this.connection) throw err("notConnected", "not connected");
    if (!this.connection.siteId) throw err("noSiteSelected", "no site selected");
    return this.connection.siteId;
  }

  // ---- saved accounts (profiles), as desk-core's account::profiles --------------------

  private profileList(): ProfileInfo[] {
    return [
      ...this.profiles.map((p) => ({
        id: p.id,
        name: p.name,
        mode: "cloud" as const,
        region: p.region,
        customerId: p.customerId,
        clientId: p.clientId,
        secretStored: p.secretStored,
        current: p.id === this.currentProfile,
      })),
      {
        id: "demo",
        name: "Demo site",
        mode: "demo" as const,
        region: null,
        customerId: "",
        clientId: "",
        secretStored: true,
        current: this.currentProfile === "demo",
      },
    ];
  }

  private savedAccount(): SavedAccount | null {
    const p = this.profiles.find((x) => x.id === this.currentProfile) ?? this.profiles[0];
    return p ? { profileId: p.id, ...p } : null;
  }

  private checkName(name: string, except: string | null): string {
    const n = name.trim();
    const bad = (message: string) => err("invalidInput", message, "profileName");
    if (!n) throw bad('Enter a name for this Citrix account, for example "Acme EU".');
    if ([...n].length > 64) throw bad("The name is too long: use at most 64 characters.");
    if (n.toLowerCase() === "demo site") throw bad('"Demo site" is the name of the built-in demo site. Choose another name.');
    if (this.profiles.some((p) => p.id !== except && p.name.toLowerCase() === n.toLowerCase())) {
      throw bad(`Another Citrix account is already named "${n}". Choose another name.`);
    }
    return n;
  }

  private connectDemo(): Connection {
    this.status.lastMode = "demo";
    this.currentProfile = "demo";
    this.connection = {
      mode: "demo",
      region: null,
      customerId: "demo-customer",
      customerName: "Demo customer",
      userDisplayName: "Demo officer",
      sites: [{ id: "0d3e0000-0000-4000-a000-000000000001", name: "Demo Site" }],
      siteId: null,
      profileId: "demo",
      profile: "Demo site",
    };
    return this.connection;
  }

  private switchProfile(id: string): Connection {
    this.connection = null;
    if (id === "demo") return this.connectDemo();
    const p = this.profiles.find((x) => x.id === id);
    if (!p) throw err("invalidInput", "That Citrix account is no longer saved. Choose another one.");
    this.currentProfile = id;
    if (!p.secretStored) throw err("noSecretStored", "no secret in keychain");
    return this.connectCloud({ ...p, secret: null, name: null, profileId: p.id });
  }

  private renameProfile(id: string, name: string): ProfileInfo[] {
    if (id === "demo") throw err("invalidInput", "The demo site is built in and keeps its name.", "profileName");
    const p = this.profiles.find((x) => x.id === id);
    if (!p) throw err("invalidInput", "That Citrix account is no longer saved.");
    p.name = this.checkName(name, id);
    if (this.connection?.profileId === id) this.connection = { ...this.connection, profile: p.name };
    return this.profileList();
  }

  private removeProfile(id: string): ProfileInfo[] {
    if (id === "demo") throw err("invalidInput", "The demo site is built in and cannot be removed.");
    this.profiles = this.profiles.filter((p) => p.id !== id);
    if (this.currentProfile === id) this.currentProfile = null;
    if (this.connection?.profileId === id) this.connection = null;
    return this.profileList();
  }

  private connectCloud(args: Record<string, unknown>): Connection {
    const region = args.region as Region;
    const customerId = String(args.customerId);
    const clientId = String(args.clientId);
    const secret = args.secret as string | null;
    const name = (args.name as string | null | undefined) ?? null;
    const profileId = (args.profileId as string | null | undefined) ?? null;
    const sameAccount = (p: MockProfile) => p.customerId === customerId && p.clientId.toLowerCase() === clientId.toLowerCase();
    let target = profileId ? this.profiles.find((p) => p.id === profileId) : undefined;
    if (profileId && !target) throw err("invalidInput", "That Citrix account is no longer saved.");
    const duplicate = this.profiles.find((p) => p.id !== target?.id && sameAccount(p));
    let newName = target?.name ?? `Citrix Cloud (${customerId})`;
    if (name !== null) newName = this.checkName(name, target?.id ?? null);
    if (duplicate && (target || name !== null)) {
      throw err(
        "invalidInput",
        `This customer and API client are already saved as "${duplicate.name}". Choose that account in the account menu instead of adding it again.`,
        "clientId",
      );
    }
    if (!target && name === null) target = duplicate;
    if (secret === null && !target?.secretStored) throw err("noSecretStored", "no secret in keychain");
    if (secret === "wrong") throw err("badCredentials", "token endpoint: 401 invalid_client");
    if (!target) {
      target = { id: `p-${this.nextProfile++}`, name: newName, region, customerId, clientId, secretStored: true };
      this.profiles.push(target);
    }
    Object.assign(target, { name: newName, region, customerId, clientId, secretStored: true });
    this.currentProfile = target.id;
    this.status.lastMode = "cloud";
    this.connection = {
      mode: "cloud",
      region,
      customerId,
      customerName: "Contoso Ltd",
      userDisplayName: "Compliance Officer",
      sites: this.sites,
      siteId: this.sites.length === 1 ? null : null,
      profileId: target.id,
      profile: target.name,
    };
    return this.connection;
  }

  private selectSite(siteId: string): Connection {
    if (!this.connection) throw err("notConnected", "not connected");
    if (!this.connection.sites.some((s) => s.id === siteId)) throw err("invalidInput", "unknown site");
    this.connection = { ...this.connection, siteId };
    return this.connection;
  }

  private visible(): MockSession[] {
    return this.sessions.filter((s) => !this.ended.has(s.row.id));
  }

  private search(q: SessionQuery, continuation: string | null) {
    this.requireSite();
    const has = (v: string | null, needle: string | null) => !needle || (v ?? "").toLowerCase().includes(needle.toLowerCase());
    const matches = this.visible().filter(
      (s) =>
        (has(s.row.userDisplayName, q.user) || has(s.row.userName, q.user) || has(s.row.userPrincipalName, q.user)) &&
        has(s.row.machineName, q.machine) &&
        has(s.row.deliveryGroup, q.deliveryGroup) &&
        (q.state === "any" || s.row.state.toLowerCase() === q.state),
    );
    const size = this.cfg.pageSize ?? 100;
    const offset = continuation ? Number(continuation.replace("page:", "")) : 0;
    // Like Citrix's search: no recording status; the UI asks for the rows in view (recording_statuses).
    const items = matches.slice(offset, offset + size).map((s) => ({ ...s.row, recording: null, recordingChecked: false }));
    const next = offset + size < matches.length ? `page:${offset + size}` : null;
    return { items, continuation: next, totalItems: matches.length };
  }

  private lookup(ids: string[]): LookupResult[] {
    this.requireSite();
    return ids.map((id) => {
      const s = this.byId.get(id);
      if (!s || this.ended.has(id)) return { id, row: null, error: err("notFound", `404: session ${id} not found`) };
      // Like the app: the recording status is asked for later, for the rows in view or selected.
      return { id, row: { ...s.row, recording: null, recordingChecked: false }, error: null };
    });
  }

  private getSession(id: string) {
    this.requireSite();
    const s = this.byId.get(id);
    if (!s || this.ended.has(id)) throw err("notFound", `404: session ${id} not found`);
    return { row: { ...s.row }, json: s.json, lastAction: s.lastAction };
  }

  private async runRecording(args: Record<string, unknown>): Promise<RunReport> {
    const site = this.requireSite();
    if (this.run) throw err("busy", "a run is already going");
    this.refuseOtherNotifyChoice(args.action as RunAction);
    const why = this.checkJustification((args.justification as Justification | undefined) ?? { reason: "", caseRef: "" });
    // Absent, not empty, when not given: as the trail writes them.
    this.why = { ...(why.reason ? { reason: why.reason } : {}), ...(why.caseRef ? { caseRef: why.caseRef } : {}) };
    const remember = (list: string[], v: string) =>
      v ? [v, ...list.filter((x) => x.toLowerCase() !== v.toLowerCase())].slice(0, 5) : list;
    this.settings.recentReasons = remember(this.settings.recentReasons, why.reason);
    this.settings.recentCases = remember(this.settings.recentCases, why.caseRef);
    const channel = args.onEvent as { id: number };
    const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } })
      .__TAURI_INTERNALS__;
    let index = 0;
    const send = (message: RunEvent) => internals.runCallback(channel.id, { index: index++, message });
    const asked = args.action as RunAction;
    const action = asked.action;
    const notifyUser = asked.action === "start" && asked.notifyUser;
    const ids = args.sessionIds as string[];
    const run = { cancelled: false };
    this.run = run;
    this.runId = `run-${Date.now()}`;
    const delay = () => sleep(this.cfg.runDelay ?? 10);
    const report: RunReport = {
      runId: this.runId,
      total: ids.length,
      succeeded: 0,
      recording: 0,
      notRecording: 0,
      sessionEnded: 0,
      refused: 0,
      unknown: 0,
      cancelled: 0,
      notAudited: 0,
    };
    const auditMissing = new Set(this.cfg.auditMissing ?? []);
    const confirmed = () => (this.confirmations.held ? new Promise<void>((go) => this.confirmations.waiters.push(go)) : Promise.resolve());
    const bare = (status: RunOutcome["status"]): RunOutcome => ({
      status,
      accepted: false,
      answerLost: false,
      kind: null,
      message: null,
      transactionId: null,
      auditMissing: false,
    });
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        const s = this.byId.get(id);
        let outcome: RunOutcome;
        if (run.cancelled) {
          outcome = { ...bare("cancelled"), message: "Cancelled before sending: no request reached Citrix for this session." };
          report.cancelled++;
          this.writeAudit("outcome", action, id, site, {
            outcome: "cancelled",
            message: outcome.message,
            accepted: false,
            answerLost: false,
          });
          send({ type: "finished", sessionId: id, outcome });
          continue;
        }
        const tx = `tx-${Math.floor(Math.random() * 1e9).toString(16)}`;
        this.writeAudit("requested", action, id, site, { notifyUser: action === "start" ? notifyUser : null });
        send({ type: "requested", sessionId: id });
        await delay();
        await this.whileHeld("run_answer");
        const failure = this.runFailures[id];
        const gone = !s || this.ended.has(id);
        if (failure) {
          outcome = { ...bare("refused"), kind: failure.kind, message: failure.message, transactionId: tx };
        } else if (this.unreachable.has(id)) {
          send({ type: "waiting", sessionId: id, accepted: false, transactionId: null });
          await delay();
          outcome = { ...bare("unknown"), answerLost: true, kind: "timeout", message: "Citrix did not answer in time." };
        } else if (gone) {
          outcome = { ...bare("sessionEnded"), transactionId: tx };
        } else {
          send({ type: "waiting", sessionId: id, accepted: true, transactionId: tx });
          await confirmed();
          await delay();
          const recording = action === "start" ? !this.neverRecords.has(id) : this.stuckRecording.has(id);
          outcome = { ...bare(recording ? "recording" : "notRecording"), accepted: true, transactionId: tx };
          if (s) {
            s.row.recording = recording;
            s.lastAction = { action: asked, at: new Date().toISOString(), transactionId: tx, response: s.json };
          }
        }
        report[outcome.status]++;
        if (action === "start" ? outcome.status === "recording" : outcome.status === "notRecording" || outcome.status === "sessionEnded") {
          report.succeeded++;
        }
        if (auditMissing.has(id)) {
          outcome.auditMissing = true;
          report.notAudited++;
          this.status.notices = [...this.status.notices, "1 of the last run's results could not be written to the audit trail."];
        } else {
          this.writeAudit("outcome", action, id, site, {
            outcome: outcome.status,
            kind: outcome.kind,
            message: outcome.message,
            transactionId: outcome.transactionId,
            accepted: outcome.accepted,
            answerLost: outcome.answerLost,
          });
        }
        send({ type: "finished", sessionId: id, outcome });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(this.settings.concurrency, ids.length)) }, worker));
      send({ type: "done", report });
      internals.runCallback(channel.id, { index, end: true });
      return report;
    } finally {
      this.run = null;
      this.why = {};
    }
  }

  // ---- audit -----------------------------------------------------------------------------

  private writeAudit(
    event: AuditRecord["event"],
    action: AuditRecord["action"],
    sessionId: string,
    siteId: string,
    extra: Partial<AuditRecord>,
    time = new Date(),
  ): AuditRecord {
    const s = this.byId.get(sessionId);
    const seq = this.audit.length + 1;
    const rec: AuditRecord = {
      seq,
      time: time.toISOString(),
      event,
      action,
      runId: this.runId,
      sessionId,
      sessionUser: s ? s.row.userName : null,
      displayName: s?.row.userDisplayName ?? undefined,
      machine: s ? s.row.machineName : null,
      notifyUser: null,
      outcome: null,
      kind: null,
      message: null,
      transactionId: null,
      osUser: "officer",
      computer: "COMPLIANCE-PC-07",
      appVersion: "0.1.0",
      mode: this.connection?.mode ?? "cloud",
      region: this.connection?.region ?? null,
      profile: this.connection?.profile ?? undefined,
      customerId: this.connection?.customerId ?? "contoso",
      siteId,
      hash: `h${seq}`,
      prevHash: `h${seq - 1}`,
      ...this.why,
      ...extra,
    };
    this.audit.push(rec);
    return rec;
  }

  private seedAudit(n: number, unknown: number, retried: boolean, demo: number): void {
    const site = this.sites[0]?.id ?? "site";
    const base = Date.UTC(2025, 2, 10, 9, 0, 0);
    const outcomes = ["recording", "stopped", "failed", "startedNotRecording", "recording", "cancelled"] as const;
    for (let i = 0; i < n && i < this.sessions.length; i++) {
      const s = this.sessions[i];
      const action = i % 3 === 1 ? "stop" : "start";
      const t = new Date(base + (i * 86_400_000) / 2);
      this.writeAudit("requested", action, s.row.id, site, { notifyUser: action === "start" ? i % 2 === 0 : null }, t);
      let outcome: string = action === "stop" ? "stopped" : outcomes[i % outcomes.length];
      if (outcome === "stopped" && action === "start") outcome = "recording";
      this.writeAudit(
        "outcome",
        action,
        s.row.id,
        site,
        {
          outcome,
          kind: outcome === "failed" ? "cannotRecord" : null,
          message: outcome === "failed" ? "400 SessionOperationFailed" : null,
          transactionId: `seed-tx-${i}`,
        },
        new Date(t.getTime() + 4000),
      );
    }
    for (let j = 0; j < unknown; j++) {
      const s = this.sessions[(n + j) % this.sessions.length];
      this.writeAudit(
        "requested",
        "start",
        s.row.id,
        site,
        { notifyUser: true, runId: "seed-crashed" },
        new Date(base + (n + j) * 43_200_000),
      );
    }
    if (retried) {
      for (let j = 0; j < unknown; j++) {
        const s = this.sessions[(n + j) % this.sessions.length];
        const t = new Date(base + (n + unknown + j) * 43_200_000);
        this.writeAudit("requested", "start", s.row.id, site, { notifyUser: true, runId: "seed-retry" }, t);
        this.writeAudit(
          "outcome",
          "start",
          s.row.id,
          site,
          { outcome: "recording", runId: "seed-retry", transactionId: `retry-tx-${j}` },
          new Date(t.getTime() + 4000),
        );
      }
    }
    for (let j = 0; j < demo; j++) {
      const s = this.sessions[j % this.sessions.length];
      const t = new Date(base + (n + 2 * unknown + j) * 43_200_000);
      this.writeAudit(
        "requested",
        "start",
        s.row.id,
        "demo-site",
        { notifyUser: false, runId: "seed-demo", mode: "demo", region: null },
        t,
      );
      this.writeAudit(
        "outcome",
        "start",
        s.row.id,
        "demo-site",
        { outcome: "recording", runId: "seed-demo", mode: "demo", region: null },
        new Date(t.getTime() + 4000),
      );
    }
  }

  private filterAudit(f: AuditFilter | null): AuditRecord[] {
    if (!f) return this.audit;
    const from = f.from ? Date.parse(f.from) : -Infinity;
    const to = f.to ? Date.parse(f.to) : Infinity;
    const user = f.user?.toLowerCase() ?? null;
    const caseRef = f.caseRef?.trim().toLowerCase() || null;
    return this.audit.filter((r) => {
      const t = Date.parse(r.time);
      return (
        t >= from &&
        t <= to &&
        (!user || [r.sessionUser, r.displayName, r.osUser].some((n) => (n ?? "").toLowerCase().includes(user))) &&
        (!caseRef || (r.caseRef ?? "").trim().toLowerCase() === caseRef) &&
        (!f.action || r.action === f.action) &&
        (!f.mode || r.mode === f.mode || r.event === "resealed") &&
        (!f.outcome || (f.outcome === "requested" ? r.event === "requested" : r.outcome === f.outcome))
      );
    });
  }

  private checkAgain(runId: string, sessionId: string): CheckResult {
    const site = this.requireSite();
    const asked = [...this.audit].reverse().find((r) => r.runId === runId && r.sessionId === sessionId);
    if (!asked) throw err("invalidInput", "The audit trail has no request for this session in that run.");
    const s = this.byId.get(sessionId);
    const status: CheckResult["status"] = this.unreachable.has(sessionId)
      ? "unknown"
      : !s || this.ended.has(sessionId)
        ? "sessionEnded"
        : s.row.recording
          ? "recording"
          : "notRecording";
    const message = status === "unknown" ? "Citrix did not answer in time." : null;
    const transactionId = `tx-check-${this.audit.length + 1}`;
    const saved = this.runId;
    this.runId = runId;
    this.writeAudit("check", asked.action, sessionId, site, {
      outcome: status,
      message,
      transactionId,
      notifyUser: asked.notifyUser,
      reason: asked.reason,
      caseRef: asked.caseRef,
    });
    this.runId = saved;
    return { sessionId, status, message, transactionId, auditMissing: false };
  }

  private auditView(filter: AuditFilter, limit: number) {
    // As the backend: a request is open until its (run, session, action) gets an outcome that is
    // known; an outcome "unknown" stays open until a check answers it. The run still going is
    // left out.
    const open = new Map<string, AuditRecord>();
    for (const r of this.audit) {
      const key = `${r.runId}|${r.sessionId}|${r.action}`;
      if (r.event === "requested" || r.outcome === "unknown") open.set(key, r);
      else open.delete(key);
    }
    const active = this.run ? this.runId : null;
    const unknownOutcomes = [...open.values()].filter((r) => r.runId !== active).sort((a, b) => a.seq - b.seq);
    const records = this.filterAudit(filter);
    return {
      records: records.slice(Math.max(0, records.length - Math.max(1, limit))),
      total: records.length,
      unknownOutcomes,
      chain: this.chain(),
      path: this.cfg.audit?.path ?? "/home/officer/.local/share/recording-desk/audit.jsonl",
      witnesses:
        this.cfg.witnesses === undefined
          ? {
              systemLog: {
                on: true,
                message:
                  "Every record is also noted in the system log (journalctl -t recording-desk, or the syslog's authpriv file), with its number and seal.",
              },
              collector: null,
            }
          : this.cfg.witnesses,
    };
  }

  /** As the backend states the trail's verification. */
  private chain(): AuditChain {
    const state: ChainState = this.brokenAt !== null ? "altered" : this.endUnverified ? "endUnverified" : "intact";
    const keyedFrom = this.cfg.audit?.keyedFrom === undefined ? (this.audit.length > 0 ? 1 : null) : this.cfg.audit.keyedFrom;
    const fallback =
      state === "endUnverified"
        ? `The end of the trail cannot be verified: the note of its last record, which Recording Desk keeps in the keychain, is missing. The file holds ${this.audit.length} records; the last one is record ${this.audit.length}, written ${this.audit.at(-1)?.time ?? "?"}.`
        : state === "altered"
          ? `hash mismatch at seq ${this.brokenAt}`
          : "all records verified";
    return {
      intact: state === "intact",
      state,
      brokenAt: this.brokenAt,
      message: state === "intact" ? fallback : (this.cfg.audit?.chainMessage ?? fallback),
      keyedFrom,
      resealedAt: this.resealedAt,
      lostKey: state === "intact" ? (this.cfg.audit?.lostKey ?? null) : null,
    };
  }

  /** The officer's Re-seal: a record saying what was found, then the end is verified again. */
  private reseal(): AuditChain {
    const before = this.chain();
    if (before.state !== "endUnverified")
      throw err("invalidInput", "The end of the audit trail can be verified, so there is nothing to re-seal.");
    const saved = this.runId;
    this.runId = `reseal-${this.audit.length + 1}`;
    const rec = this.writeAudit("resealed", "reseal", "", "", {
      message: `Re-sealed by officer on COMPLIANCE-PC-07. What was found: ${before.message}`,
      mode: "cloud",
      customerId: "",
      region: null,
    });
    this.runId = saved;
    this.endUnverified = false;
    this.resealedAt = rec.seq;
    return this.chain();
  }
}

export function installMockBackend(cfg: MockConfig): MockBackend {
  const backend = new MockBackend(cfg);
  // Events are mocked too: the window listens for the update status and the menu's About item.
  mockIPC((cmd, args) => backend.handle(cmd, (args ?? {}) as Record<string, unknown>), { shouldMockEvents: true });
  return backend;
}
