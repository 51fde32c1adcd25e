"""prioritizer: open demand ranked by value to the organization, explained factor by factor."""
