"""Extra `workshop` subcommands; each module defines register(subparsers)."""
