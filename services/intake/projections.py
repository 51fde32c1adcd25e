"""intake's local copy of the catalog, so references are checked without calling catalog."""

from __future__ import annotations

from services.intake.models import KnownFunctionRow, KnownServiceRow
from shared.db import UnitOfWork
from shared.errors import Unprocessable
from shared.projections import keep_newest

RETIRED = "retired"


async def check_references(uow: UnitOfWork, function_code: str | None, service_id: str | None) -> None:
    """422 naming the field when a function or service is unknown, or the service is retired."""
    if function_code is not None and await uow.session.get(KnownFunctionRow, function_code) is None:
        raise Unprocessable(f"unknown function_code '{function_code}'", "function_code")
    if service_id is None:
        return
    service = await uow.session.get(KnownServiceRow, service_id)
    if service is None:
        raise Unprocessable(f"unknown service_id '{service_id}'", "service_id")
    if service.lifecycle_state == RETIRED:
        hint = (f"; its replacement is {service.replacement_service_id}"
                if service.replacement_service_id else "")
        raise Unprocessable(f"service '{service.name}' is retired{hint}", "service_id",
                            replacement_service_id=service.replacement_service_id)


async def upsert_function(uow: UnitOfWork, code: str, name: str) -> None:
    row = await uow.session.get(KnownFunctionRow, code)
    if row is None:
        uow.session.add(KnownFunctionRow(code=code, name=name))
    else:
        row.name = name


async def upsert_service(uow: UnitOfWork, data: dict, version: int) -> None:
    await keep_newest(uow.session, KnownServiceRow, data["id"], version, {
        "function_code": data["function_code"], "name": data["name"],
        "lifecycle_state": data["lifecycle_state"],
        "replacement_service_id": data.get("replacement_service_id")})
