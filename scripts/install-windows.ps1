# Install certrenew-host on Windows and register it with Chrome, Chromium,
# Edge, Brave and Firefox (HKCU registry keys; no administrator rights).
#
#   powershell -ExecutionPolicy Bypass -File install-windows.ps1
#   powershell -ExecutionPolicy Bypass -File install-windows.ps1 -System     (elevated: every user, HKLM)
#   powershell -ExecutionPolicy Bypass -File install-windows.ps1 -Uninstall [-System]
#
# Run it from the unpacked release folder (host\windows-amd64, host\windows-arm64).
param([switch]$System, [switch]$Uninstall)
$ErrorActionPreference = 'Stop'

$arch = if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'amd64' }
if ($System) {
  $dest = Join-Path $env:ProgramFiles 'certrenew'
  $scope = @('--system')
} else {
  $dest = Join-Path $env:LOCALAPPDATA 'certrenew'
  $scope = @()
}
$exe = Join-Path $dest 'certrenew-host.exe'
# The browsers start certrenew-nm.exe (the manifests name it), which starts
# certrenew-host.exe beside it when a session needs more than its list.
$front = Join-Path $dest 'certrenew-nm.exe'

if ($Uninstall) {
  & $exe uninstall @scope
  if ($LASTEXITCODE -ne 0) { throw "certrenew-host uninstall failed ($LASTEXITCODE)" }
  Remove-Item -Force $exe, $front
  Write-Output "removed $exe, $front"
  exit 0
}

New-Item -ItemType Directory -Force -Path $dest | Out-Null
Copy-Item -Force (Join-Path $PSScriptRoot "host\windows-$arch\certrenew-host.exe") $exe
Copy-Item -Force (Join-Path $PSScriptRoot "host\windows-$arch\certrenew-nm.exe") $front
# Files from the internet carry Zone.Identifier; the browser starts the
# host silently, so unblock both (the binaries are not code-signed).
Unblock-File -Path $exe
Unblock-File -Path $front
& $exe install @scope --path $exe
if ($LASTEXITCODE -ne 0) { throw "certrenew-host install failed ($LASTEXITCODE)" }
