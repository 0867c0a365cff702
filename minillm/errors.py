"""Errors that minillm reports to the user as one clear line (used by every lesson's module).

`UserError` is for problems with the user's input: a missing file, an unknown preset, a negative size,
an unwritable folder. The command line prints its message on stderr and exits with status 2; a
traceback is only ever shown for bugs in minillm itself.
"""


class UserError(ValueError):
    """A problem with the user's input, reported as one line."""
