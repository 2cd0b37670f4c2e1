"""A command line builds only its command's group of parsers (``cli.build_parser(argv)``), and
parses exactly as the whole parser does."""

from __future__ import annotations

import argparse

import pytest

from sachstand.cli import GROUPS, Parser, build_parser, group


def test_each_group_names_the_commands_it_adds() -> None:
    for name, commands in GROUPS.items():
        sub = Parser(prog="x").add_subparsers(parser_class=Parser)
        group(name).add_parsers(sub)
        assert tuple(sub.choices) == commands, name


@pytest.mark.parametrize("argv", [
    ["--db", "r.duckdb", "summary", "--json"], ["summary", "--year", "2020", "--department", "FB 11"],
    ["--db=r.duckdb", "export", "register", "-o", "f.xlsx"], ["--verbose", "--config", "c.toml", "backup"],
    ["--d", "r.duckdb", "summary"], ["texts", "export", "--year", "2020", "-o", "t.md"], ["rollup", "a", "b"],
    ["import", "a.xlsx", "--apply"], [],
])
def test_a_command_line_parses_as_with_every_parser(argv: list[str]) -> None:
    def parsed(parser: argparse.ArgumentParser) -> dict[str, object]:
        return vars(parser.parse_args(argv))

    assert parsed(build_parser(argv)) == parsed(build_parser())


def test_a_command_line_builds_only_its_group() -> None:
    sub = next(a for a in build_parser(["summary", "--json"])._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"init", "settings", "summary", "check"}
    for unsure in (["--help"], ["summry"], ["--d", "x", "summary"], []):
        sub = next(a for a in build_parser(unsure)._actions if isinstance(a, argparse._SubParsersAction))
        assert "restore" in sub.choices and "summary" in sub.choices
