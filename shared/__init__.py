"""Mechanisms every pmo-platform service uses; no domain words live here."""
