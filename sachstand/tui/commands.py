"""The command palette (ctrl+p) offers the current screen's actions, named as in the footer.

The list is built from the screen's active bindings, so palette, footer and help never disagree,
and an action that is hidden (for example writing in read-only mode) is not offered either.
Quit and help come from the app's system commands (``german.system_commands``), so they are left
out here; no two entries share a name.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


def own_bindings(cls: type) -> set[tuple[str, str]]:
    """(key, action) of the bindings that sachstand's own classes in ``cls``'s MRO declare."""
    out = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("sachstand"):
            for item in klass.__dict__.get("BINDINGS", []):
                binding = item if isinstance(item, Binding) else Binding(*item)
                for key in binding.key.split(","):
                    out.add((key.strip(), binding.action))
    return out


SYSTEM_ACTIONS = frozenset({"command_palette", "app.command_palette", "quit", "app.quit", "help", "app.help"})


class ScreenActions(Provider):
    """One command per key binding that is active on the screen the palette was opened from."""

    def _actions(self) -> Iterator[tuple[str, str, DOMNode, str]]:
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action in seen:
                continue
            if (binding.key, binding.action) not in own_bindings(type(active.node)):
                continue  # Textual's own widget bindings ("Scroll Left", …): English, and not ours to offer
            if binding.action in SYSTEM_ACTIONS or binding.description in seen:
                continue
            seen.add(binding.action)
            seen.add(binding.description)
            shown = binding.key_display or self.app.get_key_display(binding)
            yield binding.description, binding.action, active.node, f"Taste {shown}"

    def _command(self, node: DOMNode, action: str) -> None:
        self.app.call_later(self.app.run_action, action, node)

    async def discover(self) -> Hits:
        for label, action, node, help_text in self._actions():
            yield DiscoveryHit(label, partial(self._command, node, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, node, help_text in self._actions():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._command, node, action), help=help_text)
