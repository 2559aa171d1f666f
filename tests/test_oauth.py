"""`foibot login` and the tokens it leaves, against a real OAuth2 authorization server on loopback.

Only the far end is played (tests/support/oauth.py): a revoked refresh token, a slow or failing token
endpoint, a browser that refuses. The flows, the refresh, the keyring and the token file are foibot's own.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import keyring
import keyring.backend
import pytest
from support.oauth import AuthServer, oauth_tables, seed_login
from support.run import foibot
from support.smtp import toml_text

from foibot.config import load_config
from foibot.errors import OAuthLoginError
from foibot.oauth import TokenSource, TokenStore

USER = "campaigner@example.test"
ROOT = Path(__file__).resolve().parent.parent


def write_oauth_config(folder: Path, auth: AuthServer, flow: str = "device", **oauth2: Any) -> Path:
    """A campaign whose [smtp] and [imap] log in with OAuth2 at `auth` (servers never reached here)."""
    tables = oauth_tables(auth, USER, flow=flow, **oauth2)
    tables["smtp"] = {"host": "127.0.0.1", "port": 9, "security": "none", "auth": "oauth2", "username": USER}
    tables["imap"] = {"host": "127.0.0.1", "port": 9, "security": "none", "auth": "oauth2", "username": USER}
    path = folder / "config.toml"
    path.write_text(toml_text({"requester": {"name": "A. Campaigner", "email": USER}, **tables}), encoding="utf-8")
    return path


def start_login(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "foibot", "login", *args], cwd=folder, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "BROWSER": ""})


def read_until(stream: Any, pattern: str, timeout: float = 30) -> re.Match[str]:
    """The first line of `stream` that matches, read as the campaigner would see it appear."""
    found: list[re.Match[str]] = []
    seen: list[str] = []

    def reader() -> None:
        for line in stream:
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                found.append(match)
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    assert found, f"no line matching {pattern!r} in {seen!r}"
    return found[0]


def stored(folder: Path) -> dict[str, Any]:
    records = json.loads((folder / "oauth-tokens.json").read_text())
    assert len(records) == 1
    return next(iter(records.values()))


# --- logging in -----------------------------------------------------------------------------------------


def test_login_with_a_device_code_keeps_the_refresh_token_in_a_file_only_the_owner_can_read(
    campaign: Path, auth_server: AuthServer
) -> None:
    write_oauth_config(campaign, auth_server, flow="device")
    proc = start_login(campaign)
    shown = read_until(proc.stderr, r"open (\S+) in any browser and enter the code (\S+)")
    assert shown.group(1) == auth_server.url + "/activate"
    auth_server.approve(shown.group(2), USER)  # the campaigner types the code on their phone
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    token_file = campaign / "oauth-tokens.json"
    assert out.strip() == f"Logged in as {USER}; the login is kept in {token_file} and renews itself."
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    record = stored(campaign)
    assert record["refresh_token"] in auth_server.refresh and record["access_token"] in auth_server.access
    assert auth_server.grants == ["urn:ietf:params:oauth:grant-type:device_code"]
    for token in auth_server.issued():
        assert token not in out + err
    assert sorted(p.name for p in campaign.iterdir()) == [".oauth-tokens.json.lock", "config.toml",
                                                         "oauth-tokens.json"]


def test_login_in_a_browser_comes_back_to_foibot_on_loopback_with_pkce(campaign: Path,
                                                                        auth_server: AuthServer) -> None:
    write_oauth_config(campaign, auth_server, flow="browser")
    auth_server.browser_user = USER
    proc = start_login(campaign, "--no-open")
    address = read_until(proc.stderr, r"^(http://127\.0\.0\.1:\d+/authorize\?\S+)").group(1)
    assert "code_challenge_method=S256" in address and "login_hint=campaigner%40example.test" in address
    back = parse_qs(urlsplit(address).query)["redirect_uri"][0]
    with pytest.raises(urllib.error.HTTPError, match="404"):  # a stray visitor is turned away, foibot waits on
        urllib.request.urlopen(back + "?hello=1", timeout=10)
    with urllib.request.urlopen(address, timeout=10) as page:  # the browser: to the provider, and back
        assert b"you can close this page" in page.read()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.startswith(f"Logged in as {USER};")
    assert auth_server.grants == ["authorization_code"]  # the server checked the PKCE verifier
    assert stored(campaign)["refresh_token"] in auth_server.refresh


def test_a_login_refused_in_the_browser_is_one_line(campaign: Path, auth_server: AuthServer) -> None:
    write_oauth_config(campaign, auth_server, flow="device")
    auth_server.browser_user = None  # the campaigner clicked "Cancel"
    proc = start_login(campaign, "--browser", "--no-open")
    address = read_until(proc.stderr, r"^(http://127\.0\.0\.1:\d+/authorize\?\S+)").group(1)
    with urllib.request.urlopen(address, timeout=10):
        pass
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.splitlines()[-1] == (f"Error: the login for {USER} was not completed in the browser "
                                    "(access_denied): run `foibot login` again")
    assert not (campaign / "oauth-tokens.json").exists()


def test_login_without_a_client_id_names_the_key_and_where_to_get_one(campaign: Path,
                                                                      auth_server: AuthServer) -> None:
    config = write_oauth_config(campaign, auth_server, client_id="")
    result = foibot("--config", str(config), "login")
    assert result.code == 1
    assert result.stderr == (f"Error: {config}: [oauth2] client_id is required for auth = \"oauth2\": register "
                             "foibot with your provider (README: \"Using Gmail\", \"Using Microsoft 365\") and "
                             "put its client id there\n")


# --- tokens that renew themselves -------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_and_a_rotated_refresh_token_is_kept(campaign: Path,
                                                                           auth_server: AuthServer) -> None:
    config = load_config(write_oauth_config(campaign, auth_server))
    assert config.oauth2 is not None
    access, refresh = seed_login(config, USER, auth_server)
    source = TokenSource(config.oauth2, USER)
    assert source.access_token() == access and auth_server.grants == []  # still fresh: no round trip
    auth_server.rotate = True
    later = TokenSource(config.oauth2, USER, clock=lambda: time.time() + 3600)  # an hour on
    renewed = later.access_token()
    assert renewed != access and auth_server.active(renewed) == USER
    assert auth_server.grants == ["refresh_token"]
    record = stored(campaign)
    assert record["access_token"] == renewed and record["refresh_token"] != refresh
    assert auth_server.refresh[refresh]["revoked"]  # the old one is spent: only the kept one works now
    # Another process (a cron poll) starts from what was kept, without refreshing again.
    assert TokenSource(config.oauth2, USER).access_token() == renewed and len(auth_server.grants) == 1


def test_a_token_the_server_refused_is_refreshed_at_once(campaign: Path, auth_server: AuthServer) -> None:
    config = load_config(write_oauth_config(campaign, auth_server))
    assert config.oauth2 is not None
    access, _ = seed_login(config, USER, auth_server)
    source = TokenSource(config.oauth2, USER)
    assert source.access_token() == access
    renewed = source.access_token(rejected=access)
    assert renewed != access and auth_server.grants == ["refresh_token"]


@pytest.mark.parametrize("fault, message", [
    ("revoked", ("Error: refreshing the OAuth2 login for {user} was refused by {host} (invalid_grant: The "
                 "refresh token [token] has been revoked): run `foibot login` again")),
    ("failing", ("Error: refreshing the OAuth2 login for {user} failed: {host} answered HTTP 503; try again "
                 "later, or run `foibot login` again if it keeps failing")),
    ("slow", ("Error: refreshing the OAuth2 login for {user} failed: {host} did not answer within 1 s; try "
              "again later, or run `foibot login` again if it keeps failing")),
])
def test_a_login_that_cannot_be_refreshed_is_one_line_saying_to_log_in_again(
    campaign: Path, auth_server: AuthServer, fault: str, message: str
) -> None:
    config_path = write_oauth_config(campaign, auth_server, timeout_seconds=1)
    config = load_config(config_path)
    seed_login(config, USER, auth_server)
    auth_server.expire_access(USER)
    record = json.loads((campaign / "oauth-tokens.json").read_text())
    for value in record.values():
        value["expires_at"] = 0  # the kept access token has run out
    (campaign / "oauth-tokens.json").write_text(json.dumps(record))
    if fault == "revoked":
        auth_server.revoke(USER)
    elif fault == "failing":
        auth_server.fail_token(5, status=503)
    else:
        auth_server.token_delay = 2.5
    result = foibot("--config", str(config_path), "poll")
    assert result.code == 1
    assert result.stderr == message.format(user=USER, host=f"127.0.0.1:{auth_server.port}") + "\n"
    for token in auth_server.issued():
        assert token not in result.stdout + result.stderr
    assert not (campaign / "foibot.db").exists() or b"rt-" not in (campaign / "foibot.db").read_bytes()


def test_a_token_file_others_can_read_is_refused(campaign: Path, auth_server: AuthServer) -> None:
    config = load_config(write_oauth_config(campaign, auth_server))
    assert config.oauth2 is not None
    seed_login(config, USER, auth_server)
    (campaign / "oauth-tokens.json").chmod(0o644)
    with pytest.raises(OAuthLoginError, match=r"can be read by other users of this machine: make it yours only "
                                              r"\(chmod 600 .*oauth-tokens.json\), then run `foibot login` again"):
        TokenSource(config.oauth2, USER).access_token()


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The system keyring's far end: a store in memory, registered the way keyring lets a program pick one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Any:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_with_a_system_keyring_the_tokens_live_there_and_never_in_a_file(
    campaign: Path, auth_server: AuthServer, memory_keyring: MemoryKeyring
) -> None:
    config = load_config(write_oauth_config(campaign, auth_server, token_store="auto"))
    assert config.oauth2 is not None
    access, refresh = seed_login(config, USER, auth_server)
    assert not (campaign / "oauth-tokens.json").exists()
    [(service, key)] = memory_keyring.items
    assert service == "foibot" and key.startswith(USER + " ")
    assert json.loads(memory_keyring.items[(service, key)])["refresh_token"] == refresh
    assert TokenStore(config.oauth2).where == "the system keyring (MemoryKeyring)"
    renewed = TokenSource(config.oauth2, USER).access_token(rejected=access)
    assert json.loads(memory_keyring.items[(service, key)])["access_token"] == renewed
    assert not (campaign / "oauth-tokens.json").exists()


def test_token_store_keyring_without_a_keyring_is_a_config_error(campaign: Path, auth_server: AuthServer) -> None:
    config_path = write_oauth_config(campaign, auth_server, token_store="keyring")
    result = foibot("--config", str(config_path), "poll")
    assert result.code == 1
    assert result.stderr == (f"Error: {config_path}: [oauth2] token_store = \"keyring\" but this machine has no "
                             "usable system keyring: use \"file\" (or \"auto\")\n")


def test_a_device_code_nobody_typed_in_time_is_one_line_and_keeps_nothing(campaign: Path,
                                                                          auth_server: AuthServer) -> None:
    write_oauth_config(campaign, auth_server, flow="device")
    proc = start_login(campaign)
    read_until(proc.stderr, r"enter the code (\S+)")
    auth_server.expire_codes()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.splitlines()[-1] == f"Error: the code for {USER} expired before it was entered: run `foibot login` again"
    assert not (campaign / "oauth-tokens.json").exists()


def test_two_processes_that_find_the_token_expired_refresh_it_once(campaign: Path, auth_server: AuthServer) -> None:
    """A daemon and a cron job at the same moment: with a provider that rotates refresh tokens, a second
    refresh with the spent one would fail; the file lock makes the second wait and take the first's."""
    config = load_config(write_oauth_config(campaign, auth_server))
    assert config.oauth2 is not None
    seed_login(config, USER, auth_server)
    auth_server.rotate = True
    auth_server.token_delay = 0.5  # both are inside access_token() while the first refresh is on its way
    records = json.loads((campaign / "oauth-tokens.json").read_text())
    for record in records.values():
        record["expires_at"] = 0  # the kept access token has run out
    (campaign / "oauth-tokens.json").write_text(json.dumps(records))
    sources = [TokenSource(config.oauth2, USER) for _ in range(2)]
    got: list[str] = []
    threads = [threading.Thread(target=lambda s=s: got.append(s.access_token())) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert auth_server.grants == ["refresh_token"]
    assert len(got) == 2 and got[0] == got[1] and auth_server.active(got[0]) == USER
