"""`python -m seccoop` runs the command line."""

from seccoop.cli import main

main()
