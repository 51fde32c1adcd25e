"""feedback: what customers say the services are worth, and follow-up of every unhappy one."""
