; Registers "Recording Desk" as a source of the Windows Event Log (Application log), so Event
; Viewer shows the text of each audit line Recording Desk notes there. Without it Windows still
; keeps the events, under a note that their description cannot be found.
;
; The message file is .NET Framework's EventLogMessages.dll (part of Windows 10 and 11), whose
; every event ID shows its text as it is ("%1"). Writing under HKLM needs the per-machine
; install (bundle.windows.nsis.installMode "perMachine", as tauri.conf.json has it).
;
; Wired in tauri.conf.json: "bundle" > "windows" > "nsis" > "installerHooks":
; "../packaging/windows/event-source.nsh" (the path is relative to src-tauri/).

!define RD_EVENT_SOURCE_KEY "SYSTEM\CurrentControlSet\Services\EventLog\Application\Recording Desk"

!macro NSIS_HOOK_POSTINSTALL
  WriteRegExpandStr HKLM "${RD_EVENT_SOURCE_KEY}" "EventMessageFile" "%SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll"
  ; Error, warning and information events.
  WriteRegDWORD HKLM "${RD_EVENT_SOURCE_KEY}" "TypesSupported" 7
!macroend

!macro NSIS_HOOK_POSTUNINSTALL
  ; The events already written stay in the log; only the source's registration goes.
  DeleteRegKey HKLM "${RD_EVENT_SOURCE_KEY}"
!macroend
