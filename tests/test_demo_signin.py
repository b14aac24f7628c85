"""Demo mode offers sign-in against the simulated Bungie.net: `clanactors serve` with no
key, then the whole dance to the founder's admin page, from outside the process."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import requests

from tests.test_readme import Shell, clean_env, free_port, listening_url


def test_the_demo_signs_in_as_the_founder(tmp_path: Path) -> None:
    shell = Shell(
        f"exec {sys.executable} -m clanactors serve",
        tmp_path,
        clean_env(CLANACTORS_PORT=str(free_port())),
    )
    try:
        output = shell.wait_for("listening on http", 300)
        site = listening_url(output)
        deadline = time.monotonic() + 120
        while True:
            health = requests.get(f"{site}/healthz", timeout=10)
            if health.status_code == 200 and health.json().get("lastRosterSync"):
                break
            assert time.monotonic() < deadline, f"no roster sync in 120 s: {health.text}"
            time.sleep(0.5)  # waiting for the first roster poll, not timing anything
        browser = requests.Session()
        start = browser.get(f"{site}/signin", allow_redirects=False, timeout=10)
        assert start.status_code == 302 and "/en/OAuth/Authorize?" in start.headers["Location"]
        form = browser.get(start.headers["Location"], timeout=10)
        founder = re.search(r'<option value="(\d+)">[^<]*\(Founder\)', form.text)
        state = re.search(r'name="state" value="([^"]+)"', form.text)
        assert founder is not None and state is not None, form.text[:2000]
        authorize = start.headers["Location"].split("?")[0]
        back = browser.post(
            authorize,
            data={"client_id": "demo", "state": state.group(1), "membership_id": founder.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        assert back.headers["Location"].startswith(f"{site}/signin/callback?")
        landed = browser.get(back.headers["Location"], timeout=30)
        assert landed.url in (f"{site}/admin", f"{site}/"), landed.url
        # The rank is read from the stored roster at each request: the first roster may
        # still be on its way to the database.
        while (admin := browser.get(f"{site}/admin", timeout=10)).status_code == 403:
            assert time.monotonic() < deadline, "the founder never got /admin"
            time.sleep(0.5)
        assert admin.status_code == 200 and "Pending applications" in admin.text
    finally:
        assert shell.stop() == 0
