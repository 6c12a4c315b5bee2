#!/usr/bin/env bash
# Install the Debian packages icaxes uses (fonts for every script, WordNet, dictionaries),
# only those that are missing. Needs root (or sudo) the first time.
set -euo pipefail
PKGS=(wordnet-base fonts-noto-core fonts-noto-cjk chromium
      dict-freedict-eng-fra dict-freedict-eng-deu dict-freedict-eng-jpn dict-freedict-eng-spa
      dict-freedict-eng-rus dict-freedict-eng-ara dict-freedict-eng-hin dict-freedict-eng-ita
      dataset-fashion-mnist dict-gcide)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
