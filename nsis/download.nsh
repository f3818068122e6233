; download.nsh - verified downloads, SHA-256 and MSI product codes for choconsis installers.
;
; Debian's makensis has no HTTPS download plugin, so these macros call Windows' own functions
; through the System plugin (WinINet for HTTP(S), BCrypt for SHA-256, msi.dll for MSI
; properties). Wine implements all three, which is what lets the tests run them on Linux.
;
; Provided (usable in installer and uninstaller sections/functions, x86-unicode and
; amd64-unicode):
;
;   !insertmacro ChoconsisDownloadVerified URL DEST SHA256
;       Downloads URL (https://, or http:// for loopback tests) to DEST, hashes DEST and compares
;       with SHA256 (hex, any case). Pushes "OK", or one line:
;         "download failed: URL (HTTP 404 Not Found)"         an HTTP status and its phrase
;         "download failed: URL (code 12007: the server name could not be resolved)"
;                                            a WinINet or Windows error code and its words
;         "sha256 mismatch for URL: got X, expected Y"
;       The words come from the macros _ChoconsisCodeWords and _ChoconsisHttpWords, which
;       choconsis renders from its one table (choconsis/netreasons.py) before including this
;       file; an unknown code keeps its number only.
;       DEST is deleted on any failure, so a refused file can never be run.
;   !insertmacro ChoconsisSha256File FILE
;       Pushes the lowercase hex SHA-256 of FILE, or "error: ...".
;   !insertmacro ChoconsisMsiProductCode FILE
;       Pushes the MSI's ProductCode ("{GUID}"), or "error: ...".
;
; Registers: every macro saves and restores the registers it uses ($0-$9, $R0-$R3); only the
; pushed result changes the stack. The error flag is cleared. A download error line carries the
; URL and up to about 110 characters of words: a longer URL than about 880 characters is cut at
; NSIS_MAX_STRLEN (recipe URLs are far shorter).
;
; Why WinINet rather than urlmon's URLDownloadToFileW: WinINet gives the HTTP status code
; (a 404 error page is never mistaken for the file), can bypass and not fill the IE cache
; (a 30 MB runtime is not stored twice), and uses the system proxy settings.

!ifndef CHOCONSIS_DOWNLOAD_NSH
!define CHOCONSIS_DOWNLOAD_NSH

!include LogicLib.nsh
!include Util.nsh

!ifmacrondef _ChoconsisCodeWords
  !error "download.nsh needs the _ChoconsisCodeWords and _ChoconsisHttpWords macros first (choconsis.backends.nsis.reasons renders them)"
!endif

!define /ifndef CHOCONSIS_CHUNK 1048576

; INTERNET_FLAG_RELOAD | NO_CACHE_WRITE | KEEP_CONNECTION | NO_UI | PRAGMA_NOCACHE
!define /ifndef CHOCONSIS_INET_FLAGS 0x84400300
; HTTP_QUERY_STATUS_CODE | HTTP_QUERY_FLAG_NUMBER
!define /ifndef CHOCONSIS_QUERY_STATUS 0x20000013

!macro _ChoconsisSaveRegs
  Push $0
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  Push $7
  Push $8
  Push $9
  Push $R0
  Push $R1
  Push $R2
  Push $R3
!macroend

; Stack on entry: RESULT, saved registers. Leaves RESULT on top with every register restored.
!macro _ChoconsisRestoreRegsKeepResult
  Pop $0
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
  Pop $9
  Pop $8
  Pop $7
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
!macroend

; ---------------------------------------------------------------- SHA-256 of a file
; In: stack top = FILE. Out: stack top = hex digest or "error: ...". Uses $0-$9 freely.
!macro _ChoconsisSha256Body
  Pop $0                                  ; file
  StrCpy $9 ""                            ; result
  StrCpy $1 0                             ; algorithm handle
  StrCpy $2 0                             ; hash handle
  StrCpy $3 -1                            ; file handle
  StrCpy $4 0                             ; buffer
  System::Call 'bcrypt::BCryptOpenAlgorithmProvider(*p .r1, w "SHA256", p 0, i 0) i .r5'
  ${If} $5 <> 0
    IntFmt $5 "0x%08X" $5
    StrCpy $1 0
    StrCpy $9 "error: BCryptOpenAlgorithmProvider failed ($5)"
    Goto choconsis_sha_done
  ${EndIf}
  System::Call 'bcrypt::BCryptCreateHash(p r1, *p .r2, p 0, i 0, p 0, i 0, i 0) i .r5'
  ${If} $5 <> 0
    IntFmt $5 "0x%08X" $5
    StrCpy $2 0
    StrCpy $9 "error: BCryptCreateHash failed ($5)"
    Goto choconsis_sha_done
  ${EndIf}
  ; GENERIC_READ, FILE_SHARE_READ, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN
  System::Call 'kernel32::CreateFileW(w r0, i 0x80000000, i 1, p 0, i 3, i 0x08000000, p 0) p .r3 ?e'
  Pop $5
  ${If} $3 P= -1
    StrCpy $9 "error: cannot open $0 (code $5)"
    Goto choconsis_sha_done
  ${EndIf}
  System::Alloc ${CHOCONSIS_CHUNK}
  Pop $4
  ${Do}
    System::Call 'kernel32::ReadFile(p r3, p r4, i ${CHOCONSIS_CHUNK}, *i .r6, p 0) i .r5 ?e'
    Pop $7
    ${If} $5 = 0
      StrCpy $9 "error: cannot read $0 (code $7)"
      Goto choconsis_sha_done
    ${EndIf}
    ${IfThen} $6 = 0 ${|} ${ExitDo} ${|}
    System::Call 'bcrypt::BCryptHashData(p r2, p r4, i r6, i 0) i .r5'
    ${If} $5 <> 0
      IntFmt $5 "0x%08X" $5
      StrCpy $9 "error: BCryptHashData failed ($5)"
      Goto choconsis_sha_done
    ${EndIf}
  ${Loop}
  System::Call 'bcrypt::BCryptFinishHash(p r2, p r4, i 32, i 0) i .r5'
  ${If} $5 <> 0
    IntFmt $5 "0x%08X" $5
    StrCpy $9 "error: BCryptFinishHash failed ($5)"
    Goto choconsis_sha_done
  ${EndIf}
  StrCpy $6 0
  ${Do}
    IntPtrOp $7 $4 + $6
    System::Call '*$7(&i1 .r8)'
    IntOp $8 $8 & 0xFF
    IntFmt $8 "%02x" $8
    StrCpy $9 "$9$8"
    IntOp $6 $6 + 1
  ${LoopUntil} $6 >= 32
choconsis_sha_done:
  ${If} $4 P<> 0
    System::Free $4
  ${EndIf}
  ${If} $3 P<> -1
    System::Call 'kernel32::CloseHandle(p r3)'
  ${EndIf}
  ${If} $2 P<> 0
    System::Call 'bcrypt::BCryptDestroyHash(p r2)'
  ${EndIf}
  ${If} $1 P<> 0
    System::Call 'bcrypt::BCryptCloseAlgorithmProvider(p r1, i 0)'
  ${EndIf}
  ClearErrors
  Push $9
!macroend

!macro _ChoconsisSha256Func
  !insertmacro _ChoconsisSha256Body
!macroend

!macro ChoconsisSha256File FILE
  !insertmacro _ChoconsisSaveRegs
  Push "${FILE}"
  ${CallArtificialFunction} _ChoconsisSha256Func
  !insertmacro _ChoconsisRestoreRegsKeepResult
!macroend

; ---------------------------------------------------------------- download + verify
; In: stack = SHA256 (top), DEST, URL. Out: "OK" or an error line. Uses $0-$9, $R0-$R3.
!macro _ChoconsisDownloadFunc
  Pop $R2                                 ; expected sha256
  Pop $R1                                 ; dest
  Pop $R0                                 ; url
  StrCpy $R3 ""                           ; result
  StrCpy $1 0                             ; session
  StrCpy $2 0                             ; request
  StrCpy $3 -1                            ; file
  StrCpy $4 0                             ; buffer
  ; A failure jumps to choconsis_dl_failed with $9 = the code, $7 = "http" for an HTTP
  ; status (else a WinINet or Windows error code), $0 = what failed on this machine ("" for
  ; the network).
  StrCpy $0 ""
  StrCpy $7 ""
  System::Call 'wininet::InternetOpenW(w "choconsis", i 0, p 0, p 0, i 0) p .r1 ?e'
  Pop $9
  ${If} $1 P= 0
    Goto choconsis_dl_failed
  ${EndIf}
  System::Call 'wininet::InternetOpenUrlW(p r1, w R0, p 0, i 0, i ${CHOCONSIS_INET_FLAGS}, p 0) p .r2 ?e'
  Pop $9
  ${If} $2 P= 0
    Goto choconsis_dl_failed
  ${EndIf}
  System::Call 'wininet::HttpQueryInfoW(p r2, i ${CHOCONSIS_QUERY_STATUS}, *i .r6, *i 4, p 0) i .r5 ?e'
  Pop $9
  ${If} $5 = 0
    Goto choconsis_dl_failed
  ${EndIf}
  ${If} $6 <> 200
    StrCpy $9 $6
    StrCpy $7 "http"
    Goto choconsis_dl_failed
  ${EndIf}
  ; GENERIC_WRITE, no sharing, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL
  System::Call 'kernel32::CreateFileW(w R1, i 0x40000000, i 0, p 0, i 2, i 0x80, p 0) p .r3 ?e'
  Pop $9
  ${If} $3 P= -1
    StrCpy $0 ", cannot create $R1"
    Goto choconsis_dl_failed
  ${EndIf}
  System::Alloc ${CHOCONSIS_CHUNK}
  Pop $4
  ${Do}
    System::Call 'wininet::InternetReadFile(p r2, p r4, i ${CHOCONSIS_CHUNK}, *i .r6) i .r5 ?e'
    Pop $9
    ${If} $5 = 0
      Goto choconsis_dl_failed
    ${EndIf}
    ${IfThen} $6 = 0 ${|} ${ExitDo} ${|}
    System::Call 'kernel32::WriteFile(p r3, p r4, i r6, *i .r8, p 0) i .r5 ?e'
    Pop $9
    ${If} $5 = 0
    ${OrIf} $8 <> $6
      StrCpy $0 ", cannot write $R1"
      Goto choconsis_dl_failed
    ${EndIf}
  ${Loop}
  System::Call 'kernel32::CloseHandle(p r3)'
  StrCpy $3 -1
  !insertmacro ChoconsisSha256File $R1
  Pop $5
  StrCpy $6 $5 6
  ${If} $6 == "error:"
    StrCpy $R3 "download failed: $R0 (sha256 $5)"
  ${ElseIf} $5 != $R2                     ; StrCmp ignores case
    StrCpy $R3 "sha256 mismatch for $R0: got $5, expected $R2"
  ${Else}
    StrCpy $R3 "OK"
  ${EndIf}
  Goto choconsis_dl_done
choconsis_dl_failed:
  ${If} $7 == "http"
    !insertmacro _ChoconsisHttpWords $9 $8
    StrCpy $R3 "download failed: $R0 (HTTP $9$8)"
  ${Else}
    !insertmacro _ChoconsisCodeWords $9 $8
    StrCpy $R3 "download failed: $R0 (code $9$8$0)"
  ${EndIf}
choconsis_dl_done:
  ${If} $4 P<> 0
    System::Free $4
  ${EndIf}
  ${If} $3 P<> -1
    System::Call 'kernel32::CloseHandle(p r3)'
  ${EndIf}
  ${If} $2 P<> 0
    System::Call 'wininet::InternetCloseHandle(p r2)'
  ${EndIf}
  ${If} $1 P<> 0
    System::Call 'wininet::InternetCloseHandle(p r1)'
  ${EndIf}
  ${If} $R3 != "OK"
    Delete $R1
  ${EndIf}
  ClearErrors
  Push $R3
!macroend

!macro ChoconsisDownloadVerified URL DEST SHA256
  !insertmacro _ChoconsisSaveRegs
  Push "${URL}"
  Push "${DEST}"
  Push "${SHA256}"
  ${CallArtificialFunction} _ChoconsisDownloadFunc
  !insertmacro _ChoconsisRestoreRegsKeepResult
!macroend

; ---------------------------------------------------------------- MSI ProductCode
; MSIHANDLE is a 32-bit unsigned long on both x86 and x64, hence "i" rather than "p".
!macro _ChoconsisMsiProductCodeFunc
  Pop $0                                  ; msi file
  StrCpy $9 ""
  StrCpy $1 0                             ; database
  StrCpy $2 0                             ; view
  StrCpy $3 0                             ; record
  System::Call 'msi::MsiOpenDatabaseW(w r0, p 0, *i .r1) i .r5'
  ${If} $5 <> 0
    StrCpy $1 0
    StrCpy $9 "error: cannot open MSI $0 (code $5)"
    Goto choconsis_msi_done
  ${EndIf}
  StrCpy $4 "SELECT Value FROM Property WHERE Property = 'ProductCode'"
  System::Call 'msi::MsiDatabaseOpenViewW(i r1, w r4, *i .r2) i .r5'
  ${If} $5 <> 0
    StrCpy $2 0
    StrCpy $9 "error: cannot query the Property table of $0 (code $5)"
    Goto choconsis_msi_done
  ${EndIf}
  System::Call 'msi::MsiViewExecute(i r2, i 0) i .r5'
  ${If} $5 <> 0
    StrCpy $9 "error: cannot query the Property table of $0 (code $5)"
    Goto choconsis_msi_done
  ${EndIf}
  System::Call 'msi::MsiViewFetch(i r2, *i .r3) i .r5'
  ${If} $5 <> 0
    StrCpy $3 0
    StrCpy $9 "error: no ProductCode in $0 (code $5)"
    Goto choconsis_msi_done
  ${EndIf}
  System::Call 'msi::MsiRecordGetStringW(i r3, i 1, w .r6, *i ${NSIS_MAX_STRLEN}) i .r5'
  ${If} $5 <> 0
    StrCpy $9 "error: cannot read the ProductCode of $0 (code $5)"
    Goto choconsis_msi_done
  ${EndIf}
  StrCpy $9 $6
choconsis_msi_done:
  ${If} $3 <> 0
    System::Call 'msi::MsiCloseHandle(i r3)'
  ${EndIf}
  ${If} $2 <> 0
    System::Call 'msi::MsiViewClose(i r2)'
    System::Call 'msi::MsiCloseHandle(i r2)'
  ${EndIf}
  ${If} $1 <> 0
    System::Call 'msi::MsiCloseHandle(i r1)'
  ${EndIf}
  ClearErrors
  Push $9
!macroend

!macro ChoconsisMsiProductCode FILE
  !insertmacro _ChoconsisSaveRegs
  Push "${FILE}"
  ${CallArtificialFunction} _ChoconsisMsiProductCodeFunc
  !insertmacro _ChoconsisRestoreRegsKeepResult
!macroend

!endif ; CHOCONSIS_DOWNLOAD_NSH
