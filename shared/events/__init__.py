"""CloudEvents envelope and the contract's registry of event types and topics."""

from shared.events.envelope import CloudEvent, InvalidEvent, decode_event, encode_event, new_event
from shared.events.registry import TOPIC_OF_TYPE, topic_for

__all__ = ["CloudEvent", "InvalidEvent", "TOPIC_OF_TYPE", "decode_event", "encode_event",
           "new_event", "topic_for"]
