"""Route dependencies every service uses: the authorized caller and the service's database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal, authorize
from shared.db import Database


async def database(request: Request) -> Database:
    # async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
    # per request for an attribute read.
    return request.app.state.runtime.db


Caller = Annotated[Principal, Depends(authorize)]
Db = Annotated[Database, Depends(database)]
