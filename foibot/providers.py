"""Provider presets: the servers, security, login method, quota and OAuth2 endpoints of common mailboxes.

A preset only fills defaults; every key the config file gives wins. The numbers are the providers' own
published limits at the time of writing (personal Gmail about 500 messages a day, Google Workspace about
2,000 over a rolling 24 hours, Microsoft 365 10,000 recipients a day and 30 messages a minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROVIDERS = ("gmail", "google_workspace", "microsoft365", "fastmail", "custom")

GOOGLE_SCOPES = ("https://mail.google.com/",)
MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
)
MICROSOFT_LOGIN = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where a provider's OAuth2 authorization server is and how foibot talks to it."""

    authorize_url: str = ""
    token_url: str = ""
    device_url: str = ""  # RFC 8628 device authorization endpoint; empty: the provider has none for mail
    scopes: tuple[str, ...] = ()
    flow: str = "browser"  # "device" (RFC 8628: a URL and a code) | "browser" (RFC 8252 loopback redirect)
    redirect_uri: str = "http://127.0.0.1"  # the loopback address the browser is sent back to (port added)
    tenant: str = ""  # Microsoft: "common", "organizations" or the tenant's id, put into the URLs
    # Extra query parameters of the authorization request (Google: a refresh token, and every time).
    authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Preset:
    smtp: dict[str, Any]
    imap: dict[str, Any]
    oauth: OAuthEndpoints | None


_GOOGLE = OAuthEndpoints(
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    # Google's device flow does not grant the mail scope: only the loopback redirect works for Gmail.
    device_url="",
    scopes=GOOGLE_SCOPES,
    flow="browser",
    redirect_uri="http://127.0.0.1",
    authorize_params=(("access_type", "offline"), ("prompt", "consent")),
)

_MICROSOFT = OAuthEndpoints(
    authorize_url=MICROSOFT_LOGIN + "/authorize",
    token_url=MICROSOFT_LOGIN + "/token",
    device_url=MICROSOFT_LOGIN + "/devicecode",
    scopes=MICROSOFT_SCOPES,
    flow="device",
    # Microsoft's registration takes http://localhost for public clients, any port.
    redirect_uri="http://localhost",
    tenant="common",
)


def _preset(smtp: tuple[str, int, str], imap: tuple[str, int, str], *, auth: str, daily_limit: int,
            sent_folder: str, oauth: OAuthEndpoints | None, saves_sent_copies: bool = False) -> Preset:
    """A provider's preset from its two servers, each (host, port, security); one login method for both."""
    (smtp_host, smtp_port, smtp_security), (imap_host, imap_port, imap_security) = smtp, imap
    return Preset(
        smtp={"host": smtp_host, "port": smtp_port, "security": smtp_security, "auth": auth,
              "daily_limit": daily_limit, "saves_sent_copies": saves_sent_copies},
        imap={"host": imap_host, "port": imap_port, "security": imap_security, "auth": auth,
              "sent_folder": sent_folder},
        oauth=oauth,
    )


def _google(daily_limit: int) -> Preset:
    # Gmail files what its SMTP server sends in [Gmail]/Sent Mail by itself: no copy of ours, and a message of
    # unknown fate that is not there was certainly not sent.
    return _preset(("smtp.gmail.com", 465, "tls"), ("imap.gmail.com", 993, "tls"), auth="oauth2",
                   daily_limit=daily_limit, sent_folder="", oauth=_GOOGLE, saves_sent_copies=True)


PRESETS: dict[str, Preset] = {
    "gmail": _google(500),
    "google_workspace": _google(2000),
    "microsoft365": _preset(("smtp.office365.com", 587, "starttls"), ("outlook.office365.com", 993, "tls"),
                            auth="oauth2", daily_limit=10000, sent_folder="Sent Items", oauth=_MICROSOFT),
    # Fastmail gives third-party programs app passwords (Settings > Privacy & Security), not OAuth2.
    "fastmail": _preset(("smtp.fastmail.com", 465, "tls"), ("imap.fastmail.com", 993, "tls"), auth="password",
                        daily_limit=2000, sent_folder="Sent", oauth=None),
    "custom": Preset(smtp={}, imap={}, oauth=None),
}


def preset_defaults(provider: str, section: str) -> dict[str, Any]:
    """The keys a provider fills in `[smtp]` or `[imap]` (a copy: the caller may change it)."""
    preset = PRESETS[provider]
    return dict(preset.smtp if section == "smtp" else preset.imap)


def oauth_endpoints(provider: str) -> OAuthEndpoints | None:
    return PRESETS[provider].oauth
