"""The command palette (ctrl+p) offers the current screen's actions, named as in the footer.

The list is built from the screen's active bindings, so palette, footer and help never disagree,
and an action that is hidden (for example writing in read-only mode) is not offered either.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


class ScreenActions(Provider):
    """One command per key binding that is active on the screen the palette was opened from."""

    def _actions(self) -> Iterator[tuple[str, str, DOMNode, str]]:
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action in seen:
                continue
            if binding.action in ("command_palette",):
                continue
            seen.add(binding.action)
            shown = binding.key_display or self.app.get_key_display(binding)
            yield binding.description, binding.action, active.node, f"Taste {shown}"

    def _command(self, node: DOMNode, action: str) -> None:
        self.app.call_later(node.run_action, action)

    async def discover(self) -> Hits:
        for label, action, node, help_text in self._actions():
            yield DiscoveryHit(label, partial(self._command, node, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, node, help_text in self._actions():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._command, node, action), help=help_text)
