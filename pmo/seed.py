"""Load the demo data into a running platform through its public REST APIs, exactly once."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from pmo import demo_data as demo

log = logging.getLogger(__name__)

NEEDED_SERVICES = ("intake", "catalog", "feedback")
IDEMPOTENCY_PREFIX = "pmo-demo-v1"
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 1.0
UNKNOWN_WORDING = re.compile(r"unknown|not (yet )?known|not found|no such|does not exist")


class SeedError(RuntimeError):
    """A request the demo load depends on failed; the message names it and the problem body."""


@dataclass(frozen=True)
class SeedReport:
    """What one call of `load_demo_data` did."""

    skipped: bool
    counts: dict[str, int]
    elapsed_seconds: float


def load_demo_data(urls: dict[str, str], token: str, *, timeout: float = 60.0) -> SeedReport:
    """Load the demo data through the REST APIs unless intake already has customers."""
    # `timeout` bounds the whole load, waits for lagging projections included.
    started = time.monotonic()
    missing = [name for name in NEEDED_SERVICES if name not in urls]
    if missing:
        raise SeedError(f"no base URL for {', '.join(missing)}; got {sorted(urls)}")
    headers = {"Authorization": f"Bearer {token}"}
    clients = {
        name: httpx.Client(base_url=urls[name], headers=headers, timeout=min(timeout, 30.0))
        for name in NEEDED_SERVICES
    }
    try:
        api = Api(clients, deadline=started + timeout)
        counts = load_into(api, today=date.today())
    finally:
        for client in clients.values():
            client.close()
    return SeedReport(
        skipped=counts is None,
        counts=counts or {},
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


class Api:
    """Thin JSON client over the platform services that waits out eventual consistency."""

    def __init__(
        self,
        clients: dict[str, httpx.Client],
        *,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clients = clients
        self._deadline = deadline
        self._clock = clock
        self._sleep = sleep

    def get(self, service: str, path: str, what: str, **params: Any) -> httpx.Response:
        """GET and return the answer, or raise SeedError on anything but 2xx."""
        response = self._send(service, "GET", path, what, params=params)
        if not response.is_success:
            raise _failure(response, what)
        return response

    def post(
        self,
        service: str,
        path: str,
        body: dict[str, Any],
        *,
        what: str,
        idempotency_key: str,
        if_match: int | None = None,
        references: Iterable[str] = (),
    ) -> httpx.Response:
        """POST, retrying only while a referenced id is not yet known or the rate limit bites."""
        references = tuple(references)
        delay = FIRST_BACKOFF_SECONDS
        attempt = 0
        while True:
            headers = {"Idempotency-Key": _attempt_key(idempotency_key, attempt)}
            if if_match is not None:
                headers["If-Match"] = f'"{if_match}"'
            response = self._send(service, "POST", path, what, json=body, headers=headers)
            if response.is_success:
                return response
            wait = _retry_wait(response, references, delay)
            if wait is None:
                raise _failure(response, what)
            if self._clock() + wait > self._deadline:
                raise _failure(response, f"{what} (still refused when the deadline ran out)")
            log.info("seed retry what=%r status=%s wait=%.2f", what, response.status_code, wait)
            self._sleep(wait)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
            attempt += 1

    def _send(
        self, service: str, method: str, path: str, what: str, **kwargs: Any
    ) -> httpx.Response:
        """Send one request, turning transport failures into a SeedError that names it."""
        client = self._clients[service]
        try:
            return client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SeedError(f"{what}: {method} {client.base_url}{path} failed: {exc!r}") from exc


def _attempt_key(key: str, attempt: int) -> str:
    """The Idempotency-Key for one attempt of a create."""
    # A retried attempt follows a 422 or 429, which created nothing, so a fresh key cannot
    # duplicate anything; it keeps a server that remembers failed answers from replaying them.
    return key if attempt == 0 else f"{key}#retry{attempt}"


def _retry_wait(
    response: httpx.Response, references: tuple[str, ...], delay: float
) -> float | None:
    """Seconds to wait before trying again, or None when the failure is final."""
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.replace(".", "", 1).isdigit():
            return max(float(retry_after), FIRST_BACKOFF_SECONDS)
        return delay
    if response.status_code == 422 and _names_unknown_reference(response, references):
        return delay
    return None


def _names_unknown_reference(response: httpx.Response, references: tuple[str, ...]) -> bool:
    """Whether a 422 complains about an id this request references (projection not caught up)."""
    text = response.text.lower()
    for field in references:
        stem = field.removesuffix("_ids").removesuffix("_id").removesuffix("_code")
        noun = stem.rsplit("_", 1)[-1]
        if field in text or (noun in text and UNKNOWN_WORDING.search(text)):
            return True
    return False


def _failure(response: httpx.Response, what: str) -> SeedError:
    """A SeedError naming the request and carrying its problem+json body."""
    request = response.request
    try:
        body = json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        body = response.text[:2000]
    return SeedError(
        f"{what}: {request.method} {request.url} answered {response.status_code}: {body}"
    )


def version_of(response: httpx.Response) -> int | None:
    """The resource version an answer carries, from its ETag or else its body."""
    etag = response.headers.get("ETag", "").removeprefix("W/").strip('"')
    if etag.isdigit():
        return int(etag)
    try:
        version = response.json().get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None


def load_into(api: Api, *, today: date) -> dict[str, int] | None:
    """Load every kind of demo record in dependency order; None when data is already there."""
    existing = api.get("intake", "/v1/customers", "check for existing customers", limit=1)
    if existing.json().get("items"):
        log.info("seed skipped reason=customers_exist")
        return None
    loader = _Loader(api, today)
    loader.functions()
    loader.customers()
    loader.services()
    loader.demands()
    loader.endorsements()
    loader.feedback()
    log.info("seed done counts=%s", loader.counts)
    return loader.counts


class _Loader:
    """Posts demo records and remembers the server id of every local key."""

    def __init__(self, api: Api, today: date) -> None:
        self.api = api
        self.today = today
        self.customer_ids: dict[str, str] = {}
        self.service_ids: dict[str, str] = {}
        self.demand_ids: dict[str, str] = {}
        self.counts = dict.fromkeys(
            ("functions", "customers", "services", "service_transitions", "demands",
             "demand_transitions", "endorsements", "feedback"),
            0,
        )

    def functions(self) -> None:
        """Create the PMO functions the services belong to."""
        for function in demo.FUNCTIONS:
            body = {"code": function.code, "name": function.name,
                    "description": function.description}
            self._create("catalog", "/v1/functions", body, "function", function.code)
            self.counts["functions"] += 1

    def customers(self) -> None:
        """Register the customers."""
        for customer in demo.CUSTOMERS:
            created = self._create("intake", "/v1/customers", _customer_body(customer),
                                   "customer", customer.key)
            self.customer_ids[customer.key] = created.json()["id"]
            self.counts["customers"] += 1

    def services(self) -> None:
        """Create every service, then walk each one through its lifecycle moves."""
        versions: dict[str, int | None] = {}
        for service in demo.SERVICES:
            created = self._create("catalog", "/v1/services", _service_body(service), "service",
                                   service.key, references=("function_code",))
            self.service_ids[service.key] = created.json()["id"]
            versions[service.key] = version_of(created)
            self.counts["services"] += 1
        # A retirement names its replacement, which should be live by then: walk those last.
        ordered = sorted(demo.SERVICES, key=lambda s: any(m.replacement_key for m in s.moves))
        for service in ordered:
            self._walk_service(service, versions[service.key])

    def _walk_service(self, service: demo.Service, version: int | None) -> None:
        """Apply one service's lifecycle moves in order, each guarded by the last version seen."""
        path = f"/v1/services/{self.service_ids[service.key]}"
        for step, move in enumerate(service.moves, start=1):
            version = version if version is not None else self._fetch_version("catalog", path)
            response = self.api.post(
                "catalog", f"{path}/transitions", self._move_body(move),
                what=f"move service {service.key!r} to {move.to}",
                idempotency_key=_key("service-move", service.key, str(step), move.to),
                if_match=version, references=("customer_ids", "replacement_service_id"),
            )
            version = version_of(response)
            self.counts["service_transitions"] += 1

    def _move_body(self, move: demo.ServiceMove) -> dict[str, Any]:
        """The transition request for one lifecycle move, with ids resolved."""
        body: dict[str, Any] = {"to": move.to, "reason": move.reason}
        if move.to == "active":
            # Going live after a pilot or a rework needs evidence; the demo's reason states it.
            body["evidence"] = move.reason
        if move.pilot is not None:
            body["pilot"] = {
                "customer_ids": [self.customer_ids[k] for k in move.pilot.customer_keys],
                "success_criteria": move.pilot.success_criteria,
                "ends_on": (self.today + timedelta(days=move.pilot.ends_in_days)).isoformat(),
            }
        if move.replacement_key is not None:
            body["replacement_service_id"] = self.service_ids[move.replacement_key]
        return body

    def demands(self) -> None:
        """Submit every demand, then move the ones the demo shows further along."""
        for demand in demo.DEMANDS:
            created = self._create("intake", "/v1/demands", self._demand_body(demand), "demand",
                                   demand.key,
                                   references=("customer_id", "service_id", "function_code"))
            self.demand_ids[demand.key] = created.json()["id"]
            self.counts["demands"] += 1
            self._walk_demand(demand, version_of(created))

    def _walk_demand(self, demand: demo.Demand, version: int | None) -> None:
        """Apply one demand's status moves in order, each guarded by the last version seen."""
        path = f"/v1/demands/{self.demand_ids[demand.key]}"
        for step, move in enumerate(demand.moves, start=1):
            version = version if version is not None else self._fetch_version("intake", path)
            response = self.api.post(
                "intake", f"{path}/transitions", {"to": move.to, "reason": move.reason},
                what=f"move demand {demand.key!r} to {move.to}",
                idempotency_key=_key("demand-move", demand.key, str(step), move.to),
                if_match=version,
            )
            version = version_of(response)
            self.counts["demand_transitions"] += 1

    def _demand_body(self, demand: demo.Demand) -> dict[str, Any]:
        """The create request for one demand, with ids and dates resolved."""
        due = self.today + timedelta(days=demand.due_in_days) if demand.due_in_days else None
        return {
            "customer_id": self.customer_ids[demand.customer_key],
            "title": demand.title, "problem": demand.problem,
            "desired_outcome": demand.desired_outcome, "kind": demand.kind,
            "function_code": demand.function_code,
            "service_id": self.service_ids[demand.service_key] if demand.service_key else None,
            "severity": demand.severity, "urgency": demand.urgency, "reach": demand.reach,
            "effort_estimate": demand.effort_estimate,
            "due_date": due.isoformat() if due else None, "tags": list(demand.tags),
        }

    def endorsements(self) -> None:
        """Record the customers who said they have the same need."""
        for endorsement in demo.ENDORSEMENTS:
            path = f"/v1/demands/{self.demand_ids[endorsement.demand_key]}/endorsements"
            body = {"customer_id": self.customer_ids[endorsement.customer_key],
                    "note": endorsement.note}
            self._create("intake", path, body, "endorsement",
                         f"{endorsement.demand_key}:{endorsement.customer_key}",
                         references=("customer_id",))
            self.counts["endorsements"] += 1

    def feedback(self) -> None:
        """Submit the feedback responses."""
        for response in demo.FEEDBACK:
            body = {
                "customer_id": self.customer_ids[response.customer_key],
                "service_id": self.service_ids[response.service_key],
                "demand_id": self.demand_ids[response.demand_key] if response.demand_key else None,
                "csat": response.csat, "perceived_value": response.perceived_value,
                "nps": response.nps, "effort": response.effort,
                "comment": response.comment, "channel": response.channel,
            }
            self._create("feedback", "/v1/responses", body, "feedback", response.key,
                         references=("customer_id", "service_id", "demand_id"))
            self.counts["feedback"] += 1

    def _create(
        self, service: str, path: str, body: dict[str, Any], kind: str, key: str,
        references: Iterable[str] = (),
    ) -> httpx.Response:
        """POST one demo record under an Idempotency-Key derived from its local key."""
        return self.api.post(service, path, body, what=f"create {kind} {key!r}",
                             idempotency_key=_key(kind, key), references=references)

    def _fetch_version(self, service: str, path: str) -> int:
        """Read a resource's current version when a write answer did not carry one."""
        response = self.api.get(service, path, f"read version of {path}")
        version = version_of(response)
        if version is None:
            raise SeedError(f"GET {path} carried neither an ETag nor a version")
        return version


def _key(*parts: str) -> str:
    """A stable Idempotency-Key for one demo write."""
    return ":".join((IDEMPOTENCY_PREFIX, *parts))


def _customer_body(customer: demo.Customer) -> dict[str, Any]:
    """The create request for one customer."""
    profile = customer.profile
    return {
        "name": customer.name, "segment": customer.segment,
        "business_unit": customer.business_unit,
        "strategic_importance": customer.strategic_importance, "maturity": customer.maturity,
        "contact_email": customer.contact_email,
        "profile": {
            "value_to_organization": profile.value_to_organization, "serves": profile.serves,
            "motivations": list(profile.motivations), "priorities": list(profile.priorities),
            "preferred_terms": list(profile.preferred_terms),
        },
    }


def _service_body(service: demo.Service) -> dict[str, Any]:
    """The create request for one service (it starts life as `proposed`)."""
    return {
        "function_code": service.function_code, "name": service.name,
        "description": service.description, "target_segments": list(service.target_segments),
        "value_propositions": [
            {"segment": vp.segment, "outcome": vp.outcome, "cost_estimate": vp.cost_estimate}
            for vp in service.value_propositions
        ],
        "owner": service.owner, "capacity_per_month": service.capacity_per_month,
    }
