"""``python -m careflow`` runs the command line."""

from careflow.cli import main

main()
