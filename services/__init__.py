"""The four pmo-platform services; none imports another."""
