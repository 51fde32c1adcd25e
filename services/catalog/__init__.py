"""catalog: PMO functions, the services inside them, and each service's lifecycle."""
