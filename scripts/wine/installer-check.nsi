; A small per-machine setup that runs the installer hooks of tauri.conf.json
; (bundle.windows.nsis.installerHooks) the way Tauri 2's own NSIS template (tauri-bundler's
; installer.nsi, installMode "perMachine", x64) does: the hooks file is included before the
; template's own defines, PREINSTALL after SetOutPath, POSTINSTALL once the files, the
; uninstaller and the Add/Remove Programs entry are written, PREUNINSTALL first and
; POSTUNINSTALL last in the uninstaller, after the app data step that a silent uninstall skips.
; Everything else of the template (WebView2, pages, shortcuts, its plugins) is left out.
;
; scripts/cross-check.sh --installers builds it with:
;   makensis -DHOOKS=<hooks.nsh> -DMAINBINARYSRCPATH=<recording-desk.exe> -DOUTFILE=<setup.exe>

Unicode true
; 64-bit, so that it runs in Wine without 32-bit Wine. Tauri's own setup is a 32-bit program that
; calls SetRegView 64 (below); the Event Log's key, under HKLM\SYSTEM, is the same in both views.
Target amd64-unicode
SetCompress off
; Built with warnings as errors; LogicLib's unused labels are its own, not the hooks'.
!pragma warning disable 6012

!include LogicLib.nsh
!include x64.nsh

!include "${HOOKS}"

!define PRODUCTNAME "Recording Desk"
!define MANUFACTURER "Recording Desk"
!define MAINBINARYNAME "recording-desk"
!define BUNDLEID "com.recordingdesk.desk"
!define INSTALLMODE "perMachine"
!define ARCH "x64"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCTNAME}"
!define MANUKEY "Software\${MANUFACTURER}"
!define MANUPRODUCTKEY "${MANUKEY}\${PRODUCTNAME}"

Name "${PRODUCTNAME}"
OutFile "${OUTFILE}"
!define PLACEHOLDER_INSTALL_DIR "placeholder\${PRODUCTNAME}"
InstallDir "${PLACEHOLDER_INSTALL_DIR}"
RequestExecutionLevel admin

; Tauri's utils.nsh.
!macro SetContext
  !if "${INSTALLMODE}" == "currentUser"
    SetShellVarContext current
  !else if "${INSTALLMODE}" == "perMachine"
    SetShellVarContext all
  !endif

  ${If} ${RunningX64}
    !if "${ARCH}" == "x64"
      SetRegView 64
    !else
      SetRegView 32
    !endif
  ${EndIf}
!macroend

Var DeleteAppDataCheckboxState
Var UpdateMode

Function .onInit
  !insertmacro SetContext
  ${If} $INSTDIR == "${PLACEHOLDER_INSTALL_DIR}"
    StrCpy $INSTDIR "$PROGRAMFILES64\${PRODUCTNAME}"
  ${EndIf}
FunctionEnd

Section Install
  SetOutPath $INSTDIR

  !ifmacrodef NSIS_HOOK_PREINSTALL
    !insertmacro NSIS_HOOK_PREINSTALL
  !endif

  File "/oname=${MAINBINARYNAME}.exe" "${MAINBINARYSRCPATH}"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr SHCTX "${MANUPRODUCTKEY}" "" $INSTDIR
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayName" "${PRODUCTNAME}"
  WriteRegStr SHCTX "${UNINSTKEY}" "UninstallString" "$\"$INSTDIR\uninstall.exe$\""

  !ifmacrodef NSIS_HOOK_POSTINSTALL
    !insertmacro NSIS_HOOK_POSTINSTALL
  !endif
SectionEnd

Function un.onInit
  !insertmacro SetContext
  ; Set by the template's confirm page and its /UPDATE option: neither in a silent uninstall.
  StrCpy $DeleteAppDataCheckboxState 0
  StrCpy $UpdateMode 0
FunctionEnd

Section Uninstall
  !ifmacrodef NSIS_HOOK_PREUNINSTALL
    !insertmacro NSIS_HOOK_PREUNINSTALL
  !endif

  Delete "$INSTDIR\${MAINBINARYNAME}.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTKEY}"

  ; The template's "Delete app data" box: never ticked in a silent uninstall, so the audit
  ; trail stays. Kept here so that the hooks run in the same shell context as in the template.
  ${If} $DeleteAppDataCheckboxState = 1
  ${AndIf} $UpdateMode <> 1
    DeleteRegKey SHCTX "${MANUPRODUCTKEY}"
    DeleteRegKey /ifempty SHCTX "${MANUKEY}"
    SetShellVarContext current
    RmDir /r "$APPDATA\${BUNDLEID}"
    RmDir /r "$LOCALAPPDATA\${BUNDLEID}"
  ${EndIf}

  !ifmacrodef NSIS_HOOK_POSTUNINSTALL
    !insertmacro NSIS_HOOK_POSTUNINSTALL
  !endif
SectionEnd
