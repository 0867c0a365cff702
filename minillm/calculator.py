"""A safe calculator, the tool the chat model learns to call (lesson 09, supervised fine-tuning).

The assistant writes `<|calc|>12 x 4<|/calc|>` and the chat runtime appends what `tool_output` returns. That
text comes from a model, and through it from whoever talks to the model, so it never reaches `eval`: a regex
cuts it into tokens and a recursive-descent parser computes it with exact fractions, within limits that keep
hostile input from hanging the process or filling its memory.

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "x" | "×" | "/" | "÷") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?          as in Python: 2**3**2 == 512, -2**2 == -4, 2**-1 == 0.5
    atom       := number | "(" expression ")"
"""

import operator
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

from minillm.errors import UserError

MAX_LENGTH = 200  # characters of an expression
MAX_DEPTH = 30  # parentheses, signs and exponents nested in one another
MAX_DIGITS = 30  # digits of one number
MAX_EXPONENT = 100
MAX_MAGNITUDE = 10**100  # every result, and every denominator, stays within this
SIGNIFICANT_DIGITS = 6  # a non-integer result is printed with at most this many

# A number, an operator, a name or any other symbol (both errors). "x" is times ("12 x 4", "2x3") unless letters
# follow it, which make it part of a name ("xyz").
_TOKEN = re.compile(r"\s*(?:(?P<number>[0-9]+\.?[0-9]*|\.[0-9]+)|(?P<op>\*\*|[-+*/()×÷]|x(?![A-Za-z_0-9]*[A-Za-z_]))"
                    r"|(?P<name>[A-Za-z_]\w*)|(?P<other>\S))")
_SYMBOLS = {"x": "*", "×": "*", "÷": "/"}


class CalculatorError(UserError):
    """An expression the calculator refuses: its message is the one-line reason."""


def calculate(expression: str) -> Fraction:
    """The exact value of an arithmetic expression, e.g. calculate("12 x 4") == 48."""
    if not isinstance(expression, str):
        raise CalculatorError(f"the expression must be text, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise CalculatorError(f"the expression is longer than {MAX_LENGTH} characters")
    return _Parser(tokenize(expression)).parse()


def tokenize(expression: str) -> list[str]:
    """The expression's numbers and operators, as written (the parser reads "x", "×" and "÷" as "*" and "/")."""
    tokens = []
    for match in _TOKEN.finditer(expression.rstrip()):
        if match["name"]:
            raise CalculatorError(f"unknown name {match['name']!r}: only numbers and + - * / ** ( ) are allowed")
        if match["other"]:
            raise CalculatorError(f"unknown symbol {match['other']!r}: only numbers and + - * / ** ( ) are allowed")
        tokens.append(match["number"] or match["op"])
    if not tokens:
        raise CalculatorError("the expression is empty")
    return tokens


class _Parser:
    """Recursive descent over the tokens: one method per rule of the grammar in the module docstring."""

    def __init__(self, tokens: list[str]):
        self.tokens, self.position, self.depth = tokens, 0, 0

    def parse(self) -> Fraction:
        value = self.expression()
        if self.position < len(self.tokens):
            token = self.tokens[self.position]
            raise CalculatorError("unbalanced parentheses: a ')' has no '('" if token == ")" else
                                  f"unexpected {token!r} after a complete expression")
        return value

    def peek(self) -> str | None:
        """The next token, "x" "×" "÷" as "*" "/"; None at the end."""
        token = self.tokens[self.position] if self.position < len(self.tokens) else None
        return _SYMBOLS.get(token, token)

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise CalculatorError(f"the expression ends after {self.tokens[-1]!r}, where a number should follow")
        self.position += 1
        return token

    def expression(self) -> Fraction:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = apply(self.take(), value, self.term())
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while self.peek() in ("*", "/"):
            value = apply(self.take(), value, self.unary())
        return value

    def unary(self) -> Fraction:
        if self.peek() in ("-", "+"):
            sign = self.take()
            value = self.nested(self.unary)
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() == "**":
            self.take()
            return apply("**", base, self.nested(self.unary))
        return base

    def atom(self) -> Fraction:
        token = self.take()
        if token == "(":
            value = self.nested(self.expression)
            if self.peek() != ")":
                raise CalculatorError("unbalanced parentheses: a '(' is never closed")
            self.take()
            return value
        if token[0].isdigit() or token[0] == ".":
            return number(token)
        raise CalculatorError(f"expected a number, got {self.tokens[self.position - 1]!r}")

    def nested(self, rule) -> Fraction:
        """Parse a rule one level deeper; the limit keeps "((((..." from exhausting Python's stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalculatorError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        value = rule()
        self.depth -= 1
        return value


def number(text: str) -> Fraction:
    """A literal: "3" or "3.25" (exactly 13/4, where a float would round)."""
    if sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise CalculatorError(f"a number has more than {MAX_DIGITS} digits")
    return Fraction(text)


def apply(op: str, a: Fraction, b: Fraction) -> Fraction:
    """a op b, refused when the result would leave the calculator's limits."""
    if op == "/" and b == 0:
        raise CalculatorError("division by zero")
    return checked(_OPERATIONS[op](a, b))


def power(base: Fraction, exponent: Fraction) -> Fraction:
    """base ** exponent for a whole exponent, refused from bit lengths before a huge number is ever built."""
    if exponent.denominator != 1:
        raise CalculatorError("the exponent must be a whole number")
    n = int(exponent)
    if abs(n) > MAX_EXPONENT:
        raise CalculatorError(f"the exponent {n} is too large (at most {MAX_EXPONENT} either way)")
    if n < 0:
        if base == 0:
            raise CalculatorError("division by zero")
        base, n = 1 / base, -n
    # p has at least bit_length - 1 bits and q at most bit_length, so (p/q)**n is at least 2**(n * that)
    smallest_bits = n * (abs(base.numerator).bit_length() - 1 - base.denominator.bit_length())
    denominator_bits = n * (base.denominator.bit_length() - 1)
    if max(smallest_bits, denominator_bits) > MAX_MAGNITUDE.bit_length():
        raise CalculatorError("the result is too large (more than 10**100)")
    return base**n


_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": power}


def checked(value: Fraction) -> Fraction:
    if abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("the result is too large (more than 10**100)")
    if value.denominator > MAX_MAGNITUDE:
        raise CalculatorError("the result is too small to hold exactly (a denominator above 10**100)")
    return value


def format_number(value: Fraction) -> str:
    """An integer as an integer ("1776"); anything else as a decimal of at most 6 significant digits, without
    trailing zeros or an exponent ("0.333333", "2.5")."""
    if value.denominator == 1:
        return str(value.numerator)
    context = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_UP)
    text = format(context.divide(Decimal(value.numerator), Decimal(value.denominator)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def tool_output(expression: str) -> str:
    """What the chat runtime inserts after `<|/calc|>`: the result, or "error: <reason>"."""
    try:
        return format_number(calculate(expression))
    except CalculatorError as e:
        return f"error: {e}"
