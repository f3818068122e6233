; path.nsh - test-only macros that drive nsis/choconsis_path.py from an NSIS probe installer
; (the generated installers render these calls from the plan instead: generator/nsis.py).
;
; NSIS cannot edit PATH itself: ReadRegStr returns "" for values over 1024 characters, and the
; naive read-modify-write wipes a long PATH. The installed runtime's python.exe runs
; choconsis_path.py instead (winreg, any length, value type kept, exact undo from a record).
;
; Provided:
;   !insertmacro ChoconsisPathAdd PYTHON_EXE SCRIPT SCOPE RECORD ENTRIES
;   !insertmacro ChoconsisPathRemove PYTHON_EXE SCRIPT SCOPE RECORD
; PYTHON_EXE, SCRIPT, RECORD: paths (quoted here; they must not contain '"').
; SCOPE: machine | user.
; ENTRIES: the entries as one command-line tail, each already quoted by the caller,
;          e.g. `"C:\Python27" "C:\Python27\Scripts"`.
; Both run the script with nsExec::ExecToLog (its output goes to the details log) and push its
; exit code: "0" on success, another number on failure (the message is in the log), or
; "error" when python.exe could not be started. The whole command line must stay under
; NSIS_MAX_STRLEN (1024 characters). No register is changed.
;
; python.exe runs with -E -s so PYTHON* variables and the user's site-packages on the target
; machine cannot change what the script does (both flags exist in Python 2.7 and 3.x).

!ifndef CHOCONSIS_PATH_NSH
!define CHOCONSIS_PATH_NSH

!macro ChoconsisPathAdd PYTHON_EXE SCRIPT SCOPE RECORD ENTRIES
  nsExec::ExecToLog `"${PYTHON_EXE}" -E -s "${SCRIPT}" add --scope ${SCOPE} --record "${RECORD}" ${ENTRIES}`
!macroend

!macro ChoconsisPathRemove PYTHON_EXE SCRIPT SCOPE RECORD
  nsExec::ExecToLog `"${PYTHON_EXE}" -E -s "${SCRIPT}" remove --scope ${SCOPE} --record "${RECORD}"`
!macroend

!endif ; CHOCONSIS_PATH_NSH
