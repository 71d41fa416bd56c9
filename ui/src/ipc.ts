// The only module that talks to the Rust side. Every command is a typed function; every failure
// is re-thrown as a CommandError carrying the contract's `{ kind, message, field? }`, so screens
// never see a raw string, an Error from the bridge or an HTTP status.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { save } from "@tauri-apps/plugin-dialog";
import type {
  AppStatus,
  AuditChain,
  AuditFilter,
  AuditView,
  CheckResult,
  Connection,
  ErrorKind,
  InputField,
  IpcError,
  Justification,
  LookupResult,
  ProfileInfo,
  RecordingStatusRow,
  Region,
  ReportSaved,
  RunAction,
  RunEvent,
  RunReport,
  SessionDetail,
  SessionPage,
  SessionQuery,
  Settings,
  UpdateStatus,
} from "./types";

export class CommandError extends Error implements IpcError {
  readonly kind: ErrorKind;
  /** The form field the error is about (which sign-in field is wrong), when it is about one. */
  readonly field?: InputField;
  constructor(kind: ErrorKind, message: string, field?: InputField) {
    super(message);
    this.name = "CommandError";
    this.kind = kind;
    if (field !== undefined) this.field = field;
  }
}

/**
 * Anything thrown across the bridge, reduced to `{ kind, message, field? }`; unknown shapes become
 * "unexpected". The kind is trusted to be one of the generated `ErrorKind`s (the backend is built
 * from the same list); one outside it would still get the generic copy from `describeError`.
 */
export function normaliseError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (err && typeof err === "object") {
    const o = err as Record<string, unknown>;
    if (typeof o.kind === "string" && o.kind.length > 0) {
      const field = typeof o.field === "string" ? (o.field as InputField) : undefined;
      return new CommandError(o.kind as ErrorKind, typeof o.message === "string" ? o.message : "", field);
    }
    if (typeof o.message === "string") return new CommandError("unexpected", o.message);
  }
  if (typeof err === "string") return new CommandError("unexpected", err);
  return new CommandError("unexpected", String(err));
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (err) {
    throw normaliseError(err);
  }
}

export const appStatus = () => call<AppStatus>("app_status");

/**
 * The sign-in form. `name` is the name the account is saved under (null keeps a saved account's
 * name); `profileId` is the saved account signed in to, null for a new one.
 */
export const connectCloud = (
  region: Region,
  customerId: string,
  clientId: string,
  secret: string | null,
  name: string | null = null,
  profileId: string | null = null,
) => call<Connection>("connect_cloud", { region, customerId, clientId, secret, name, profileId });

/** The saved Citrix accounts and the demo site, the current one marked. */
export const listProfiles = () => call<ProfileInfo[]>("list_profiles");
/** Closes the connection and connects the chosen account; `noSecretStored` when its secret must be entered. */
export const switchProfile = (profileId: string) => call<Connection>("switch_profile", { profileId });
export const renameProfile = (profileId: string, name: string) => call<ProfileInfo[]>("rename_profile", { profileId, name });
/** Removes the account and its secret from this computer; the audit trail keeps its records. */
export const removeProfile = (profileId: string) => call<ProfileInfo[]>("remove_profile", { profileId });

export const connectDemo = () => call<Connection>("connect_demo");
export const disconnect = () => call<null>("disconnect");
export const forgetCredentials = () => call<null>("forget_credentials");
export const selectSite = (siteId: string) => call<Connection>("select_site", { siteId });

export const searchSessions = (query: SessionQuery, continuation: string | null) =>
  call<SessionPage>("search_sessions", { query, continuation });

/** What Citrix says about each session's recording now: asked for the rows the officer sees or has selected. */
export const recordingStatuses = (ids: string[]) => call<RecordingStatusRow[]>("recording_statuses", { ids });

export const lookupSessions = (ids: string[]) => call<LookupResult[]>("lookup_sessions", { ids });
export const getSession = (sessionId: string) => call<SessionDetail>("get_session", { sessionId });

/**
 * Resolves with the report once the run is over; progress arrives through `onEvent` in order.
 * `action` is the one run type, `{ action: "start", notifyUser }` or `{ action: "stop" }`; the reason
 * and case go into every record of the run.
 */
export function runRecording(
  action: RunAction,
  sessionIds: string[],
  justification: Justification,
  onEvent: (event: RunEvent) => void,
): Promise<RunReport> {
  const channel = new Channel<RunEvent>();
  channel.onmessage = onEvent;
  return call<RunReport>("run_recording", { action, sessionIds, justification, onEvent: channel });
}

/** The reason and case as a run takes them, or an `invalidInput` error whose `field` says which to fix. */
export const checkJustification = (justification: Justification) => call<Justification>("check_justification", { justification });

export const cancelRun = () => call<null>("cancel_run");
/** Asks Citrix again about a session whose outcome in run `runId` was not known; the answer is written to the audit trail. */
export const checkAgain = (runId: string, sessionId: string) => call<CheckResult>("check_again", { runId, sessionId });
/** The latest `limit` records that match the filter, and how many match in all. */
export const auditView = (filter: AuditFilter, limit: number) => call<AuditView>("audit_view", { filter, limit });
export const resealAudit = () => call<AuditChain>("reseal_audit");
export const exportAuditCsv = (filter: AuditFilter, path: string) => call<number>("export_audit_csv", { filter, path });
/** The investigation report (PDF) of the records the filter chooses. */
export const exportAuditReport = (filter: AuditFilter, path: string) => call<ReportSaved>("export_audit_report", { filter, path });
export const saveSessionJson = (sessionId: string, path: string) => call<null>("save_session_json", { sessionId, path });
export const getSettings = () => call<Settings>("get_settings");
export const updateSettings = (settings: Settings) => call<Settings>("update_settings", { settings });

/** The installed version, and what is known about newer ones. */
export const updateStatus = () => call<UpdateStatus>("update_status");
/** Looks for a new version now; no request is made when the organisation turned this off. */
export const updateCheck = () => call<UpdateStatus>("update_check");
/** Downloads the new version found, has its signature checked, and installs it. */
export const updateInstall = () => call<UpdateStatus>("update_install");
/** Restarts into the installed new version (refused while a recording request runs). */
export const updateRestart = () => call<null>("update_restart");

/** Each change of the update status, including those of the look at start-up. */
export const onUpdateStatus = (handler: (status: UpdateStatus) => void) => listen<UpdateStatus>("update-status", (e) => handler(e.payload));
/** The app menu's About item. */
export const onShowAbout = (handler: () => void) => listen("show-about", () => handler());

/** The OS "Save as" dialog. Resolves to null when the officer closes it without choosing. */
export async function chooseSavePath(defaultName: string, filterName: string, extension: string): Promise<string | null> {
  try {
    return await save({ defaultPath: defaultName, filters: [{ name: filterName, extensions: [extension] }] });
  } catch (err) {
    throw normaliseError(err);
  }
}
