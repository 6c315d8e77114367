"""Voila with Hehu's light pages beside the dashboards: `python -m hehu.serve.voila_app`.

Voila, run standalone, takes no server extensions; its application's handlers are the one place
to add routes, so this is Voila with two more (hehu/serve/light_handlers.py).
"""

from __future__ import annotations

from voila.app import Voila


class HehuVoila(Voila):
    """Voila serving /hehu/briefing/CODE and /hehu/overview too."""

    def init_handlers(self) -> list:
        """Voila's handlers, with the light pages' first."""
        from hehu.serve.light_handlers import light_handlers

        return light_handlers(self.server_url) + super().init_handlers()


main = HehuVoila.launch_instance

if __name__ == "__main__":
    main()
