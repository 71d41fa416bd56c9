// The one table of what each error kind means to a compliance officer: what happened, then what
// to do. `ErrorKind` is generated from the one list of kinds in Rust (desk-core's `ErrorKind`:
// the Citrix client's kinds, then the app's), so a kind without copy here fails the type check.
import type { ErrorKind } from "./bindings/ErrorKind";

export type { ErrorKind };

export interface ErrorCopy {
  title: string;
  advice: string;
}

const IT_DETAILS = "If it happens again, send the details below to your IT team.";

export const ERROR_COPY: Readonly<Record<ErrorKind, ErrorCopy>> = {
  // Citrix client
  badCredentials: {
    title: "Citrix Cloud did not accept the client ID or secret",
    advice:
      "Copy both again from the API client in Citrix Cloud (Identity and Access Management > API Access > Secure clients), and check that the region is the one your Citrix Cloud account is in. If the API client was deleted or its secret replaced, create a new one there and use that.",
  },
  tokenRejected: {
    title: "Citrix Cloud stopped accepting this app's sign-in",
    advice:
      "Connect again. If this keeps happening, the API client may have been deleted or its access changed: ask your Citrix administrator.",
  },
  forbidden: {
    title: "Your Citrix account is not allowed to do this",
    advice:
      "The API client needs a Citrix DaaS administrator role that can manage sessions. Ask your Citrix administrator to check its access.",
  },
  wrongRegion: {
    title: "This account belongs to a different Citrix Cloud region",
    advice:
      "Choose the region your Citrix Cloud account is in (it shows in the Citrix Cloud web address, for example eu.cloud.com) and connect again.",
  },
  notFound: {
    title: "This session has ended or was not found",
    advice:
      "Citrix no longer has this session: the user may have logged off, or the ID was mistyped. Search for the user to find their current session.",
  },
  siteNotFound: {
    title: "Citrix does not know this site any more",
    advice: "The site may have been removed or renamed. Choose the site again in Settings, or connect again.",
  },
  cannotRecord: {
    title: "Citrix could not change recording on this session",
    advice:
      "Only active sessions that use Citrix HDX can be recorded. Check that the session is still active and try again; if it keeps failing, ask your Citrix administrator to check the Session Recording agent on that machine.",
  },
  rateLimited: {
    title: "Citrix Cloud is receiving too many requests",
    advice: "Wait a minute, then try again. For large batches, lower \u201cSessions handled at the same time\u201d in Settings.",
  },
  siteAsleep: {
    title: "Your Citrix site is asleep or waking up",
    advice:
      "Citrix puts quiet sites to sleep. Connecting asks Citrix to wake yours, which can take up to 20 minutes: try again in a few minutes.",
  },
  serviceUnavailable: {
    title: "Citrix Cloud is temporarily unavailable",
    advice: "Citrix did not answer properly, even after several tries. Wait a few minutes and try again.",
  },
  timeout: {
    title: "Citrix Cloud took too long to answer",
    advice:
      "The request may or may not have reached Citrix. Check the session's recording status before trying again, and check your network connection.",
  },
  network: {
    title: "Recording Desk can't reach Citrix Cloud",
    advice: "Check that this computer is connected to the internet (and to your company VPN, if you use one), then try again.",
  },
  badRequest: {
    title: "Citrix Cloud refused the request",
    advice: `Try again. ${IT_DETAILS}`,
  },
  unexpected: {
    title: "Something unexpected happened",
    advice: `Try again. ${IT_DETAILS}`,
  },
  invalidSessionId: {
    title: "That is not a valid session ID",
    advice: "A session ID looks like 313b84bb-6c1f-4d2e-9a4b-0c1d2e3f4a5b. Copy it again from its source, or search for the user instead.",
  },
  hostNotAllowed: {
    title: "Recording Desk refused to send your sign-in details to an unsafe address",
    advice:
      "Sign-in details are only ever sent to Citrix Cloud over a secure connection. Ask your IT team to check how Recording Desk is set up on this computer.",
  },
  cancelled: {
    title: "The run was cancelled before Citrix answered",
    advice: "It is not known what Citrix did with this session. Check again to ask Citrix now.",
  },
  // Recording Desk app
  keychainUnavailable: {
    title: "This computer's password store is not available",
    advice:
      "Recording Desk keeps the secret in the system password store (keychain). Make sure you are signed in to this computer normally, or ask your IT team to turn the password store on, then try again.",
  },
  keychainLocked: {
    title: "This computer's password store is locked",
    advice: "Unlock it (you may be asked for your computer password), then try again.",
  },
  noSecretStored: {
    title: "No saved secret was found on this computer",
    advice:
      "Enter the secret again. If you no longer have it, create a new API client in Citrix Cloud > Identity and Access Management > API Access > Secure clients.",
  },
  notConnected: {
    title: "Recording Desk is not connected to Citrix",
    advice: "Connect again to continue.",
  },
  noSiteSelected: {
    title: "No Citrix site is chosen",
    advice: "Choose the site you want to work with, then try again.",
  },
  auditUnavailable: {
    title: "The audit trail can't be written",
    advice:
      "Nothing is started or stopped unless it can first be written to the audit trail. Check that the disk is not full, then try again; if it continues, contact your IT team.",
  },
  fileWrite: {
    title: "The file could not be saved",
    advice: "Choose another folder (for example Documents) or free some disk space, then try again.",
  },
  invalidInput: {
    title: "Some information is missing or not valid",
    advice: "Check what you entered and try again.",
  },
  busy: {
    title: "Another recording request is still running",
    advice: "Wait for it to finish, or cancel it, then try again.",
  },
  demoUnavailable: {
    title: "The demo site could not start",
    advice: `Close and reopen Recording Desk. ${IT_DETAILS}`,
  },
  superseded: {
    title: "This connection was replaced by a newer one",
    advice: "You chose another account or the demo site while this one was still connecting. Nothing needs doing.",
  },
  setByOrganisation: {
    title: "Set by your organisation",
    advice:
      "Your IT department has set this for everyone who uses Recording Desk on this computer, so it can't be changed here. If it needs to change, ask your IT department.",
  },
};

/**
 * Kinds whose message was written by Recording Desk for the officer (which field, which range,
 * which date): shown as the advice instead of the generic text.
 */
const OWN_MESSAGE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(["invalidInput", "setByOrganisation"]);

/** Every kind in the contract, client kinds then app kinds. */
export const KNOWN_KINDS: readonly string[] = Object.keys(ERROR_COPY);

/** The copy for one error: its kind's, with the message as advice where the message is for the officer. */
export function describeIpcError(err: { kind: ErrorKind; message: string } | null | undefined): ErrorCopy {
  const copy = describeError(err?.kind);
  if (err && messageIsAdvice(err.kind) && err.message.trim() !== "") return { title: copy.title, advice: err.message };
  return copy;
}

/** Whether the message is already shown as the advice (then it is not repeated for IT). */
export function messageIsAdvice(kind: ErrorKind): boolean {
  return OWN_MESSAGE_KINDS.has(kind);
}

const GENERIC: ErrorCopy = {
  title: "Something went wrong",
  advice: `Recording Desk received an error it does not recognise, so it cannot say more. Try again. ${IT_DETAILS}`,
};

/** The copy for a kind; a string, because the audit trail keeps kinds from any version as text. */
export function describeError(kind: string | null | undefined): ErrorCopy {
  if (kind && Object.prototype.hasOwnProperty.call(ERROR_COPY, kind)) return ERROR_COPY[kind as ErrorKind];
  return GENERIC;
}

/** Kinds after which the only way on is to connect again. */
export function needsReconnect(kind: ErrorKind): boolean {
  return kind === "notConnected" || kind === "tokenRejected";
}
