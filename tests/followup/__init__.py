"""The follow-up audit: a second, non-demo configuration built end to end (issue 17.5)."""
