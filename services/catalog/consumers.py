"""What catalog reacts to: nothing yet; it is the source of functions and services."""

from __future__ import annotations

from shared.consumer import EventHandler

HANDLERS: dict[str, EventHandler] = {}
