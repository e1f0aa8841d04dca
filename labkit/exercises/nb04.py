"""Exercises of 04_enterprise_considerations."""

from __future__ import annotations

from labkit.enterprise import pii
from labkit.enterprise.policy import default_policy
from labkit.exercises import Exercise


def _luhn_solution(digits: str) -> bool:
    return pii.luhn_valid(digits)


def _luhn_inputs() -> list[tuple[str]]:
    return [("4111111111111111",), ("4111111111111112",), ("378282246310005",), ("6011000990139424",),
            ("1234567812345678",), ("5555555555554444",), ("79927398713",), ("79927398710",)]


def _may_send_solution(data_class: str, provider: str) -> bool:
    # The notebook's policy: labkit's default with one self-hosted server.
    return default_policy(self_hosted=["self-hosted"]).allows(data_class, provider)


def _may_send_inputs() -> list[tuple[str, str]]:
    classes = ("public", "internal", "confidential", "restricted")
    providers = ("local", "self-hosted", "openai", "external")
    return [(c, p) for c in classes for p in providers]


EXERCISES = {
    "nb04.luhn": Exercise(
        id="nb04.luhn",
        task=("Write luhn_ok(digits) -> bool: the Luhn check that card numbers pass. From the right, double every "
              "second digit (subtract 9 when the result is above 9), sum everything, and check the sum ends in 0."),
        hint_text=("Loop over reversed(digits) with enumerate; for odd positions (1, 3, ...) double the digit and "
                   "subtract 9 if it is > 9. Return total % 10 == 0."),
        solution=_luhn_solution,
        inputs=_luhn_inputs,
    ),
    "nb04.may_send": Exercise(
        id="nb04.may_send",
        task=("Write may_send(data_class, provider) -> bool for this policy: public may go anywhere; internal to "
              "'local', 'self-hosted' or 'openai' (under a DPA); confidential only to 'local' or 'self-hosted'; "
              "restricted only to 'local'."),
        hint_text="A dict from class to the set of allowed providers, then `provider in allowed[data_class]`.",
        solution=_may_send_solution,
        inputs=_may_send_inputs,
    ),
}
