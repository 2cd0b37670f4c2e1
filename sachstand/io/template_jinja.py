"""The Jinja environment for a Word template from outside (``--template FILE.docx``).

A template is a file someone sends: its Jinja may name the placeholders and choose between them,
nothing more. Rules (checked on the parsed template, before anything runs):

- allowed: text, ``{{ name }}``, ``{% if %}``/``elif``/``else`` with comparisons, ``not``/``and``/
  ``or``, ``~`` (joining), literals, tests (``is defined``) and the filters in ``FILTERS``.
- refused with one German line: loops (``for``), ``include``/``import``/``extends``, macros,
  ``set``, calls, attribute and item access, arithmetic (``'a' * 10**10``) and any other filter
  (``center(10**9)``): so a template can neither read files nor run without end nor fill memory.

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
        tree = super()._parse(source, name, filename)
        for node in [tree, *tree.find_all(nodes.Node)]:
            what = _refused(node)
            if what is not None:
                raise TemplateSyntaxError(
                    f"{what} ist in einer Vorlage nicht erlaubt (nur Platzhalter wie {{{{ city }}}} "
                    "und {% if %})", getattr(node, "lineno", 0) or 0, name, filename)
        return tree
