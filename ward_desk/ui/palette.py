"""The command palette in the desk's language: its placeholder and "no matches" line
from the catalogue, and a search that ignores accents and case (typing "ho so moi"
finds "Hồ sơ mới"), over the same action table the keys and help use."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from ward_desk.domain.text import fold
from ward_desk.i18n import t
from ward_desk.ui.i18n import translate_textual


class DeskCommands(Provider):
    """The desk's bound actions (``App.get_system_commands``), matched without accents."""

    async def discover(self) -> Hits:
        for name, help_text, callback, discover in sorted(self.app.get_system_commands(self.screen),
                                                          key=lambda c: c[0]):
            if discover:
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(fold(query))
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score = max(matcher.match(fold(name)), matcher.match(fold(help_text)) * 0.5)
            if score > 0:
                yield Hit(score, Text(name), callback, help=help_text)


class DeskPalette(CommandPalette):
    """Textual's palette with the desk's words."""

    def __init__(self) -> None:
        super().__init__(placeholder=t("ui.palette.placeholder"), id="--command-palette")
        translate_textual(self, descendants=False)  # its Esc, in the footer

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own countdown adds an English "No matches found"; ours is worded.
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(t("ui.palette.no_matches"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)
