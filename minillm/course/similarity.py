"""`minillm grade --similarity`: answers near-identical to each other or to the package's own code.

The grader stops an answer that *calls* the package; it cannot stop a learner who copies the package's source
by hand, or a friend's answer. This report points an instructor at the answers worth a look: each answer cell
is reduced to its tokens with names, numbers and strings made anonymous and comments dropped (so renaming
variables or rewording comments changes nothing), and two answers whose token sequences match by at least
`threshold` (difflib's ratio: twice the matching tokens over all tokens) are listed. Short answers (a line or
two) are left out: there are only so many ways to write them. A match is a reason to look, not a verdict.
"""

import ast
import builtins
import difflib
import io
import keyword
import tokenize
from dataclasses import dataclass
from pathlib import Path

from minillm.course.release import exercise_source, nbgrader_meta, read_notebook
from minillm.files import PACKAGE_DIR

THRESHOLD = 0.9
MIN_TOKENS = 25  # below this an answer is too short for a match to mean anything
KEPT_NAMES = set(keyword.kwlist) | set(dir(builtins))


@dataclass
class Match:
    lesson: str
    exercise: str
    answer: str  # a submission's path
    other: str  # another submission's path, or the package function it matches
    ratio: float


def normalized_tokens(code: str) -> list[str]:
    """The code's tokens; names other than keywords and builtins, numbers and strings made anonymous."""
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME:
                tokens.append(tok.string if tok.string in KEPT_NAMES else "name")
            elif tok.type == tokenize.NUMBER:
                tokens.append("0")
            elif tok.type == tokenize.STRING:
                tokens.append("'s'")
            elif tok.type in (tokenize.OP, tokenize.INDENT, tokenize.DEDENT):
                tokens.append(tok.string or tokenize.tok_name[tok.type])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code.split()
    return tokens


def ratio(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def package_functions(names: set[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """Function name -> (where, normalized tokens) for the package's functions and methods of these names."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "course" in path.relative_to(PACKAGE_DIR).parts:
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
                where = f"the package's {path.relative_to(PACKAGE_DIR.parent)}: {node.name}"
                found.setdefault(node.name, []).append((where, normalized_tokens(ast.get_source_segment(source, node))))
    return found


def answer_cells(path) -> dict[str, str]:
    nb = read_notebook(path)
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells
            if nbgrader_meta(c).get("solution") and isinstance(c.get("source"), str)}


def defined_functions(code: str) -> list[str]:
    try:
        return [n.name for n in ast.walk(ast.parse(code)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    except SyntaxError:
        return []


def similar_answers(paths, lessons: dict[str, Path], threshold: float = THRESHOLD) -> list[Match]:
    """Pairs of answers (per lesson and exercise) and answer-package pairs at or above `threshold`."""
    answers = {str(p): answer_cells(p) for p in paths}
    package = package_functions({n for cells in answers.values() for code in cells.values() for n in defined_functions(code)})
    matches = []
    by_lesson = {}
    for path in paths:
        by_lesson.setdefault(lessons[str(path)], []).append(str(path))
    for source, group in by_lesson.items():
        source_nb = read_notebook(source)
        stubs = {nbgrader_meta(c)["grade_id"]: normalized_tokens(exercise_source(c.source, "code", source.name))
                 for c in source_nb.cells if nbgrader_meta(c).get("solution")}
        for grade_id, stub in stubs.items():
            exercise = grade_id.removeprefix("ex_")
            tokens = {}
            for path in group:
                code = answers[path].get(grade_id, "")
                t = normalized_tokens(code)
                if len(t) >= MIN_TOKENS and ratio(t, stub) < threshold:  # an untouched stub is no copy
                    tokens[path] = (code, t)
            names = list(tokens)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    r = ratio(tokens[a][1], tokens[b][1])
                    if r >= threshold:
                        matches.append(Match(source.stem, exercise, a, b, round(r, 3)))
                for name in defined_functions(tokens[a][0]):
                    for where, theirs in package.get(name, []):
                        r = ratio(normalized_tokens(function_source(tokens[a][0], name)), theirs)
                        if r >= threshold:
                            matches.append(Match(source.stem, exercise, a, where, round(r, 3)))
    return matches


def function_source(code: str, name: str) -> str:
    tree = ast.parse(code)
    node = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)
    return ast.get_source_segment(code, node)
