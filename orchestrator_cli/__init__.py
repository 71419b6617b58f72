"""orch: installs and operates the Orchestrator (Workflows for Backstage)."""

__version__ = "0.1.0"
