"""Provider presets: `[smtp]`/`[imap] provider` fills host, port, security, auth, the quota and the OAuth2
endpoints; every key the file gives wins; mistakes are one line naming the key and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.run import foibot
from support.smtp import toml_text

from foibot.config import from_dict, load_config
from foibot.errors import ConfigError

ME = "campaigner@example.org"


def load(**sections: dict[str, Any]) -> Any:
    return from_dict({"requester": {"name": "A. Campaigner", "email": ME}, **sections}, "c.toml", Path("/camp"))


@pytest.mark.parametrize("provider, smtp, imap", [
    ("gmail", ("smtp.gmail.com", 465, "tls", "oauth2", 500, True), ("imap.gmail.com", 993, "tls", "oauth2", "")),
    ("google_workspace", ("smtp.gmail.com", 465, "tls", "oauth2", 2000, True),
     ("imap.gmail.com", 993, "tls", "oauth2", "")),
    ("microsoft365", ("smtp.office365.com", 587, "starttls", "oauth2", 10000, False),
     ("outlook.office365.com", 993, "tls", "oauth2", "Sent Items")),
    ("fastmail", ("smtp.fastmail.com", 465, "tls", "password", 2000, False),
     ("imap.fastmail.com", 993, "tls", "password", "Sent")),
])
def test_a_provider_fills_servers_security_login_and_quota(provider: str, smtp: tuple[Any, ...],
                                                           imap: tuple[Any, ...]) -> None:
    config = load(smtp={"provider": provider, "username": ME, "password_env": "P"},
                  imap={"provider": provider, "username": ME, "password_env": "P"})
    # Gmail files what its SMTP server accepts in its own Sent folder (saves_sent_copies): no copy of ours,
    # and a message of unknown fate that is not there was certainly not sent.
    assert (config.smtp.host, config.smtp.port, config.smtp.security, config.smtp.auth,
            config.smtp.daily_limit, config.smtp.saves_sent_copies) == smtp
    assert (config.imap.host, config.imap.port, config.imap.security, config.imap.auth,
            config.imap.sent_folder) == imap
    assert config.imap.idle is True  # every preset: the daemon waits with IDLE between polls


def test_the_new_keys_are_typed_fields_and_overridable() -> None:
    config = load(smtp={"provider": "gmail", "username": ME, "saves_sent_copies": False, "daily_limit": 50},
                  imap={"provider": "gmail", "username": ME, "sent_folder": "Copies", "idle": False})
    assert (config.smtp.daily_limit, config.smtp.saves_sent_copies) == (50, False)
    assert (config.imap.sent_folder, config.imap.idle) == ("Copies", False)
    plain = load(smtp={"host": "smtp.example.org", "username": ME, "password_env": "P"},
                 imap={"host": "imap.example.org", "username": ME, "password_env": "P"})
    assert (plain.smtp.daily_limit, plain.smtp.saves_sent_copies, plain.imap.sent_folder, plain.imap.idle) == (
        0, False, "", True)


def test_every_preset_key_can_be_overridden() -> None:
    config = load(smtp={"provider": "gmail", "username": ME, "port": 587, "security": "starttls",
                        "daily_limit": 100, "auth": "password", "password_env": "APP_PASSWORD"},
                  imap={"provider": "microsoft365", "username": ME, "sent_folder": "Sent"},
                  oauth2={"client_id": "abc", "tenant": "contoso.onmicrosoft.com"})
    assert (config.smtp.host, config.smtp.port, config.smtp.security, config.smtp.daily_limit,
            config.smtp.auth) == ("smtp.gmail.com", 587, "starttls", 100, "password")
    assert config.imap.sent_folder == "Sent"
    oauth = config.oauth2  # only IMAP uses OAuth2: Microsoft's endpoints, for the tenant given
    assert oauth.provider == "microsoft365" and oauth.flow == "device"
    assert oauth.token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert oauth.device_url.endswith("/contoso.onmicrosoft.com/oauth2/v2.0/devicecode")
    assert oauth.scopes == ("https://outlook.office.com/IMAP.AccessAsUser.All",
                            "https://outlook.office.com/SMTP.Send", "offline_access")
    assert oauth.token_file == Path("/camp/oauth-tokens.json")


def test_google_logs_in_through_the_browser_with_the_mail_scope() -> None:
    oauth = load(smtp={"provider": "gmail", "username": ME}, oauth2={"client_id": "x"}).oauth2
    assert oauth.flow == "browser" and oauth.device_url == ""  # Google's device flow refuses the mail scope
    assert oauth.scopes == ("https://mail.google.com/",)
    assert oauth.authorize_params == {"access_type": "offline", "prompt": "consent"}
    assert load(smtp={"username": ME, "host": "h"}).oauth2 is None  # no OAuth2 server: nothing to set up


@pytest.mark.parametrize("sections, message", [
    ({"smtp": {"provider": "yahoo", "username": ME}},
     "c.toml: [smtp] provider must be one of gmail, google_workspace, microsoft365, fastmail, custom, not 'yahoo'"),
    ({"imap": {"provider": "gmail", "auth": "token", "username": ME}},
     "c.toml: [imap] auth must be \"password\" or \"oauth2\", not 'token'"),
    ({"smtp": {"provider": "gmail"}},
     "c.toml: [smtp] username is required with auth = \"oauth2\" (the address of the mailbox you log in to)"),
    ({"smtp": {"provider": "fastmail", "auth": "oauth2", "username": ME}},
     "c.toml: provider 'fastmail' offers no OAuth2 login for mail: use auth = \"password\" with an app password"),
    ({"smtp": {"provider": "gmail", "username": ME}, "imap": {"provider": "microsoft365", "username": ME}},
     ("c.toml: [smtp] and [imap] log in with OAuth2 at different providers (gmail, microsoft365): foibot keeps "
      "one login; use one provider")),
    ({"smtp": {"provider": "gmail", "username": ME}, "oauth2": {"token_url": "http://oauth.example/token"}},
     ("c.toml: [oauth2] token_url must be an https:// address (http:// only for a loopback host), not "
      "'http://oauth.example/token'")),
    ({"smtp": {"provider": "gmail", "username": ME}, "oauth2": {"flow": "qr"}},
     "c.toml: [oauth2] flow must be \"device\" or \"browser\", not 'qr'"),
    ({"smtp": {"provider": "gmail", "username": ME}, "oauth2": {"scopes": "https://mail.google.com/"}},
     "c.toml: [oauth2] scopes must be a list, not 'https://mail.google.com/'"),
    ({"smtp": {"provider": "gmail", "username": ME}, "oauth2": {"client_secret": "s3cret"}},
     "c.toml: unknown key [oauth2] client_secret"),
    ({"smtp": {"provider": "gmail", "username": ME, "daily_limit": -1}}, "c.toml: [smtp] daily_limit must not be negative"),
    ({"imap": {"host": "h", "username": ME, "oauth_mechanism": "plain"}},
     "c.toml: [imap] oauth_mechanism must be one of auto, xoauth2, oauthbearer, not 'plain'"),
])
def test_a_wrong_provider_setting_is_one_line_naming_the_key(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(**sections)
    assert str(caught.value).startswith(message)


def test_a_custom_oauth2_provider_needs_its_token_endpoint_when_logging_in(campaign: Path) -> None:
    (campaign / "config.toml").write_text(toml_text({
        "requester": {"name": "A. Campaigner", "email": ME},
        "imap": {"host": "imap.example.org", "username": ME, "auth": "oauth2"},
        "oauth2": {"client_id": "abc", "device_url": "https://login.example.org/device"},
    }))
    assert load_config(campaign / "config.toml").oauth2.flow == "device"  # a device endpoint: that flow
    result = foibot("login")
    assert (result.code, result.stderr) == (1, ("Error: config.toml: [oauth2] token_url is required for "
                                                "provider \"custom\"\n"))


@pytest.mark.parametrize("provider, host, guide", [
    ("gmail", "smtp.gmail.com", "Using Gmail"),
    ("microsoft365", "smtp.office365.com", "Using Microsoft 365"),
])
def test_init_with_a_provider_writes_a_config_the_preset_fills(campaign: Path, provider: str, host: str,
                                                               guide: str) -> None:
    result = foibot("init", "--provider", provider, "camp")
    assert result.code == 0, result.stderr
    assert f'README, "{guide}"' in result.stdout and "foibot login\n  foibot check" in result.stdout
    text = (campaign / "camp" / "config.toml").read_text()
    assert f'provider = "{provider}"' in text
    assert f'# host = "{host}"' in text and f"# filled in by the {provider} preset" in text
    assert "smtp.example.org" not in text and "password_env = \"FOIBOT" not in text
    config = load_config(campaign / "camp" / "config.toml")
    assert config.smtp.host == host and config.smtp.auth == "oauth2" and config.imap.auth == "oauth2"
    assert config.smtp.password_env == "" and config.oauth2.provider == provider


def test_init_without_a_provider_is_the_example_as_it_stands(campaign: Path) -> None:
    assert foibot("init", "camp").code == 0
    root = Path(__file__).resolve().parent.parent
    assert (campaign / "camp" / "config.toml").read_text() == (root / "config.example.toml").read_text()
