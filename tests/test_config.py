"""Every config mistake is one clear line naming the key and the file; nothing is sent or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.run import authorities_csv, foibot

from foibot.config import from_dict, is_loopback, load_config
from foibot.errors import ConfigError

GOOD_SMTP = '[smtp]\nhost = "smtp.example.org"\n'


@pytest.mark.parametrize("text, expected", [
    ('[smtp]\nhost = "smtp.example.org"\nhots = "x"\n', "unknown key [smtp] hots"),
    ('[smpt]\nhost = "smtp.example.org"\n', "unknown section [smpt]"),
    ('[requester]\nemial = "a@b.example"\n', "unknown key [requester] emial"),
    (GOOD_SMTP + 'port = "587"\n', "[smtp] port must be an integer, not '587'"),
    (GOOD_SMTP + "connections = true\n", "[smtp] connections must be an integer, not True"),
    (GOOD_SMTP + 'rate_per_minute = 2.5\n', "[smtp] rate_per_minute must be an integer"),
    (GOOD_SMTP + 'domain_pause_seconds = "10"\n', "[smtp] domain_pause_seconds must be a number"),
    (GOOD_SMTP + "rate_per_minute = -1\n", "[smtp] rate_per_minute must not be negative"),
    (GOOD_SMTP + "connections = 0\n", "[smtp] connections must be at least 1"),
    (GOOD_SMTP + "max_attempts = 0\n", "[smtp] max_attempts must be at least 1"),
    (GOOD_SMTP + "timeout_seconds = 0\n", "[smtp] timeout_seconds must be more than 0"),
    (GOOD_SMTP + "port = 70000\n", "[smtp] port must be between 1 and 65535"),
    (GOOD_SMTP + 'security = "ssl"\n', "[smtp] security must be one of tls, starttls, none"),
    (GOOD_SMTP + 'security = "none"\n', '[smtp] security = "none" is only allowed for a loopback host'),
    ('[imap]\nhost = "imap.example.org"\nsecurity = "none"\n', '[imap] security = "none" is only allowed'),
    ("[smtp]\nport = 587\n", "[smtp] host is required"),
    ('[smtp]\nhost = "smtp.example.org"\nusername = "me\\nBcc: x"\n', "[smtp] username contains a control"),
    ('[requester]\nemail = "not an address"\n', "[requester] email 'not an address' is not a valid"),
    ('[requester]\nreply_address = "maybe"\n', '[requester] reply_address must be "plus" or "none"'),
    ('[requester]\nname = "  "\n', "[requester] name must not be empty"),
    ("[requester]\nname = 'unclosed\n", "not valid TOML"),
    ('smtp = "smtp.example.org"\n', "[smtp] must be a table"),
    (GOOD_SMTP + "daily_limit = -5\n", "[smtp] daily_limit must not be negative"),
    (GOOD_SMTP + 'daily_limit = "500"\n', "[smtp] daily_limit must be an integer"),
    (GOOD_SMTP + 'saves_sent_copies = "yes"\n', "[smtp] saves_sent_copies must be true or false"),
    ('[imap]\nhost = "imap.example.org"\nsent_folder = "Sent\\r\\nA1 DELETE INBOX"\n',
     "[imap] sent_folder contains a control character"),
    ('[imap]\nhost = "imap.example.org"\nidle = 1\n', "[imap] idle must be true or false"),
])
def test_config_mistakes_are_one_clear_error(campaign: Path, text: str, expected: str) -> None:
    path = campaign / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message and "\n" not in message


@pytest.mark.parametrize("text, expected", [
    (GOOD_SMTP + "hots = 1\n", "unknown key [smtp] hots"),
    (GOOD_SMTP + 'security = "none"\n', '[smtp] security = "none" is only allowed for a loopback host'),
    (GOOD_SMTP + 'port = "587"\n', "[smtp] port must be an integer"),
])
def test_the_cli_reports_a_config_mistake_without_a_traceback(campaign: Path, text: str, expected: str) -> None:
    (campaign / "config.toml").write_text(text, encoding="utf-8")
    authorities_csv(campaign, 2)
    for args in (["send", "--run", "r", "--yes"], ["send", "--run", "r", "--dry-run"], ["preview", "council-0"]):
        result = foibot(*args)
        assert result.code == 1
        assert result.stderr.startswith("Error: config.toml: ") and expected in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in campaign.iterdir()) == ["authorities.csv", "config.toml"]


def test_a_missing_password_variable_names_the_variable_the_key_and_the_file(
    campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = campaign / "config.toml"
    path.write_text(GOOD_SMTP + 'username = "me"\npassword_env = "MY_SMTP_PASSWORD"\n', encoding="utf-8")
    monkeypatch.delenv("MY_SMTP_PASSWORD", raising=False)
    config = load_config(path)
    with pytest.raises(ConfigError) as caught:
        config.smtp.password()  # type: ignore[union-attr]
    assert "environment variable MY_SMTP_PASSWORD is not set (named by [smtp] password_env in " in str(caught.value)
    monkeypatch.setenv("MY_SMTP_PASSWORD", "s3cret")
    assert config.smtp.password() == "s3cret"  # type: ignore[union-attr]
    assert "s3cret" not in repr(config)  # the password is never part of the config


def test_a_username_without_a_password_variable_is_an_error(campaign: Path) -> None:
    path = campaign / "config.toml"
    path.write_text(GOOD_SMTP + 'username = "me"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[smtp\] username is set but password_env is not"):
        load_config(path).smtp.password()  # type: ignore[union-attr]


def test_no_config_means_the_sandbox(campaign: Path) -> None:
    config = load_config()
    assert config.smtp is None and config.imap is None and config.sandbox
    assert config.database_path == (campaign / "foibot.db").resolve()


def test_relative_paths_are_relative_to_the_config_file(campaign: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = campaign / "elsewhere"
    folder.mkdir()
    (folder / "config.toml").write_text('[storage]\ndatabase = "data/run.db"\n', encoding="utf-8")
    monkeypatch.setenv("FOIBOT_CONFIG", str(folder / "config.toml"))
    assert load_config().database_path == (folder / "data" / "run.db").resolve()


def test_a_missing_config_file_is_named(campaign: Path) -> None:
    with pytest.raises(ConfigError, match="config file nowhere.toml does not exist"):
        load_config("nowhere.toml")


def test_a_config_file_that_is_not_utf8_is_named_with_its_line(campaign: Path) -> None:
    (campaign / "latin1.toml").write_bytes('[storage]\n# caf\u00e9\ndatabase = "x.db"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"^latin1.toml:2: not UTF-8 text$"):
        load_config("latin1.toml")


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.5.5.5", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("localhost.example.org", False), ("10.0.0.1", False), ("smtp.example.org", False),
    ("127.0.0.1.nip.io", False),
])
def test_plaintext_is_allowed_only_to_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    data = {"smtp": {"host": host, "port": 2525, "security": "none"}}
    if loopback:
        assert from_dict(data, "c.toml", Path(".")).smtp.security == "none"  # type: ignore[union-attr]
    else:
        with pytest.raises(ConfigError, match="only allowed for a loopback host"):
            from_dict(data, "c.toml", Path("."))


def test_every_config_key_is_a_typed_field() -> None:
    """The schema the file is checked against and the typed sections the code reads name the same keys."""
    import dataclasses

    from foibot.config import _SCHEMA, SECTION_TYPES, ServerConfig

    for section, cls in SECTION_TYPES.items():
        fields = {f.name for f in dataclasses.fields(cls)} - {f.name for f in dataclasses.fields(ServerConfig)
                                                              if f.name in ("section", "source")}
        assert fields == set(_SCHEMA[section]), section
    assert not hasattr(ServerConfig, "__getattr__")
