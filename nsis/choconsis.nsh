; choconsis.nsh - logging and process-PATH helpers of choconsis installers.
;
; Provided:
;   Var LogFile, Var LogCopy        the log files every line goes to ("" = not written)
;   !insertmacro ChoconsisDefineLog PREFIX     defines Function ${PREFIX}ChoconsisLog
;       (insert once with "" for the installer and once with "un." for the uninstaller)
;   !insertmacro ChoconsisLog PREFIX TEXT      DetailPrint TEXT and append
;       "YYYY-MM-DD HH:MM:SS  TEXT" to $LogFile and $LogCopy (UTF-16LE with a BOM: the
;       same text Windows tools show, whatever the code page)
;   !insertmacro ChoconsisIsolatePython         unsets PYTHONPATH, PIP_TARGET, ... (see below)
;   !insertmacro ChoconsisBeginStep N ACTION OWNS   a step starts: $Done = N, a log line
;       (set $StepName and $StepKey first; ACTION and OWNS are the plan's names)
;   !insertmacro ChoconsisBeginUndo PREFIX ACTION   the undo side of $StepKey starts
;   !insertmacro ChoconsisRecord VALUE           state.ini [$StepKey] record=VALUE (what the
;       step did, read back by its undo side); ChoconsisReadRecord OUT reads it ("" if none)
;   !insertmacro ChoconsisMsiInstalled CODE OUT  OUT = MsiQueryProductStateW(CODE) (5: installed)
;   !insertmacro ChoconsisPythonRegistered TAG VIEW OUT   OUT = the InstallPath of a PEP 514
;       registration of Python TAG (HKCU for a per-user install, then HKLM; registry view 32
;       or 64), "" when there is none
;   Shared runtimes: SHCTX\Software\choconsis\Runtimes\KEY holds Uninstall (the command line
;   that removes the runtime), File (a kept installer, or "") and one value app:<id> per
;   choconsis app using it (CHOCONSIS_APP_ID, defined by the script):
;   !insertmacro ChoconsisRegisterRuntime KEY UNINSTALL FILE   this install put it there
;   !insertmacro ChoconsisUseRuntime KEY          this app uses it
;   !insertmacro ChoconsisReleaseRuntime PREFIX KEY OUT   this app stops using it; OUT = how
;       many other apps still do (needs ChoconsisDefineRuntimeCount PREFIX)
;   !insertmacro ChoconsisDefinePrependPath    defines Function ChoconsisPrependProcessPath:
;       stack top = "entry;entry"; prepends it to this process's PATH (inherited by every
;       program the installer starts). The old value is copied with Windows' own calls into
;       an allocated buffer, so a PATH longer than an NSIS string (1024) stays whole.

!ifndef CHOCONSIS_NSH
!define CHOCONSIS_NSH

!include LogicLib.nsh
!include FileFunc.nsh

Var LogFile
Var LogCopy

!macro ChoconsisDefineLog PREFIX
; Append stack top ($R9) to the file named by $R8 when $R8 is not empty.
Function ${PREFIX}_ChoconsisAppend
  Exch $R8
  Exch
  Exch $R9
  Push $R7
  Push $R6
  ${If} $R8 != ""
    ClearErrors
    FileOpen $R7 "$R8" a
    ${IfNot} ${Errors}
      FileSeek $R7 0 END $R6
      ${If} $R6 = 0
        FileWriteUTF16LE /BOM $R7 ""
      ${EndIf}
      FileWriteUTF16LE $R7 "$R9$\r$\n"
      FileClose $R7
    ${EndIf}
  ${EndIf}
  Pop $R6
  Pop $R7
  Pop $R9
  Pop $R8
FunctionEnd

Function ${PREFIX}ChoconsisLog
  Exch $R0
  Push $0
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  DetailPrint "$R0"
  ${GetTime} "" "L" $0 $1 $2 $3 $4 $5 $6
  Push "$2-$1-$0 $4:$5:$6  $R0"
  Push $LogFile
  Call ${PREFIX}_ChoconsisAppend
  Push "$2-$1-$0 $4:$5:$6  $R0"
  Push $LogCopy
  Call ${PREFIX}_ChoconsisAppend
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
  Pop $R0
FunctionEnd
!macroend

!macro ChoconsisLog PREFIX TEXT
  Push "${TEXT}"
  Call ${PREFIX}ChoconsisLog
!macroend

!macro ChoconsisBeginStep NUMBER ACTION OWNS
  StrCpy $Done ${NUMBER}
  !insertmacro ChoconsisLog "" "$StepName: start (${ACTION}; owns: ${OWNS})"
!macroend

!macro ChoconsisBeginUndo PREFIX ACTION
  !insertmacro ChoconsisLog "${PREFIX}" "undo $StepName: ${ACTION}"
!macroend

!macro ChoconsisRecord VALUE
  WriteINIStr "$StateDir\state.ini" "$StepKey" "record" "${VALUE}"
  FlushINI "$StateDir\state.ini"
!macroend

!macro ChoconsisReadRecord OUT
  ClearErrors
  ReadINIStr ${OUT} "$StateDir\state.ini" "$StepKey" "record"
  ClearErrors
!macroend

!macro ChoconsisMsiInstalled CODE OUT
  System::Call 'msi::MsiQueryProductStateW(w "${CODE}") i .s'
  Pop ${OUT}
!macroend

; The registry view is a global setting of the installer: CHOCONSIS_REGVIEW (32 or 64, defined
; by the script) is the one it keeps between calls.
!macro ChoconsisPythonRegistered TAG VIEW OUT
  SetRegView ${VIEW}
  StrCpy ${OUT} ""
  ${If} $Scope == "user"
    ClearErrors
    ReadRegStr ${OUT} HKCU "Software\Python\PythonCore\${TAG}\InstallPath" ""
  ${EndIf}
  ${If} ${OUT} == ""
    ClearErrors
    ReadRegStr ${OUT} HKLM "Software\Python\PythonCore\${TAG}\InstallPath" ""
  ${EndIf}
  ClearErrors
  SetRegView ${CHOCONSIS_REGVIEW}
!macroend

!define CHOCONSIS_RUNTIMES "Software\choconsis\Runtimes"
!define CHOCONSIS_KEPT_RUNTIMES "$LOCALAPPDATA\choconsis\runtimes"

!macro ChoconsisRegisterRuntime KEY UNINSTALL FILE
  WriteRegStr SHCTX "${CHOCONSIS_RUNTIMES}\${KEY}" "Uninstall" "${UNINSTALL}"
  WriteRegStr SHCTX "${CHOCONSIS_RUNTIMES}\${KEY}" "File" "${FILE}"
!macroend

!macro ChoconsisUseRuntime KEY
  WriteRegStr SHCTX "${CHOCONSIS_RUNTIMES}\${KEY}" "app:${CHOCONSIS_APP_ID}" "${CHOCONSIS_APP_VERSION}"
!macroend

!macro ChoconsisRemoveKeptRuntimes
  RMDir "${CHOCONSIS_KEPT_RUNTIMES}"
  RMDir "$LOCALAPPDATA\choconsis"
!macroend

; Function ${PREFIX}ChoconsisRuntimeUsers: stack top = a Runtimes key; pushes how many
; app:* values it has.
!macro ChoconsisDefineRuntimeCount PREFIX
Function ${PREFIX}ChoconsisRuntimeUsers
  Exch $R0
  Push $R1
  Push $R2
  Push $R3
  Push $R4
  StrCpy $R1 0
  StrCpy $R4 0
  ${Do}
    ClearErrors
    EnumRegValue $R2 SHCTX "${CHOCONSIS_RUNTIMES}\$R0" $R1
    ${If} ${Errors}
    ${OrIf} $R2 == ""
      ${Break}
    ${EndIf}
    StrCpy $R3 $R2 4
    ${If} $R3 == "app:"
      IntOp $R4 $R4 + 1
    ${EndIf}
    IntOp $R1 $R1 + 1
  ${Loop}
  ClearErrors
  StrCpy $R0 $R4
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Exch $R0
FunctionEnd
!macroend

!macro ChoconsisReleaseRuntime PREFIX KEY OUT
  DeleteRegValue SHCTX "${CHOCONSIS_RUNTIMES}\${KEY}" "app:${CHOCONSIS_APP_ID}"
  Push "${KEY}"
  Call ${PREFIX}ChoconsisRuntimeUsers
  Pop ${OUT}
!macroend

!macro ChoconsisDefinePrependPath
Function ChoconsisPrependProcessPath
  Exch $0                       ; "entry;entry"
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  StrCpy $0 "$0;"
  StrLen $1 $0
  ; size of the current value in characters, terminator included (0 when PATH is unset)
  System::Call 'kernel32::GetEnvironmentVariableW(w "PATH", p 0, i 0) i .r2'
  IntOp $3 $1 + $2
  IntOp $3 $3 + 1
  IntOp $3 $3 * 2
  System::Alloc $3
  Pop $4
  System::Call 'kernel32::lstrcpyW(p r4, w r0)'
  ${If} $2 > 0
    IntOp $5 $1 * 2
    IntPtrOp $5 $4 + $5
    System::Call 'kernel32::GetEnvironmentVariableW(w "PATH", p r5, i r2)'
  ${EndIf}
  System::Call 'kernel32::SetEnvironmentVariableW(w "PATH", p r4)'
  System::Free $4
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd
!macroend

; Remove, from this process's environment (inherited by python.exe, pip and the check), the
; variables that would make the installed runtime load other code or pip install somewhere
; else or refuse to run: a user's PYTHONPATH or PIP_TARGET must not change what gets installed.
; Proxy and certificate settings (PIP_PROXY, PIP_CERT, HTTPS_PROXY) are kept on purpose.
!macro ChoconsisIsolatePython
  !insertmacro _ChoconsisUnsetEnv PYTHONHOME
  !insertmacro _ChoconsisUnsetEnv PYTHONPATH
  !insertmacro _ChoconsisUnsetEnv PYTHONUSERBASE
  !insertmacro _ChoconsisUnsetEnv PIP_TARGET
  !insertmacro _ChoconsisUnsetEnv PIP_PREFIX
  !insertmacro _ChoconsisUnsetEnv PIP_ROOT
  !insertmacro _ChoconsisUnsetEnv PIP_USER
  !insertmacro _ChoconsisUnsetEnv PIP_REQUIRE_VIRTUALENV
  !insertmacro _ChoconsisUnsetEnv PIP_NO_INDEX
  !insertmacro _ChoconsisUnsetEnv PIP_FIND_LINKS
  !insertmacro _ChoconsisUnsetEnv PIP_EXTRA_INDEX_URL
  !insertmacro _ChoconsisUnsetEnv PIP_NO_BINARY
  !insertmacro _ChoconsisUnsetEnv PIP_CONSTRAINT
!macroend

!macro _ChoconsisUnsetEnv NAME
  System::Call 'kernel32::SetEnvironmentVariableW(w "${NAME}", p 0)'
!macroend

!endif ; CHOCONSIS_NSH
