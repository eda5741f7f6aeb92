@echo off
rem Kindcheck: double-click to install from this folder (runs install.ps1 for this user only;
rem the execution policy is bypassed for this one script, nothing is changed system-wide).
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
set result=%ERRORLEVEL%
pause
exit /b %result%
