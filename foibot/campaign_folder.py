"""`foibot init DIR`: a campaign folder to start a real run from (config, authorities, templates folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import FoibotError
from .render import shipped_templates_dir

TEMPLATES_NOTE = """\
Your own templates go here; foibot looks in this folder before the shipped ones.

To change the wording of the request, copy the shipped template folder here and edit the copy:

    cp -r {shipped}/fusus templates/fusus

To change a chaser (reminder, internal review, complaint), copy the file you want from
{shipped}/chase into templates/chase/ keeping its name.

`foibot send --run NAME --template fusus --dry-run` shows the result for every authority
before anything is sent; `foibot preview AUTHORITY_ID` shows one in full.
"""


def shipped_file(name: str) -> Path:
    """A file foibot ships (`config.example.toml`, `authorities.csv`): in the package, or the repo root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_shipped" / name, here.parent / name):
        if candidate.is_file():
            return candidate
    raise FoibotError(f"the shipped file {name} is missing from this installation: reinstall foibot")


NO_PASSWORD = '# password_env = ""'


def config_for(provider: str, example: str) -> str:
    """config.example.toml set for a provider: `provider = ...` in [smtp] and [imap], and each key its
    preset fills shown with the preset's value as a comment (write the key to change it)."""
    if provider == "custom":
        return example
    from .providers import preset_defaults

    out: list[str] = []
    section = ""
    replaced = False  # the line before was a key the preset fills: drop its comment's continuation lines
    for line in example.splitlines(keepends=True):
        stripped = line.strip()
        if replaced and line[:1].isspace() and stripped.startswith("#"):
            continue
        replaced = False
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        key, _, rest = stripped.partition("=")
        key = key.strip() if rest and not stripped.startswith("#") else ""
        if section not in ("smtp", "imap") or not key:
            out.append(line)
            continue
        preset = preset_defaults(provider, section)
        comment = rest.partition("#")[2].strip()
        if key == "provider":
            setting = f"provider = {_toml(provider)}"
            out.append(f"{setting:<40}# {comment}\n" if comment else f"{setting}\n")
        elif key in preset:
            out.append(f"{f'# {key} = {_toml(preset[key])}':<40}# filled in by the {provider} preset\n")
            replaced = True
        elif key == "password_env" and preset.get("auth") == "oauth2":
            out.append(f"{NO_PASSWORD:<40}# none: `foibot login` (OAuth2) instead of a password\n")
            replaced = True
        else:
            out.append(line)
    return "".join(out)


def _toml(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def init_campaign(folder: Path, provider: str = "custom", authorities_text: str | None = None) -> list[Path]:
    """Create the campaign folder's starting files; never overwrites anything. Returns what was written.

    `provider`: the mail provider whose preset the config is set for; `authorities_text`: the campaign's
    list (picked from the register); default, the shipped authorities.csv."""
    config = folder / "config.toml"
    authorities = folder / "authorities.csv"
    templates = folder / "templates"
    existing = [p for p in (config, authorities) if p.exists()]
    if existing:
        raise FoibotError(f"{existing[0]} already exists: foibot init never overwrites a campaign's files")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        example = shipped_file("config.example.toml").read_text(encoding="utf-8")
        config.write_text(config_for(provider, example), encoding="utf-8")
        if authorities_text is None:
            shutil.copyfile(shipped_file("authorities.csv"), authorities)
        else:
            authorities.write_text(authorities_text, encoding="utf-8")
        templates.mkdir(exist_ok=True)
        note = templates / "README.txt"
        if not note.exists():
            note.write_text(TEMPLATES_NOTE.format(shipped=shipped_templates_dir()), encoding="utf-8")
    except OSError as exc:
        raise FoibotError(f"cannot create the campaign folder {folder}: {exc.strerror}") from exc
    return [config, authorities, note]
