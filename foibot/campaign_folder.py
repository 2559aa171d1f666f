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


def init_campaign(folder: Path, authorities_text: str | None = None) -> list[Path]:
    """Create the campaign folder's starting files; never overwrites anything. Returns what was written.

    `authorities_text`: the campaign's list (picked from the register); default, the shipped authorities.csv."""
    config = folder / "config.toml"
    authorities = folder / "authorities.csv"
    templates = folder / "templates"
    existing = [p for p in (config, authorities) if p.exists()]
    if existing:
        raise FoibotError(f"{existing[0]} already exists: foibot init never overwrites a campaign's files")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped_file("config.example.toml"), config)
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
