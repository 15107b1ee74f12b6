"""Command-line data preparation tools (each module is a script with ``--help``)."""
