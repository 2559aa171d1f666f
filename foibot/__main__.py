"""`python -m foibot` is the `foibot` command."""

from .cli import main

main()
