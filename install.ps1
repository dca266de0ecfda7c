<#
.SYNOPSIS
  Install Ward Desk on a Windows 10/11 PC (one PowerShell command; the bash install.sh's twin).

.DESCRIPTION
  Finds Python 3.10 or newer through the py launcher, makes a virtual environment, installs
  Ward Desk (from the offline bundle beside this script when there is one: no network; else
  from this source folder), and adds Start-menu and desktop shortcuts: the desk in Windows
  Terminal where it is installed, otherwise the browser desk (ward-desk serve on 127.0.0.1,
  opened in the default browser). Run it again to update.

  powershell -ExecutionPolicy Bypass -File .\install.ps1
  powershell -ExecutionPolicy Bypass -File .\install.ps1 -AllUsers
  powershell -ExecutionPolicy Bypass -File .\install.ps1 -AllUsers -SyncTask -SyncUser admin

.PARAMETER AllUsers
  For a PC shared by several Windows accounts (run as administrator): the program goes to
  %ProgramFiles%\WardDesk, the data folder to %ProgramData%\WardDesk\data (every account of
  the PC may read and write it), the shortcuts to every account's Start menu and desktop.

.PARAMETER DataDir
  The store folder (default: %LOCALAPPDATA%\ward-desk, or %ProgramData%\WardDesk\data with -AllUsers).

.PARAMETER From
  A bundle folder (written by ./install.sh --bundle DIR --for windows) to install from with no network.

.PARAMETER SyncTask
  Also register the sync daemon as a Scheduled Task that starts with Windows (as SYSTEM). Its
  password is read from a protected file (SYSTEM and Administrators only), asked for once
  here; it is never written on a command line.
#>
[CmdletBinding()]
param(
    [switch]$AllUsers,
    [string]$DataDir = "",
    [string]$From = "",
    [string]$InstallDir = "",
    [switch]$SyncTask,
    [string]$SyncUser = "",
    [switch]$NoShortcuts
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = "Stop"

function Say([string]$Vi, [string]$En) {
    # Both languages: the PC's display language is not known to be Vietnamese.
    Write-Host "$Vi`n  ($En)"
}

function Find-Python {
    # The py launcher first (python.org's installer puts it in C:\Windows), newest first.
    $candidates = @()
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($v in "3.13", "3.12", "3.11", "3.10") { $candidates += , @("py", "-$v") }
    }
    foreach ($name in "python", "python3") {
        if (Get-Command $name -ErrorAction SilentlyContinue) { $candidates += , @($name) }
    }
    foreach ($cand in $candidates) {
        $exe = $cand[0]
        $launcherArgs = @($cand | Select-Object -Skip 1)
        try {
            & $exe @launcherArgs -c "import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)" 2>$null
            if ($LASTEXITCODE -eq 0) { return , $cand }
        } catch { continue }
    }
    return $null
}

function New-Shortcut([string]$Path, [string]$Target, [string]$Arguments, [string]$WorkDir) {
    $shell = New-Object -ComObject WScript.Shell
    $link = $shell.CreateShortcut($Path)
    $link.TargetPath = $Target
    $link.Arguments = $Arguments
    $link.WorkingDirectory = $WorkDir
    $link.Description = "Ward Desk - Bo phan mot cua"
    $link.Save()
}

function Protect-File([string]$Path) {
    # Only SYSTEM (the scheduled task) and the Administrators may read the password file.
    & icacls $Path /inheritance:r /grant:r "*S-1-5-18:(R)" "*S-1-5-32-544:(F)" | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls could not protect $Path" }
}

# --- where ---------------------------------------------------------------------------------------
if ($AllUsers) {
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        Say "Cần chạy PowerShell với quyền quản trị (Run as administrator) để cài cho mọi tài khoản." `
            "-AllUsers needs an elevated PowerShell (Run as administrator)."
        exit 1
    }
    if (-not $InstallDir) { $InstallDir = Join-Path $env:ProgramFiles "WardDesk" }
    if (-not $DataDir) { $DataDir = Join-Path $env:ProgramData "WardDesk\data" }
} else {
    if (-not $InstallDir) { $InstallDir = Join-Path $env:LOCALAPPDATA "WardDesk" }
    if (-not $DataDir) { $DataDir = Join-Path $env:LOCALAPPDATA "ward-desk" }
}
if ($DataDir.StartsWith("\\")) {
    # SQLite's WAL does not work over a network share: the store must be on this PC's disk.
    Say "Không đặt kho dữ liệu trên ổ mạng ($DataDir). Hãy dùng ổ đĩa của máy này; các quầy khác dùng 'ward-desk serve'." `
        "The store must not be on a network share ($DataDir); use this PC's disk, and 'ward-desk serve' for the other counters."
    exit 2
}
if (-not $From -and (Get-ChildItem -Path $PSScriptRoot -Filter "ward_desk-*.whl" -ErrorAction SilentlyContinue)) {
    $From = $PSScriptRoot
}

# --- Python ----------------------------------------------------------------------------------------
$python = Find-Python
if ($null -eq $python) {
    Say "Cần Python 3.10 trở lên. Hãy cài từ python.org (chọn 'py launcher') rồi chạy lại." `
        "Ward Desk needs Python 3.10 or newer: install it from python.org (with the py launcher), then run this again."
    exit 1
}
$pyExe = $python[0]
$pyArgs = @($python | Select-Object -Skip 1)

# --- the virtual environment and the install ------------------------------------------------------
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
$venv = Join-Path $InstallDir ".venv"
$venvPython = Join-Path $venv "Scripts\python.exe"
if (-not (Test-Path $venvPython)) {
    & $pyExe @pyArgs -m venv $venv
    if ($LASTEXITCODE -ne 0) { throw "python -m venv failed" }
}
if ($From) {
    & $venvPython -m pip install --quiet --disable-pip-version-check --no-index --find-links $From `
        --only-binary=:all: --upgrade ward-desk
} else {
    & $venvPython -m pip install --quiet --disable-pip-version-check --upgrade $PSScriptRoot
}
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
$wardDesk = Join-Path $venv "Scripts\ward-desk.exe"

New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
if ($AllUsers) {
    # Every account of the PC (Users, S-1-5-32-545) may read and write the shared store.
    & icacls $DataDir /grant "*S-1-5-32-545:(OI)(CI)M" | Out-Null
}

# --- shortcuts --------------------------------------------------------------------------------------
if (-not $NoShortcuts) {
    if ($AllUsers) {
        $places = @([Environment]::GetFolderPath("CommonPrograms"), [Environment]::GetFolderPath("CommonDesktopDirectory"))
    } else {
        $places = @([Environment]::GetFolderPath("Programs"), [Environment]::GetFolderPath("Desktop"))
    }
    $terminal = Get-Command wt.exe -ErrorAction SilentlyContinue
    if ($terminal) {
        $target = $terminal.Source
        $arguments = "--title `"Ward Desk`" `"$wardDesk`" --data-dir `"$DataDir`" ui"
    } else {
        # No Windows Terminal: the browser desk on this PC only (127.0.0.1), opened in the browser.
        $launcher = Join-Path $InstallDir "ward-desk-browser.cmd"
        @(
            "@echo off",
            "start `"Ward Desk`" /min `"$wardDesk`" serve --data-dir `"$DataDir`" --host 127.0.0.1 --port 8443",
            "timeout /t 4 /nobreak >nul",
            "start `"`" https://127.0.0.1:8443/"
        ) | Set-Content -Path $launcher -Encoding ASCII
        $target = $launcher
        $arguments = ""
    }
    foreach ($place in $places) {
        New-Shortcut -Path (Join-Path $place "Ward Desk.lnk") -Target $target -Arguments $arguments -WorkDir $InstallDir
    }
}

# --- the sync daemon as a Scheduled Task ----------------------------------------------------------
if ($SyncTask) {
    $secrets = Join-Path $env:ProgramData "WardDesk\secrets"
    New-Item -ItemType Directory -Force -Path $secrets | Out-Null
    Protect-File $secrets
    $passwordFile = Join-Path $secrets "sync-password.txt"
    if (-not (Test-Path $passwordFile)) {
        $secure = Read-Host -AsSecureString "Mật khẩu của tài khoản đồng bộ / password of the sync account"
        $plain = [Runtime.InteropServices.Marshal]::PtrToStringUni(
            [Runtime.InteropServices.Marshal]::SecureStringToBSTR($secure))
        [IO.File]::WriteAllText($passwordFile, $plain, (New-Object Text.UTF8Encoding($false)))
        $plain = $null
    }
    Protect-File $passwordFile
    $taskArgs = "--data-dir `"$DataDir`" --password-file `"$passwordFile`""
    if ($SyncUser) { $taskArgs += " --user `"$SyncUser`"" }
    $action = New-ScheduledTaskAction -Execute $wardDesk -Argument "$taskArgs sync daemon" -WorkingDirectory $InstallDir
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 5) `
        -ExecutionTimeLimit ([TimeSpan]::Zero) -StartWhenAvailable
    Register-ScheduledTask -TaskName "Ward Desk sync" -Action $action -Trigger $trigger -Settings $settings `
        -User "SYSTEM" -RunLevel Highest -Force | Out-Null
    Say "Đã đăng ký tác vụ 'Ward Desk sync' (chạy khi khởi động máy)." "Registered the 'Ward Desk sync' task (runs at startup)."
}

Say "Đã cài Ward Desk: $wardDesk (dữ liệu: $DataDir)." "Ward Desk installed: $wardDesk (data: $DataDir)."
