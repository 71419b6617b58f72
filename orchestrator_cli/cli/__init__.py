"""The Typer CLI layer: parses arguments, calls the library, renders, maps errors to exit codes."""
