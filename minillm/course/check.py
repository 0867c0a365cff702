"""Instant feedback for graded exercises (first used in lesson 00's warm-up).

Each exercise in `solutions/` is followed by a check cell:

    with exercise("softmax"):
        expect_close(softmax(np.array([1.0, 2.0])), [0.26894142, 0.73105858], hint="divide by the sum")

A passing cell prints "✅ softmax: all checks passed". A failing one raises `CheckFailed`, which a notebook
shows as a short message (expected vs got, and the hint) instead of a traceback; it is still an error, so
nbgrader and `minillm grade` score the exercise as failed. An exercise whose code still raises
`NotImplementedError` is reported as "not implemented yet".
"""

import contextlib
import sys
import traceback

import numpy as np

NOT_IMPLEMENTED = "not implemented yet"


class CheckFailed(AssertionError):
    """A check did not pass; its message is all the learner needs to see."""


def _as_array(value):
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _show(value) -> str:
    if isinstance(value, np.ndarray) or hasattr(value, "detach"):
        return np.array2string(_as_array(value), precision=6, threshold=12, edgeitems=3)
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + " …"


def _fail(what: str, hint: str | None):
    raise CheckFailed(what + (f"\n   hint: {hint}" if hint else ""))


def expect_equal(got, expected, hint: str | None = None) -> None:
    """Exact equality (arrays compared element-wise, with the same shape)."""
    if isinstance(expected, np.ndarray) or hasattr(expected, "detach"):
        got_a, expected_a = _as_array(got), _as_array(expected)
        same = got_a.shape == expected_a.shape and np.array_equal(got_a, expected_a)
    else:
        try:
            same = bool(got == expected)
        except (ValueError, TypeError):  # an array compared to a list, say
            same = np.array_equal(_as_array(got), _as_array(expected))
    if not same:
        _fail(f"expected {_show(expected)}\n   got      {_show(got)}", hint)


def expect_close(got, expected, atol: float = 1e-6, rtol: float = 1e-5, hint: str | None = None) -> None:
    """Numbers or arrays equal up to floating-point tolerance, with the same shape."""
    try:
        got_a = _as_array(got).astype(np.float64)
    except (TypeError, ValueError):
        _fail(f"expected numbers like {_show(expected)}\n   got      {_show(got)}", hint)
    expected_a = _as_array(expected).astype(np.float64)
    if got_a.shape != expected_a.shape:
        _fail(f"expected shape {expected_a.shape}, got shape {got_a.shape}", hint)
    if not np.allclose(got_a, expected_a, atol=atol, rtol=rtol, equal_nan=False):
        worst = np.max(np.abs(got_a - expected_a)) if got_a.size else 0.0
        _fail(
            f"expected {_show(expected_a)}\n   got      {_show(got_a)}\n   largest difference {worst:.3g}",
            hint,
        )


def expect_true(condition, message: str, hint: str | None = None) -> None:
    if not condition:
        _fail(message, hint)


def _where_in_notebook(tb) -> str:
    """' (line N of your code)' for the innermost frame that came from a notebook cell."""
    cell_frames = [f for f in traceback.extract_tb(tb) if "ipykernel" in f.filename or "<" in f.filename]
    return f" (line {cell_frames[-1].lineno} of a notebook cell)" if cell_frames else ""


@contextlib.contextmanager
def exercise(name: str):
    """Run the checks of one exercise; turn whatever goes wrong into one friendly CheckFailed."""
    try:
        yield
    except CheckFailed as e:
        raise CheckFailed(f"❌ {name}: {e}") from None
    except NotImplementedError:
        raise CheckFailed(
            f"⏳ {name}: {NOT_IMPLEMENTED} — replace `raise NotImplementedError()` in the cell above"
        ) from None
    except Exception as e:  # noqa: BLE001 - any bug in the learner's code becomes feedback
        where = _where_in_notebook(e.__traceback__)
        raise CheckFailed(f"❌ {name}: your code raised {type(e).__name__}: {e}{where}") from None
    print(f"✅ {name}: all checks passed")


def _show_check_failed(shell, etype, value, tb, tb_offset=None):
    """IPython handler: show a failed check as its message only, still as an error output."""
    shell._showtraceback(etype, value, [str(value)])


def _install_notebook_display() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((CheckFailed,), _show_check_failed)


_install_notebook_display()
