"""Debian's Chromium for the browser tests (web chat, staff console), driven by Playwright.

Chromium comes from Debian (`/usr/bin/chromium`), installed with apt-get when missing,
together with a Japanese font so that the screenshots are readable. Playwright only drives
it (`executable_path`); its own browser download is never used."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
# The flags a root session on this machine needs; Playwright adds --headless and its own
# fresh --user-data-dir (a new temporary profile for every launch).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def _has_japanese_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def ensure_chromium() -> str:
    """The Chromium path, after installing Chromium and a Japanese font if missing."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("chromium")
    if not _has_japanese_font():
        missing.append("fonts-ipafont-gothic")
    if missing:
        if shutil.which("apt-get") is None:
            pytest.fail(f"{', '.join(missing)} missing and apt-get is not available")
        _apt_install(missing)
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} still missing after apt-get install chromium"
    return CHROMIUM
