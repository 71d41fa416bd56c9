// Types shared with the Rust app. They are generated from the Rust definitions by ts-rs into
// ./bindings (never edited by hand) and follow the IPC contract; this module is the one place
// the UI imports them from.
export type { ActionKind } from "./bindings/ActionKind";
export type { AppStatus } from "./bindings/AppStatus";
export type { AuditChain } from "./bindings/AuditChain";
export type { AuditEvent } from "./bindings/AuditEvent";
export type { AuditFilter } from "./bindings/AuditFilter";
export type { AuditRecord } from "./bindings/AuditRecord";
export type { AuditView } from "./bindings/AuditView";
export type { ChainState } from "./bindings/ChainState";
export type { Connection } from "./bindings/Connection";
export type { ErrorKind } from "./bindings/ErrorKind";
export type { InputField } from "./bindings/InputField";
export type { IpcError } from "./bindings/IpcError";
export type { Justification } from "./bindings/Justification";
export type { LastAction } from "./bindings/LastAction";
export type { LookupResult } from "./bindings/LookupResult";
export type { Mode } from "./bindings/Mode";
export type { ProfileInfo } from "./bindings/ProfileInfo";
export type { Region } from "./bindings/Region";
export type { ReportSaved } from "./bindings/ReportSaved";
export type { CheckResult } from "./bindings/CheckResult";
export type { RunAction } from "./bindings/RunAction";
export type { RunEvent } from "./bindings/RunEvent";
export type { RunOutcome } from "./bindings/RunOutcome";
export type { RunReport } from "./bindings/RunReport";
export type { RunStatus } from "./bindings/RunStatus";
export type { SavedAccount } from "./bindings/SavedAccount";
export type { SessionDetail } from "./bindings/SessionDetail";
export type { SessionPage } from "./bindings/SessionPage";
export type { SessionQuery } from "./bindings/SessionQuery";
export type { SessionRow } from "./bindings/SessionRow";
export type { SessionStateFilter } from "./bindings/SessionStateFilter";
export type { Settings } from "./bindings/Settings";
export type { Site } from "./bindings/Site";
