"""Voila with Hehu's light pages beside the dashboards and a limit on kernels:
`python -m hehu.serve.voila_app`.

Voila, run standalone, takes no server extensions; its application's handlers are the one place
to add routes, so this is Voila with two more (hehu/serve/light_handlers.py), and with its page
handler asking hehu/serve/admission.py before a page takes a kernel.
"""

from __future__ import annotations

import re
import time

from tornado import web
from traitlets import Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from hehu.serve.admission import Admission, default_render_slots, machine_kernel_cap, wait_page

PLACE_CODE = re.compile(r"\d{12}")


class AdmittedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler: a page over the limits gets the wait page instead of a kernel."""

    @web.authenticated
    async def get(self, path=None):
        admission: Admission = self.settings["hehu_admission"]
        manager = self.kernel_manager
        decision = admission.decide(
            manager.page_kernel_count(),
            manager.seconds_to_next_cull(),
            pooled=bool(path) and manager.has_ready_pooled_kernel(path),
        )
        if not decision.admitted:
            self.log.warning(
                "hehu admission: %s refused (%s limit), likely wait %s s",
                path, decision.reason, decision.wait_seconds,
            )  # fmt: skip
            place = self.get_argument("place", "")
            lang = "en" if self.get_argument("lang", "zh").lower().startswith("en") else "zh"
            self.set_status(503)
            self.set_header("Retry-After", str(decision.wait_seconds or 5))
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(wait_page(decision, place if PLACE_CODE.fullmatch(place) else None, lang))
            return
        admission.render_started()
        started = time.monotonic()
        try:
            await super().get(path)
        finally:
            admission.render_finished(time.monotonic() - started)


class HehuVoila(Voila):
    """Voila serving /hehu/briefing/CODE and /hehu/overview too, and admitting pages."""

    max_kernels = Integer(
        0, help="Page kernels alive at once (0: as many as the memory holds)"
    ).tag(config=True)
    render_slots = Integer(0, help="Pages started at once (0: one per core)").tag(config=True)

    def init_handlers(self) -> list:
        """Voila's handlers, with the light pages' first and its page handler admitting."""
        from hehu.serve.light_handlers import light_handlers

        self.app.settings["hehu_admission"] = Admission(
            max_kernels=self.max_kernels or machine_kernel_cap(0),
            render_slots=self.render_slots or default_render_slots(),
        )
        handlers = [
            (rule[0], AdmittedVoilaHandler, *rule[2:]) if rule[1] is TornadoVoilaHandler else rule
            for rule in super().init_handlers()
        ]
        return light_handlers(self.server_url) + handlers


main = HehuVoila.launch_instance

if __name__ == "__main__":
    main()
