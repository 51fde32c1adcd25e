"""What configuration the code reads, derived from the code itself, and what the docs document."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import AliasChoices

from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("shared", "services", "pmo")
SERVICE_PLACEHOLDER = "<SERVICE>"
NAME = re.compile(r"[A-Z][A-Z0-9_]*(?:<SERVICE>[A-Z0-9_]*)?")


def services() -> list[str]:
    """Every service with a settings module: the four APIs and the portal."""
    return sorted(path.parent.name for path in (ROOT / "services").glob("*/settings.py"))


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")


def settings_variables(cls: type[ServiceSettings]) -> set[str]:
    """The variables a pydantic settings class reads: its prefix + field, or the field's PMO_ alias."""
    prefix = cls.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            # The upper-case choice is the variable; the lower-case one is the constructor name.
            names |= {choice for choice in alias.choices
                      if isinstance(choice, str) and choice.isupper()}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
        (isinstance(node, ast.Name) and node.id == "environ")


def _first_key(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def environ_reads(source: str) -> set[str]:
    """Names read through os.environ.get/[]/in, or os.getenv, in one Python source."""
    tree = ast.parse(source)
    constants = _module_constants(tree)
    names = set()
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") \
                    and _is_environ(func.value):
                key = _first_key(node.args[0], constants)
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or \
                    (isinstance(func, ast.Name) and func.id == "getenv"):
                key = _first_key(node.args[0], constants)
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            key = _first_key(node.slice, constants)
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1 \
                and isinstance(node.ops[0], (ast.In, ast.NotIn)) and _is_environ(node.comparators[0]):
            key = _first_key(node.left, constants)
        if key:
            names.add(key)
    return names


def python_sources() -> Iterable[tuple[Path, str]]:
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            yield path, path.read_text()
    # The image's entrypoint runs Python from a here-document.
    prestart = (ROOT / "deploy" / "prestart.sh").read_text()
    for block in re.findall(r"<<'PY'\n(.*?)\nPY\n", prestart, flags=re.S):
        yield ROOT / "deploy" / "prestart.sh", block


def code_reads() -> dict[str, set[str]]:
    """Every variable the code reads, with where: settings classes and explicit environ reads."""
    reads: dict[str, set[str]] = {}
    for service in services():
        for name in settings_variables(settings_class(service)):
            reads.setdefault(name, set()).add(f"services/{service}/settings.py")
    for path, source in python_sources():
        for name in environ_reads(source):
            reads.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    shell = (ROOT / "deploy" / "prestart.sh").read_text()
    for name in re.findall(r"\$\{?(PMO_[A-Z0-9_]+)", shell):
        reads.setdefault(name, set()).add("deploy/prestart.sh")
    return reads


def _section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, flags=re.M | re.S)
    assert match, f"docs/operations.md has no '## {title}' section"
    return match.group(1)


def documented(markdown: str, title: str = "Configuration reference") -> dict[str, str]:
    """Variables named in the first cell of the section's table rows, by subsection heading.

    `PMO_<SERVICE>_X` stands for the variable of every service.
    """
    found: dict[str, str] = {}
    subsection = ""
    for line in _section(markdown, title).splitlines():
        if line.startswith("### "):
            subsection = line[4:].strip()
            continue
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        first_cell = line.split("|")[1]
        for token in re.findall(r"`([^`]+)`", first_cell):
            if not NAME.fullmatch(token):
                continue
            expanded = [token.replace(SERVICE_PLACEHOLDER, service.upper()) for service in services()] \
                if SERVICE_PLACEHOLDER in token else [token]
            for name in expanded:
                found[name] = subsection
    return found
