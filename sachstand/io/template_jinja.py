"""The Jinja environment for a Word template from outside (``--template FILE.docx``).

A template is a file someone sends: its Jinja may name the placeholders and choose between them,
nothing more. Rules (checked on the parsed template, before anything runs):

- allowed: text, ``{{ name }}``, ``{% if %}``/``elif``/``else`` with comparisons, ``not``/``and``/
  ``or``, ``~`` (joining), literals, tests (``is defined``) and the filters in ``FILTERS``.
- refused with one German line: loops (``for``), ``include``/``import``/``extends``, macros,
  ``set``, calls, attribute and item access, arithmetic (``'a' * 10**10``) and any other filter
  (``center(10**9)``): so a template can neither read files nor run without end nor fill memory.

- nesting is bounded before Jinja's recursive parser sees it: at most ``MAX_DEPTH`` blocks inside
  each other (``{% if %}`` 3,000 deep was a RecursionError) and at most ``MAX_TAG_TOKENS`` tokens
  in one ``{{ … }}`` or ``{% … %}`` (bounding brackets and ``not not …`` alike).

The environment is also sandboxed (``jinja2.sandbox``), a second wall behind the check.
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

FILTERS = frozenset({"e", "escape", "upper", "lower", "title", "capitalize", "trim", "default", "d",
                     "string"})
ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If,
           nodes.CondExpr, nodes.Not, nodes.And, nodes.Or, nodes.Compare, nodes.Operand, nodes.Concat,
           nodes.Test, nodes.Filter, nodes.MarkSafe, nodes.MarkSafeIfAutoescape)
WHAT = {nodes.For: "Schleife (for)", nodes.Include: "include", nodes.Import: "import",
        nodes.FromImport: "import", nodes.Extends: "extends", nodes.Macro: "Makro",
        nodes.CallBlock: "call", nodes.Call: "Funktionsaufruf", nodes.Assign: "set",
        nodes.AssignBlock: "set", nodes.Getattr: "Attributzugriff", nodes.Getitem: "Indexzugriff",
        nodes.BinExpr: "Rechenausdruck"}


MAX_DEPTH = 50
MAX_TAG_TOKENS = 200
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "raw"})
_TAG_BEGIN = frozenset({"block_begin", "variable_begin"})
_TAG_END = frozenset({"block_end", "variable_end"})


def _too_deep(env: SandboxedEnvironment, source: str, name: str | None, filename: str | None) -> None:
    """Refuse nesting beyond ``MAX_DEPTH`` or a tag of over ``MAX_TAG_TOKENS`` tokens, found by
    Jinja's own (iterative) lexer."""
    depth = 0
    tokens = 0
    after_begin = False
    for token in env._tokenize(source, name, filename):
        if token.type in _TAG_BEGIN:
            tokens, after_begin = 0, token.type == "block_begin"
            continue
        if token.type in _TAG_END:
            after_begin = False
            continue
        tokens += 1
        if tokens > MAX_TAG_TOKENS:
            raise TemplateSyntaxError(f"ein Platzhalter hat mehr als {MAX_TAG_TOKENS} Teile; das ist in einer "
                                      "Vorlage nicht erlaubt", token.lineno, name, filename)
        if after_begin and token.type == "name":
            if token.value in _BLOCKS:
                depth += 1
            elif token.value.startswith("end"):
                depth -= 1
            if depth > MAX_DEPTH:
                raise TemplateSyntaxError(f"Blöcke sind tiefer als {MAX_DEPTH} Ebenen verschachtelt; das ist in "
                                          "einer Vorlage nicht erlaubt", token.lineno, name, filename)
        after_begin = False


def _refused(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        return f"der Filter „{node.name}“"
    if (isinstance(node, nodes.Filter) and (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs)
            and node.name not in ("default", "d")):
        return f"der Filter „{node.name}“ mit Argumenten"
    if isinstance(node, ALLOWED):
        return None
    for kind, label in WHAT.items():
        if isinstance(node, kind):
            return label
    return type(node).__name__


class TemplateEnvironment(SandboxedEnvironment):
    """Sandboxed, and every template source it parses is checked against the rules above."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        _too_deep(self, source, name, filename)
        tree = super()._parse(source, name, filename)
        for node in [tree, *tree.find_all(nodes.Node)]:
            what = _refused(node)
            if what is not None:
                raise TemplateSyntaxError(
                    f"{what} ist in einer Vorlage nicht erlaubt (nur Platzhalter wie {{{{ city }}}} "
                    "und {% if %})", getattr(node, "lineno", 0) or 0, name, filename)
        return tree
