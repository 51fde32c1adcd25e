"""Helpers shared by the tests of every service: tokens, databases, apps under lifespan."""
