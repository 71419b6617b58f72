"""Reporters (observers): Rich, plain text and JSON renderings of what commands do."""
