"""Errors that minillm reports to the user as one clear line (used by every lesson's module).

`UserError` is for problems with the user's input: a missing file, an unknown preset, a negative size,
an unwritable folder. The command line prints its message on stderr and exits with status 2; a
traceback is only ever shown for bugs in minillm itself.
"""

import os
import sys
import time

BAD_INPUT = 2  # the exit status of a command that refused its input


class UserError(ValueError):
    """A problem with the user's input, reported as one line."""


def say_error(error: object, wait: float = 30.0) -> int:
    """Print `error` as one line on stderr; return BAD_INPUT, the command's exit status.

    Under torchrun every process meets the same bad input, and rank 0 alone says it. The others wait: torchrun stops
    every process once the first one exits, and a rank that exited at once could have it stop rank 0 before rank 0
    had printed. A rank still running after `wait` seconds met an error of its own, and says it with its rank."""
    rank = os.environ.get("RANK", "0")
    speaker = "minillm: error"
    if rank != "0" and "WORLD_SIZE" in os.environ:
        time.sleep(wait)
        speaker += f" (rank {rank})"
    print(f"{speaker}: {error}", file=sys.stderr, flush=True)
    return BAD_INPUT
