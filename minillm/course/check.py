"""Instant feedback for graded exercises (first used in lesson 00's warm-up).

Each exercise in `solutions/` is followed by a check cell:

    with exercise("softmax"):
        expect_close(softmax(np.array([1.0, 2.0])), [0.26894142, 0.73105858], hint="divide by the sum")

A passing cell prints "✅ softmax: all checks passed". A failing one raises `CheckFailed`, which a notebook
shows as a short message (expected vs got, and the hint) instead of a traceback; it is still an error, so
nbgrader and `minillm grade` score the exercise as failed. An exercise whose code still raises
`NotImplementedError` is reported as "not implemented yet". An answer that calls the package's own code
(`minillm.train.learning_rate`, say) fails at once: the exercise is to write it.

`minillm grade` does not trust these helpers: it runs the check cells rewritten so that the learner's kernel
only records what the learner's code returns (`record_got`, as plain data), computes the expected values in
a kernel that runs the solutions (`record_reference`), and compares the two in its own process.
"""

import contextlib
import functools
import inspect
import json
import os
import random
import sys
import traceback
import types

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


# ----------------------------------------------------------------------------- the package's own answers

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURSE_DIR = os.path.dirname(os.path.abspath(__file__))
LIBRARY_DIRS = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _is_package_code(filename: str) -> bool:
    return filename.startswith(PACKAGE_DIR) and not filename.startswith(COURSE_DIR)


@functools.cache
def _is_library_code(filename: str) -> bool:
    return filename.startswith("<frozen") or os.path.realpath(filename).startswith(LIBRARY_DIRS)


def _package_function(value):
    """The package function `value` is, wraps (partial, bound method, decorator) or None."""
    for _ in range(5):
        if isinstance(value, functools.partial):
            value = value.func
        elif isinstance(value, types.MethodType):
            value = value.__func__
        elif getattr(value, "__wrapped__", None) is not None:
            value = value.__wrapped__
        else:
            break
    code = getattr(value, "__code__", None)
    return value if code is not None and _is_package_code(code.co_filename) else None


def _qualified_name(code) -> str:
    module = os.path.relpath(code.co_filename, os.path.dirname(PACKAGE_DIR)).removesuffix(".py").replace(os.sep, ".")
    return f"{module}.{code.co_qualname}"


class PackageGuard:
    """Notes every call of the package's functions made by the learner's code (a cell other than the check's).

    The check cell itself may call the package (to compute what is expected); a function defined in the
    learner's cells may not, even through library code in between (map, functools.partial). Methods of
    objects (a model's layers) and functions the check passes in as arguments stay usable.
    """

    def __init__(self, check_filename: str):
        self.check_filename = check_filename
        self.used: list[str] = []

    def _learner_entry(self, frame):
        """The learner's frame that the check (or the package) called, when `frame` was called by the learner's code
        (through library code, perhaps); None when the check or the package called it."""
        entry, caller = None, frame.f_back
        while caller is not None:
            filename = caller.f_code.co_filename
            if filename == self.check_filename or _is_package_code(filename):
                break
            if not _is_library_code(filename):
                entry = caller
            caller = caller.f_back
        return entry

    @staticmethod
    def _passed_in(entry, code) -> bool:
        """The check handed this package function to the learner's code (a filter to apply, say): it is one of the
        arguments the check passed to the learner's function. A variable the learner's code bound, or an argument
        one of its functions passed to another, does not count: it may hold any package function."""
        f = entry.f_code
        n = f.co_argcount + f.co_kwonlyargcount
        values = [entry.f_locals.get(name) for name in f.co_varnames[:n]]
        if f.co_flags & inspect.CO_VARARGS:
            values += list(entry.f_locals.get(f.co_varnames[n], ()))
            n += 1
        if f.co_flags & inspect.CO_VARKEYWORDS:
            values += list(entry.f_locals.get(f.co_varnames[n], {}).values())
        return any(getattr(getattr(v, "__func__", v), "__code__", None) is code for v in values)

    def _profile(self, frame, event, arg):
        if event != "call" or not _is_package_code(frame.f_code.co_filename):
            return
        if frame.f_back is not None and _is_package_code(frame.f_back.f_code.co_filename):
            return  # the package calling itself
        code = frame.f_code
        if code.co_argcount and code.co_varnames[0] == "self":
            return  # a method of an object the check handed over (a GPT's block, say); functions are the answers
        entry = self._learner_entry(frame)
        if entry is not None and not self._passed_in(entry, frame.f_code):
            name = _qualified_name(frame.f_code)
            if name not in self.used:
                self.used.append(name)

    def check_names(self, namespace: dict, names) -> None:
        """An answer that is the package's function under the exercise's name (an import, an alias)."""
        for name in names:
            function = _package_function(namespace.get(name))
            if function is not None:
                self.used.append(_qualified_name(function.__code__))

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False


def package_used_message(name: str, used: list[str]) -> str:
    return (f"❌ {name}: your answer calls the package's own {', '.join(used)} — "
            "the exercise is to write it yourself")


@contextlib.contextmanager
def exercise(name: str):
    """Run the checks of one exercise; turn whatever goes wrong into one friendly CheckFailed."""
    cell = sys._getframe(2)  # the check cell: contextmanager's __enter__, then the `with` statement
    guard = PackageGuard(cell.f_code.co_filename)
    guard.check_names(cell.f_globals, [name])
    try:
        with guard:
            yield
    except CheckFailed as e:
        if guard.used:
            raise CheckFailed(package_used_message(name, guard.used)) from None
        raise CheckFailed(f"❌ {name}: {e}") from None
    except NotImplementedError:
        raise CheckFailed(
            f"⏳ {name}: {NOT_IMPLEMENTED} — replace `raise NotImplementedError()` in the cell above"
        ) from None
    except Exception as e:  # noqa: BLE001 - any bug in the learner's code becomes feedback
        where = _where_in_notebook(e.__traceback__)
        raise CheckFailed(f"❌ {name}: your code raised {type(e).__name__}: {e}{where}") from None
    if guard.used:
        raise CheckFailed(package_used_message(name, guard.used))
    print(f"✅ {name}: all checks passed")


# ----------------------------------------------------------------------------- grading (in a kernel of `minillm grade`)

_records: list[dict] = []


def to_plain(value):
    """`value` as JSON-ready data that keeps what the checks compare (types of containers, arrays' dtype)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, tuple):
        return {"tuple": [to_plain(v) for v in value]}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[to_plain(k), to_plain(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"set": [to_plain(v) for v in value]}
    if isinstance(value, np.ndarray) or hasattr(value, "detach"):
        array = _as_array(value)
        return {"array": to_plain(array.tolist()), "dtype": str(array.dtype), "shape": list(array.shape)}
    return {"repr": repr(value)[:1000]}


def reseed() -> None:
    """The same random state in the solutions' kernel and the learner's before each locked cell."""
    random.seed(0)
    np.random.seed(0)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)


def record_got(site: int, value) -> None:
    _records.append({"site": site, "value": to_plain(value)})


def record_reference(site: int, kind: str, got, expected=None, atol=1e-6, rtol=1e-5, hint=None, message=None) -> None:
    expected = True if kind == "true" else expected
    _records.append({"site": site, "kind": kind, "got": to_plain(bool(got) if kind == "true" else got),
                     "expected": to_plain(expected), "atol": atol, "rtol": rtol, "hint": hint, "message": message})


@contextlib.contextmanager
def graded(name: str, answer_names=()):
    """`exercise` for the grader: record what went wrong (and package calls) instead of raising."""
    cell = sys._getframe(2)
    guard = PackageGuard(cell.f_code.co_filename)
    guard.check_names(cell.f_globals, answer_names)
    error = None
    try:
        with guard:
            yield
    except BaseException as e:  # noqa: BLE001 - sys.exit() and KeyboardInterrupt included: all are feedback
        error = {"type": type(e).__name__, "message": str(e)[:500], "where": _where_in_notebook(e.__traceback__)}
    _records.append({"error": error, "package_used": guard.used})


def take_records() -> str:
    """What the kernel recorded since the last call, as JSON (the grader asks for it after each check cell)."""
    text = json.dumps(_records)
    _records.clear()
    return text


def _show_check_failed(shell, etype, value, tb, tb_offset=None):
    """IPython handler: show a failed check as its message only, still as an error output."""
    shell._showtraceback(etype, value, [str(value)])


def _install_notebook_display() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((CheckFailed,), _show_check_failed)


_install_notebook_display()
