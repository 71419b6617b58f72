"""Entry point for `orch` and `python -m orchestrator_cli`."""


def main() -> None:
    from orchestrator_cli.cli.main import run

    run()


if __name__ == "__main__":
    main()
