"""shared.db's one-statement writes refuse what would silently write NULL past a default."""

import asyncio

import pytest

from services.intake.models import CustomerRow
from shared.db import insert_new


def test_insert_new_refuses_an_object_with_unset_columns():
    incomplete = CustomerRow(id="c1", name="Acme")  # no segment, version, timestamps, ...
    with pytest.raises(ValueError, match="CustomerRow lacks .*version"):
        asyncio.run(insert_new(None, incomplete))  # refused before any database is touched
