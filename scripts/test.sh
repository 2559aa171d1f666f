#!/usr/bin/env bash
# Install what the test suite needs (Python packages, Dovecot, Postfix, Chromium) and run the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Debian package the suite needs, each checked on its own (a machine may have dovecot-imapd without
# dovecot-lmtpd, and then every delivery test fails).
APT_PACKAGES=(dovecot-imapd dovecot-lmtpd chromium postfix)  # postfix: tests/support/postfix.py
need_apt=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these Debian packages: ${need_apt[*]}. Run this script as root, or install them:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${need_apt[*]}" >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]} ..."
  apt-get update -qq
  # Postfix without a system configuration: the tests run private instances of their own.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's packages may have started system services; the tests run their own instances.
  (command -v systemctl >/dev/null && systemctl stop dovecot postfix >/dev/null 2>&1) || true
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING" || true
exec python3 -m pytest "$@"
