"""pmo-platform: an event-driven platform that runs a PMO as a customer-centric service organization."""
