"""Admin analytics: the period report and the top unanswered questions."""
