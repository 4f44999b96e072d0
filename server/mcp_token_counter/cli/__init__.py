"""The command line: one parser (``parser``) for serving and for the CLI's subcommands (``commands``)."""
