"""Checks as data, readiness as pure predicates, the concurrent waiter, hints."""
