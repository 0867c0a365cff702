from fractions import Fraction

import pytest

from minillm.calculator import CalculatorError, calculate, format_number, tool_output
from minillm.errors import UserError


@pytest.mark.parametrize("expression, value", [
    ("2+3*4", 14),
    ("(1+2)*3", 9),
    ("2**3**2", 512),  # right-associative, as in Python
    ("-2**2", -4),  # ** binds tighter than unary minus
    ("(-2)**2", 4),
    ("2**-1", Fraction(1, 2)),
    ("10-4-3", 3),  # left-associative
    ("48/4/2", 6),
    ("7/2", Fraction(7, 2)),
    ("--3", 3),
    ("+3 - -2", 5),
    ("12 x 4", 48),
    ("2x3", 6),
    ("12 × 4 ÷ 3", 16),
    ("3.25 * 4", 13),
    (".5 + 1.", Fraction(3, 2)),
    ("0.1 + 0.2", Fraction(3, 10)),  # exact, where floats give 0.30000000000000004
    ("  ( 1 + 2 ) * ( 3 )  ", 9),
    ("10**100", 10**100),
    ("10**-100", Fraction(1, 10**100)),
])
def test_calculate(expression, value):
    assert calculate(expression) == value


@pytest.mark.parametrize("value, text", [
    (Fraction(1776), "1776"),
    (Fraction(-3), "-3"),
    (Fraction(0), "0"),
    (Fraction(5, 2), "2.5"),
    (Fraction(1, 3), "0.333333"),
    (Fraction(2, 3), "0.666667"),
    (Fraction(-1, 3), "-0.333333"),
    (Fraction(1, 8), "0.125"),
    (Fraction(1, 7000), "0.000142857"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_tool_output_is_the_result():
    assert tool_output("12 x 4") == "48"
    assert tool_output("1/3") == "0.333333"
    assert tool_output("7/2") == "3.5"


@pytest.mark.parametrize("expression, reason", [
    ("", "empty"),
    ("   ", "empty"),
    ("1/0", "division by zero"),
    ("1/(2-2)", "division by zero"),
    ("0**-1", "division by zero"),
    ("9**9**9", "exponent"),
    ("10**1000", "exponent"),
    ("2**0.5", "whole number"),
    ("(10**30)**99", "too large"),  # refused from bit lengths, before the power is computed
    ("10**100 * 10", "too large"),
    ("0.1**99 / 10**10", "too small"),
    ("1" * 31, "digits"),
    ("1+" * 100 + "1", "longer than"),
    ("(" * 31 + "1" + ")" * 31, "nested"),
    ("-" * 31 + "1", "nested"),
    ("(1+2", "'(' is never closed"),
    ("1+2)", "')' has no '('"),
    ("()", "expected a number"),
    ("2 +", "ends after"),
    ("2 3", "unexpected"),
    ("__import__('os').system('ls')", "unknown name '__import__'"),
    ("a.b", "unknown name 'a'"),
    ("abs(-1)", "unknown name 'abs'"),
    ("xyz", "unknown name 'xyz'"),
    ("x + 1", "expected a number, got 'x'"),  # "x" means times, so it needs a number on each side
    ("2 x", "ends after 'x'"),
    ("1e5", "unknown name"),
    ("1; 2", "unknown symbol ';'"),
    ("2 ^ 3", "unknown symbol '^'"),
])
def test_refusals_are_calculator_errors_with_a_reason(expression, reason):
    with pytest.raises(CalculatorError, match="^[^\n]*$") as error:
        calculate(expression)
    assert reason in str(error.value)
    assert isinstance(error.value, UserError)
    assert tool_output(expression) == f"error: {error.value}"


def test_only_text_is_an_expression():
    with pytest.raises(CalculatorError):
        calculate(12)
    assert tool_output(None).startswith("error: ")
