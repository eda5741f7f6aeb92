<#
.SYNOPSIS
Kindcheck: install (or update) from this folder, without internet.

.DESCRIPTION
No package index is asked: pip installs only the wheels in .\wheels, each checked against its
SHA-256 in requirements.lock. No administrator rights are needed.

The program goes to %LOCALAPPDATA%\Programs\Kindcheck; a launcher kindcheck.cmd goes to its bin
folder, which is added to your own PATH (the user variable; takes effect in new windows).
Your vault lives elsewhere (%LOCALAPPDATA%\kindcheck) and is never touched.

Start it by double-clicking install.cmd, or in PowerShell:
    powershell -ExecutionPolicy Bypass -File .\install.ps1

.PARAMETER Python
The python.exe to use (default: the py launcher's 3.12 or 3.11, else python on PATH).

.PARAMETER NoModifyPath
Do not add the launcher's folder to your PATH.

.PARAMETER Uninstall
Remove the program and its PATH entry (your vault and backups stay).
#>
[CmdletBinding()]
param(
    [string]$Python = '',
    [switch]$NoModifyPath,
    [switch]$Uninstall
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$Pythons = @(@PYTHONS@)
$Here = $PSScriptRoot
$AppHome = Join-Path $env:LOCALAPPDATA 'Programs\Kindcheck'
$BinDir = Join-Path $AppHome 'bin'
$Shim = Join-Path $BinDir 'kindcheck.cmd'

function Fail([string]$Message) {
    Write-Host "kindcheck install: $Message" -ForegroundColor Red
    exit 1
}

function Get-UserPath {
    $value = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not $value) { return @() }
    return @($value -split ';' | Where-Object { $_ -ne '' })
}

function Set-UserPath([string[]]$Parts) {
    [Environment]::SetEnvironmentVariable('Path', ($Parts -join ';'), 'User')
}

if ($Uninstall) {
    Set-UserPath @(Get-UserPath | Where-Object { $_.TrimEnd('\') -ne $BinDir })
    if (Test-Path -LiteralPath $AppHome) { Remove-Item -LiteralPath $AppHome -Recurse -Force }
    Write-Host 'Kindcheck is removed. Your vault and backups are still there.'
    exit 0
}

# Returns the full path of a Python that this bundle has wheels for, or $null. The Microsoft
# Store's python.exe stand-in prints nothing and fails, so it is passed over.
function Find-Python {
    $candidates = @()
    if ($Python) { $candidates += , @($Python) }
    foreach ($version in $Pythons) { $candidates += , @('py', "-$version") }
    $candidates += , @('python')
    $candidates += , @('python3')
    foreach ($candidate in $candidates) {
        $exe = $candidate[0]
        $rest = @($candidate | Select-Object -Skip 1)
        if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
        try {
            # No double quotes inside: Windows PowerShell 5.1 passes them to programs mangled.
            $out = @(& $exe @rest -c 'import sys; print(sys.executable); print(sys.version_info[0], sys.version_info[1], sep=chr(46))' 2>$null)
        } catch {
            continue
        }
        if ($LASTEXITCODE -ne 0 -or $out.Count -lt 2) { continue }
        if ($Pythons -contains $out[1].Trim()) { return $out[0].Trim() }
    }
    return $null
}

$PythonExe = Find-Python
if (-not $PythonExe) {
    Fail ("this bundle needs Python $($Pythons -join ' or '), which was not found. " +
        'Install it from python.org (for this user is enough), or name it: ' +
        '.\install.ps1 -Python C:\path\to\python.exe')
}

# A fresh environment each time, switched to only when it works: a failed update leaves the
# installed version as it was. (A venv cannot be moved, so it is made where it will stay.)
$Stamp = Get-Date -Format 'yyyyMMddHHmmss'
$VenvName = "venv-$Stamp-$PID"
$Venv = Join-Path $AppHome $VenvName
New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
& $PythonExe -m venv $Venv
if ($LASTEXITCODE -ne 0) { Fail "could not make a virtual environment with $PythonExe" }

# Self-contained: no pip.ini and no PIP_* variable of this machine (an index, a proxy, a
# constraint file) is read. 'nul' is os.devnull on Windows, which tells pip to read no file.
$env:PIP_CONFIG_FILE = 'nul'
& (Join-Path $Venv 'Scripts\python.exe') -m pip --isolated install --quiet --no-input `
    --disable-pip-version-check --no-index --find-links (Join-Path $Here 'wheels') `
    --require-hashes --only-binary ':all:' --no-cache-dir `
    --requirement (Join-Path $Here 'requirements.lock')
if ($LASTEXITCODE -ne 0) {
    Remove-Item -LiteralPath $Venv -Recurse -Force -ErrorAction SilentlyContinue
    Fail 'installing the wheels failed (see above); nothing was changed'
}
$Installed = & (Join-Path $Venv 'Scripts\kindcheck.exe') --version
if ($LASTEXITCODE -ne 0) {
    Remove-Item -LiteralPath $Venv -Recurse -Force -ErrorAction SilentlyContinue
    Fail 'the installed kindcheck does not start; nothing was changed'
}

# The launcher names the environment relative to itself (%~dp0), so a user name with
# characters outside the console's code page cannot break it.
$ShimText = "@echo off`r`n`"%~dp0..\$VenvName\Scripts\kindcheck.exe`" %*`r`n"
[IO.File]::WriteAllText($Shim, $ShimText, [Text.Encoding]::ASCII)

Get-ChildItem -LiteralPath $AppHome -Directory -Filter 'venv-*' |
    Where-Object { $_.Name -ne $VenvName } |
    ForEach-Object { Remove-Item -LiteralPath $_.FullName -Recurse -Force -ErrorAction SilentlyContinue }
Write-Host "$Installed is installed: $Shim"

$OnPath = @(Get-UserPath | Where-Object { $_.TrimEnd('\') -eq $BinDir }).Count -gt 0
if (-not $OnPath) {
    if ($NoModifyPath) {
        Write-Host "$BinDir is not on your PATH: start it as `"$Shim`""
    } else {
        Set-UserPath (@(Get-UserPath) + $BinDir)
        $env:Path = "$env:Path;$BinDir"
        Write-Host "$BinDir is added to your PATH: open a new window, then type kindcheck"
    }
}
