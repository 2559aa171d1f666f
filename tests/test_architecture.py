"""The house you can see: what CONTRIBUTING.md says about the layout is checked here, so it cannot drift.

- layers: imports run one way, shared -> understand -> store -> lifecycle -> send -> collect -> chase ->
  publish -> demo -> web -> cli/daemon; a shared (top-level) module imports only other shared modules;
- front doors: a module outside a folder imports that folder's `__init__` only, never its modules;
- no private name (`_x`) is imported from another module;
- each third-party library lives in the module that owns its concern;
- a module whose docstring says it is pure imports no I/O library;
- nothing imports the CLI or the daemon;
- CONTRIBUTING.md's map names every module of the package, and nothing else.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "foibot"

# Folders (and the top-level modules that are layers of their own), lowest first. Every other top-level
# module is shared: rank 0.
RANKS = {"understand": 1, "store": 2, "lifecycle": 3, "review": 3, "send": 4, "collect": 5, "chase": 6,
         "publish": 7, "check": 8, "demo": 8, "web": 9, "cli": 10, "daemon": 10, "__main__": 11}

# Third-party libraries and the only modules (dotted, below foibot) allowed to import them.
OWNERS = {
    "click": {"cli"},
    "jinja2": {"render", "web.app", "web.pages", "web"},
    "aiosmtplib": {"send.mailer"},
    "imapclient": {"collect.imap", "collect.sent", "send.sent_copies", "collect.idle"},
    "apscheduler": {"daemon"},
    "sqlite_utils": {"store", "store.migrations"},
    "bs4": {"understand.html_text", "understand.extract"},
    "pypdf": {"understand.extract"},
    "docx": {"understand.extract"},
    "aiosmtpd": {"sandbox"},
    "pymap": {"sandbox"},
    "holidays": {"deadlines"},
    "starlette": {"web", "web.app", "web.pages", "web.security", "web.server"},
    "uvicorn": {"web", "web.server", "web.app"},
    "keyring": {"oauth"},
    "authlib": {"oauth"},
    "msal": {"oauth"},
    "requests": {"oauth"},
    "httpx": {"oauth"},
}
IO_LIBRARIES = {"sqlite3", "sqlite_utils", "aiosmtplib", "imapclient", "smtplib", "imaplib", "socket",
                "asyncio", "subprocess", "apscheduler", "aiosmtpd", "pymap", "http", "urllib.request",
                "multiprocessing", "starlette", "uvicorn"}


@dataclass(frozen=True)
class Module:
    path: Path
    name: str  # dotted below foibot: "collect.filing", "store" (a package's __init__), "cli"

    @property
    def folder(self) -> str | None:
        """The folder it belongs to (for a package __init__, the package itself); None for a shared module."""
        parts = self.name.split(".")
        if self.path.name == "__init__.py" or len(parts) > 1:
            return parts[0]
        return None

    @property
    def rank(self) -> int:
        return RANKS.get(self.name.split(".")[0], 0)

    @property
    def docstring(self) -> str:
        return ast.get_docstring(ast.parse(self.path.read_text(encoding="utf-8"))) or ""


def _modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts:
            continue  # foibot/__init__.py
        found.append(Module(path, ".".join(parts)))
    return found


MODULES = _modules()
BY_NAME = {m.name: m for m in MODULES}


@dataclass(frozen=True)
class Import:
    target: str  # dotted below foibot ("send.plan"), or a third-party module name ("jinja2.sandbox")
    names: tuple[str, ...]
    internal: bool
    line: int


def _imports(module: Module) -> list[Import]:
    tree = ast.parse(module.path.read_text(encoding="utf-8"))
    package = module.name.split(".") if module.path.name == "__init__.py" else module.name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                internal = alias.name.startswith("foibot.")
                target = alias.name.removeprefix("foibot.") if internal else alias.name
                found.append(Import(target, (), internal, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                dotted = ".".join([*base, *([node.module] if node.module else [])])
                if node.module is None:  # from . import x: each x is a module of that package
                    for name in names:
                        found.append(Import(".".join(p for p in (dotted, name) if p), (), True, node.lineno))
                    continue
                found.append(Import(dotted, names, True, node.lineno))
            elif node.module and (node.module == "foibot" or node.module.startswith("foibot.")):
                found.append(Import(node.module.removeprefix("foibot").lstrip("."), names, True, node.lineno))
            elif node.module:
                found.append(Import(node.module, names, False, node.lineno))
    return found


def _target_module(target: str) -> Module | None:
    while target:
        if target in BY_NAME:
            return BY_NAME[target]
        target = target.rpartition(".")[0]
    return None


def _imported_modules(module: Module) -> list[tuple[Import, Module]]:
    """Each import of another module of the package, with the module it reaches."""
    found = []
    for imp in _imports(module):
        target = _target_module(imp.target) if imp.internal else None
        if target is not None and target.name != module.name:
            found.append((imp, target))
    return found


IDS = [m.name for m in MODULES]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_imports_run_one_way(module: Module) -> None:
    for _imp, target in _imported_modules(module):
        assert target.rank <= module.rank, (
            f"{module.name} (layer {module.rank}) imports {target.name} (layer {target.rank}): imports run "
            f"one way, see CONTRIBUTING.md")
        if module.rank == 0:
            assert target.rank == 0, f"shared module {module.name} imports {target.name}, a stage"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_folders_are_entered_through_their_front_door(module: Module) -> None:
    for imp, target in _imported_modules(module):
        if target.folder is None or target.folder == module.folder:
            continue
        assert target.name == target.folder, (
            f"{module.name} imports {target.name}: enter the {target.folder}/ folder through its __init__ "
            f"(from foibot.{target.folder} import ...)")
        inner = [n for n in imp.names if f"{target.name}.{n}" in BY_NAME]
        assert not inner, f"{module.name} imports the module(s) {inner} of {target.folder}/: use its front door"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_no_private_names_cross_modules(module: Module) -> None:
    for imp in _imports(module):
        if imp.internal:
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{module.name} imports private {private} from {imp.target}"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_libraries_live_in_their_owner(module: Module) -> None:
    for imp in _imports(module):
        if imp.internal:
            continue
        top = imp.target.split(".")[0]
        if top in OWNERS:
            assert module.name in OWNERS[top], f"{module.name} imports {top}, which belongs to {OWNERS[top]}"


PURE = [m for m in MODULES if re.search(r"\bpure\b", m.docstring.split("\n\n")[0])]


def test_the_reader_and_the_rules_say_they_are_pure() -> None:
    names = {m.name for m in PURE}
    assert {"understand", "understand.classify", "deadlines", "collect.matching", "references"} <= names


def _reachable(module: Module) -> set[str]:
    """Every third-party module this one imports, itself or through our modules, at any depth."""
    seen: set[str] = set()
    external: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        for imp in _imports(current):
            if not imp.internal:
                external.add(imp.target)
            elif (target := _target_module(imp.target)) is not None:
                todo.append(target)
                if target.path.name == "__init__.py" and imp.names:  # from .pkg import mod: that module too
                    todo.extend(BY_NAME[f"{target.name}.{n}"] for n in imp.names if f"{target.name}.{n}" in BY_NAME)
    return external


@pytest.mark.parametrize("module", PURE, ids=[m.name for m in PURE])
def test_pure_modules_do_no_io(module: Module) -> None:
    bad = {name for name in _reachable(module) if name in IO_LIBRARIES or name.split(".")[0] in IO_LIBRARIES}
    assert not bad, f"{module.name} says it is pure but imports {bad} (itself or through our modules)"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_nothing_imports_the_cli_or_the_daemon(module: Module) -> None:
    if module.name in ("cli", "daemon", "__main__"):
        return
    for imp in _imports(module):
        assert not (imp.internal and imp.target.split(".")[0] in ("cli", "daemon")), (
            f"{module.name} imports {imp.target}")


def test_contributing_map_names_every_module() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `((?:[a-z_]+/)*[a-z_]+\.py)` \|", section, flags=re.MULTILINE))
    actual = {str(m.path.relative_to(PACKAGE)) for m in MODULES}
    assert actual - named == set(), f"CONTRIBUTING.md's map leaves out {sorted(actual - named)}"
    assert named - actual == set(), f"CONTRIBUTING.md's map names modules that do not exist: {sorted(named - actual)}"


def test_cli_starts_without_heavy_imports() -> None:
    code = (
        "import sys, foibot.cli; heavy = {'jinja2','aiosmtplib','imapclient','apscheduler','sqlite_utils',"
        "'bs4','pypdf','docx','aiosmtpd','pymap','holidays','starlette','uvicorn','msal','authlib','keyring'};"
        " print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"the CLI imports heavy modules at start-up: {out}"


def test_the_cli_holds_no_sql_and_never_closes_the_store_itself() -> None:
    """The CLI translates; the library owns the database, and the click context closes it."""
    text = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b", text), "SQL in cli.py"
    assert ".execute(" not in text and ".query(" not in text, "cli.py talks to the database directly"
    assert "store.close()" not in text, "close the store through the click context (open_db), not by hand"
