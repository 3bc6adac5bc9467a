"""Every command-line option has help text and shows its default; required options are
listed as required (issue 24)."""
import argparse

import pytest

from neurodecode.cli import build_parser


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_has_help_and_its_default(name):
    sub = _subcommands()[name]
    text = sub.format_help()
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings or action.dest}: no help text"
        if action.default not in (None, False) and not action.required:
            assert "default" in sub.formatter_class(name)._get_help_string(action), (
                name, action.dest)
    assert "%(default)" not in text


def test_required_options_are_grouped_as_required():
    text = _subcommands()["reproduce"].format_help()
    required = text.split("required:")[1].split("\n\n")[0]
    for option in ("--bids-root", "--subject", "--out"):
        assert option in required
    assert "(default: 0.1)" in text  # the penalty default, with its reason
    assert "honest_evidence" in text
