"""Workflows on the installed Orchestrator: the user's own workflow projects (lint, deploy) and the
published workflow charts."""
