"""Every variable the code reads is documented in docs/operations.md, and every one there is read."""

from __future__ import annotations

from envvars import ROOT, code_reads, documented, environ_reads

DOCS = ROOT / "docs" / "operations.md"
COMPOSE_ONLY = "Compose file only"


def test_every_variable_the_code_reads_is_documented():
    docs = documented(DOCS.read_text())
    missing = {name: sorted(where) for name, where in code_reads().items() if name not in docs}
    assert missing == {}, "add them to docs/operations.md (Configuration reference)"


def test_every_documented_variable_is_read_by_the_code():
    docs = documented(DOCS.read_text())
    reads = code_reads()
    stale = sorted(name for name, section in docs.items()
                   if section != COMPOSE_ONLY and name not in reads)
    assert stale == [], "documented but no code reads them"


def test_compose_only_variables_are_not_read_by_the_code():
    docs = documented(DOCS.read_text())
    compose_only = {name for name, section in docs.items() if section == COMPOSE_ONLY}
    assert compose_only and not compose_only & set(code_reads())


def test_the_scanner_finds_each_way_of_reading_the_environment():
    source = '''
import os
from os import environ, getenv
NAME_ENV = "PMO_FROM_CONSTANT"
a = os.environ.get("PMO_GET")
b = os.environ["PMO_SUBSCRIPT"]
c = os.getenv("PMO_GETENV")
d = environ.get(NAME_ENV)
e = "PMO_MEMBERSHIP" in os.environ
f = getenv("PMO_BARE_GETENV", "x")
g = os.environ.get(unknown_name)
'''
    assert environ_reads(source) == {"PMO_GET", "PMO_SUBSCRIPT", "PMO_GETENV", "PMO_FROM_CONSTANT",
                                     "PMO_MEMBERSHIP", "PMO_BARE_GETENV"}
