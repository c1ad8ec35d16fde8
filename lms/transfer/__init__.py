"""Transfer of Training: pre-tasks before and follow-up tasks after an activity."""
