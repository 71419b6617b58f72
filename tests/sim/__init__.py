"""Simulators of OLM and the Orchestrator's platform operators (test support only).

Run with ``python -m tests.sim --kubeconfig PATH [--log-file PATH]``.  See README.md.
The product package ``orchestrator_cli`` never imports this package.
"""
