"""`python -m seccoop` runs the command line."""

from .cli import main

main()
