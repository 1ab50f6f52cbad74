#!/usr/bin/env bash
# Makes TorchSharp 0.107's native shim load where the C++ runtime is older than the GCC 15 it was built with.
#
# libLibTorchSharp.so needs GLIBCXX_3.4.32 for one symbol, std::ios_base_library_init() (GCC >= 13 emits a call to it
# wherever <iostream> is included). Debian 12 / Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so the load fails
# and TorchSharp reports a misleading "doesn't contain a reference to libtorch-cpu-linux-x64". libtorch itself needs
# only GLIBCXX_3.4.26. Where libstdc++ has 3.4.32 (GCC >= 13: Debian 13, Ubuntu 24.04, Fedora 38+) this does nothing.
#
# What it does, to the copy in the NuGet packages folder (idempotent; run it before restoring the projects):
#   1. takes the symbol version off _ZSt21ios_base_library_initv (patchelf --clear-symbol-version);
#   2. marks the library's need of GLIBCXX_3.4.32 weak (VER_FLG_WEAK in .gnu.version_r), which the loader tolerates;
#   3. adds a one-function library beside it that defines a no-op std::ios_base_library_init() (older libstdc++
#      initializes the standard streams itself) and makes the shim need it.
# Needs patchelf, g++ and python3 (Debian: apt-get install patchelf g++ python3), only where the patch applies.
# Usage: scripts/torchsharp-compat.sh [--check]   (--check: exit 1 if the patch is needed but not applied)
set -euo pipefail

version=0.107.0
here="$(cd "$(dirname "$0")/.." && pwd)"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
native="$packages/torchsharp/$version/runtimes/linux-x64/native"
shim="$native/libLibTorchSharp.so"
helper=libLucidIosBaseInit.so

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || { echo "torchsharp-compat: not linux-x64, nothing to do."; exit 0; }

libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found { found = $NF } END { print found }')   # reads to the end: an early exit would SIGPIPE ldconfig under pipefail
[ -n "$libstdcxx" ] || libstdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if grep -aq 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  echo "torchsharp-compat: $libstdcxx has GLIBCXX_3.4.32; TorchSharp loads as shipped, nothing to do."
  exit 0
fi

if [ ! -f "$shim" ]; then
  # fetch the package into the NuGet folder without touching any project (a download-only restore)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cat > "$tmp/fetch.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally><ImportDirectoryBuildProps>false</ImportDirectoryBuildProps></PropertyGroup>
  <ItemGroup><PackageDownload Include="TorchSharp" Version="[$version]" /></ItemGroup>
</Project>
PROJ
  dotnet restore "$tmp/fetch.csproj" >/dev/null
fi
[ -f "$shim" ] || { echo "torchsharp-compat: $shim not found after restoring TorchSharp $version." >&2; exit 1; }

needed=$(patchelf --print-needed "$shim")
case "$needed" in
  *"$helper"*) echo "torchsharp-compat: $shim is already patched."; exit 0 ;;
esac
if [ "${1:-}" = "--check" ]; then
  echo "torchsharp-compat: $shim needs the patch ($libstdcxx lacks GLIBCXX_3.4.32); run scripts/torchsharp-compat.sh." >&2
  exit 1
fi
for tool in patchelf g++ python3; do
  command -v "$tool" >/dev/null || { echo "torchsharp-compat: needs $tool (Debian: apt-get install patchelf g++ python3)." >&2; exit 1; }
done

work=$(mktemp -d)
cp "$shim" "$work/lib.so"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$work/lib.so"
python3 "$here/scripts/elf_weaken_version.py" "$work/lib.so" GLIBCXX_3.4.32
printf 'namespace std { void ios_base_library_init() {} }\n' > "$work/init.cpp"
g++ -shared -fPIC -O2 -o "$work/$helper" "$work/init.cpp"
patchelf --add-needed "$helper" "$work/lib.so"
cp "$work/$helper" "$native/$helper"
cp "$work/lib.so" "$native/.libLibTorchSharp.so.tmp"
mv -f "$native/.libLibTorchSharp.so.tmp" "$shim"   # last, atomic: an interrupted run leaves the original library
rm -rf "$work"
echo "torchsharp-compat: patched $shim (GLIBCXX_3.4.32 made weak, $helper added). Projects restored before this need their obj/ removed."
