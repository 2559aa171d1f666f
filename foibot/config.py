"""The TOML config: typed, checked key by key, secrets only from the environment."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .addresses import has_control
from .errors import ConfigError
from .files import read_text
from .providers import PROVIDERS, oauth_endpoints, preset_defaults

DEFAULT_CONFIG_NAME = "config.toml"
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECURITY_CHOICES = ("tls", "starttls", "none")
AUTH_CHOICES = ("password", "oauth2")
OAUTH_MECHANISMS = ("auto", "xoauth2", "oauthbearer")
OAUTH_FLOWS = ("device", "browser")
TOKEN_STORES = ("auto", "keyring", "file")
TOKEN_FILE_NAME = "oauth-tokens.json"  # beside the config file, owner-only, when no keyring is used

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
        # A provider preset fills host, port, security, auth and daily_limit (providers.py); keys given win.
        "provider": (str, "custom"),
        "auth": (str, "password"),  # "password" (password_env) | "oauth2" (`foibot login`, [oauth2])
        "daily_limit": (int, 0),  # messages in any 24 hours, chasers included; 0: no limit
        # The server files a copy of every message it accepts in the mailbox's Sent folder (Gmail does): a
        # message of unknown fate that is not there was certainly not sent.
        "saves_sent_copies": (bool, False),
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
        "provider": (str, "custom"),
        "auth": (str, "password"),
        "oauth_mechanism": (str, "auto"),  # auto | xoauth2 | oauthbearer (auto: what the server offers)
        "sent_folder": (str, ""),  # where a copy of each request and chaser is kept; empty: none
        "idle": (bool, True),  # the daemon waits with IDLE between polls when the server offers it
    },
    # OAuth2 logins (`auth = "oauth2"`): an empty value takes the provider's (providers.py).
    "oauth2": {
        "client_id": (str, ""),
        "client_secret_env": (str, ""),
        "tenant": (str, ""),
        "flow": (str, ""),
        "authorize_url": (str, ""),
        "token_url": (str, ""),
        "device_url": (str, ""),
        "scopes": (list, []),
        "redirect_uri": (str, ""),
        "token_store": (str, "auto"),
        "timeout_seconds": ((int, float), 30),
    },
    "storage": {
        "database": (str, "foibot.db"),
        "files": (str, "files"),
        "max_attachment_bytes": (int, 25 * 1024 * 1024),
        # Each stored message is read in a worker process within these limits; one that runs over is
        # quarantined (foibot retry) instead of stopping every later poll.
        "isolated_reading": (bool, True),
        "read_timeout_seconds": ((int, float), 60),
        "read_memory_mb": (int, 1024),
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


def _from_env(name: str, named_by: str, source: str) -> str:
    """A secret from the environment variable `name` (which the config key `named_by` names in `source`)."""
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"environment variable {name} is not set (named by {named_by} in {source}): export it "
                          "before running foibot")
    return value


@dataclass(frozen=True)
class ServerConfig:
    """What an SMTP and an IMAP server have in common; `section` is "smtp" or "imap"."""

    section: str
    source: str
    host: str
    port: int
    security: str
    username: str
    password_env: str
    ca_file: str
    timeout_seconds: float
    provider: str
    auth: str

    @property
    def label(self) -> str:
        return f"{self.section.upper()} server {self.host}:{self.port}"

    @property
    def uses_oauth(self) -> bool:
        return self.auth == "oauth2"

    def password(self) -> str | None:
        """The password from the environment variable that `password_env` names; never from the file.
        None with `auth = "oauth2"`: the login is a token then (oauth.py)."""
        if self.uses_oauth:
            return None
        if not self.password_env:
            if self.username:
                raise ConfigError(
                    f"{self.source}: [{self.section}] username is set but password_env is not: name the "
                    "environment variable that holds the password"
                )
            return None
        return _from_env(self.password_env, f"[{self.section}] password_env", self.source)


@dataclass(frozen=True)
class SmtpConfig(ServerConfig):
    """`[smtp]`: where requests and chasers go out, and how politely."""

    connections: int
    rate_per_minute: int
    domain_pause_seconds: float
    max_attempts: int
    retry_base_seconds: float
    daily_limit: int  # messages in any 24 hours, chasers included (outbox.next_slot); 0: no limit
    saves_sent_copies: bool  # the server files what it accepts in the Sent folder itself (Gmail)


@dataclass(frozen=True)
class ImapConfig(ServerConfig):
    """`[imap]`: the mailbox replies are read from."""

    folder: str
    processed_folder: str
    batch_size: int
    max_message_bytes: int
    oauth_mechanism: str
    sent_folder: str  # our copy of each request and chaser goes here (collect/sent.py); empty: none
    idle: bool  # the daemon waits with IMAP IDLE between polls (collect/idle.py)


@dataclass(frozen=True)
class StorageConfig:
    """`[storage]`: the database and the attachments folder (relative to the config file's folder)."""

    database: str
    files: str
    max_attachment_bytes: int
    isolated_reading: bool
    read_timeout_seconds: float
    read_memory_mb: int


@dataclass(frozen=True)
class ChaseConfig:
    """`[chase]`: the ladder's stages, their timing and office hours."""

    enabled: bool
    reminder: bool
    internal_review: bool
    complaint: bool
    review_after_working_days: int
    complaint_after_working_days: int
    office_hours_start: str
    office_hours_end: str
    timezone: str
    complaints_folder: str

    def stage_enabled(self, stage: str) -> bool:
        return bool({"reminder": self.reminder, "internal_review": self.internal_review,
                     "complaint": self.complaint}.get(stage, False))


@dataclass(frozen=True)
class DaemonConfig:
    """`[daemon]`: how often it polls and when it chases."""

    poll_minutes: float
    chase_time: str


@dataclass(frozen=True)
class PublishConfig:
    """`[publish]`: what `foibot publish` and `foibot report` keep of the personal data in replies."""

    keep_senior_officials: bool


SECTION_TYPES: dict[str, type] = {"requester": Requester, "smtp": SmtpConfig, "imap": ImapConfig,
                                  "storage": StorageConfig, "chase": ChaseConfig, "daemon": DaemonConfig,
                                  "publish": PublishConfig}


def _typed(cls: type, values: dict[str, Any], **more: Any) -> Any:
    """A section's checked values as its dataclass (numbers given as integers become floats where needed)."""
    import dataclasses

    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    converted = {k: float(v) if kinds.get(k) in ("float", float) and isinstance(v, int) else v
                 for k, v in values.items()}
    return cls(**converted, **more)


@dataclass(frozen=True)
class OAuthConfig:
    """How `foibot login` and token refreshes reach the OAuth2 authorization server ([oauth2] over the
    provider preset). The client secret, if any, only ever comes from the environment."""

    provider: str  # the preset the endpoints came from; "custom": all from [oauth2]
    client_id: str
    client_secret_env: str
    flow: str  # device | browser
    authorize_url: str
    token_url: str
    device_url: str
    scopes: tuple[str, ...]
    redirect_uri: str
    authorize_params: dict[str, str]
    token_store: str  # auto | keyring | file
    token_file: Path
    timeout_seconds: float
    source: str

    def client_secret(self) -> str | None:
        if not self.client_secret_env:
            return None
        return _from_env(self.client_secret_env, "[oauth2] client_secret_env", self.source)

    def check_ready(self, flow: str | None = None) -> None:
        """What a login or a refresh needs, named by key: raised only when one is about to happen."""
        if not self.client_id:
            raise ConfigError(
                f"{self.source}: [oauth2] client_id is required for auth = \"oauth2\": register foibot with "
                "your provider (README: \"Using Gmail\", \"Using Microsoft 365\") and put its client id there"
            )
        if not self.token_url:
            raise ConfigError(f"{self.source}: [oauth2] token_url is required for provider \"custom\"")
        flow = flow or self.flow
        if flow == "device" and not self.device_url:
            raise ConfigError(f"{self.source}: the device flow needs [oauth2] device_url (this provider has "
                              "none for mail: use flow = \"browser\")")
        if flow == "browser" and not self.authorize_url:
            raise ConfigError(f"{self.source}: the browser flow needs [oauth2] authorize_url")


@dataclass(frozen=True)
class Config:
    source: str  # the file it came from, or "built-in defaults"
    base_dir: Path  # relative paths are relative to this
    requester: Requester
    smtp: SmtpConfig | None  # None: the embedded sandbox
    imap: ImapConfig | None  # None: the embedded sandbox
    storage: StorageConfig
    chase: ChaseConfig
    daemon: DaemonConfig
    oauth2: OAuthConfig | None = None  # None: no server logs in with OAuth2
    publish: PublishConfig = PublishConfig(keep_senior_officials=False)

    @property
    def database_path(self) -> Path:
        return (self.base_dir / self.storage.database).resolve()

    @property
    def files_dir(self) -> Path:
        return (self.base_dir / self.storage.files).resolve()

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


def security_hint(exc: BaseException, security: str, port: int, section: str) -> str | None:
    """Which `security` to try when the one set does not fit the port: TLS spoken to a plaintext port fails
    with WRONG_VERSION_NUMBER; STARTTLS (plaintext first) at an implicit-TLS port waits for a greeting that
    never comes."""
    chain: list[BaseException] = [exc]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        if nxt is None or nxt in chain or len(chain) > 10:
            break
        chain.append(nxt)
    text = " ".join(str(e) for e in chain).upper()
    if security == "tls" and ("WRONG_VERSION_NUMBER" in text or "UNKNOWN_PROTOCOL" in text
                              or "RECORD_LAYER_FAILURE" in text):
        return (f"port {port} does not start with TLS: try [{section}] security = \"starttls\" (or the "
                f"provider's TLS port, {'465' if section == 'smtp' else '993'})")
    timed_out = any(isinstance(e, TimeoutError) or "timed out" in str(e).lower() for e in chain)
    if security in ("starttls", "none") and timed_out and port in (465, 993):
        return f"port {port} expects TLS from the start: try [{section}] security = \"tls\""
    if security == "starttls" and timed_out:
        return (f"no greeting from port {port}: if it expects TLS from the start, try [{section}] "
                "security = \"tls\"")
    return None


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}
    if isinstance(expected, tuple):
        return "a number"
    return names.get(expected, expected.__name__)


def _preset(data: Any, section: str, source: str) -> dict[str, Any]:
    """The defaults `[smtp]`/`[imap] provider` fills in (nothing for "custom" or an absent section)."""
    if section not in ("smtp", "imap") or not isinstance(data, dict) or "provider" not in data:
        return {}
    provider = data["provider"]
    if provider not in PROVIDERS:
        raise ConfigError(f"{source}: [{section}] provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    return preset_defaults(provider, section)


def _check_section(data: Any, section: str, source: str) -> dict[str, Any]:
    schema = _SCHEMA[section]
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [{section}] must be a table")
    for key in data:
        if key not in schema:
            known = ", ".join(schema)
            raise ConfigError(f"{source}: unknown key [{section}] {key} (known keys: {known})")
    preset = _preset(data, section, source)
    out: dict[str, Any] = {}
    for key, (expected, default) in schema.items():
        default = preset.get(key, default)
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
        if isinstance(value, float) and not math.isfinite(value):  # TOML allows inf and nan
            raise ConfigError(f"{source}: [{section}] {key} must be a finite number, not {value!r}")
        # Line breaks of every kind (U+2028 too) and DEL: a name or address here ends up in a mail header.
        if isinstance(value, str) and has_control(value):
            raise ConfigError(f"{source}: [{section}] {key} contains a control character or newline")
        if isinstance(value, list) and not all(isinstance(v, str) and v and not has_control(v) for v in value):
            raise ConfigError(f"{source}: [{section}] {key} must be a list of non-empty strings")
        out[key] = value
    return out


def _server(section: str, values: dict[str, Any], source: str, base_dir: Path) -> ServerConfig:
    """A checked [smtp] or [imap] section as a SmtpConfig or ImapConfig."""
    security = values["security"]
    if values["password_env"] and not _VARIABLE_NAME.fullmatch(values["password_env"]):
        # Never echoed: a password written here by mistake would end up in every error and the daemon's log.
        raise ConfigError(f"{source}: [{section}] password_env must be the NAME of an environment variable "
                          "(letters, digits and _, e.g. FOIBOT_IMAP_PASSWORD), not the password itself; the "
                          "value given is not shown")
    if security not in SECURITY_CHOICES:
        raise ConfigError(
            f"{source}: [{section}] security must be one of {', '.join(SECURITY_CHOICES)}, not {security!r}"
        )
    if security == "none" and not is_loopback(values["host"]):
        raise ConfigError(
            f"{source}: [{section}] security = \"none\" is only allowed for a loopback host, not "
            f"{values['host']!r}: use \"tls\" or \"starttls\" so the password and the mail are encrypted"
        )
    if values["auth"] not in AUTH_CHOICES:
        raise ConfigError(f"{source}: [{section}] auth must be \"password\" or \"oauth2\", not {values['auth']!r}")
    if values["auth"] == "oauth2" and not values["username"]:
        raise ConfigError(f"{source}: [{section}] username is required with auth = \"oauth2\" (the address of "
                          "the mailbox you log in to)")
    if section == "imap" and values["oauth_mechanism"] not in OAUTH_MECHANISMS:
        raise ConfigError(f"{source}: [imap] oauth_mechanism must be one of {', '.join(OAUTH_MECHANISMS)}, not "
                          f"{values['oauth_mechanism']!r}")
    if not 0 < values["port"] < 65536:
        raise ConfigError(f"{source}: [{section}] port must be between 1 and 65535, not {values['port']}")
    for key, value in values.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{source}: [{section}] {key} must not be negative")
    if section == "smtp" and values["connections"] < 1:
        raise ConfigError(f"{source}: [smtp] connections must be at least 1")
    if section == "smtp" and values["max_attempts"] < 1:
        raise ConfigError(f"{source}: [smtp] max_attempts must be at least 1")
    if values["timeout_seconds"] <= 0:
        raise ConfigError(f"{source}: [{section}] timeout_seconds must be more than 0")
    if values["ca_file"]:  # relative to the config file's folder, like every path in it, whatever the cwd
        values = {**values, "ca_file": str((base_dir / values["ca_file"]).resolve())}
    cls = SmtpConfig if section == "smtp" else ImapConfig
    server: ServerConfig = _typed(cls, values, section=section, source=source)
    return server


def _check_url(value: str, key: str, source: str) -> None:
    """HTTPS, or plain HTTP to a loopback host only (a token must never cross a network in clear)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return
    raise ConfigError(f"{source}: [oauth2] {key} must be an https:// address (http:// only for a loopback "
                      f"host), not {value!r}")


def _oauth(values: dict[str, Any], servers: list[ServerConfig], source: str, base_dir: Path) -> OAuthConfig | None:
    """[oauth2] over the preset of the servers that log in with OAuth2 (None when none does)."""
    users = [s for s in servers if s.auth == "oauth2"]
    if not users:
        return None
    presets = {s.provider: oauth_endpoints(s.provider) for s in users}
    distinct = {p for p in presets.values() if p is not None}
    if len(distinct) > 1:
        raise ConfigError(f"{source}: [smtp] and [imap] log in with OAuth2 at different providers "
                          f"({', '.join(sorted(presets))}): foibot keeps one login; use one provider")
    for name, endpoints in presets.items():
        if endpoints is None and name != "custom":
            raise ConfigError(f"{source}: provider {name!r} offers no OAuth2 login for mail: use auth = "
                              "\"password\" with an app password")
    provider = next((name for name, p in presets.items() if p is not None), "custom")
    preset = oauth_endpoints(provider)
    tenant = values["tenant"] or (preset.tenant if preset else "")

    def pick(key: str) -> str:
        value: str = values[key] or (getattr(preset, key) if preset else "")
        return value.replace("{tenant}", tenant)

    flow = values["flow"] or (preset.flow if preset else ("device" if values["device_url"] else "browser"))
    if flow not in OAUTH_FLOWS:
        raise ConfigError(f"{source}: [oauth2] flow must be \"device\" or \"browser\", not {flow!r}")
    if values["token_store"] not in TOKEN_STORES:
        raise ConfigError(f"{source}: [oauth2] token_store must be one of {', '.join(TOKEN_STORES)}, not "
                          f"{values['token_store']!r}")
    if values["timeout_seconds"] <= 0:
        raise ConfigError(f"{source}: [oauth2] timeout_seconds must be more than 0")
    urls = {key: pick(key) for key in ("authorize_url", "token_url", "device_url", "redirect_uri")}
    for key, url in urls.items():
        if url and key != "redirect_uri":
            _check_url(url, key, source)
    redirect = urls["redirect_uri"] or "http://127.0.0.1"
    from urllib.parse import urlsplit

    if urlsplit(redirect).scheme != "http" or not is_loopback(urlsplit(redirect).hostname or ""):
        raise ConfigError(f"{source}: [oauth2] redirect_uri must be a loopback address like http://127.0.0.1, "
                          f"not {redirect!r}")
    return OAuthConfig(
        provider=provider,
        client_id=values["client_id"],
        client_secret_env=values["client_secret_env"],
        flow=flow,
        authorize_url=urls["authorize_url"],
        token_url=urls["token_url"],
        device_url=urls["device_url"],
        scopes=tuple(values["scopes"]) or (preset.scopes if preset else ()),
        redirect_uri=redirect,
        authorize_params=dict(preset.authorize_params) if preset else {},
        token_store=values["token_store"],
        token_file=base_dir / TOKEN_FILE_NAME,
        timeout_seconds=float(values["timeout_seconds"]),
        source=source,
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
    smtp = _server("smtp", sections["smtp"], source, base_dir) if "smtp" in data else None
    imap = _server("imap", sections["imap"], source, base_dir) if "imap" in data else None
    assert smtp is None or isinstance(smtp, SmtpConfig)
    assert imap is None or isinstance(imap, ImapConfig)
    servers: list[ServerConfig] = [s for s in (smtp, imap) if s is not None]
    return Config(
        source=source,
        base_dir=base_dir,
        requester=Requester(**req),
        smtp=smtp,
        imap=imap,
        storage=_typed(StorageConfig, sections["storage"]),
        chase=_typed(ChaseConfig, sections["chase"]),
        daemon=_typed(DaemonConfig, sections["daemon"]),
        oauth2=_oauth(sections["oauth2"], servers, source, base_dir),
        publish=_typed(PublishConfig, sections["publish"]),
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
    text = read_text(file, ConfigError, "config file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return from_dict(data, str(file), file.resolve().parent)
