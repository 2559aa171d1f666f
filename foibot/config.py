"""The TOML config: typed, checked key by key, secrets only from the environment."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .addresses import has_control
from .errors import ConfigError

DEFAULT_CONFIG_NAME = "config.toml"
SECURITY_CHOICES = ("tls", "starttls", "none")

# section -> key -> (type, default). A default of REQUIRED means the key must be given when the section is.
REQUIRED = object()
_SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "requester": {
        "name": (str, "A. Campaigner"),
        "email": (str, "campaigner@foibot.example"),
        # "plus": Reply-To campaigner+<reference>@domain, so replies carry the reference in their address.
        # "none": no Reply-To; replies come back to `email` and are matched by the other layers.
        "reply_address": (str, "none"),
        "postal_address": (str, ""),
    },
    "smtp": {
        "host": (str, REQUIRED),
        "port": (int, 587),
        "security": (str, "starttls"),
        "username": (str, ""),
        "password_env": (str, ""),
        "ca_file": (str, ""),
        "connections": (int, 2),
        "rate_per_minute": (int, 20),
        "domain_pause_seconds": ((int, float), 10),
        "timeout_seconds": ((int, float), 30),
        "max_attempts": (int, 5),
        "retry_base_seconds": ((int, float), 5),
    },
    "imap": {
        "host": (str, REQUIRED),
        "port": (int, 993),
        "security": (str, "tls"),
        "username": (str, ""),
        "password_env": (str, ""),
        "ca_file": (str, ""),
        "folder": (str, "INBOX"),
        "processed_folder": (str, ""),
        "batch_size": (int, 100),
        "timeout_seconds": ((int, float), 60),
        "max_message_bytes": (int, 50 * 1024 * 1024),
    },
    "storage": {
        "database": (str, "foibot.db"),
        "files": (str, "files"),
        "max_attachment_bytes": (int, 25 * 1024 * 1024),
    },
    "chase": {
        "enabled": (bool, True),
        "reminder": (bool, True),
        "internal_review": (bool, True),
        "complaint": (bool, True),
        "review_after_working_days": (int, 20),
        "complaint_after_working_days": (int, 20),
        "office_hours_start": (str, "09:00"),
        "office_hours_end": (str, "17:00"),
        "timezone": (str, "Europe/London"),
        "complaints_folder": (str, "complaints"),
    },
    "daemon": {
        "poll_minutes": ((int, float), 5),
        "chase_time": (str, "09:30"),
    },
    "publish": {
        # Names signed above a senior title (chief executive, director, chief constable) stay in what
        # `foibot publish` and `foibot report` write; every other officer's name is redacted.
        "keep_senior_officials": (bool, False),
    },
}


@dataclass(frozen=True)
class Requester:
    name: str
    email: str
    reply_address: str
    postal_address: str


@dataclass(frozen=True)
class ServerConfig:
    """An SMTP or IMAP server; `section` is "smtp" or "imap"."""

    section: str
    host: str
    port: int
    security: str
    username: str
    password_env: str
    ca_file: str
    timeout_seconds: float
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.section.upper()} server {self.host}:{self.port}"

    def password(self) -> str | None:
        """The password from the environment variable that `password_env` names; never from the file."""
        if not self.password_env:
            if self.username:
                raise ConfigError(
                    f"{self.source}: [{self.section}] username is set but password_env is not: name the "
                    "environment variable that holds the password"
                )
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(
                f"environment variable {self.password_env} is not set (named by [{self.section}] "
                f"password_env in {self.source}): export it before running foibot"
            )
        return value

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class Config:
    source: str  # the file it came from, or "built-in defaults"
    base_dir: Path  # relative paths are relative to this
    requester: Requester
    smtp: ServerConfig | None  # None: the embedded sandbox
    imap: ServerConfig | None  # None: the embedded sandbox
    storage: dict[str, Any]
    chase: dict[str, Any]
    daemon: dict[str, Any]
    publish: dict[str, Any] = field(default_factory=lambda: {"keep_senior_officials": False})

    @property
    def database_path(self) -> Path:
        return (self.base_dir / self.storage["database"]).resolve()

    @property
    def files_dir(self) -> Path:
        return (self.base_dir / self.storage["files"]).resolve()

    @property
    def sandbox(self) -> bool:
        return self.smtp is None


def is_loopback(host: str) -> bool:
    """Only literal loopback names count: plaintext must never leave the machine."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    if isinstance(expected, tuple):
        return "a number"
    return names.get(expected, expected.__name__)


def _check_section(data: Any, section: str, source: str) -> dict[str, Any]:
    schema = _SCHEMA[section]
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [{section}] must be a table")
    for key in data:
        if key not in schema:
            known = ", ".join(schema)
            raise ConfigError(f"{source}: unknown key [{section}] {key} (known keys: {known})")
    out: dict[str, Any] = {}
    for key, (expected, default) in schema.items():
        if key not in data:
            if default is REQUIRED:
                raise ConfigError(f"{source}: [{section}] {key} is required")
            out[key] = default
            continue
        value = data[key]
        ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
        if not ok:
            raise ConfigError(
                f"{source}: [{section}] {key} must be {_type_name(expected)}, not {value!r}"
            )
        # Line breaks of every kind (U+2028 too) and DEL: a name or address here ends up in a mail header.
        if isinstance(value, str) and has_control(value):
            raise ConfigError(f"{source}: [{section}] {key} contains a control character or newline")
        out[key] = value
    return out


def _server(section: str, values: dict[str, Any], source: str) -> ServerConfig:
    security = values["security"]
    if security not in SECURITY_CHOICES:
        raise ConfigError(
            f"{source}: [{section}] security must be one of {', '.join(SECURITY_CHOICES)}, not {security!r}"
        )
    if security == "none" and not is_loopback(values["host"]):
        raise ConfigError(
            f"{source}: [{section}] security = \"none\" is only allowed for a loopback host, not "
            f"{values['host']!r}: use \"tls\" or \"starttls\" so the password and the mail are encrypted"
        )
    if not 0 < values["port"] < 65536:
        raise ConfigError(f"{source}: [{section}] port must be between 1 and 65535, not {values['port']}")
    common = ("host", "port", "security", "username", "password_env", "ca_file", "timeout_seconds")
    extra = {k: v for k, v in values.items() if k not in common}
    for key, value in extra.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{source}: [{section}] {key} must not be negative")
    if section == "smtp" and values["connections"] < 1:
        raise ConfigError(f"{source}: [smtp] connections must be at least 1")
    if section == "smtp" and values["max_attempts"] < 1:
        raise ConfigError(f"{source}: [smtp] max_attempts must be at least 1")
    if values["timeout_seconds"] <= 0:
        raise ConfigError(f"{source}: [{section}] timeout_seconds must be more than 0")
    return ServerConfig(
        section=section,
        host=values["host"],
        port=values["port"],
        security=security,
        username=values["username"],
        password_env=values["password_env"],
        ca_file=values["ca_file"],
        timeout_seconds=float(values["timeout_seconds"]),
        source=source,
        extra=extra,
    )


def _check_email(value: str, key: str, source: str) -> None:
    from .addresses import AddressError, check_address

    try:
        check_address(value)
    except AddressError as exc:
        raise ConfigError(f"{source}: {key} {exc}") from exc


def _check_clock(value: str, key: str, source: str) -> None:
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not (
        0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60
    ):
        raise ConfigError(f"{source}: {key} must be a time of day like \"09:30\", not {value!r}")


def from_dict(data: dict[str, Any], source: str, base_dir: Path) -> Config:
    for section in data:
        if section not in _SCHEMA:
            raise ConfigError(f"{source}: unknown section [{section}] (known: {', '.join(_SCHEMA)})")
    # An absent [smtp] or [imap] means the embedded sandbox: its required keys are only required when given.
    sections = {name: _check_section(data.get(name, {}), name, source) for name in _SCHEMA
                if name in data or name not in ("smtp", "imap")}
    req = sections["requester"]
    _check_email(req["email"], "[requester] email", source)
    if req["reply_address"] not in ("plus", "none"):
        raise ConfigError(f"{source}: [requester] reply_address must be \"plus\" or \"none\"")
    if not req["name"].strip():
        raise ConfigError(f"{source}: [requester] name must not be empty")
    for key in ("office_hours_start", "office_hours_end"):
        _check_clock(sections["chase"][key], f"[chase] {key}", source)
    _check_clock(sections["daemon"]["chase_time"], "[daemon] chase_time", source)
    if sections["daemon"]["poll_minutes"] <= 0:
        raise ConfigError(f"{source}: [daemon] poll_minutes must be more than 0")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(sections["chase"]["timezone"])
    except Exception as exc:
        raise ConfigError(f"{source}: [chase] timezone {sections['chase']['timezone']!r} is unknown") from exc
    return Config(
        source=source,
        base_dir=base_dir,
        requester=Requester(**req),
        smtp=_server("smtp", sections["smtp"], source) if "smtp" in data else None,
        imap=_server("imap", sections["imap"], source) if "imap" in data else None,
        storage=sections["storage"],
        chase=sections["chase"],
        daemon=sections["daemon"],
        publish=sections["publish"],
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """`--config`, else FOIBOT_CONFIG, else ./config.toml when present, else built-in defaults (sandbox)."""
    chosen = path or os.environ.get("FOIBOT_CONFIG")
    if not chosen:
        if Path(DEFAULT_CONFIG_NAME).is_file():
            chosen = DEFAULT_CONFIG_NAME
        else:
            return from_dict({}, "built-in defaults", Path.cwd())
    file = Path(chosen)
    try:
        raw = file.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {file} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return from_dict(data, str(file), file.resolve().parent)
