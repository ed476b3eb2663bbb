"""Load objects into OpenTAXII and serve them: run by bench/taxii.py with OpenTAXII's python.

OpenTAXII 0.9.3 pins Flask, SQLAlchemy and marshmallow versions of its own, so it lives in a
virtual environment of its own (see bench/taxii.py, `--opentaxii-python`); this script only
imports OpenTAXII and the standard library.

    <opentaxii python> bench/opentaxii_server.py CONFIG_DIR OBJECTS_JSON DATABASE_URL PORT

Writes CONFIG_DIR/opentaxii.yml (TAXII 2.1 only, persistence and accounts in the given
PostgreSQL database, emptied first), creates an API root, a collection and an account
`bench`/`bench`, adds the objects through OpenTAXII's persistence API in batches, prints
`READY <api root id> <collection id>` and serves with gunicorn (two workers) until killed.

Workaround: with PostgreSQL persistence, OpenTAXII 0.9.3 answers the collection resource with
a 500 ("Object of type UUID is not JSON serializable": the ids come back as UUID objects,
which its TAXII 2 responses pass to json.dumps as they are). Its response module is given a
json.dumps that writes such values as strings; nothing else is changed.
"""

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

CONFIG = """\
---
domain: "127.0.0.1:{port}"
support_basic_auth: yes
return_server_error_details: no
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: {database}
    create_tables: yes
    secret: bench-only-secret-not-used-anywhere-else
    token_ttl_secs: 3600
taxii1: false
taxii2:
  title: OpenTAXII bench
  max_content_length: 100000000
  public_discovery: yes
  allow_custom_properties: yes
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: {database}
      create_tables: yes
logging:
  opentaxii: warning
  root: warning
"""


def main() -> None:
    config_dir, objects_file, database, port = sys.argv[1:5]
    config = Path(config_dir, "opentaxii.yml")
    config.write_text(CONFIG.format(port=port, database=database))
    os.environ["OPENTAXII_CONFIG"] = str(config)

    from opentaxii.cli import app

    with app.app_context():
        server = app.taxii_server
        server.auth.api.create_account("bench", "bench", is_admin=True)
        api = server.servers.taxii2.persistence.api
        root = api.add_api_root(title="bench", default=True, is_public=False)
        collection = api.add_collection(
            api_root_id=str(root.id), title="bench", is_public=False, is_public_write=False
        )
        objects = json.loads(Path(objects_file).read_text())
        for start in range(0, len(objects), 1000):
            api.add_objects(
                api_root_id=str(root.id),
                collection_id=str(collection.id),
                objects=objects[start : start + 1000],
            )
    print(f"READY {root.id} {collection.id}", flush=True)
    serve(port)


def serve(port: str) -> None:
    import opentaxii.taxii2.http as responses
    from gunicorn.app.base import BaseApplication
    from opentaxii.http import app

    def dumps(data: Any, **kwargs: Any) -> str:
        return json.dumps(data, default=str, **kwargs)

    responses.json = SimpleNamespace(dumps=dumps, loads=json.loads)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", 2)
            self.cfg.set("loglevel", "warning")

        def load(self) -> Any:
            return app

    Server().run()


if __name__ == "__main__":
    main()
