"""intake: PMO customers and their demand."""
