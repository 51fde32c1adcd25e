"""portal: the web UI, a backend-for-frontend over the four APIs (no database, no Kafka)."""
