"""Serve the embedded portal: Django's development server plus the background work.

`runserver` alone would leave the periodic schedule unrun in embedded mode (no digests, no
webhook retries, no reminders); this command starts it in the same process (see
portal/embedded.py), so it stops with the server. It also keeps the start quiet: one line
with the URL instead of the development server's banner.
"""

import os
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import run
from django.db import connections
from django.utils import autoreload

from portal import embedded


class Command(RunserverCommand):
    help = (
        "Serve the portal in embedded mode (SQLite, tasks in-process) with the periodic "
        "schedule running in the same process."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.REDIS_URL:
            raise CommandError(
                "serve_embedded is for embedded mode (no REDIS_URL). With Redis, run the web "
                "server, `celery -A portal worker` and `celery -A portal beat`."
            )
        super().handle(*args, **options)

    def inner_run(self, *args: Any, **options: Any) -> None:
        # In the process that serves (the autoreloader's child when reloading is on).
        autoreload.raise_last_exception()
        if not options["skip_checks"]:
            self.check(display_num_errors=False)
        self.check_migrations()
        for connection in connections.all(initialized_only=True):
            connection.close()
        embedded.start()
        # Set by runserver's handle() from the address and port given.
        addr: str = getattr(self, "addr")  # noqa: B009
        port = int(getattr(self, "port"))  # noqa: B009
        host = f"[{addr}]" if getattr(self, "_raw_ipv6", False) else addr
        url = f"http://{host}:{port}/"
        self.stdout.write(
            f"The portal is running at {url}\n"
            "Background tasks and the periodic schedule (digests, webhook retries, "
            "reminders) run in this process. Ctrl-C stops it."
        )
        # Written to a file or a pipe (a log, a supervisor) standard output waits for a
        # full buffer: the address must show now, not with whatever is printed next.
        self.stdout.flush()
        try:
            run(
                addr,
                port,
                self.get_handler(*args, **options),
                ipv6=getattr(self, "use_ipv6", False),
                threading=options["use_threading"],
                on_bind=lambda port: None,
                server_cls=self.server_cls,
            )
        except OSError as exc:
            self.stderr.write(f"Cannot serve on {url}: {exc.strerror}.")
            # This may run in the autoreloader's thread, where sys.exit would not end the process.
            os._exit(1)
        except KeyboardInterrupt:
            pass
        finally:
            embedded.stop()
