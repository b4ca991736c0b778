"""The one exception family the CLI and UI turn into a one-line message."""


class BotError(Exception):
    """An error whose message tells the user what to do next."""
